/**
 * METHOD_BUFFERED's SystemBuffer is nonpaged pool, not zeroed: the bytes past
 * the input hold whatever the pool held before. The I/O manager copies back
 * as many bytes as IoStatus.Information says, so a driver that claims more
 * than it wrote hands the program kernel memory (boundary case 17).
 *
 * The finding `uninitialized-bytes-returned`: the kernel's writes to the
 * SystemBuffer's bytes past the input are tracked while the request is under
 * way (mm/write-watch.ts); bytes copied back that no kernel code wrote are
 * reported (what a driver wrote is never taken for a leak, even when it wrote
 * the bytes the pool already held).
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/buffer-descriptions-for-i-o-control-codes
 */
import type { IoContext } from './context.js';
import { frameFor } from './driver-load.js';
import { irpMajorFunctionName } from '../../include/wdm-constants.js';
import type { Irp } from './irp.js';
import type { WrittenBytes } from '../mm/write-watch.js';

/** The SystemBuffer's bytes past the input, as the I/O manager handed them to the driver. */
export interface UnwrittenSnapshot {
  readonly offset: number;
  readonly tracker: WrittenBytes;
}

/** Keeps the bytes of [inLen, size) of the SystemBuffer, before the driver runs. */
export function IopSnapshotSystemBuffer(k: IoContext, irp: Irp, inLen: number, size: number): void {
  if (size <= inLen) return;
  irp.unwritten = { offset: inLen, tracker: k.writeWatch.track(irp.AssociatedIrp.SystemBuffer + inLen, size - inLen) };
}

/** Stops tracking the SystemBuffer's writes (the IRP is done with, whatever its status). */
export function IopForgetSystemBuffer(k: IoContext, irp: Irp): void {
  if (irp.unwritten) k.writeWatch.untrack(irp.unwritten.tracker);
  irp.unwritten = null;
}

/** Before the copy back of `information` bytes: reports those past the input that the driver left as they were. */
export function IopCheckUnwrittenBytes(k: IoContext, irp: Irp, information: number): void {
  const snapshot = irp.unwritten;
  IopForgetSystemBuffer(k, irp);
  if (!snapshot || information <= snapshot.offset) return;
  const end = Math.min(information - snapshot.offset, snapshot.tracker.written.length);
  let unchanged = 0;
  for (let i = 0; i < end; i++) if (snapshot.tracker.written[i] === 0) unchanged++;
  if (unchanged === 0) return;
  const location = irp.stack[irp.StackCount - 1]!;
  const driver = location.DeviceObject.DriverObject;
  const major = irpMajorFunctionName(location.MajorFunction);
  const frame = frameFor(driver, driver.MajorFunction[location.MajorFunction], major);
  k.report({
    kind: 'uninitialized-bytes-returned',
    driver: frame.driver,
    routine: frame.routine,
    message: `${frame.driver}!${frame.routine} completed ${major} with IoStatus.Information ${information}, but left ${unchanged} of the SystemBuffer's ` +
      `bytes past the input unwritten: the program receives that much uninitialized nonpaged pool`,
    details: { information, inputLength: snapshot.offset, unwrittenBytes: unchanged },
  });
}
