/**
 * NtFlushBuffersFile: IRP_MJ_FLUSH_BUFFERS, which asks the file system to
 * make what was written to the file durable. A user-mode handle needs
 * FILE_WRITE_DATA or FILE_APPEND_DATA.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntflushbuffersfile
 */
import { STATUS_ACCESS_DENIED, STATUS_INSUFFICIENT_RESOURCES } from '../../include/ntstatus.js';
import { FILE_APPEND_DATA, FILE_WRITE_DATA, IRP_MJ_FLUSH_BUFFERS, UserMode } from '../../include/wdm-constants.js';
import { captureOrStatus, ProbeForWriteIoStatusBlock } from '../ex/capture.js';
import type { IoContext } from './context.js';
import { IoFileObjectType, type FileObject } from './objects.js';
import { IopSynchronousServiceTail } from './service-tail.js';

/** NtFlushBuffersFile, synchronous. */
export function NtFlushBuffersFile(k: IoContext, FileHandle: number, IoStatusBlock: number): number {
  const mode = k.currentThread.PreviousMode;
  const probed = captureOrStatus(() => {
    ProbeForWriteIoStatusBlock(k, IoStatusBlock);
    return 0;
  });
  if (probed !== 0) return probed;
  const ref = k.ob.ObReferenceObjectByHandle(FileHandle, 0, IoFileObjectType, mode, k.currentProcess);
  if (!ref.object) return ref.status;
  const file = ref.object as FileObject;
  try {
    if (mode === UserMode && ((ref.grantedAccess ?? 0) & (FILE_WRITE_DATA | FILE_APPEND_DATA)) === 0) return STATUS_ACCESS_DENIED;
    const irp = k.io.allocateIrp(mode, file.DeviceObject, file, IRP_MJ_FLUSH_BUFFERS);
    if (!irp) return STATUS_INSUFFICIENT_RESOURCES;
    return IopSynchronousServiceTail(k, file.DeviceObject, irp, IoStatusBlock);
  } finally {
    k.ob.ObDereferenceObject(file);
  }
}
