/**
 * IopSynchronousServiceTail: the end of every synchronous I/O service
 * (NtDeviceIoControlFile, NtReadFile, NtWriteFile, ...): the IRP goes to the
 * driver, and once it is completed the I/O manager finishes it in the
 * caller's thread (copy back, free) and writes the final status and
 * Information into the caller's IO_STATUS_BLOCK. A driver that returns
 * without completing the IRP leaves the caller its status and the IRP lost.
 *
 * A synchronous request the driver completed with an error status (NT_ERROR,
 * severity 3) leaves the caller's IO_STATUS_BLOCK as it was: IopCompleteRequest
 * writes Irp->UserIosb only for a success, informational or warning status, or
 * for an error on an IRP that returned STATUS_PENDING to an asynchronous caller.
 * The service's status is then the error itself.
 * https://github.com/reactos/reactos/blob/master/ntoskrnl/io/iomgr/irp.c (IopCompleteRequest)
 */
import { NT_ERROR, STATUS_PENDING } from '../../include/ntstatus.js';
import { FO_SYNCHRONOUS_IO } from '../../include/wdm-constants.js';
import { writeIoStatus } from '../ex/capture.js';
import type { KernelObject } from '../ob/object.js';
import type { IoContext } from './context.js';
import type { IoStatusBlock, Irp } from './irp.js';
import type { DeviceObject, FileObject } from './objects.js';
import { IopFileEvents, IopMarkRequestPending, IopQueueUserApcCompletion, IopWaitForRequest } from './pending.js';

/** Sends the IRP and completes it for the caller; returns the service's status. */
export function IopSynchronousServiceTail(k: IoContext, device: DeviceObject, irp: Irp, ioStatusBlock: number): number {
  // Allocation-free: NtDeviceIoControlFile's path (a hot path) ends here.
  const status = k.io.IoCallDriver(device, irp);
  if (!irp.completed) {
    if (status !== STATUS_PENDING) k.io.reportIncomplete(irp, status);
    return status;
  }
  const final = irp.finalStatus;
  const information = irp.finalInformation;
  k.io.IopCompleteRequest(irp);
  if (!NT_ERROR(final)) writeIoStatus(k, ioStatusBlock, final, information);
  return status === STATUS_PENDING ? final : status;
}

/**
 * IopSynchronousServiceTail for a request from a handle, which may go
 * pending (pending.ts): the dispatch routine returned STATUS_PENDING and
 * kept the IRP. A synchronous file object's caller then waits for the
 * request to finish (a promise of its final status); an overlapped caller
 * gets STATUS_PENDING, and its IO_STATUS_BLOCK and `event` (a referenced
 * Event, or null: the file object's own) tell it the end. A request that
 * completes at once sets `event` and lets it go.
 */
export function IopServiceTail(k: IoContext, device: DeviceObject, irp: Irp, ioStatusBlock: number, file: FileObject,
  event: KernelObject | null, apcRoutine = 0, apcContext = 0): number | Promise<number> {
  const status = k.io.IoCallDriver(device, irp);
  const synchronous = (file.Flags & FO_SYNCHRONOUS_IO) !== 0;
  if (irp.completed) {
    const final = irp.finalStatus;
    const information = irp.finalInformation;
    k.io.IopCompleteRequest(irp);
    if (!NT_ERROR(final) || (!synchronous && status === STATUS_PENDING)) {
      writeIoStatus(k, ioStatusBlock, final, information);
      if (apcRoutine !== 0) IopQueueUserApcCompletion(k, irp.Tail.Overlay.Thread ?? k.currentThread, apcRoutine, apcContext, ioStatusBlock);
    }
    if (event) IopSignalEvent(k, event);
    else if (!synchronous) k.waits.KeSetEvent(IopFileEvents(k, file).event);
    if (synchronous && file.Waiters > 0) k.waits.KeSetEvent(IopFileEvents(k, file).lock);
    return status === STATUS_PENDING && synchronous ? final : status;
  }
  if (status !== STATUS_PENDING) {
    k.io.reportIncomplete(irp, status);
    if (event) k.ob.ObDereferenceObject(event);
    return status;
  }
  IopMarkRequestPending(k, irp, { file, userIosb: ioStatusBlock, event, synchronous, apcRoutine, apcContext });
  if (!synchronous) return STATUS_PENDING;
  file.Busy = true;
  return IopWaitForRequest(k, file);
}

/** The caller's event is set and the request's reference on it goes. */
function IopSignalEvent(k: IoContext, event: KernelObject): void {
  k.waits.KeSetEvent(event.address);
  k.ob.ObDereferenceObject(event);
}

/**
 * The same, returning the final IO_STATUS_BLOCK instead of writing it (a Zw
 * routine's caller gets it as a value); `completed` is false for an IRP the
 * driver left incomplete, whose block nobody fills.
 */
export function IopSynchronousServiceTailStatus(k: IoContext, device: DeviceObject, irp: Irp):
  { status: number; ioStatus: IoStatusBlock; completed: boolean } {
  const status = k.io.IoCallDriver(device, irp);
  if (!irp.completed) {
    if (status !== STATUS_PENDING) k.io.reportIncomplete(irp, status);
    return { status, ioStatus: { Status: status, Information: 0 }, completed: false };
  }
  const final = irp.finalStatus;
  const information = irp.finalInformation;
  k.io.IopCompleteRequest(irp);
  return { status: status === STATUS_PENDING ? final : status, ioStatus: { Status: final, Information: information }, completed: true };
}
