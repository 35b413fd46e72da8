/**
 * kernel32's file routines over ntdll's file services: CreateFileW (files of
 * the volume C: and devices), ReadFile, GetFileSizeEx, SetFilePointerEx,
 * SetEndOfFile and FlushFileBuffers, spread into `k32`. WriteFile is k32's
 * own (the console uses it too). Synchronous handles only: lpOverlapped must
 * be NULL.
 */
import type { OverlappedTransfer } from './overlapped-file-api.js';
import { NT_SUCCESS, STATUS_END_OF_FILE, STATUS_OBJECT_NAME_COLLISION, STATUS_PENDING } from '../include/ntstatus.js';
import type { StructMemory } from '../include/struct-access.js';
import type { Arch } from '../include/structures.js';
import {
  FILE_CREATE, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_IF, FILE_OPENED, FILE_OVERWRITE, FILE_OVERWRITE_IF, FILE_OVERWRITTEN,
  FILE_READ_ATTRIBUTES, FILE_SYNCHRONOUS_IO_NONALERT, FileEndOfFileInformation, FilePositionInformation, FileStandardInformation,
  OBJ_CASE_INSENSITIVE, SYNCHRONIZE,
} from '../include/wdm-constants.js';
import { FILE_BEGIN, FILE_CURRENT, FILE_END, FILE_FLAG_OVERLAPPED, INVALID_HANDLE_VALUE } from '../include/win32-constants.js';
import { ERROR_ALREADY_EXISTS, ERROR_FILE_EXISTS, ERROR_INVALID_PARAMETER, ERROR_IO_PENDING, ERROR_NEGATIVE_SEEK, ERROR_SUCCESS } from '../include/winerror.js';
import { win32PathToNt } from './dos-path.js';
import type { NativeRoutines } from './native.js';
import { largeIntegerFromProgram } from './program-arguments.js';
import type { UserStack } from './user-stack.js';

/** What the file routines need of k32: the thread, its native routines, and k32's last-error and argument helpers. */
export interface FileApiThread {
  readonly arch: Arch;
  readonly mem: StructMemory & { setBytes(va: number, bytes: Uint8Array): void };
  readonly stack: UserStack;
  readonly native: NativeRoutines;
  setLastError(error: number): void;
  /** Sets the last error from a failed status; true if it succeeded. */
  fromStatus(status: number): boolean;
  /** An LPCWSTR argument as a string. */
  text(s: unknown): string;
  ulong(v: unknown): number;
  currentDirectory(): string;
  /** A read or write with an OVERLAPPED (overlapped-file-api.ts). */
  overlapped: OverlappedTransfer;
}

/** CreateFile's dwCreationDisposition → NtCreateFile's CreateDisposition (index 0 is no disposition). */
const NT_DISPOSITION = [-1, FILE_CREATE, FILE_OVERWRITE_IF, FILE_OPEN, FILE_OPEN_IF, FILE_OVERWRITE] as const;

/** Builds the file routines of one thread's k32. */
export function makeFileApi(t: FileApiThread) {
  const { arch, mem, stack, native } = t;
  const fail = (error: number): false => {
    t.setLastError(error);
    return false;
  };
  /** A LARGE_INTEGER-sized information class, queried into a buffer on the stack: its first 8 bytes, or undefined. */
  const queryLargeInteger = (hFile: number, informationClass: number, length: number, at: number): bigint | undefined => stack.frame(() => {
    const buffer = stack.push(length, 8);
    mem.setBytes(buffer, new Uint8Array(length));
    const r = native.NtQueryInformationFile(hFile, buffer, length, informationClass);
    return t.fromStatus(r.status) ? BigInt.asIntN(64, mem.getBigUint64(buffer + at)) : undefined;
  });
  const setLargeInteger = (hFile: number, informationClass: number, value: bigint): boolean => stack.frame(() => {
    const buffer = stack.push(8, 8);
    mem.setBigUint64(buffer, BigInt.asUintN(64, value));
    return t.fromStatus(native.NtSetInformationFile(hFile, buffer, 8, informationClass).status);
  });

  return {
    /**
     * CreateFileW: INVALID_HANDLE_VALUE (-1) on failure. After success the
     * last error is ERROR_ALREADY_EXISTS when CREATE_ALWAYS or OPEN_ALWAYS
     * found the file there, else ERROR_SUCCESS; CREATE_NEW on an existing
     * file fails with ERROR_FILE_EXISTS (not the ERROR_ALREADY_EXISTS its status maps to).
     * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-createfilew
     */
    CreateFileW(lpFileName: string | number, dwDesiredAccess: number, dwShareMode: number, _lpSecurityAttributes: number | null,
      dwCreationDisposition: number, dwFlagsAndAttributes: number, _hTemplateFile: number | null): number {
      const disposition = NT_DISPOSITION[t.ulong(dwCreationDisposition)];
      if (disposition === undefined || disposition < 0) return (fail(ERROR_INVALID_PARAMETER), INVALID_HANDLE_VALUE);
      const path = win32PathToNt(t.text(lpFileName), t.currentDirectory());
      const flags = t.ulong(dwFlagsAndAttributes);
      const synchronous = (flags & FILE_FLAG_OVERLAPPED) === 0;
      const r = native.NtCreateFile((t.ulong(dwDesiredAccess) | SYNCHRONIZE | FILE_READ_ATTRIBUTES) >>> 0,
        { ObjectName: path, Attributes: OBJ_CASE_INSENSITIVE }, null, flags & 0xffff, t.ulong(dwShareMode), disposition,
        FILE_NON_DIRECTORY_FILE | (synchronous ? FILE_SYNCHRONOUS_IO_NONALERT : 0), 0, 0);
      if (!NT_SUCCESS(r.status)) {
        if (r.status === STATUS_OBJECT_NAME_COLLISION && disposition === FILE_CREATE) t.setLastError(ERROR_FILE_EXISTS);
        else t.fromStatus(r.status);
        return INVALID_HANDLE_VALUE;
      }
      const existed = (disposition === FILE_OPEN_IF && r.ioStatusBlock.Information === FILE_OPENED)
        || (disposition === FILE_OVERWRITE_IF && r.ioStatusBlock.Information === FILE_OVERWRITTEN);
      t.setLastError(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
      return r.fileHandle;
    },

    /**
     * ReadFile: at or past the end of the file it succeeds with 0 bytes read. With lpOverlapped (a handle
     * opened with FILE_FLAG_OVERLAPPED), a read the driver holds pending is FALSE with ERROR_IO_PENDING
     * (overlapped-file-api.ts); without one, the read is synchronous.
     * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-readfile
     */
    ReadFile(hFile: number, lpBuffer: number, nNumberOfBytesToRead: number, lpOverlapped: number | null = null): { ok: boolean; numberOfBytesRead: number } {
      if (lpOverlapped) {
        const o = t.overlapped(true, hFile, lpBuffer, t.ulong(nNumberOfBytesToRead), lpOverlapped);
        return { ok: o.ok, numberOfBytesRead: o.bytes };
      }
      const r = native.NtReadFile(hFile, 0, 0, 0, lpBuffer, t.ulong(nNumberOfBytesToRead), null, 0);
      if (r.status === STATUS_END_OF_FILE) return { ok: true, numberOfBytesRead: 0 };
      // Held pending on a synchronous handle: not waited for (finding pending-on-synchronous-handle).
      if (r.status === STATUS_PENDING) return (t.setLastError(ERROR_IO_PENDING), { ok: false, numberOfBytesRead: 0 });
      const ok = t.fromStatus(r.status);
      return { ok, numberOfBytesRead: ok ? r.ioStatusBlock.Information : 0 };
    },

    /**
     * GetFileSizeEx: FILE_STANDARD_INFORMATION.EndOfFile.
     * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-getfilesizeex
     */
    GetFileSizeEx(hFile: number): { ok: boolean; fileSize: bigint } {
      const size = queryLargeInteger(hFile, FileStandardInformation, 0x18, 8);
      return { ok: size !== undefined, fileSize: size ?? 0n };
    },

    /**
     * SetFilePointerEx: from the beginning, the current position or the end;
     * a position before the beginning fails with ERROR_NEGATIVE_SEEK and moves nothing.
     * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-setfilepointerex
     */
    SetFilePointerEx(hFile: number, liDistanceToMove: number | bigint, dwMoveMethod: number): { ok: boolean; newFilePointer: bigint } {
      const distance = largeIntegerFromProgram(arch, liDistanceToMove);
      const method = t.ulong(dwMoveMethod);
      let base = 0n;
      if (method === FILE_CURRENT || method === FILE_END) {
        const from = method === FILE_CURRENT
          ? queryLargeInteger(hFile, FilePositionInformation, 8, 0) : queryLargeInteger(hFile, FileStandardInformation, 0x18, 8);
        if (from === undefined) return { ok: false, newFilePointer: 0n };
        base = from;
      } else if (method !== FILE_BEGIN) {
        return { ok: fail(ERROR_INVALID_PARAMETER), newFilePointer: 0n };
      }
      const position = base + distance;
      if (position < 0n) return { ok: fail(ERROR_NEGATIVE_SEEK), newFilePointer: 0n };
      const ok = setLargeInteger(hFile, FilePositionInformation, position);
      return { ok, newFilePointer: ok ? position : 0n };
    },

    /**
     * SetEndOfFile: the file ends at the current file pointer (shrinking or growing it).
     * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-setendoffile
     */
    SetEndOfFile(hFile: number): boolean {
      const position = queryLargeInteger(hFile, FilePositionInformation, 8, 0);
      return position !== undefined && setLargeInteger(hFile, FileEndOfFileInformation, position);
    },

    /**
     * FlushFileBuffers: what was written to the file is made durable (on the volume's store, whole).
     * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-flushfilebuffers
     */
    FlushFileBuffers(hFile: number): boolean {
      return t.fromStatus(native.NtFlushBuffersFile(hFile).status);
    },
  };
}

