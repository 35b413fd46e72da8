/**
 * NtReadFile and NtWriteFile: the I/O manager's halves of ReadFile and
 * WriteFile. The file object is referenced by handle (FILE_READ_DATA to
 * read; FILE_WRITE_DATA or FILE_APPEND_DATA to write), the caller's buffer
 * is described to the driver as the device asks — a SystemBuffer
 * (DO_BUFFERED_IO, copied back after a read), an MDL (DO_DIRECT_IO), or the
 * raw user address (neither) — and IRP_MJ_READ or IRP_MJ_WRITE goes to the
 * driver. A synchronous file object (FO_SYNCHRONOUS_IO) without a ByteOffset
 * reads and writes at its CurrentByteOffset; any other file object must be
 * given one (STATUS_INVALID_PARAMETER).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntreadfile
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntwritefile
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/methods-for-accessing-data-buffers
 */
import { NtException } from '../../include/errors.js';
import { NT_ERROR, STATUS_ACCESS_DENIED, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_NOT_IMPLEMENTED, STATUS_PENDING } from '../../include/ntstatus.js';
import {
  DO_BUFFERED_IO, DO_DIRECT_IO, FILE_APPEND_DATA, FILE_READ_DATA, FILE_WRITE_DATA, FO_SYNCHRONOUS_IO, IRP_BUFFERED_IO,
  IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_MJ_READ, IRP_MJ_WRITE, UserMode,
} from '../../include/wdm-constants.js';
import { captureOrStatus, ProbeAndCaptureLargeInteger, ProbeForWriteIoStatusBlock, writeIoStatus } from '../ex/capture.js';
import { ProbeForRead, ProbeForWrite } from '../ex/probe.js';
import { IoReadAccess, IoWriteAccess } from '../mm/mdl.js';
import { NonPagedPool } from '../mm/pool.js';
import type { IoContext } from './context.js';
import { IopNewIoStats } from './io-stats.js';
import { IoGetAttachedDevice } from './attach.js';
import { IopServiceTail, IopSynchronousServiceTailStatus } from './service-tail.js';
import { IopReferenceRequestEvent } from './pending.js';
import type { KernelObject } from '../ob/object.js';
import type { IoStatusBlock, Irp } from './irp.js';
import { IoFileObjectType, type DeviceObject, type FileObject } from './objects.js';

const BUFFER_TAG = 0x20207249; // 'Ir  '

/** ByteOffset with HighPart -1: LowPart FILE_WRITE_TO_END_OF_FILE (-1) and FILE_USE_FILE_POINTER_POSITION (-2). */
const WRITE_TO_END_OF_FILE = -1n;
const USE_FILE_POINTER_POSITION = -2n;

/** One read or write request, as the service captured it. */
interface Transfer {
  major: typeof IRP_MJ_READ | typeof IRP_MJ_WRITE;
  FileHandle: number;
  Event: number;
  ApcRoutine: number;
  ApcContext: number;
  IoStatusBlock: number;
  Buffer: number;
  Length: number;
  ByteOffset: number;
  Key: number;
}

/**
 * NtReadFile. On a handle opened for asynchronous I/O (no FILE_SYNCHRONOUS_IO_*: FILE_FLAG_OVERLAPPED) from
 * user mode, a read the driver holds pending is STATUS_PENDING, its end told by the IO_STATUS_BLOCK, the Event
 * (or the file object) and the ApcRoutine, as NtDeviceIoControlFile's (service-tail.ts). On a synchronous handle
 * the request is synchronous: Event and ApcRoutine there are STATUS_NOT_IMPLEMENTED (docs/api-coverage.md).
 */
export function NtReadFile(k: IoContext, FileHandle: number, Event: number, ApcRoutine: number, ApcContext: number, IoStatusBlock: number,
  Buffer: number, Length: number, ByteOffset: number, Key: number): number {
  return IopReadWriteFile(k, { major: IRP_MJ_READ, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key }).status;
}

/** NtWriteFile: as NtReadFile. */
export function NtWriteFile(k: IoContext, FileHandle: number, Event: number, ApcRoutine: number, ApcContext: number, IoStatusBlock: number,
  Buffer: number, Length: number, ByteOffset: number, Key: number): number {
  return IopReadWriteFile(k, { major: IRP_MJ_WRITE, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key }).status;
}

/**
 * The body of both services, for the current thread's PreviousMode. The
 * final IO_STATUS_BLOCK goes to the IoStatusBlock address (none for a Zw
 * call from nt.ts) and is returned too.
 */
export function IopReadWriteFile(k: IoContext, t: Transfer): { status: number; ioStatus: IoStatusBlock } {
  const failed = (status: number) => ({ status, ioStatus: { Status: status, Information: 0 } });
  const read = t.major === IRP_MJ_READ;
  const mode = k.currentThread.PreviousMode;
  const ref = k.ob.ObReferenceObjectByHandle(t.FileHandle, 0, IoFileObjectType, mode, k.currentProcess);
  if (!ref.object) return failed(ref.status);
  const file = ref.object as FileObject;
  // A program's request on an asynchronous handle may go pending (below); elsewhere the request is synchronous.
  const asynchronous = mode === UserMode && (file.Flags & FO_SYNCHRONOUS_IO) === 0;
  if (!asynchronous && (t.Event !== 0 || t.ApcRoutine !== 0)) {
    k.ob.ObDereferenceObject(file);
    return failed(STATUS_NOT_IMPLEMENTED);
  }
  let event: KernelObject | null = null;
  try {
    const granted = ref.grantedAccess ?? 0;
    if (mode === UserMode && (granted & (read ? FILE_READ_DATA : FILE_WRITE_DATA | FILE_APPEND_DATA)) === 0) return failed(STATUS_ACCESS_DENIED);
    const length = t.Length >>> 0;
    const captured = captureOrStatus(() => {
      ProbeForWriteIoStatusBlock(k, t.IoStatusBlock);
      if (mode === UserMode) (read ? ProbeForWrite : ProbeForRead)(k, t.Buffer, length, 1);
      return ProbeAndCaptureLargeInteger(k, t.ByteOffset);
    });
    if (typeof captured === 'number') return failed(captured);
    if (asynchronous) {
      const waited = IopReferenceRequestEvent(k, file, t.Event);
      if (typeof waited === 'number') return failed(waited);
      event = waited;
    }
    let offset = captured;
    // A handle that may only append writes at the end, whatever offset it gives.
    if (!read && (granted & (FILE_WRITE_DATA | FILE_APPEND_DATA)) === FILE_APPEND_DATA) offset = WRITE_TO_END_OF_FILE;
    if (file.Flags & FO_SYNCHRONOUS_IO) {
      if (offset === undefined || offset === USE_FILE_POINTER_POSITION) offset = file.CurrentByteOffset;
    } else if (offset === undefined) {
      return failed(STATUS_INVALID_PARAMETER);
    }
    const device = IoGetAttachedDevice(file.DeviceObject);
    const irp = k.io.allocateIrp(mode, device, file, t.major);
    if (!irp) return failed(STATUS_INSUFFICIENT_RESOURCES);
    const params = irp.nextStackLocation.Parameters.Write; // Read and Write are the same union member
    params.Length = length;
    params.Key = t.Key >>> 0;
    params.ByteOffset = offset;
    try {
      describeBuffer(k, irp, device.Flags, t.Buffer, length, read);
    } catch (e) {
      if (!(e instanceof NtException)) throw e;
      k.io.freeIrp(irp);
      return failed(e.status);
    }
    if (asynchronous) {
      // From here the request owns the event reference (the tail lets it go). An asynchronous handle's tail never waits.
      const requestEvent = event;
      event = null;
      const status = IopServiceTail(k, device, irp, t.IoStatusBlock, file, requestEvent, t.ApcRoutine, t.ApcContext) as number;
      return { status, ioStatus: { Status: status, Information: 0 } };
    }
    const r = IopSynchronousServiceTailStatus(k, device, irp);
    if (!r.completed && r.status === STATUS_PENDING && mode === UserMode) IopReportPendingNotWaited(k, device, t.major === IRP_MJ_READ ? 'ReadFile' : 'WriteFile');
    // An error completion leaves the caller's block as it was (service-tail.ts).
    if (r.completed && !NT_ERROR(r.ioStatus.Status)) writeIoStatus(k, t.IoStatusBlock, r.ioStatus.Status, r.ioStatus.Information);
    return r;
  } finally {
    if (event) k.ob.ObDereferenceObject(event);
    k.ob.ObDereferenceObject(file);
  }
}

/**
 * A driver held a read or write pending on a synchronous handle: Windows would wait for it; ntshm's ReadFile and
 * WriteFile are synchronous JS calls that cannot, so the program is told ERROR_IO_PENDING and this finding says why.
 */
function IopReportPendingNotWaited(k: IoContext, device: DeviceObject, api: string): void {
  const driver = device.DriverObject.serviceName;
  k.report({
    kind: 'pending-on-synchronous-handle',
    driver,
    message: `${driver} held a ${api === 'ReadFile' ? 'read' : 'write'} pending (STATUS_PENDING) on a handle opened for synchronous I/O: Windows would make ` +
      `${api} wait for it, ntshm cannot (its ${api} returns at once: FALSE, ERROR_IO_PENDING) — open the handle with FILE_FLAG_OVERLAPPED and wait on an OVERLAPPED`,
    details: { api },
  });
}

/** The caller's buffer as the device's flags ask for it: a write reads it, a read fills it. */
function describeBuffer(k: IoContext, irp: Irp, deviceFlags: number, buffer: number, length: number, read: boolean): void {
  // Counted for drivers' devices only: the console and the volume C: are the kernel's own.
  const driver = irp.nextStackLocation.DeviceObject.DriverObject;
  const counted = k.io.drivers.get(driver.serviceName.toUpperCase()) === driver;
  const stats = counted ? k.io.stats : IopNewIoStats();
  const kind = deviceFlags & DO_BUFFERED_IO ? stats.buffered : deviceFlags & DO_DIRECT_IO ? stats.direct : stats.neither;
  kind.requests++;
  if (length === 0) return;
  if (deviceFlags & DO_BUFFERED_IO) {
    const systemBuffer = k.pool.allocate(NonPagedPool, length, BUFFER_TAG);
    if (systemBuffer === 0) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
    irp.AssociatedIrp.SystemBuffer = systemBuffer;
    irp.Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
    if (read) {
      // The driver is to fill it: until it writes them, its bytes are the pool's (mm/taint.ts).
      k.uninitialized.taintVa(systemBuffer, length);
      // Completion copies Information bytes back to the caller's buffer.
      irp.Flags |= IRP_INPUT_OPERATION;
      irp.UserBuffer = buffer;
    } else {
      k.kernelMemory.copy(systemBuffer, buffer, length);
      stats.buffered.bytesCopiedIn += length;
    }
  } else if (deviceFlags & DO_DIRECT_IO) {
    const mdl = k.mdl.IoAllocateMdl(buffer, length, false, true, irp);
    if (!mdl) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
    try {
      k.mdl.MmProbeAndLockPages(mdl, irp.RequestorMode, read ? IoWriteAccess : IoReadAccess);
    } catch (e) {
      irp.MdlAddress = null;
      k.mdl.IoFreeMdl(mdl);
      throw e;
    }
    stats.direct.mdls++;
    stats.direct.bytesMapped += length;
  } else {
    irp.UserBuffer = buffer;
  }
}
