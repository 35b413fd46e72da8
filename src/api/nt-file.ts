/**
 * The file routines of `nt` (ZwCreateFile, ZwReadFile, ZwWriteFile,
 * ZwQueryInformationFile, ZwSetInformationFile, ZwFlushBuffersFile), spread
 * into `nt`. A Zw routine enters the I/O manager with PreviousMode =
 * KernelMode, restored when it returns: nothing is probed, no handle access
 * is refused, and OBJ_KERNEL_HANDLE makes a kernel handle. Buffers are
 * kernel addresses (pool), as a driver passes them in C.
 *
 * docs/api.md's conventions: OBJECT_ATTRIBUTES as InitializeObjectAttributes
 * returns it, ByteOffset as a number or bigint (null for none), the
 * IO_STATUS_BLOCK returned as `ioStatusBlock`; the information of a query
 * stays in the caller's buffer.
 */
import { VfCheckZwUserAddress } from '../kernel/verifier/user-address.js';
import { STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_INVALID } from '../include/ntstatus.js';
import { IRP_MJ_READ, IRP_MJ_WRITE, KernelMode, OBJ_KERNEL_HANDLE, PASSIVE_LEVEL } from '../include/wdm-constants.js';
import { IopCreateFile } from '../kernel/io/file.js';
import { NtQueryInformationFile, NtSetInformationFile } from '../kernel/io/file-information.js';
import { NtFlushBuffersFile } from '../kernel/io/flush.js';
import type { IoStatusBlock } from '../kernel/io/irp.js';
import { IopReadWriteFile } from '../kernel/io/read-write.js';
import type { Kernel } from '../kernel/kernel.js';
import { handleArgument, pointerArgument } from './driver-arguments.js';

/** OBJECT_ATTRIBUTES as a driver gives it. */
export interface FileObjectAttributes {
  ObjectName: string | null;
  Attributes: number;
  RootDirectory?: number | null;
}

/** The file routines of one driver's `nt`; `enter` is nt's single entry (time, IRQL check). */
export function makeNtFile(k: Kernel, enter: (name: string, maxIrql: number) => void) {
  /** Runs a service as a Zw call: PreviousMode is KernelMode for its duration. */
  const asKernelCaller = <T>(body: () => T): T => {
    const thread = k.currentThread;
    const saved = thread.PreviousMode;
    thread.PreviousMode = KernelMode;
    try {
      return body();
    } finally {
      thread.PreviousMode = saved;
    }
  };
  /** A service that writes an IO_STATUS_BLOCK, given one in pool for the call and read back. */
  const withIoStatusBlock = (body: (iosb: number) => number): { status: number; ioStatusBlock: IoStatusBlock } => {
    const iosb = k.pool.allocate(0, 16, 0x20207249); // NonPagedPool, 'Ir  '
    if (iosb === 0) return { status: 0xc000009a, ioStatusBlock: { Status: 0xc000009a, Information: 0 } };
    try {
      k.kernelMemory.setBytes(iosb, new Uint8Array(16));
      const status = asKernelCaller(() => body(iosb));
      const Status = k.kernelMemory.getUint32(iosb);
      const Information = k.arch === 'x64' ? Number(k.kernelMemory.getBigUint64(iosb + 8)) : k.kernelMemory.getUint32(iosb + 4);
      return { status, ioStatusBlock: { Status, Information } };
    } finally {
      k.pool.free(iosb);
    }
  };
  const byteOffset = (offset: number | bigint | null | undefined): bigint | undefined =>
    (offset === null || offset === undefined ? undefined : BigInt.asIntN(64, BigInt(offset)));
  /** ZwReadFile and ZwWriteFile: the I/O manager's body with the offset given as a value. */
  const transfer = (major: typeof IRP_MJ_READ | typeof IRP_MJ_WRITE, handle: number, event: number | null, apcRoutine: number | null,
    buffer: number, length: number, offset: number | bigint | null, key: number | null) => {
    const o = byteOffset(offset);
    const slot = o === undefined ? 0 : k.pool.allocate(0, 8, 0x20207249);
    if (o !== undefined && slot === 0) return { status: 0xc000009a, ioStatusBlock: { Status: 0xc000009a, Information: 0 } };
    try {
      if (slot) k.kernelMemory.setBigUint64(slot, BigInt.asUintN(64, o!));
      const r = asKernelCaller(() => IopReadWriteFile(k, {
        major, FileHandle: handleArgument(k.arch, handle), Event: event ?? 0, ApcRoutine: apcRoutine ?? 0, ApcContext: 0, IoStatusBlock: 0,
        Buffer: pointerArgument(k.arch, buffer), Length: length >>> 0, ByteOffset: slot, Key: key ?? 0,
      }));
      return { status: r.status, ioStatusBlock: r.ioStatus };
    } finally {
      if (slot) k.pool.free(slot);
    }
  };

  return {
    /**
     * ZwCreateFile: `{ status, fileHandle, ioStatusBlock }` (Information: FILE_OPENED, FILE_CREATED, ...).
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatefile
     */
    ZwCreateFile(desiredAccess: number, objectAttributes: FileObjectAttributes, _allocationSize: number | bigint | null, _fileAttributes: number,
      shareAccess: number, createDisposition: number, createOptions: number, _eaBuffer: number | null = null, _eaLength = 0):
      { status: number; fileHandle: number; ioStatusBlock: IoStatusBlock } {
      enter('ZwCreateFile', PASSIVE_LEVEL);
      const fail = (status: number) => ({ status, fileHandle: 0, ioStatusBlock: { Status: status, Information: 0 } });
      if (objectAttributes.RootDirectory) return fail(STATUS_INVALID_PARAMETER);
      if (typeof objectAttributes.ObjectName !== 'string') return fail(STATUS_OBJECT_NAME_INVALID);
      const name = objectAttributes.ObjectName;
      const r = asKernelCaller(() => IopCreateFile(k, name, desiredAccess >>> 0, shareAccess >>> 0, createOptions >>> 0, createDisposition >>> 0,
        objectAttributes.Attributes & OBJ_KERNEL_HANDLE));
      return { status: r.status, fileHandle: r.handle, ioStatusBlock: r.ioStatus };
    },
    /**
     * ZwReadFile into a kernel buffer: `{ status, ioStatusBlock }`.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwreadfile
     */
    ZwReadFile(fileHandle: number, event: number | null, apcRoutine: number | null, _apcContext: unknown, buffer: number, length: number,
      byteOffset: number | bigint | null = null, key: number | null = null): { status: number; ioStatusBlock: IoStatusBlock } {
      enter('ZwReadFile', PASSIVE_LEVEL);
      VfCheckZwUserAddress(k, 'ZwReadFile', 'Buffer', pointerArgument(k.arch, buffer));
      return transfer(IRP_MJ_READ, fileHandle, event, apcRoutine, buffer, length, byteOffset, key);
    },
    /**
     * ZwWriteFile from a kernel buffer: `{ status, ioStatusBlock }`.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwwritefile
     */
    ZwWriteFile(fileHandle: number, event: number | null, apcRoutine: number | null, _apcContext: unknown, buffer: number, length: number,
      byteOffset: number | bigint | null = null, key: number | null = null): { status: number; ioStatusBlock: IoStatusBlock } {
      enter('ZwWriteFile', PASSIVE_LEVEL);
      VfCheckZwUserAddress(k, 'ZwWriteFile', 'Buffer', pointerArgument(k.arch, buffer));
      return transfer(IRP_MJ_WRITE, fileHandle, event, apcRoutine, buffer, length, byteOffset, key);
    },
    /**
     * ZwQueryInformationFile into a kernel buffer: `{ status, ioStatusBlock }`.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwqueryinformationfile
     */
    ZwQueryInformationFile(fileHandle: number, fileInformation: number, length: number, fileInformationClass: number) {
      enter('ZwQueryInformationFile', PASSIVE_LEVEL);
      VfCheckZwUserAddress(k, 'ZwQueryInformationFile', 'FileInformation', pointerArgument(k.arch, fileInformation));
      return withIoStatusBlock((iosb) => NtQueryInformationFile(k, handleArgument(k.arch, fileHandle), iosb, pointerArgument(k.arch, fileInformation),
        length, fileInformationClass));
    },
    /**
     * ZwSetInformationFile from a kernel buffer: `{ status, ioStatusBlock }`.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwsetinformationfile
     */
    ZwSetInformationFile(fileHandle: number, fileInformation: number, length: number, fileInformationClass: number) {
      enter('ZwSetInformationFile', PASSIVE_LEVEL);
      VfCheckZwUserAddress(k, 'ZwSetInformationFile', 'FileInformation', pointerArgument(k.arch, fileInformation));
      return withIoStatusBlock((iosb) => NtSetInformationFile(k, handleArgument(k.arch, fileHandle), iosb, pointerArgument(k.arch, fileInformation),
        length, fileInformationClass));
    },
    /**
     * ZwFlushBuffersFile: `{ status, ioStatusBlock }`.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwflushbuffersfile
     */
    ZwFlushBuffersFile(fileHandle: number) {
      enter('ZwFlushBuffersFile', PASSIVE_LEVEL);
      return withIoStatusBlock((iosb) => NtFlushBuffersFile(k, handleArgument(k.arch, fileHandle), iosb));
    },
  };
}
