/**
 * A thread's requests in progress, cancelled: when the thread exits
 * (IoCancelThreadIo), and when the program asks (NtCancelIoFile for the
 * calling thread's requests on a file, NtCancelIoFileEx for the process's).
 *
 * IoCancelThreadIo calls IoCancelIrp on each request the thread has pending,
 * then waits, 100 ms at a time, for them to finish: the exit goes on only
 * when the drivers have completed them. A driver that never does (no cancel
 * routine, or one that does not complete) holds the exit for five minutes,
 * 3000 waits, as on Windows; then the request is disassociated from the
 * thread (IopDisassociateThreadIrp: the "driver failed to complete a
 * cancelled I/O request" event, IO_DRIVER_CANCEL_TIMEOUT) and the exit goes
 * on. ntshm reports both moments as findings, and virtual time makes the
 * five minutes cost nothing.
 * ReactOS ntoskrnl/io/iomgr/irp.c (IoCancelThreadIo, IopDisassociateThreadIrp), iofunc.c (NtCancelIoFile)
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/canceling-irps
 */
import { STATUS_NOT_FOUND, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { irpMajorFunctionName } from '../../include/wdm-constants.js';
import { captureOrStatus, ProbeForWriteIoStatusBlock, writeIoStatus } from '../ex/capture.js';
import { KiDeliverApcs } from '../ke/apc.js';
import type { KThread } from '../ke/thread.js';
import { IoCancelIrp } from './cancel.js';
import type { IoContext } from './context.js';
import { frameFor } from './driver-load.js';
import type { Irp } from './irp.js';
import { IoFileObjectType, type FileObject } from './objects.js';

/** KeDelayExecutionThread's interval in IoCancelThreadIo (100 ms), and how many it makes before giving up on a request (five minutes). */
const CANCEL_WAIT_NS = 100_000_000;
const CANCEL_WAIT_RETRIES = 3000;
/** NtCancelIoFile's wait for the cancelled requests (10 ms at a time). */
const CANCEL_FILE_WAIT_NS = 10_000_000;

/** The requests of `threads` still in progress. */
function IopPendingIrps(k: IoContext, threads: readonly KThread[]): Irp[] {
  return threads.flatMap((t) => [...k.io.threadIrps(t)]);
}

/** Cancels each request, then lets the exiting thread's own completions run (Windows lowers the IRQL, and they do). */
function IopCancelAll(k: IoContext, irps: readonly Irp[]): void {
  for (const irp of irps) if (irp.inUse && !irp.completed && !k.bugcheck) IoCancelIrp(k, irp);
  const thread = k.currentThread;
  if (thread.apcQueue.length > 0 && !k.bugcheck) KiDeliverApcs(k, thread);
}

/**
 * IoCancelThreadIo for `threads` (the exiting thread, or every thread of its
 * exiting process), from the exiting thread: undefined when nothing is in
 * progress, else a promise that settles when the exit may go on.
 */
export function IoCancelThreadIo(k: IoContext, exiting: KThread, threads: readonly KThread[]): Promise<void> | undefined {
  const irps = IopPendingIrps(k, threads);
  if (irps.length > 0) IopCancelAll(k, irps);
  if (IopPendingIrps(k, threads).length === 0) {
    for (const t of threads) k.io.forgetThread(t);
    return undefined;
  }
  return IopWaitForThreadIo(k, exiting, threads);
}

async function IopWaitForThreadIo(k: IoContext, exiting: KThread, threads: readonly KThread[]): Promise<void> {
  for (let wait = 1; ; wait++) {
    await k.scheduler.delay(exiting, k.clock.nowNs + CANCEL_WAIT_NS);
    if (k.bugcheck) return;
    const left = IopPendingIrps(k, threads);
    if (left.length === 0) break;
    if (wait === 1) for (const irp of left) IopReportStuckIrp(k, irp, 'irp-pending-at-rundown');
    if (wait === CANCEL_WAIT_RETRIES) {
      // IopDisassociateThreadIrp: the request belongs to no thread any more; whenever it completes, it is only freed.
      for (const irp of left) {
        IopReportStuckIrp(k, irp, 'irp-cancel-timeout');
        irp.Tail.Overlay.Thread = null;
        for (const t of threads) k.io.threadIrps(t).delete(irp);
      }
      break;
    }
  }
  for (const t of threads) k.io.forgetThread(t);
}

/** The finding for a request that a thread's exit waits for. */
function IopReportStuckIrp(k: IoContext, irp: Irp, kind: 'irp-pending-at-rundown' | 'irp-cancel-timeout'): void {
  const location = irp.stack[irp.StackCount - 1]!;
  const device = location.DeviceObject;
  const driver = device.DriverObject;
  const major = irpMajorFunctionName(location.MajorFunction);
  const frame = frameFor(driver, driver.MajorFunction[location.MajorFunction], major);
  const thread = irp.Tail.Overlay.Thread;
  const who = thread ? thread.label : 'its thread';
  const irpText = `${major} IRP ${k.formatAddress(irp.address)}`;
  const message = kind === 'irp-pending-at-rundown'
    ? `${who} is exiting, and ${irpText}, which ${frame.driver}!${frame.routine} left pending, is still pending 100 ms after IoCancelIrp ` +
      '(the driver set no cancel routine, or its cancel routine did not complete the IRP): the exit waits for it, up to five minutes, ' +
      'as Windows\' IoCancelThreadIo does'
    : `${frame.driver} did not complete the cancelled ${irpText} within five minutes: the I/O manager disassociated it from ${who} ` +
      '(event IO_DRIVER_CANCEL_TIMEOUT, "the driver failed to complete a cancelled I/O request in the allotted time") and the exit went on';
  k.report({
    kind,
    driver: frame.driver,
    routine: frame.routine,
    message,
    details: { irp: k.formatAddress(irp.address), majorFunction: major, thread: thread?.label ?? null, cancelled: irp.Cancel },
  });
}

/** The file object a handle names (any access), or the failure status. */
function IopReferenceFile(k: IoContext, handle: number): FileObject | number {
  const ref = k.ob.ObReferenceObjectByHandle(handle, 0, IoFileObjectType, k.currentThread.PreviousMode, k.currentProcess);
  return ref.object ? ref.object as FileObject : ref.status;
}

/**
 * NtCancelIoFile: cancels the calling thread's requests on the file and
 * waits (10 ms at a time) until they have finished; the IO_STATUS_BLOCK says
 * STATUS_SUCCESS. https://learn.microsoft.com/windows/win32/fileio/cancelio
 */
export async function NtCancelIoFile(k: IoContext, FileHandle: number, IoStatusBlock: number): Promise<number> {
  const probed = captureOrStatus(() => ProbeForWriteIoStatusBlock(k, IoStatusBlock));
  if (typeof probed === 'number') return probed;
  const file = IopReferenceFile(k, FileHandle);
  if (typeof file === 'number') return file;
  const thread = k.currentThread;
  const mine = (): Irp[] => [...k.io.threadIrps(thread)].filter((irp) => irp.pending?.file === file);
  try {
    IopCancelAll(k, mine());
    while (mine().length > 0 && !k.bugcheck) await k.scheduler.delay(thread, k.clock.nowNs + CANCEL_FILE_WAIT_NS);
  } finally {
    k.ob.ObDereferenceObject(file);
  }
  writeIoStatus(k, IoStatusBlock, STATUS_SUCCESS, 0);
  return STATUS_SUCCESS;
}

/**
 * NtCancelIoFileEx: cancels the process's requests on the file (every
 * thread's), only the one whose IO_STATUS_BLOCK is IoRequestToCancel if that
 * is not NULL; does not wait. STATUS_NOT_FOUND when there was none.
 * https://learn.microsoft.com/windows/win32/fileio/cancelioex-func
 */
export function NtCancelIoFileEx(k: IoContext, FileHandle: number, IoRequestToCancel: number, IoStatusBlock: number): number {
  const probed = captureOrStatus(() => ProbeForWriteIoStatusBlock(k, IoStatusBlock));
  if (typeof probed === 'number') return probed;
  const file = IopReferenceFile(k, FileHandle);
  if (typeof file === 'number') return file;
  try {
    const process = k.currentProcess;
    const irps = IopPendingIrps(k, process.threads).filter((irp) =>
      irp.pending?.file === file && (IoRequestToCancel === 0 || irp.pending.userIosb === IoRequestToCancel));
    if (irps.length === 0) return STATUS_NOT_FOUND;
    IopCancelAll(k, irps);
    writeIoStatus(k, IoStatusBlock, STATUS_SUCCESS, 0);
    return STATUS_SUCCESS;
  } finally {
    k.ob.ObDereferenceObject(file);
  }
}
