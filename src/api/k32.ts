/**
 * `k32`: what a program's code calls — the Win32 routines ntshm has, written
 * over the system-call stubs as kernel32 is written over ntdll. It holds no
 * reference to the kernel: everything it asks of the kernel goes through
 * `sys`, the table of stubs; everything else is the program's own memory
 * (its TEB and PEB, its stack, KUSER_SHARED_DATA) and its CPU.
 *
 * GetLastError lives in the TEB (LastErrorValue), as on Windows, and is set
 * through RtlNtStatusToDosError. Calls that can block (Sleep,
 * DeviceIoControl) return promises.
 */
import { makeOverlappedFileApi } from './overlapped-file-api.js';
import { makeApcApi } from './apc-api.js';
import type { ProgramRoutine } from './native.js';
import { mergeParts } from './merge-parts.js';
import { NtException, ProcessExit } from '../include/errors.js';
import { MEM_DECOMMIT, MEM_RELEASE } from '../include/memory-constants.js';
import { NT_SUCCESS, STATUS_NO_MEMORY, STATUS_PENDING, STATUS_SUCCESS } from '../include/ntstatus.js';
import { readHandleValue, readPointer, readSize, readUnicodeString, type MemoryBasicInformation } from '../include/struct-access.js';
import { CURDIR, IO_STATUS_BLOCK, MEMORY_BASIC_INFORMATION, PEB, RTL_USER_PROCESS_PARAMETERS, TEB, type Arch } from '../include/structures.js';
import type { SystemServiceTable } from '../include/system-services.js';
import { fileTimeToUnixMs } from '../include/time.js';
import {
  HEAP_GENERATE_EXCEPTIONS, HEAP_ZERO_MEMORY, INFINITE, INVALID_HANDLE_VALUE, STD_ERROR_HANDLE, STD_INPUT_HANDLE,
  STD_OUTPUT_HANDLE,
} from '../include/win32-constants.js';
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_IO_PENDING, ERROR_SUCCESS } from '../include/winerror.js';
import { RtlNtStatusToDosError } from '../kernel/ex/status-to-dos.js';
import type { GuestMemoryAccess } from '../kernel/mm/access.js';
import { makeScmClient } from './advapi32.js';
import { makeFileMappingClient } from './file-mapping.js';
import { namedObjectAttributes } from './named-objects.js';
import { makeFileApi } from './file-api.js';
import { makeDeviceIoApi } from './device-io-api.js';
import { makeSyncApi } from './sync-api.js';
import { makeThreadApi, type ThreadStartRoutine } from './thread-api.js';
import { ProcessHeap } from './heap.js';
import { makeRegistryClient } from './registry.js';
import { makeRtlAdjustPrivilege } from './rtl-privilege.js';
import { memoryAccessors } from './memory-accessors.js';
import { makeInterlocked } from './interlocked.js';
import { makeNativeRoutines } from './native.js';
import { addressFromProgram, ulongFromProgram, ulongPtrFromProgram } from './program-arguments.js';
import type { UserStack } from './user-stack.js';
import { macros } from './wdm-macros.js';
import { describeThrown } from '../include/thrown.js';

/** SYSTEMTIME, as FileTimeToSystemTime fills it. */
export interface SystemTime {
  wYear: number;
  wMonth: number;
  wDayOfWeek: number;
  wDay: number;
  wHour: number;
  wMinute: number;
  wSecond: number;
  wMilliseconds: number;
}

/** FILETIME: 100 ns intervals since 1601-01-01 UTC, in two halves. */
export interface FileTime {
  dwLowDateTime: number;
  dwHighDateTime: number;
}

/** NtCurrentProcess(): the pseudo-handle of the caller's own process. */
const NtCurrentProcess = -1;
const KUSER_USER = 0x7ffe_0000;

/** What a program thread has of its own: its CPU's view of user memory, its TEB, its stack, and the machine's architecture. */
export interface K32Thread {
  readonly arch: Arch;
  /** User-mode memory as this thread sees it. */
  readonly mem: GuestMemoryAccess;
  /** NtCurrentTeb(): the thread's TEB (GS:[0x30] on x64, FS:[0x18] on x86). */
  readonly teb: number;
  readonly stack: UserStack;
  /** The PAUSE instruction: about 40 ns of CPU time, no kernel involved. */
  pause(): void;
  /** The address standing for a thread's start routine in this process (CreateThread); the loader runs it in the new thread. */
  registerStartRoutine(routine: ThreadStartRoutine<K32>): number;
  /** The address standing for a user APC routine (QueueUserAPC), in the same table. */
  registerApcRoutine(routine: ProgramRoutine): number;
  /** ntdll's KiUserApcDispatcher: runs the thread's queued user APCs, oldest first (ke/user-apc.ts). */
  deliverUserApcs(): Promise<void>;
}

export { win32PathToNt } from './dos-path.js';

/** FILETIME (100 ns since 1601, UTC) → SYSTEMTIME; undefined where Windows fails. */
export function fileTimeToSystemTime(ft: bigint): SystemTime | undefined {
  if (ft >= 0x8000_0000_0000_0000n) return undefined;
  const d = new Date(fileTimeToUnixMs(ft));
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() > 30827) return undefined;
  return {
    wYear: d.getUTCFullYear(), wMonth: d.getUTCMonth() + 1, wDayOfWeek: d.getUTCDay(), wDay: d.getUTCDate(),
    wHour: d.getUTCHours(), wMinute: d.getUTCMinutes(), wSecond: d.getUTCSeconds(), wMilliseconds: d.getUTCMilliseconds(),
  };
}

/** Builds the `k32` object a program's thread receives, over its system-call stubs. */
export function makeK32(sys: SystemServiceTable, t: K32Thread) {
  const { arch, mem, teb, stack } = t;
  const native = makeNativeRoutines(t, sys);
  const peb = (): number => readPointer(mem, arch, teb + TEB[arch].ProcessEnvironmentBlock);
  const processParameters = (): number => readPointer(mem, arch, peb() + PEB[arch].ProcessParameters);
  const setLastError = (error: number): void => mem.setUint32(teb + TEB[arch].LastErrorValue, error >>> 0);
  /** Sets the last error when a status fails (Win32 routines leave it alone on success) and says whether it succeeded. */
  const fromStatus = (status: number): boolean => {
    if (NT_SUCCESS(status)) return true;
    setLastError(RtlNtStatusToDosError(status));
    return false;
  };
  const fail = (error: number): false => {
    setLastError(error);
    return false;
  };
  /** An LPCWSTR: a JS string, else the address of one (a value that is neither is a wild pointer, read as such). */
  const text = (s: unknown, maxChars?: number): string =>
    (typeof s === 'string' ? s : mem.getString(addressFromProgram(arch, s), 'utf-16le', maxChars));
  // Integer arguments a routine computes with in JS, as a register holds them (program-arguments.ts).
  const ulong = (v: unknown): number => (typeof v === 'number' ? v >>> 0 : ulongFromProgram(arch, v));
  const ulongPtr = (v: unknown): number => (typeof v === 'number' ? v : ulongPtrFromProgram(arch, v));
  const currentDirectory = (): string => {
    const dosPath = readUnicodeString(mem, arch, processParameters() + RTL_USER_PROCESS_PARAMETERS[arch].CurrentDirectory + CURDIR[arch].DosPath);
    return mem.getString(dosPath.Buffer, 'utf-16le', dosPath.Length / 2);
  };
  let heap: ProcessHeap | undefined;
  const processHeap = (): ProcessHeap | undefined => {
    if (!heap) {
      heap = ProcessHeap.create({
        allocate: (base, size, type, protect) => native.NtAllocateVirtualMemory(NtCurrentProcess, base, 0, size, type, protect),
        zero: (va, n) => mem.setBytes(va, new Uint8Array(n)),
      }, arch === 'x64' ? 16 : 8);
      if (heap) mem.setPointer(peb() + PEB[arch].ProcessHeap, heap.handle);
    }
    return heap;
  };
  const utf8 = new TextEncoder();
  /** NtWriteFile of bytes already in guest memory; the IO_STATUS_BLOCK on the stack. */
  const writeFile = (handle: number, buffer: number, length: number): { ok: boolean; written: number } => stack.frame(() => {
    const iosb = stack.push(IO_STATUS_BLOCK[arch].size, 8);
    mem.setBytes(iosb, new Uint8Array(IO_STATUS_BLOCK[arch].size));
    const status = sys.NtWriteFile(handle, 0, 0, 0, iosb, buffer, length, 0, 0);
    // Held pending on a synchronous handle: not waited for (finding pending-on-synchronous-handle).
    if (status === STATUS_PENDING) return (setLastError(ERROR_IO_PENDING), { ok: false, written: 0 });
    const ok = fromStatus(status);
    return { ok, written: ok ? readSize(mem, arch, iosb + IO_STATUS_BLOCK[arch].Information) : 0 };
  });
  /** Text to a handle as UTF-8, through the stack. */
  const writeText = (handle: number, s: string): boolean => stack.frame(() => {
    const bytes = utf8.encode(s);
    const buffer = stack.push(bytes.length, 8);
    mem.setBytes(buffer, bytes);
    return writeFile(handle, buffer, bytes.length).ok;
  });

  const overlappedIo = makeOverlappedFileApi<K32>({ arch, mem, sys, setLastError, fromStatus, registerApcRoutine: (routine) => t.registerApcRoutine(routine) });

  // Parts merged with Object.assign (merge-parts.ts), later ones over earlier ones.
  const k32 = mergeParts(
    // --- memory access (user mode, this process) ---
    memoryAccessors(mem),
    // --- Interlocked* on this process's memory (interlocked.ts) ---
    makeInterlocked(mem),
    {

      /** Writes a line to standard output: WriteFile on GetStdHandle(STD_OUTPUT_HANDLE), as printf would. */
      print(line: string): void {
        // Whatever it is given is printed as text; reading it can never throw (include/thrown.ts).
        writeText(k32.GetStdHandle(STD_OUTPUT_HANDLE), `${typeof line === 'string' ? line : describeThrown(line)}\n`);
      },

      /** YieldProcessor (winnt.h, the PAUSE instruction): a spin-wait hint that costs about 40 ns. */
      YieldProcessor: (): void => t.pause(),
      GetLastError: (): number => mem.getUint32(teb + TEB[arch].LastErrorValue),
      SetLastError: (error: number): void => setLastError(ulong(error)),
      /** GetCurrentProcessId: TEB.ClientId.UniqueProcess. */
      GetCurrentProcessId: (): number => readSize(mem, arch, teb + TEB[arch].UniqueProcess),
      /** GetCurrentThreadId: TEB.ClientId.UniqueThread. */
      GetCurrentThreadId: (): number => readSize(mem, arch, teb + TEB[arch].UniqueThread),

      // --- files, devices, the console ---
      /** GetStdHandle: from the process parameters in the PEB; INVALID_HANDLE_VALUE for a bad argument. */
      GetStdHandle(nStdHandle: number): number {
        const pp = RTL_USER_PROCESS_PARAMETERS[arch];
        const offset = { [STD_INPUT_HANDLE]: pp.StandardInput, [STD_OUTPUT_HANDLE]: pp.StandardOutput, [STD_ERROR_HANDLE]: pp.StandardError }[ulong(nStdHandle)];
        if (offset === undefined) return (fail(ERROR_INVALID_HANDLE), INVALID_HANDLE_VALUE);
        return readHandleValue(mem, arch, processParameters() + offset);
      },
      /** WriteFile: synchronous, or with lpOverlapped as ReadFile (overlapped-file-api.ts). */
      WriteFile(hFile: number, lpBuffer: number, nNumberOfBytesToWrite: number, lpOverlapped: number | null = null): { ok: boolean; numberOfBytesWritten: number } {
        if (lpOverlapped) {
          const o = overlappedIo.transfer(false, hFile, lpBuffer, ulong(nNumberOfBytesToWrite), lpOverlapped);
          return { ok: o.ok, numberOfBytesWritten: o.bytes };
        }
        const { ok, written } = writeFile(hFile, lpBuffer, ulong(nNumberOfBytesToWrite));
        return { ok, numberOfBytesWritten: written };
      },
      /** WriteConsoleW: UTF-16 text (a string, or its address) to the console, which takes it as UTF-8. */
      WriteConsoleW(hConsoleOutput: number, lpBuffer: string | number, nNumberOfCharsToWrite: number): { ok: boolean; numberOfCharsWritten: number } {
        const count = ulong(nNumberOfCharsToWrite);
        const s = typeof lpBuffer === 'string' ? lpBuffer.slice(0, count) : text(lpBuffer, count);
        const ok = writeText(hConsoleOutput, s);
        return { ok, numberOfCharsWritten: ok ? s.length : 0 };
      },
      // CreateFileW, ReadFile, GetFileSizeEx, SetFilePointerEx, SetEndOfFile, FlushFileBuffers (file-api.ts).
    },
    makeFileApi({ arch, mem, stack, native, setLastError, fromStatus, text, ulong, currentDirectory, overlapped: overlappedIo.transfer }),
    { ReadFileEx: overlappedIo.ReadFileEx, WriteFileEx: overlappedIo.WriteFileEx },
    makeDeviceIoApi({ arch, mem, stack, sys, setLastError, fromStatus }),
    {
      CloseHandle(hObject: number): boolean {
        return fromStatus(sys.NtClose(hObject));
      },

      // --- virtual memory ---
      VirtualAlloc(lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number): number {
        const r = native.NtAllocateVirtualMemory(NtCurrentProcess, lpAddress ?? 0, 0, dwSize, flAllocationType, flProtect);
        return fromStatus(r.status) ? r.baseAddress : 0;
      },
      /** VirtualFree: MEM_RELEASE needs dwSize 0 (ERROR_INVALID_PARAMETER otherwise). */
      VirtualFree(lpAddress: number, dwSize: number, dwFreeType: number): boolean {
        const size = ulongPtr(dwSize);
        const freeType = ulong(dwFreeType);
        if (freeType === MEM_RELEASE && size !== 0) return fail(ERROR_INVALID_PARAMETER);
        if (freeType !== MEM_RELEASE && freeType !== MEM_DECOMMIT) return fail(ERROR_INVALID_PARAMETER);
        return fromStatus(native.NtFreeVirtualMemory(NtCurrentProcess, lpAddress, size, freeType).status);
      },
      VirtualProtect(lpAddress: number, dwSize: number, flNewProtect: number): { ok: boolean; oldProtect: number } {
        const r = native.NtProtectVirtualMemory(NtCurrentProcess, lpAddress, dwSize, flNewProtect);
        return { ok: fromStatus(r.status), oldProtect: r.oldProtect };
      },
      /** VirtualQuery: value is the bytes written (sizeof(MEMORY_BASIC_INFORMATION)) or 0. */
      VirtualQuery(lpAddress: number): { value: number; buffer: MemoryBasicInformation | undefined } {
        const size = MEMORY_BASIC_INFORMATION[arch].size;
        const r = native.NtQueryVirtualMemory(NtCurrentProcess, lpAddress, 0, size);
        if (!fromStatus(r.status) || !r.memoryInformation) return { value: 0, buffer: undefined };
        return { value: size, buffer: r.memoryInformation };
      },
      GetProcessHeap(): number {
        return processHeap()?.handle ?? 0;
      },
      HeapAlloc(hHeap: number, dwFlags: number, dwBytes: number): number {
        const flags = ulong(dwFlags);
        const bytes = ulongPtr(dwBytes);
        const h = processHeap();
        // HeapAlloc never calls SetLastError; with HEAP_GENERATE_EXCEPTIONS a failure raises STATUS_NO_MEMORY.
        // https://learn.microsoft.com/windows/win32/api/heapapi/nf-heapapi-heapalloc
        if (!h || h.handle !== ulongPtr(hHeap)) return 0;
        const va = h.allocate(bytes, (flags & HEAP_ZERO_MEMORY) !== 0);
        if (va === 0 && (flags & HEAP_GENERATE_EXCEPTIONS)) throw new NtException(STATUS_NO_MEMORY);
        return va;
      },
      HeapFree(hHeap: number, _dwFlags: number, lpMem: number): boolean {
        const h = processHeap();
        const va = ulongPtr(lpMem);
        if (!h || h.handle !== ulongPtr(hHeap)) return fail(ERROR_INVALID_HANDLE);
        if (va === 0) return true;
        return h.release(va) || fail(ERROR_INVALID_PARAMETER);
      },

      // --- time and scheduling ---
      /** Sleep: Sleep(0) gives the rest of the quantum to a ready thread (NtYieldExecution); INFINITE never returns. */
      async Sleep(dwMilliseconds: number): Promise<void> {
        const ms = ulong(dwMilliseconds);
        if (ms === 0) {
          await sys.NtYieldExecution();
          return;
        }
        await native.NtDelayExecution(0, ms === INFINITE ? -(2n ** 63n) : -BigInt(ms) * 10_000n);
      },
      /** SwitchToThread: true if another thread ran. */
      async SwitchToThread(): Promise<boolean> {
        return (await sys.NtYieldExecution()) === STATUS_SUCCESS;
      },
      /**
       * FileTimeToSystemTime reads the FILETIME at lpFileTime: one 64-bit load on
       * x64, two 32-bit loads (low, then high) on x86, as compiled code does.
       */
      FileTimeToSystemTime(lpFileTime: number): { ok: boolean; systemTime?: SystemTime } {
        lpFileTime = addressFromProgram(arch, lpFileTime);
        const ft = arch === 'x64'
          ? mem.getBigUint64(lpFileTime)
          : BigInt(mem.getUint32(lpFileTime)) | (BigInt(mem.getUint32(lpFileTime + 4)) << 32n);
        const st = fileTimeToSystemTime(ft);
        if (!st) return { ok: fail(ERROR_INVALID_PARAMETER) };
        return { ok: true, systemTime: st };
      },
      /**
       * GetSystemTimeAsFileTime: KUSER_SHARED_DATA.SystemTime at 7ffe0014, read
       * by the KSYSTEM_TIME protocol; the FILETIME comes back as a structure.
       */
      GetSystemTimeAsFileTime(): { systemTimeAsFileTime: FileTime } {
        for (let attempt = 0; ; attempt++) {
          const high1 = mem.getUint32(KUSER_USER + 0x18);
          const low = mem.getUint32(KUSER_USER + 0x14);
          // Bounded, though only the kernel can write the page: the next clock tick ends any spin.
          if (high1 === mem.getUint32(KUSER_USER + 0x1c) || attempt > 1_000_000) return { systemTimeAsFileTime: { dwLowDateTime: low, dwHighDateTime: high1 } };
          t.pause();
        }
      },
      /** GetTickCount: TickCount × TickCountMultiplier >> 24, from KUSER_SHARED_DATA. */
      GetTickCount(): number {
        const ticks = BigInt(mem.getUint32(KUSER_USER + 0x320));
        return Number(((ticks * BigInt(mem.getUint32(KUSER_USER + 0x4))) >> 24n) & 0xffff_ffffn);
      },

      // --- process ---
      ExitProcess(uExitCode: number): never {
        const code = ulong(uExitCode);
        sys.NtTerminateProcess(NtCurrentProcess, code);
        throw new ProcessExit(code);
      },
      /** GetFullPathNameW into a caller's buffer; value is the length in characters (without the NUL), or the size needed. */
      GetFullPathNameW(lpFileName: string | number, nBufferLength: number, lpBuffer: number): { value: number; filePart: number } {
        const name = text(lpFileName);
        const full = /^[a-zA-Z]:\\/.test(name) || name.startsWith('\\\\') ? name : `${currentDirectory()}${name}`;
        if (full.length + 1 > ulong(nBufferLength)) return { value: full.length + 1, filePart: 0 };
        lpBuffer = addressFromProgram(arch, lpBuffer);
        mem.setString(lpBuffer, full, 'utf-16le');
        setLastError(ERROR_SUCCESS);
        return { value: full.length, filePart: lpBuffer + (full.lastIndexOf('\\') + 1) * 2 };
      },

      // --- file mappings (sections) ---
    },
    makeFileMappingClient({ native, setLastError, fromStatus, text, ulong, ulongPtr, namedObject: (name, attributes) => namedObjectAttributes(t, name, attributes) }),

    // --- threads (thread-api.ts) ---
    makeThreadApi<K32>({ arch, mem, stack, native, fromStatus, ulong, registerStartRoutine: (routine) => t.registerStartRoutine(routine) }),
    // --- events, semaphores, mutexes and waits (sync-api.ts) ---
    makeSyncApi({
      arch, mem, stack, native, setLastError, fromStatus, text, ulong, namedObject: (name, attributes) => namedObjectAttributes(t, name, attributes),
      deliverUserApcs: () => t.deliverUserApcs(),
    }),
    // --- user APCs: QueueUserAPC, SleepEx (apc-api.ts) ---
    makeApcApi<K32>({ native, fromStatus, ulong, registerRoutine: (routine) => t.registerApcRoutine(routine), deliverUserApcs: () => t.deliverUserApcs() }),

    // --- the service control manager (advapi32, over the SCM's port) ---
    makeScmClient({ arch, mem, stack, native, setLastError }),
    // --- the registry (advapi32, over the Nt*Key services) ---
    makeRegistryClient({ mem, stack, native }),
    makeRtlAdjustPrivilege({ mem, stack, native }),

    // --- native calls (ntdll): the stubs, with the conventions of docs/api.md ---
    native,
    {
      NtCurrentProcess: (): number => NtCurrentProcess,
      /** InitializeObjectAttributes (ntdef.h), for the native calls. */
      InitializeObjectAttributes: (...a: Parameters<typeof macros.InitializeObjectAttributes>) =>
        ({ ...macros.InitializeObjectAttributes(...a), Length: arch === 'x64' ? 0x30 : 0x18 }),
      NtException,
      STATUS_SUCCESS,
    },
  );
  return k32;
}

type K32Shape = ReturnType<typeof makeK32>;
/** The object a program receives (an interface, so that a thread's start routine can name it: CreateThread). */
export interface K32 extends K32Shape {}
