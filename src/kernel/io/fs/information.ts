/**
 * IRP_MJ_QUERY_INFORMATION and IRP_MJ_SET_INFORMATION on the volume: the
 * information classes a program needs for sizes and positions. The I/O
 * manager has checked the class and the SystemBuffer's length already
 * (io/file-information.ts).
 *
 *   FILE_BASIC_INFORMATION     0x00 CreationTime, 0x08 LastAccessTime, 0x10 LastWriteTime,
 *                              0x18 ChangeTime, 0x20 FileAttributes         (0x28 bytes)
 *   FILE_STANDARD_INFORMATION  0x00 AllocationSize, 0x08 EndOfFile, 0x10 NumberOfLinks,
 *                              0x14 DeletePending, 0x15 Directory            (0x18 bytes)
 *   FILE_POSITION_INFORMATION  0x00 CurrentByteOffset                        (8 bytes)
 *   FILE_END_OF_FILE_INFORMATION 0x00 EndOfFile                             (8 bytes)
 * https://learn.microsoft.com/windows-hardware/drivers/ifs/irp-mj-query-information
 */
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../../../include/ntstatus.js';
import {
  FileBasicInformation, FileEndOfFileInformation, FilePositionInformation, FileStandardInformation,
} from '../../../include/wdm-constants.js';
import type { IoContext } from '../context.js';
import type { Irp } from '../irp.js';
import type { FileObject } from '../objects.js';
import { FsFcb } from './fcb.js';

/** FILE_ATTRIBUTE_DIRECTORY and FILE_ATTRIBUTE_ARCHIVE (a file NTFS has written carries the archive bit). */
const FILE_ATTRIBUTE_DIRECTORY = 0x10;
const FILE_ATTRIBUTE_ARCHIVE = 0x20;
/** The volume's cluster: AllocationSize is EndOfFile rounded up to it. */
const CLUSTER_SIZE = 4096;

/** The status and the bytes of information written (IO_STATUS_BLOCK.Information). */
export interface FsInformationResult {
  status: number;
  information: number;
}

/** Fills the SystemBuffer with the class the stack location asks for. */
export function FsCommonQueryInformation(k: IoContext, file: FileObject, irp: Irp): FsInformationResult {
  const { FileInformationClass } = irp.currentStackLocation.Parameters.QueryFile;
  const fcb = file.FsContext instanceof FsFcb ? file.FsContext : null;
  const buffer = irp.AssociatedIrp.SystemBuffer;
  const mem = k.kernelMemory;
  switch (FileInformationClass) {
    case FileBasicInformation: {
      // Times are not kept (docs/fidelity.md): zero, which Windows reads as "not specified".
      const out = new Uint8Array(0x28);
      new DataView(out.buffer).setUint32(0x20, fcb ? FILE_ATTRIBUTE_ARCHIVE : FILE_ATTRIBUTE_DIRECTORY, true);
      mem.setBytes(buffer, out);
      return { status: STATUS_SUCCESS, information: 0x28 };
    }
    case FileStandardInformation: {
      const size = fcb?.endOfFile ?? 0;
      const out = new Uint8Array(0x18);
      const view = new DataView(out.buffer);
      view.setBigInt64(0, BigInt(Math.ceil(size / CLUSTER_SIZE) * CLUSTER_SIZE), true);
      view.setBigInt64(8, BigInt(size), true);
      view.setUint32(0x10, 1, true);
      out[0x15] = fcb ? 0 : 1;
      mem.setBytes(buffer, out);
      return { status: STATUS_SUCCESS, information: 0x18 };
    }
    case FilePositionInformation:
      mem.setBigUint64(buffer, BigInt.asUintN(64, file.CurrentByteOffset));
      return { status: STATUS_SUCCESS, information: 8 };
    default:
      return { status: STATUS_INVALID_PARAMETER, information: 0 };
  }
}

/** Applies the information in the SystemBuffer. */
export function FsCommonSetInformation(k: IoContext, file: FileObject, irp: Irp): FsInformationResult {
  const { FileInformationClass } = irp.currentStackLocation.Parameters.SetFile;
  const value = BigInt.asIntN(64, k.kernelMemory.getBigUint64(irp.AssociatedIrp.SystemBuffer));
  const done = { status: STATUS_SUCCESS, information: 0 };
  switch (FileInformationClass) {
    case FilePositionInformation:
      if (value < 0n) return { status: STATUS_INVALID_PARAMETER, information: 0 };
      file.CurrentByteOffset = value;
      return done;
    case FileEndOfFileInformation: {
      const fcb = file.FsContext;
      if (!(fcb instanceof FsFcb) || value < 0n) return { status: STATUS_INVALID_PARAMETER, information: 0 };
      fcb.setEndOfFile(value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value));
      return done;
    }
    default:
      return { status: STATUS_INVALID_PARAMETER, information: 0 };
  }
}
