/**
 * IRP_MJ_READ and IRP_MJ_WRITE on a file of the volume. The volume's device
 * does neither buffered nor direct I/O: the caller's buffer (probed by the
 * I/O manager) is read or written in the caller's context, and a fault on
 * it fails the request with STATUS_INVALID_USER_BUFFER, as FastFat turns an
 * access violation on a user buffer into that status. A synchronous file
 * object's CurrentByteOffset moves past what was transferred.
 * https://learn.microsoft.com/windows-hardware/drivers/ifs/irp-mj-read
 * https://learn.microsoft.com/windows-hardware/drivers/ifs/irp-mj-write
 */
import { NtException } from '../../../include/errors.js';
import {
  STATUS_DISK_FULL, STATUS_END_OF_FILE, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_PARAMETER, STATUS_INVALID_USER_BUFFER, STATUS_SUCCESS,
} from '../../../include/ntstatus.js';
import { FO_SYNCHRONOUS_IO } from '../../../include/wdm-constants.js';
import type { IoContext } from '../context.js';
import type { Irp } from '../irp.js';
import type { FileObject } from '../objects.js';
import { FsFcb, MAX_FILE_SIZE } from './fcb.js';

/** ByteOffset's two special values (HighPart -1): LowPart FILE_WRITE_TO_END_OF_FILE and FILE_USE_FILE_POINTER_POSITION. */
const WRITE_TO_END_OF_FILE = -1n;
const USE_FILE_POINTER_POSITION = -2n;

/** What a read or write did: the status and the bytes transferred (IO_STATUS_BLOCK.Information). */
export interface FsTransfer {
  status: number;
  information: number;
}

const fail = (status: number): FsTransfer => ({ status, information: 0 });

/** The user buffer as the caller's context holds it; a fault is STATUS_INVALID_USER_BUFFER. */
function userBuffer<T>(access: () => T): T | number {
  try {
    return access();
  } catch (e) {
    if (e instanceof NtException) return STATUS_INVALID_USER_BUFFER;
    throw e;
  }
}

/** The offset a transfer starts at, or a failure status. */
function startOffset(file: FileObject, byteOffset: bigint): bigint | number {
  const offset = byteOffset === USE_FILE_POINTER_POSITION && (file.Flags & FO_SYNCHRONOUS_IO) ? file.CurrentByteOffset : byteOffset;
  return offset < 0n ? STATUS_INVALID_PARAMETER : offset;
}

/** Reads up to Length bytes at ByteOffset into the caller's buffer; STATUS_END_OF_FILE at or past the end. */
export function FsCommonRead(k: IoContext, file: FileObject, irp: Irp): FsTransfer {
  const fcb = file.FsContext;
  if (!(fcb instanceof FsFcb)) return fail(STATUS_INVALID_DEVICE_REQUEST);
  const { Length: length, ByteOffset } = irp.currentStackLocation.Parameters.Read;
  const offset = startOffset(file, ByteOffset);
  if (typeof offset === 'number') return fail(offset);
  if (length === 0) return fail(STATUS_SUCCESS);
  if (offset >= BigInt(fcb.endOfFile)) return fail(STATUS_END_OF_FILE);
  const bytes = fcb.read(Number(offset), length);
  const copied = userBuffer(() => k.kernelMemory.setBytes(irp.UserBuffer, bytes));
  if (typeof copied === 'number') return fail(copied);
  if (file.Flags & FO_SYNCHRONOUS_IO) file.CurrentByteOffset = offset + BigInt(bytes.length);
  return { status: STATUS_SUCCESS, information: bytes.length };
}

/** Writes Length bytes from the caller's buffer at ByteOffset (or at the end), extending the file. */
export function FsCommonWrite(k: IoContext, file: FileObject, irp: Irp): FsTransfer {
  const fcb = file.FsContext;
  if (!(fcb instanceof FsFcb)) return fail(STATUS_INVALID_DEVICE_REQUEST);
  const { Length: length, ByteOffset } = irp.currentStackLocation.Parameters.Write;
  const requested = ByteOffset === WRITE_TO_END_OF_FILE ? BigInt(fcb.endOfFile) : ByteOffset;
  const offset = startOffset(file, requested);
  if (typeof offset === 'number') return fail(offset);
  if (length === 0) return fail(STATUS_SUCCESS);
  if (offset + BigInt(length) > BigInt(MAX_FILE_SIZE)) return fail(STATUS_DISK_FULL);
  const bytes = userBuffer(() => k.kernelMemory.getBytes(irp.UserBuffer, length));
  if (typeof bytes === 'number') return fail(bytes);
  fcb.write(Number(offset), bytes);
  if (file.Flags & FO_SYNCHRONOUS_IO) file.CurrentByteOffset = offset + BigInt(length);
  return { status: STATUS_SUCCESS, information: length };
}
