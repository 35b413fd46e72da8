/**
 * kernel32's device I/O, as kernelbase writes it over the Nt services
 * (ReactOS dll/win32/kernel32/client/file/deviceio.c, iocompl.c):
 *
 *   DeviceIoControl      NtDeviceIoControlFile. Without an OVERLAPPED the
 *                        IO_STATUS_BLOCK is on the thread's stack and a
 *                        request the driver holds pending is waited for (on
 *                        a synchronous handle). With one, the OVERLAPPED is
 *                        the IO_STATUS_BLOCK (Internal = status, InternalHigh
 *                        = Information, set to STATUS_PENDING first) and its
 *                        hEvent the event: a pending request is FALSE with
 *                        ERROR_IO_PENDING.
 *   GetOverlappedResult  Internal still STATUS_PENDING: ERROR_IO_INCOMPLETE,
 *                        or with bWait a wait on hEvent (the file handle if
 *                        none); then InternalHigh, and the status's error.
 *   CancelIo, CancelIoEx NtCancelIoFile (this thread's requests on the
 *                        handle, waited for), NtCancelIoFileEx (the
 *                        process's, or the one whose OVERLAPPED is given).
 * https://learn.microsoft.com/windows/win32/api/ioapiset/nf-ioapiset-deviceiocontrol
 * https://learn.microsoft.com/windows/win32/api/ioapiset/nf-ioapiset-getoverlappedresult
 */
import { NT_ERROR, NT_SUCCESS, STATUS_PENDING } from '../include/ntstatus.js';
import { readSize, type StructMemory } from '../include/struct-access.js';
import { IO_STATUS_BLOCK, OVERLAPPED, type Arch } from '../include/structures.js';
import type { SystemServiceTable } from '../include/system-services.js';
import { ERROR_IO_INCOMPLETE, ERROR_IO_PENDING } from '../include/winerror.js';
import { addressFromProgram } from './program-arguments.js';
import type { UserStack } from './user-stack.js';

/** What the routines need of k32. */
export interface DeviceIoApiContext {
  readonly arch: Arch;
  readonly mem: StructMemory;
  readonly stack: UserStack;
  readonly sys: SystemServiceTable;
  setLastError(error: number): void;
  fromStatus(status: number): boolean;
}

/** The device I/O routines of one thread's `k32`. */
export function makeDeviceIoApi(c: DeviceIoApiContext) {
  const { arch, mem, stack, sys, setLastError, fromStatus } = c;
  const layout = OVERLAPPED[arch];
  const writeSize = (va: number, v: number): void => {
    mem.setUint32(va, v >>> 0);
    if (arch === 'x64') mem.setUint32(va + 4, Math.floor(v / 2 ** 32) >>> 0);
  };
  const readHandle = (va: number): number => readSize(mem, arch, va);

  /** An overlapped request: the OVERLAPPED is the IO_STATUS_BLOCK, hEvent the event. */
  const overlappedIoControl = (hDevice: number, code: number, inVa: number, inLen: number, outVa: number, outLen: number,
    overlapped: number): { ok: boolean; bytesReturned: number } | Promise<{ ok: boolean; bytesReturned: number }> => {
    writeSize(overlapped + layout.Internal, STATUS_PENDING);
    const event = readHandle(overlapped + layout.hEvent);
    // An hEvent with its low bit set asks for no completion-port packet: the event is the handle without it.
    const status = sys.NtDeviceIoControlFile(hDevice, event & ~1, 0, 0, overlapped, code, inVa, inLen, outVa, outLen);
    const finish = (s: number) => {
      if (s === STATUS_PENDING) {
        setLastError(ERROR_IO_PENDING);
        return { ok: false, bytesReturned: 0 };
      }
      return { ok: fromStatus(s), bytesReturned: NT_ERROR(s) ? 0 : readSize(mem, arch, overlapped + layout.InternalHigh) };
    };
    return typeof status === 'number' ? finish(status) : status.then(finish);
  };

  return {
    /**
     * DeviceIoControl: `{ ok, bytesReturned }`. Without lpOverlapped the stub answers with the status itself,
     * or, when the thread's quantum ended at the call or the request went pending, with a promise of it; the
     * body has no `await`, so the common call costs no more than the promise it returns.
     */
    async DeviceIoControl(hDevice: number, dwIoControlCode: number, lpInBuffer: number, nInBufferSize: number,
      lpOutBuffer: number, nOutBufferSize: number, lpOverlapped: number | null = null): Promise<{ ok: boolean; bytesReturned: number }> {
      if (lpOverlapped) {
        return overlappedIoControl(hDevice, dwIoControlCode, lpInBuffer ?? 0, nInBufferSize, lpOutBuffer ?? 0, nOutBufferSize, addressFromProgram(arch, lpOverlapped));
      }
      const saved = stack.sp;
      let later = false;
      try {
        const iosb = stack.push(IO_STATUS_BLOCK[arch].size, 8);
        const information = iosb + IO_STATUS_BLOCK[arch].Information;
        mem.setUint32(information, 0);
        if (arch === 'x64') mem.setUint32(information + 4, 0);
        const status = sys.NtDeviceIoControlFile(hDevice, 0, 0, 0, iosb, dwIoControlCode, lpInBuffer ?? 0, nInBufferSize, lpOutBuffer ?? 0, nOutBufferSize);
        // *lpBytesReturned is Information on success and for a warning (STATUS_BUFFER_OVERFLOW: FALSE,
        // ERROR_MORE_DATA, the bytes that fit); an error leaves it unwritten, which is 0 here (docs/fidelity.md).
        // A request still pending here (an overlapped handle, but no OVERLAPPED) is FALSE, ERROR_IO_PENDING.
        // https://github.com/reactos/reactos/blob/master/dll/win32/kernel32/client/file/deviceio.c (DeviceIoControl)
        const finish = (s: number) => ({ ok: s !== STATUS_PENDING && fromStatus(s), bytesReturned: NT_ERROR(s) ? 0 : readSize(mem, arch, information) });
        if (typeof status === 'number') {
          if (status === STATUS_PENDING) setLastError(ERROR_IO_PENDING);
          return finish(status);
        }
        // The IO_STATUS_BLOCK stays on the stack until the service, entered later, has written it.
        later = true;
        return status.then(finish)
          .finally(() => { stack.sp = saved; });
      } finally {
        if (!later) stack.sp = saved;
      }
    },
    /**
     * GetOverlappedResult: `{ ok, numberOfBytesTransferred }`; a request still in progress is ERROR_IO_INCOMPLETE,
     * or with bWait is waited for (on hEvent, else on the file handle).
     */
    async GetOverlappedResult(hFile: number, overlapped: number, bWait: boolean | number): Promise<{ ok: boolean; numberOfBytesTransferred: number }> {
      const lpOverlapped = addressFromProgram(arch, overlapped);
      if ((readSize(mem, arch, lpOverlapped + layout.Internal) >>> 0) === STATUS_PENDING) {
        if (!bWait) {
          setLastError(ERROR_IO_INCOMPLETE);
          return { ok: false, numberOfBytesTransferred: 0 };
        }
        const event = readHandle(lpOverlapped + layout.hEvent) & ~1;
        const waited = await sys.NtWaitForSingleObject(event || hFile, 0, 0);
        if (!NT_SUCCESS(waited)) return { ok: fromStatus(waited), numberOfBytesTransferred: 0 };
      }
      const numberOfBytesTransferred = readSize(mem, arch, lpOverlapped + layout.InternalHigh);
      const status = readSize(mem, arch, lpOverlapped + layout.Internal) >>> 0;
      return { ok: fromStatus(status), numberOfBytesTransferred };
    },
    /** HasOverlappedIoCompleted (a macro): Internal is no longer STATUS_PENDING. */
    HasOverlappedIoCompleted(lpOverlapped: number): boolean {
      return (readSize(mem, arch, addressFromProgram(arch, lpOverlapped) + layout.Internal) >>> 0) !== STATUS_PENDING;
    },
    /** CancelIo: this thread's requests on the handle are cancelled and waited for. https://learn.microsoft.com/windows/win32/fileio/cancelio */
    async CancelIo(hFile: number): Promise<boolean> {
      const saved = stack.sp;
      try {
        const iosb = stack.push(IO_STATUS_BLOCK[arch].size, 8);
        return fromStatus(await sys.NtCancelIoFile(hFile, iosb));
      } finally {
        stack.sp = saved;
      }
    },
    /**
     * CancelIoEx: the process's requests on the handle (only the one of lpOverlapped, if given) are cancelled;
     * none is ERROR_NOT_FOUND. https://learn.microsoft.com/windows/win32/fileio/cancelioex-func
     */
    CancelIoEx(hFile: number, lpOverlapped: number | null = null): boolean {
      const saved = stack.sp;
      try {
        const iosb = stack.push(IO_STATUS_BLOCK[arch].size, 8);
        return fromStatus(sys.NtCancelIoFileEx(hFile, lpOverlapped ?? 0, iosb));
      } finally {
        stack.sp = saved;
      }
    },
  };
}
