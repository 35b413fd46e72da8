/**
 * NtDeviceIoControlFile: the I/O manager's half of DeviceIoControl.
 *
 *   1. reference the file object by handle (UserMode): STATUS_INVALID_HANDLE,
 *      STATUS_OBJECT_TYPE_MISMATCH;
 *   2. the access bits of the code, (code >> 14) & 3, against the handle's
 *      granted access: STATUS_ACCESS_DENIED, before any IRP exists;
 *   3. buffers by transfer type: METHOD_BUFFERED probes and copies the input
 *      into a nonpaged SystemBuffer of max(in, out) bytes; the direct methods
 *      also lock the output buffer in an MDL; METHOD_NEITHER passes the raw
 *      user addresses. A bad buffer fails here (STATUS_ACCESS_VIOLATION) and
 *      never reaches the driver;
 *   4. IRP_MJ_DEVICE_CONTROL to the driver's dispatch routine;
 *   5. completion: a buffered output is copied back (IoStatus.Information
 *      bytes, as the driver said), buffers, MDLs and the IRP are freed.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/buffer-descriptions-for-i-o-control-codes
 */
import {
  FILE_READ_ACCESS, FILE_READ_DATA, FO_SYNCHRONOUS_IO, FILE_WRITE_ACCESS, FILE_WRITE_DATA, IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER,
  IRP_INPUT_OPERATION, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_NEITHER,
} from '../../include/wdm-constants.js';
import { STATUS_ACCESS_DENIED, STATUS_INSUFFICIENT_RESOURCES, STATUS_PENDING } from '../../include/ntstatus.js';
import { ProbeForWriteIoStatusBlock } from '../ex/capture.js';
import { IopServiceTail } from './service-tail.js';
import { IopLockFileObject, IopReferenceRequestEvent } from './pending.js';
import type { UserRequest } from './user-request.js';
import type { KernelObject } from '../ob/object.js';
import { UserMode } from '../../include/wdm-constants.js';
import { NtException } from '../../include/errors.js';
import { ProbeForRead, ProbeForWrite } from '../ex/probe.js';
import type { IoContext } from './context.js';
import { IoGetAttachedDevice } from './attach.js';
import { IopCheckNeither, IopWatchNeither } from './neither-check.js';
import { IopSnapshotSystemBuffer } from './leak-check.js';
import { IoReadAccess, IoWriteAccess } from '../mm/mdl.js';
import { NonPagedPool } from '../mm/pool.js';
import type { Irp } from './irp.js';
import { FileObject, IoFileObjectType } from './objects.js';

const BUFFER_TAG = 0x20207249; // 'Ir  '

/**
 * NtDeviceIoControlFile: checks access, captures the buffers, sends IRP_MJ_DEVICE_CONTROL and completes it;
 * the final status and Information go into the caller's IO_STATUS_BLOCK. A request the driver holds pending
 * (service-tail.ts, pending.ts) is waited for on a synchronous handle, and answered STATUS_PENDING on an
 * overlapped one, whose Event (an event handle, or NULL for the file object's own) is set when it ends, and
 * whose ApcRoutine (if any) is queued to the calling thread as a user APC (ApcContext, IoStatusBlock, 0) that
 * runs at its next alertable wait.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntdeviceiocontrolfile
 */
export function NtDeviceIoControlFile(k: IoContext, FileHandle: number, Event: number, ApcRoutine: number, ApcContext: number,
  IoStatusBlock: number, IoControlCode: number, InputBuffer: number, InputBufferLength: number,
  OutputBuffer: number, OutputBufferLength: number): number | Promise<number> {
  const code = IoControlCode >>> 0;
  const entry = k.ob.ObpReferenceHandleEntry(FileHandle, 0, IoFileObjectType, k.currentThread.PreviousMode, k.currentProcess);
  if (typeof entry === 'number') return entry;
  const file = entry.object as FileObject;
  let event: KernelObject | null = null;
  try {
    // A synchronous file object takes one request at a time: a second waits for the first, then starts again.
    if (file.Busy && (file.Flags & FO_SYNCHRONOUS_IO)) {
      const turn = IopLockFileObject(k, file);
      if (turn) {
        return turn.then(() => NtDeviceIoControlFile(k, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, IoControlCode,
          InputBuffer, InputBufferLength, OutputBuffer, OutputBufferLength));
      }
    }
    const required = (code >>> 14) & 3;
    const granted = entry.grantedAccess;
    if ((required & FILE_READ_ACCESS) && !(granted & FILE_READ_DATA)) return STATUS_ACCESS_DENIED;
    if ((required & FILE_WRITE_ACCESS) && !(granted & FILE_WRITE_DATA)) return STATUS_ACCESS_DENIED;
    try {
      ProbeForWriteIoStatusBlock(k, IoStatusBlock);
    } catch (e) {
      if (e instanceof NtException) return e.status;
      throw e;
    }
    if (Event !== 0 || !(file.Flags & FO_SYNCHRONOUS_IO)) {
      // The caller's event (or an asynchronous file object's own) is cleared; the request sets it when it ends.
      const referenced = IopReferenceRequestEvent(k, file, Event);
      if (typeof referenced === 'number') return referenced;
      event = referenced;
    }
    const method = code & 3;
    let inLen = InputBufferLength >>> 0;
    let outLen = OutputBufferLength >>> 0;
    // A NULL buffer from user mode counts as an empty one: the request reaches the driver with
    // that length 0 instead of failing the probe (the output only for METHOD_BUFFERED; a NULL
    // direct output buffer with a length fails MmProbeAndLockPages).
    // https://github.com/reactos/reactos/blob/master/ntoskrnl/io/iomgr/iofunc.c (IopDeviceFsIoControl)
    if (k.currentThread.PreviousMode === UserMode) {
      if (method === METHOD_BUFFERED && OutputBuffer === 0) outLen = 0;
      if (method !== METHOD_NEITHER && InputBuffer === 0) inLen = 0;
    }
    // The request goes to the top of the device's stack (a filter attached over it first).
    const device = IoGetAttachedDevice(file.DeviceObject);
    const irp = k.io.allocateIrp(k.currentThread.PreviousMode, device, file, IRP_MJ_DEVICE_CONTROL);
    if (!irp) return STATUS_INSUFFICIENT_RESOURCES;
    // From here the request owns the event reference (the tail lets it go).
    const requestEvent = event;
    event = null;
    const params = irp.nextStackLocation.Parameters.DeviceIoControl;
    params.IoControlCode = code;
    params.InputBufferLength = inLen;
    params.OutputBufferLength = outLen;
    const stats = k.io.stats;
    try {
      if (method === METHOD_NEITHER) {
        params.Type3InputBuffer = InputBuffer;
        irp.UserBuffer = OutputBuffer;
        stats.neither.requests++;
      } else {
        bufferInput(k, irp, method, InputBuffer, inLen, OutputBuffer, outLen);
        if (method === METHOD_BUFFERED) {
          irp.UserBuffer = OutputBuffer;
          stats.buffered.requests++;
        } else {
          if (outLen > 0) lockOutput(k, irp, method, OutputBuffer, outLen);
          stats.direct.requests++;
        }
      }
    } catch (e) {
      if (!(e instanceof NtException)) throw e;
      k.io.freeIrp(irp);
      if (requestEvent) k.ob.ObDereferenceObject(requestEvent);
      return e.status;
    }
    const watch = method === METHOD_NEITHER && irp.RequestorMode === UserMode ? IopWatchNeither(k, InputBuffer, inLen, OutputBuffer, outLen) : null;
    // The request a dangerous primitive would be reached from (user-request.ts): a program's, on this thread.
    const request = k.io.userRequest;
    if (irp.RequestorMode === UserMode) IopMarkUserRequest(request, k.currentThread, code, InputBuffer, inLen, outLen, file, device.DriverObject.serviceName);
    try {
      if (!watch) return IopServiceTail(k, device, irp, IoStatusBlock, file, requestEvent, ApcRoutine, ApcContext);
    } finally {
      if (!watch) request.thread = null;
    }
    const outer = k.io.neitherWatch;
    k.io.neitherWatch = watch;
    try {
      const status = IopServiceTail(k, device, irp, IoStatusBlock, file, requestEvent, ApcRoutine, ApcContext);
      if (!k.bugcheck) IopCheckNeither(k, watch, device, irp, typeof status === 'number' ? status : STATUS_PENDING);
      return status;
    } finally {
      k.io.neitherWatch = outer;
      request.thread = null;
    }
  } finally {
    if (event) k.ob.ObDereferenceObject(event);
    k.ob.ObDereferenceObject(file);
  }
}

/** Marks the user request being dispatched on `thread` (reused fields: no allocation per request). */
function IopMarkUserRequest(request: UserRequest, thread: UserRequest['thread'], code: number, inputVa: number, inputLength: number,
  outputLength: number, file: FileObject, driver: string): void {
  request.thread = thread;
  request.code = code;
  request.inputVa = inputVa;
  request.inputLength = inputLength;
  request.outputLength = outputLength;
  request.file = file;
  request.driver = driver;
}

/**
 * The I/O manager's probe and copy of the input buffer: METHOD_BUFFERED into a SystemBuffer of
 * max(in, out) bytes, the direct methods into one of the input's size (none without input).
 */
function bufferInput(k: IoContext, irp: Irp, method: number, inputBuffer: number, inLen: number, outputBuffer: number, outLen: number): void {
  const size = method === METHOD_BUFFERED ? Math.max(inLen, outLen) : inLen;
  if (size === 0) return;
  if (inLen > 0) ProbeForRead(k, inputBuffer, inLen, 1);
  if (method === METHOD_BUFFERED && outLen > 0) ProbeForWrite(k, outputBuffer, outLen, 1);
  const systemBuffer = k.pool.allocate(NonPagedPool, size, BUFFER_TAG);
  if (systemBuffer === 0) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
  irp.AssociatedIrp.SystemBuffer = systemBuffer;
  irp.Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (method === METHOD_BUFFERED && outLen > 0 ? IRP_INPUT_OPERATION : 0);
  if (inLen > 0) {
    k.kernelMemory.copy(systemBuffer, inputBuffer, inLen);
    k.io.stats.buffered.bytesCopiedIn += inLen;
  }
  if (method === METHOD_BUFFERED && outLen > 0) IopSnapshotSystemBuffer(k, irp, inLen, size);
}

/**
 * The direct methods: the output buffer is probed and locked in Irp->MdlAddress, for reading
 * (METHOD_IN_DIRECT: the driver reads it) or writing (METHOD_OUT_DIRECT). A length no MDL can
 * describe is STATUS_INSUFFICIENT_RESOURCES (IoAllocateMdl returns NULL).
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/buffer-descriptions-for-i-o-control-codes
 */
function lockOutput(k: IoContext, irp: Irp, method: number, outputBuffer: number, outLen: number): void {
  const operation = method === METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess;
  const mdl = k.mdl.IoAllocateMdl(outputBuffer, outLen, false, false, irp);
  if (!mdl) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
  try {
    // MmProbeAndLockPages is the probe: a kernel address or a page that cannot be accessed so raises.
    k.mdl.MmProbeAndLockPages(mdl, irp.RequestorMode, operation);
  } catch (e) {
    irp.MdlAddress = null;
    k.mdl.IoFreeMdl(mdl);
    throw e;
  }
  k.io.stats.direct.mdls++;
  k.io.stats.direct.bytesMapped += outLen;
}
