/**
 * IRPs one driver builds for another: IoBuildDeviceIoControlRequest, and the
 * end of such a request once completed (copy back, unlock, the caller's
 * IO_STATUS_BLOCK, free).
 *
 * On Windows the IRP is queued to the building thread and finished by
 * IopCompleteRequest in a kernel APC; here it is finished when the outermost
 * IoCallDriver on it returns, or at once when a driver completes it again
 * after a completion routine kept it (STATUS_MORE_PROCESSING_REQUIRED).
 * The Event is not signalled: waits are not modelled (docs/fidelity.md), so
 * a driver reads IoStatusBlock after IoCallDriver returns.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iobuilddeviceiocontrolrequest
 * https://github.com/reactos/reactos/blob/master/ntoskrnl/io/iomgr/irp.c (IoBuildDeviceIoControlRequest)
 */
import { NtException } from '../../include/errors.js';
import {
  IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, KernelMode,
  MDL_PAGES_LOCKED, METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_NEITHER,
} from '../../include/wdm-constants.js';
import { IoReadAccess, IoWriteAccess } from '../mm/mdl.js';
import { NonPagedPool } from '../mm/pool.js';
import type { IoContext } from './context.js';
import type { IoStatusBlock, Irp } from './irp.js';
import type { DeviceObject } from './objects.js';

const BUFFER_TAG = 0x20207249; // 'Ir  '

/**
 * IoBuildDeviceIoControlRequest: an IRP_MJ_DEVICE_CONTROL (or, with InternalDeviceIoControl,
 * IRP_MJ_INTERNAL_DEVICE_CONTROL) IRP for `device`'s stack, RequestorMode KernelMode, its buffers
 * (kernel addresses) prepared as the I/O manager prepares a program's for the code's transfer
 * method. NULL when pool runs out or the output buffer cannot be locked.
 */
export function IoBuildDeviceIoControlRequest(k: IoContext, ioControlCode: number, device: DeviceObject, inputBuffer: number,
  inputBufferLength: number, outputBuffer: number, outputBufferLength: number, internalDeviceIoControl: boolean,
  event: unknown, ioStatusBlock: IoStatusBlock | null): Irp | null {
  const code = ioControlCode >>> 0;
  const inLen = inputBufferLength >>> 0;
  const outLen = outputBufferLength >>> 0;
  const irp = k.io.allocateIrp(KernelMode, device, null, internalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL);
  if (!irp) return null;
  const params = irp.nextStackLocation.Parameters.DeviceIoControl;
  params.IoControlCode = code;
  params.InputBufferLength = inLen;
  params.OutputBufferLength = outLen;
  const method = code & 3;
  const stats = k.io.stats;
  try {
    if (method === METHOD_NEITHER) {
      irp.UserBuffer = outputBuffer;
      params.Type3InputBuffer = inputBuffer;
      stats.neither.requests++;
    } else if (method === METHOD_BUFFERED) {
      const size = Math.max(inLen, outLen);
      if (size > 0) {
        IopAllocateSystemBuffer(k, irp, size);
        if (inputBuffer && inLen > 0) IopCopyIn(k, irp, inputBuffer, inLen);
        if (outputBuffer) irp.Flags |= IRP_INPUT_OPERATION;
        irp.UserBuffer = outputBuffer;
      }
      stats.buffered.requests++;
    } else {
      if (inputBuffer && inLen > 0) {
        IopAllocateSystemBuffer(k, irp, inLen);
        IopCopyIn(k, irp, inputBuffer, inLen);
      }
      if (outputBuffer && outLen > 0) {
        const mdl = k.mdl.IoAllocateMdl(outputBuffer, outLen, false, false, irp);
        if (!mdl) throw new NtException(0xc000009a); // STATUS_INSUFFICIENT_RESOURCES
        k.mdl.MmProbeAndLockPages(mdl, KernelMode, method === METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
        stats.direct.mdls++;
        stats.direct.bytesMapped += outLen;
      }
      stats.direct.requests++;
    }
  } catch (e) {
    if (!(e instanceof NtException)) throw e;
    // An MDL that was allocated but not locked is freed without unlocking.
    if (irp.MdlAddress && (irp.MdlAddress.MdlFlags & MDL_PAGES_LOCKED) === 0) {
      k.mdl.IoFreeMdl(irp.MdlAddress);
      irp.MdlAddress = null;
    }
    k.io.freeIrp(irp);
    return null;
  }
  irp.UserIosb = ioStatusBlock;
  irp.UserEvent = event;
  irp.threadedByDriver = true;
  return irp;
}

function IopAllocateSystemBuffer(k: IoContext, irp: Irp, size: number): void {
  const systemBuffer = k.pool.allocate(NonPagedPool, size, BUFFER_TAG);
  if (systemBuffer === 0) throw new NtException(0xc000009a); // STATUS_INSUFFICIENT_RESOURCES
  irp.AssociatedIrp.SystemBuffer = systemBuffer;
  irp.Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
}

function IopCopyIn(k: IoContext, irp: Irp, inputBuffer: number, inLen: number): void {
  k.kernelMemory.copy(irp.AssociatedIrp.SystemBuffer, inputBuffer, inLen);
  k.io.stats.buffered.bytesCopiedIn += inLen;
}

/**
 * The end of a completed driver-built IRP: a buffered output copied back to the builder's buffer
 * (unless the status is an error), MDLs unlocked and freed, the final status and Information in
 * the builder's IO_STATUS_BLOCK, the IRP freed, and the builder's Event set (the usual
 * IoBuildDeviceIoControlRequest / IoCallDriver / KeWaitForSingleObject on STATUS_PENDING).
 */
export function IopFinishDriverIrp(k: IoContext, irp: Irp): void {
  const iosb = irp.UserIosb;
  const status = irp.finalStatus;
  const information = irp.finalInformation;
  k.io.IopCompleteRequest(irp);
  if (iosb) {
    iosb.Status = status;
    iosb.Information = information;
  }
  // The builder's KEVENT (its address, or an event object) is set: a caller that waits on it may go on.
  const event = irp.UserEvent;
  const address = typeof event === 'number' ? event : typeof event === 'object' && event !== null && typeof (event as { address?: unknown }).address === 'number'
    ? (event as { address: number }).address : 0;
  if (address !== 0) k.waits.KeSetEvent(address);
}
