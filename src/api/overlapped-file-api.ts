/**
 * kernel32's overlapped reads and writes (ReactOS dll/win32/kernel32/client/file/rw.c):
 *
 *   ReadFile, WriteFile  with an OVERLAPPED: NtReadFile / NtWriteFile with the OVERLAPPED as the
 *                        IO_STATUS_BLOCK (Internal set to STATUS_PENDING first), its Offset and
 *                        OffsetHigh as ByteOffset and its hEvent as the event; a request the driver
 *                        holds pending is FALSE with ERROR_IO_PENDING, its end told by the
 *                        OVERLAPPED (GetOverlappedResult) and the event
 *   ReadFileEx,          the same with no event and an ApcRoutine: when the request ends, the
 *   WriteFileEx          completion routine (dwErrorCode, dwNumberOfBytesTransfered, lpOverlapped)
 *                        runs in the calling thread at its next alertable wait (BasepIoCompletion)
 *
 * Only a handle opened with FILE_FLAG_OVERLAPPED goes pending (io/read-write.ts).
 * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-readfile
 * https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-readfileex
 */
import { NT_ERROR, STATUS_PENDING } from '../include/ntstatus.js';
import { readSize, type StructMemory } from '../include/struct-access.js';
import { OVERLAPPED, type Arch } from '../include/structures.js';
import type { SystemServiceTable } from '../include/system-services.js';
import { ERROR_IO_PENDING } from '../include/winerror.js';
import { RtlNtStatusToDosError } from '../kernel/ex/status-to-dos.js';
import type { ProgramRoutine } from './native.js';
import { addressFromProgram } from './program-arguments.js';

/** LPOVERLAPPED_COMPLETION_ROUTINE: given the thread's k32, the error (0: none), the bytes transferred and the OVERLAPPED. */
export type OverlappedCompletionRoutine<K> = (k32: K, dwErrorCode: number, dwNumberOfBytesTransfered: number, lpOverlapped: number) => Promise<void> | void;

/** What the routines need of k32. */
export interface OverlappedFileApiContext {
  readonly arch: Arch;
  readonly mem: StructMemory;
  readonly sys: SystemServiceTable;
  setLastError(error: number): void;
  fromStatus(status: number): boolean;
  /** The address standing for a routine of the program (the loader's table). */
  registerApcRoutine(routine: ProgramRoutine): number;
}

/** One read or write with an OVERLAPPED: `{ ok, bytes }`, ok false with ERROR_IO_PENDING for a request still under way. */
export type OverlappedTransfer = (read: boolean, hFile: number, buffer: number, length: number, overlapped: number) => { ok: boolean; bytes: number };

export function makeOverlappedFileApi<K>(c: OverlappedFileApiContext) {
  const { arch, mem, sys } = c;
  const layout = OVERLAPPED[arch];
  const writeSize = (va: number, v: number): void => {
    mem.setUint32(va, v >>> 0);
    if (arch === 'x64') mem.setUint32(va + 4, Math.floor(v / 2 ** 32) >>> 0);
  };
  // BasepIoCompletion for each completion routine, made once: its address stands for the routine in the program.
  const completions = new Map<OverlappedCompletionRoutine<K>, number>();
  const completionApc = (routine: OverlappedCompletionRoutine<K>): number => {
    let address = completions.get(routine);
    if (address === undefined) {
      const apc = (k32: K, _context: number, iosb: number): Promise<void> | void => {
        const status = mem.getUint32(iosb + layout.Internal);
        return routine(k32, NT_ERROR(status) ? RtlNtStatusToDosError(status) : 0, readSize(mem, arch, iosb + layout.InternalHigh), iosb);
      };
      address = c.registerApcRoutine(apc as unknown as ProgramRoutine);
      completions.set(routine, address);
    }
    return address;
  };

  const start = (read: boolean, hFile: number, buffer: number, length: number, overlapped: number, event: number, apc: number): number => {
    writeSize(overlapped + layout.Internal, STATUS_PENDING);
    const service = read ? sys.NtReadFile : sys.NtWriteFile;
    return service(hFile, event, apc, 0, overlapped, buffer, length >>> 0, overlapped + layout.Offset, 0) as number;
  };

  const transfer: OverlappedTransfer = (read, hFile, buffer, length, lpOverlapped) => {
    // The OVERLAPPED's address as a register holds it (a bigint's low bits, program-arguments.ts): k32 computes with it.
    const overlapped = addressFromProgram(arch, lpOverlapped);
    // An hEvent with its low bit set asks for no completion-port packet: the event is the handle without it.
    const event = readSize(mem, arch, overlapped + layout.hEvent) & ~1;
    const status = start(read, hFile, buffer, length, overlapped, event, 0);
    if (status === STATUS_PENDING) {
      c.setLastError(ERROR_IO_PENDING);
      return { ok: false, bytes: 0 };
    }
    const ok = c.fromStatus(status);
    return { ok, bytes: ok ? readSize(mem, arch, overlapped + layout.InternalHigh) : 0 };
  };

  const transferEx = (read: boolean, hFile: number, buffer: number, length: number, lpOverlapped: number, routine: OverlappedCompletionRoutine<K>): boolean => {
    const status = start(read, hFile, buffer, length, addressFromProgram(arch, lpOverlapped), 0, completionApc(routine));
    // Pending or done, the routine is queued; a request that failed at once queues nothing.
    if (NT_ERROR(status)) return c.fromStatus(status);
    c.setLastError(0);
    return true;
  };

  return {
    transfer,
    /** ReadFileEx(hFile, lpBuffer, nNumberOfBytesToRead, lpOverlapped, lpCompletionRoutine) → true when the read is under way or done. */
    ReadFileEx: (hFile: number, lpBuffer: number, nNumberOfBytesToRead: number, lpOverlapped: number, lpCompletionRoutine: OverlappedCompletionRoutine<K>): boolean =>
      transferEx(true, hFile, lpBuffer, nNumberOfBytesToRead, lpOverlapped, lpCompletionRoutine),
    /** WriteFileEx(hFile, lpBuffer, nNumberOfBytesToWrite, lpOverlapped, lpCompletionRoutine): as ReadFileEx. */
    WriteFileEx: (hFile: number, lpBuffer: number, nNumberOfBytesToWrite: number, lpOverlapped: number, lpCompletionRoutine: OverlappedCompletionRoutine<K>): boolean =>
      transferEx(false, hFile, lpBuffer, nNumberOfBytesToWrite, lpOverlapped, lpCompletionRoutine),
  };
}
