/**
 * NtWriteFile: the I/O manager's half of WriteFile. The file object is
 * referenced by handle (FILE_WRITE_DATA or FILE_APPEND_DATA), the caller's
 * buffer is described to the driver as the device asks — copied into a
 * SystemBuffer (DO_BUFFERED_IO), locked in an MDL (DO_DIRECT_IO), or passed
 * as the raw user address (neither) — and IRP_MJ_WRITE goes to the driver.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntwritefile
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/methods-for-accessing-data-buffers
 */
import { NtException } from '../../include/errors.js';
import { STATUS_ACCESS_DENIED, STATUS_INSUFFICIENT_RESOURCES, STATUS_NOT_IMPLEMENTED } from '../../include/ntstatus.js';
import {
  DO_BUFFERED_IO, DO_DIRECT_IO, FILE_APPEND_DATA, FILE_WRITE_DATA, IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_MJ_WRITE, UserMode,
} from '../../include/wdm-constants.js';
import { captureOrStatus, ProbeAndCaptureLargeInteger, ProbeForWriteIoStatusBlock } from '../ex/capture.js';
import { ProbeForRead } from '../ex/probe.js';
import { IoReadAccess } from '../mm/mdl.js';
import { NonPagedPool } from '../mm/pool.js';
import type { IoContext } from './context.js';
import { IopSynchronousServiceTail } from './service-tail.js';
import type { Irp } from './irp.js';
import { IoFileObjectType, type FileObject } from './objects.js';

const BUFFER_TAG = 0x20207249; // 'Ir  '

/** NtWriteFile, synchronous; Event and APC completion are not modelled yet (STATUS_NOT_IMPLEMENTED). */
export function NtWriteFile(k: IoContext, FileHandle: number, Event: number, ApcRoutine: number, _ApcContext: number, IoStatusBlock: number,
  Buffer: number, Length: number, ByteOffset: number, Key: number): number {
  if (Event !== 0 || ApcRoutine !== 0) return STATUS_NOT_IMPLEMENTED;
  const mode = k.currentThread.PreviousMode;
  const ref = k.ob.ObReferenceObjectByHandle(FileHandle, 0, IoFileObjectType, mode, k.currentProcess);
  if (!ref.object) return ref.status;
  const file = ref.object as FileObject;
  try {
    if (mode === UserMode && ((ref.grantedAccess ?? 0) & (FILE_WRITE_DATA | FILE_APPEND_DATA)) === 0) return STATUS_ACCESS_DENIED;
    const length = Length >>> 0;
    const offset = captureOrStatus(() => {
      ProbeForWriteIoStatusBlock(k, IoStatusBlock);
      if (mode === UserMode) ProbeForRead(k, Buffer, length, 1);
      return ProbeAndCaptureLargeInteger(k, ByteOffset) ?? 0n;
    });
    if (typeof offset === 'number') return offset;
    const device = file.DeviceObject;
    const irp = k.io.allocateIrp(mode, device, file, IRP_MJ_WRITE);
    if (!irp) return STATUS_INSUFFICIENT_RESOURCES;
    const params = irp.nextStackLocation.Parameters.Write;
    params.Length = length;
    params.Key = Key >>> 0;
    params.ByteOffset = offset;
    try {
      describeBuffer(k, irp, device.Flags, Buffer, length);
    } catch (e) {
      if (!(e instanceof NtException)) throw e;
      k.io.freeIrp(irp);
      return e.status;
    }
    return IopSynchronousServiceTail(k, device, irp, IoStatusBlock);
  } finally {
    k.ob.ObDereferenceObject(file);
  }
}

/** The caller's buffer as the device's flags ask for it (a write only reads the caller's buffer). */
function describeBuffer(k: IoContext, irp: Irp, deviceFlags: number, buffer: number, length: number): void {
  if (length === 0) return;
  if (deviceFlags & DO_BUFFERED_IO) {
    const systemBuffer = k.pool.allocate(NonPagedPool, length, BUFFER_TAG);
    if (systemBuffer === 0) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
    irp.AssociatedIrp.SystemBuffer = systemBuffer;
    irp.Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
    k.kernelMemory.copy(systemBuffer, buffer, length);
  } else if (deviceFlags & DO_DIRECT_IO) {
    const mdl = k.mdl.IoAllocateMdl(buffer, length, false, true, irp);
    if (!mdl) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
    try {
      k.mdl.MmProbeAndLockPages(mdl, irp.RequestorMode, IoReadAccess);
    } catch (e) {
      irp.MdlAddress = null;
      k.mdl.IoFreeMdl(mdl);
      throw e;
    }
  } else {
    irp.UserBuffer = buffer;
  }
}
