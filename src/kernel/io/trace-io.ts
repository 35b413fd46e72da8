/**
 * The I/O manager's trace events (ke/trace.ts): each dispatch routine as a
 * complete event on the track of the thread it ran in, with the request's
 * major function, IOCTL code and status; a request held pending as an
 * async span from the dispatch routine's return to its completion.
 */
import { ntStatusName } from '../../include/ntstatus.js';
import { IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, irpMajorFunctionName } from '../../include/wdm-constants.js';
import type { DriverFrame } from '../ke/attribution.js';
import type { IoContext } from './context.js';
import type { IoStackLocation, Irp } from './irp.js';

/** A dispatch routine has returned `status`. */
export function IopTraceDispatch(k: IoContext, frame: DriverFrame, location: IoStackLocation, irp: Irp, startNs: number, status: number): void {
  const major = location.MajorFunction;
  const ioctl = major === IRP_MJ_DEVICE_CONTROL || major === IRP_MJ_INTERNAL_DEVICE_CONTROL;
  k.trace!.complete(`${frame.driver}!${frame.routine}`, 'irp', startNs, {
    major: irpMajorFunctionName(major),
    ...(ioctl ? { ioctl: `0x${(location.Parameters.DeviceIoControl.IoControlCode >>> 0).toString(16)}` } : {}),
    irp: k.formatAddress(irp.address),
    status: ntStatusName(status),
  });
}

/** A request went pending (the span begins) or was finished (it ends) with `status`. */
export function IopTracePending(k: IoContext, irp: Irp, begin: boolean, status?: number): void {
  const name = `${irpMajorFunctionName(irp.stack[irp.StackCount - 1]!.MajorFunction)} pending`;
  const args = { irp: k.formatAddress(irp.address), ...(status === undefined ? {} : { status: ntStatusName(status) }) };
  if (begin) k.trace!.asyncBegin(name, 'irp', irp.address, irp.Tail.Overlay.Thread, args);
  else k.trace!.asyncEnd(name, 'irp', irp.address, irp.Tail.Overlay.Thread, args);
}
