/**
 * NtQueryInformationFile and NtSetInformationFile: the I/O manager checks
 * the information class and the buffer's length, probes the caller's buffer,
 * checks the handle's access for the class, and sends IRP_MJ_QUERY_INFORMATION
 * or IRP_MJ_SET_INFORMATION with a SystemBuffer (always buffered, whatever
 * the device's flags). FilePositionInformation of a synchronous file object
 * is the I/O manager's own: CurrentByteOffset, read or set without an IRP.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntqueryinformationfile
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntsetinformationfile
 */
import { NtException } from '../../include/errors.js';
import {
  STATUS_ACCESS_DENIED, STATUS_INFO_LENGTH_MISMATCH, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import {
  FILE_READ_ATTRIBUTES, FILE_WRITE_DATA, FileBasicInformation, FileEndOfFileInformation, FilePositionInformation, FileStandardInformation,
  FO_SYNCHRONOUS_IO, IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_MJ_QUERY_INFORMATION, IRP_MJ_SET_INFORMATION, UserMode,
} from '../../include/wdm-constants.js';
import { captureOrStatus, ProbeForWriteIoStatusBlock, writeIoStatus } from '../ex/capture.js';
import { ProbeForRead, ProbeForWrite } from '../ex/probe.js';
import { NonPagedPool } from '../mm/pool.js';
import type { IoContext } from './context.js';
import { IoFileObjectType, type FileObject } from './objects.js';
import { IopSynchronousServiceTail } from './service-tail.js';

const BUFFER_TAG = 0x20207249; // 'Ir  '

/** Per class: the least Length, and the access a user-mode handle needs (IopQueryOperationLength/Access, IopSetOperation...). */
interface ClassRule {
  length: number;
  access: number;
}

/** The classes modelled; any other is STATUS_INVALID_INFO_CLASS (docs/fidelity.md). */
const QUERY_CLASSES: ReadonlyMap<number, ClassRule> = new Map([
  [FileBasicInformation, { length: 0x28, access: FILE_READ_ATTRIBUTES }],
  [FileStandardInformation, { length: 0x18, access: 0 }],
  [FilePositionInformation, { length: 8, access: 0 }],
]);
const SET_CLASSES: ReadonlyMap<number, ClassRule> = new Map([
  [FilePositionInformation, { length: 8, access: 0 }],
  [FileEndOfFileInformation, { length: 8, access: FILE_WRITE_DATA }],
]);

/** NtQueryInformationFile, synchronous. */
export function NtQueryInformationFile(k: IoContext, FileHandle: number, IoStatusBlock: number, FileInformation: number, Length: number,
  FileInformationClass: number): number {
  return IopQuerySetInformation(k, IRP_MJ_QUERY_INFORMATION, FileHandle, IoStatusBlock, FileInformation, Length >>> 0, FileInformationClass >>> 0);
}

/** NtSetInformationFile, synchronous. */
export function NtSetInformationFile(k: IoContext, FileHandle: number, IoStatusBlock: number, FileInformation: number, Length: number,
  FileInformationClass: number): number {
  return IopQuerySetInformation(k, IRP_MJ_SET_INFORMATION, FileHandle, IoStatusBlock, FileInformation, Length >>> 0, FileInformationClass >>> 0);
}

function IopQuerySetInformation(k: IoContext, major: typeof IRP_MJ_QUERY_INFORMATION | typeof IRP_MJ_SET_INFORMATION, handle: number,
  ioStatusBlock: number, buffer: number, length: number, informationClass: number): number {
  const query = major === IRP_MJ_QUERY_INFORMATION;
  const rule = (query ? QUERY_CLASSES : SET_CLASSES).get(informationClass);
  if (!rule) return STATUS_INVALID_INFO_CLASS;
  if (length < rule.length) return STATUS_INFO_LENGTH_MISMATCH;
  const mode = k.currentThread.PreviousMode;
  const probed = captureOrStatus(() => {
    ProbeForWriteIoStatusBlock(k, ioStatusBlock);
    if (mode === UserMode) (query ? ProbeForWrite : ProbeForRead)(k, buffer, length, 4);
    return 0;
  });
  if (probed !== 0) return probed;
  const ref = k.ob.ObReferenceObjectByHandle(handle, 0, IoFileObjectType, mode, k.currentProcess);
  if (!ref.object) return ref.status;
  const file = ref.object as FileObject;
  try {
    if (mode === UserMode && (rule.access & ~(ref.grantedAccess ?? 0)) !== 0) return STATUS_ACCESS_DENIED;
    if (informationClass === FilePositionInformation && (file.Flags & FO_SYNCHRONOUS_IO)) return IopCurrentByteOffset(k, file, query, buffer, ioStatusBlock);
    const device = file.DeviceObject;
    const irp = k.io.allocateIrp(mode, device, file, major);
    if (!irp) return STATUS_INSUFFICIENT_RESOURCES;
    const systemBuffer = k.pool.allocate(NonPagedPool, length, BUFFER_TAG);
    if (systemBuffer === 0) {
      k.io.freeIrp(irp);
      return STATUS_INSUFFICIENT_RESOURCES;
    }
    irp.AssociatedIrp.SystemBuffer = systemBuffer;
    irp.Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (query ? IRP_INPUT_OPERATION : 0);
    irp.UserBuffer = buffer;
    const params = query ? irp.nextStackLocation.Parameters.QueryFile : irp.nextStackLocation.Parameters.SetFile;
    params.Length = length;
    params.FileInformationClass = informationClass;
    if (!query) {
      try {
        k.kernelMemory.copy(systemBuffer, buffer, length);
      } catch (e) {
        if (!(e instanceof NtException)) throw e;
        k.io.freeIrp(irp);
        return e.status;
      }
    }
    return IopSynchronousServiceTail(k, device, irp, ioStatusBlock);
  } finally {
    k.ob.ObDereferenceObject(file);
  }
}

/** FilePositionInformation of a synchronous file object, read or set by the I/O manager itself. */
function IopCurrentByteOffset(k: IoContext, file: FileObject, query: boolean, buffer: number, ioStatusBlock: number): number {
  const status = captureOrStatus(() => {
    if (query) {
      k.kernelMemory.setBigUint64(buffer, BigInt.asUintN(64, file.CurrentByteOffset));
      return STATUS_SUCCESS;
    }
    const offset = BigInt.asIntN(64, k.kernelMemory.getBigUint64(buffer));
    if (offset < 0n) return STATUS_INVALID_PARAMETER;
    file.CurrentByteOffset = offset;
    return STATUS_SUCCESS;
  });
  writeIoStatus(k, ioStatusBlock, status, status === STATUS_SUCCESS && query ? 8 : 0);
  return status;
}
