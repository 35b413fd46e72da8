/**
 * `k32`: what a program's code calls — the Win32 routines ntshm has, written
 * over the system-call table as kernel32 is written over ntdll, with
 * GetLastError set through RtlNtStatusToDosError.
 *
 * Calls that can block (Sleep, DeviceIoControl) return promises.
 */
import { RtlNtStatusToDosError } from '../kernel/ex/status-to-dos.js';
import { NtException, ProcessExit } from '../include/errors.js';
import { COST_PAUSE_NS, COST_SCM_CALL_NS, COST_YIELD_NS } from '../kernel/ke/cost.js';
import type { Kernel } from '../kernel/kernel.js';
import { NtCurrentProcess } from '../kernel/ob/handle.js';
import type { EProcess } from '../kernel/ps/process.js';
import type { EThread } from '../kernel/ps/thread.js';
import type { ServiceStatus } from '../kernel/scm/service-control-manager.js';
import { ProcessHeap } from './heap.js';
import { fileTimeToUnixMs } from '../include/time.js';
import { memoryAccessors } from './memory-accessors.js';
import { macros } from './wdm-macros.js';
import { MEM_DECOMMIT, MEM_RELEASE } from '../include/memory-constants.js';
import { NT_SUCCESS, STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_INFO_CLASS, STATUS_NO_MEMORY, STATUS_SUCCESS } from '../include/ntstatus.js';
import type { MemoryBasicInformation } from '../kernel/mm/virtual.js';
import { makeSystemCallStubs, makeSystemCalls, type SystemCallTable } from './syscalls.js';
import { HEAP_GENERATE_EXCEPTIONS, HEAP_ZERO_MEMORY, INFINITE, INVALID_HANDLE_VALUE } from '../include/win32-constants.js';
import { ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_SUCCESS } from '../include/winerror.js';

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


const KUSER_USER = 0x7ffe_0000;

/** Win32 path → NT path: \\.\X and \\?\X → \??\X; C:\X → \??\C:\X; relative → the current directory. */
export function win32PathToNt(path: string, currentDirectory: string): string {
  if (path.startsWith('\\\\.\\') || path.startsWith('\\\\?\\')) return `\\??\\${path.slice(4)}`;
  if (/^[a-zA-Z]:\\/.test(path)) return `\\??\\${path}`;
  return `\\??\\${currentDirectory}${path}`;
}

/** FILETIME (100 ns since 1601, UTC) → SYSTEMTIME; undefined where Windows fails. */
export function fileTimeToSystemTime(ft: bigint): SystemTime | undefined {
  if (ft >= 0x8000_0000_0000_0000n) return undefined;
  const ms = fileTimeToUnixMs(ft);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() > 30827) return undefined;
  return {
    wYear: d.getUTCFullYear(), wMonth: d.getUTCMonth() + 1, wDayOfWeek: d.getUTCDay(), wDay: d.getUTCDate(),
    wHour: d.getUTCHours(), wMinute: d.getUTCMinutes(), wSecond: d.getUTCSeconds(), wMilliseconds: d.getUTCMilliseconds(),
  };
}

/** Builds the `k32` object a program's thread receives: its Win32 routines over the system-call table, with their own last error and heap. */
export function makeK32(k: Kernel, process: EProcess, thread: EThread, table: SystemCallTable = makeSystemCalls(k)) {
  const mem = k.userMemoryOf(thread);
  let lastError = ERROR_SUCCESS;
  let heap: ProcessHeap | undefined;
  const sys = makeSystemCallStubs(k, table, thread, () => {
    if (process.exited) throw new ProcessExit(process.ExitStatus);
  });
  /** Sets the last error when a status fails (Win32 routines leave it alone on success) and says whether it succeeded. */
  const fromStatus = (status: number): boolean => {
    if (NT_SUCCESS(status)) return true;
    lastError = RtlNtStatusToDosError(status);
    return false;
  };
  const fail = (error: number) => {
    lastError = error;
    return false;
  };
  const scm = k.scm;
  /** An RPC to services.exe: the SCM answers with a Win32 error, which becomes the last error when it is one. */
  const scmCall = <T>(call: () => { error: number; value: T }): { ok: boolean; value: T } => {
    if (process.exited) throw new ProcessExit(process.ExitStatus);
    k.charge(COST_SCM_CALL_NS);
    const r = call();
    if (r.error !== ERROR_SUCCESS) lastError = r.error;
    return { ok: r.error === ERROR_SUCCESS, value: r.value };
  };
  const text = (s: string | number): string => (typeof s === 'number' ? mem.getString(s, 'utf-16le') : s);
  const processHeap = (): ProcessHeap | undefined =>
    (heap ??= ProcessHeap.create({
      allocate: (base, size, type, protect) => sys.NtAllocateVirtualMemory(NtCurrentProcess, base, size, type, protect),
      zero: (va, n) => mem.setBytes(va, new Uint8Array(n)),
    }, k.layout.pointerSize * 2));

  const k32 = {
    // --- memory access (user mode, this process) ---
    ...memoryAccessors(mem),

    /** Writes a line to the process's standard output. */
    print(line: string): void {
      process.stdout += `${line}\n`;
      k.emit('stdout', process.ImageFileName, line);
    },

    /** YieldProcessor (winnt.h, the PAUSE instruction): a spin-wait hint that costs about 40 ns. */
    YieldProcessor: (): void => k.charge(COST_PAUSE_NS),
    GetLastError: (): number => lastError,
    SetLastError: (error: number): void => {
      lastError = error >>> 0;
    },
    GetCurrentProcessId: (): number => process.UniqueProcessId,
    GetCurrentThreadId: (): number => thread.Cid,

    // --- files and devices ---
    /** CreateFileW: INVALID_HANDLE_VALUE (-1) on failure. */
    CreateFileW(lpFileName: string | number, dwDesiredAccess: number, dwShareMode: number, _lpSecurityAttributes: number | null,
      dwCreationDisposition: number, dwFlagsAndAttributes: number, _hTemplateFile: number | null): number {
      if (!(dwCreationDisposition >= 1 && dwCreationDisposition <= 5)) return (fail(ERROR_INVALID_PARAMETER), INVALID_HANDLE_VALUE);
      const path = win32PathToNt(text(lpFileName), process.currentDirectory);
      const r = sys.NtCreateFile(path, dwDesiredAccess, dwShareMode, dwCreationDisposition, dwFlagsAndAttributes);
      if (!fromStatus(r.status)) return INVALID_HANDLE_VALUE;
      lastError = ERROR_SUCCESS;
      return r.handle;
    },
    /** DeviceIoControl (synchronous; lpOverlapped must be NULL). */
    async DeviceIoControl(hDevice: number, dwIoControlCode: number, lpInBuffer: number, nInBufferSize: number,
      lpOutBuffer: number, nOutBufferSize: number, _lpOverlapped: number | null = null): Promise<{ ok: boolean; bytesReturned: number }> {
      const r = sys.NtDeviceIoControlFile(hDevice, dwIoControlCode, lpInBuffer ?? 0, nInBufferSize, lpOutBuffer ?? 0, nOutBufferSize);
      // [quantum] Awaited by the program, so a point where its quantum can end (the IOCTL itself completes synchronously).
      const turn = k.scheduler.preemptionPoint(thread);
      if (turn) await turn;
      const ok = fromStatus(r.status);
      return { ok, bytesReturned: r.ioStatus.Information };
    },
    CloseHandle(hObject: number): boolean {
      return fromStatus(sys.NtClose(hObject));
    },

    // --- virtual memory ---
    VirtualAlloc(lpAddress: number, dwSize: number, flAllocationType: number, flProtect: number): number {
      const r = sys.NtAllocateVirtualMemory(NtCurrentProcess, lpAddress ?? 0, dwSize, flAllocationType, flProtect);
      return fromStatus(r.status) ? r.baseAddress : 0;
    },
    /** VirtualFree: MEM_RELEASE needs dwSize 0 (ERROR_INVALID_PARAMETER otherwise). */
    VirtualFree(lpAddress: number, dwSize: number, dwFreeType: number): boolean {
      if (dwFreeType === MEM_RELEASE && dwSize !== 0) return fail(ERROR_INVALID_PARAMETER);
      if (dwFreeType !== MEM_RELEASE && dwFreeType !== MEM_DECOMMIT) return fail(ERROR_INVALID_PARAMETER);
      return fromStatus(sys.NtFreeVirtualMemory(NtCurrentProcess, lpAddress, dwSize, dwFreeType).status);
    },
    VirtualProtect(lpAddress: number, dwSize: number, flNewProtect: number): { ok: boolean; oldProtect: number } {
      const r = sys.NtProtectVirtualMemory(NtCurrentProcess, lpAddress, dwSize, flNewProtect);
      return { ok: fromStatus(r.status), oldProtect: r.oldProtect };
    },
    /** VirtualQuery: value is the bytes written (sizeof(MEMORY_BASIC_INFORMATION)) or 0. */
    VirtualQuery(lpAddress: number) {
      const r = sys.NtQueryVirtualMemory(NtCurrentProcess, lpAddress);
      if (!fromStatus(r.status) || !r.buffer) return { value: 0, buffer: undefined };
      return { value: k.arch === 'x64' ? 48 : 28, buffer: r.buffer };
    },
    GetProcessHeap(): number {
      return processHeap()?.handle ?? 0;
    },
    HeapAlloc(hHeap: number, dwFlags: number, dwBytes: number): number {
      const h = processHeap();
      // HeapAlloc never calls SetLastError; with HEAP_GENERATE_EXCEPTIONS a failure raises STATUS_NO_MEMORY.
      // https://learn.microsoft.com/windows/win32/api/heapapi/nf-heapapi-heapalloc
      if (!h || h.handle !== hHeap) return 0;
      const va = h.allocate(dwBytes, (dwFlags & HEAP_ZERO_MEMORY) !== 0);
      if (va === 0 && (dwFlags & HEAP_GENERATE_EXCEPTIONS)) throw new NtException(STATUS_NO_MEMORY);
      return va;
    },
    HeapFree(hHeap: number, _dwFlags: number, lpMem: number): boolean {
      const h = processHeap();
      if (!h || h.handle !== hHeap) return fail(ERROR_INVALID_HANDLE);
      if (lpMem === 0) return true;
      return h.release(lpMem) || fail(ERROR_INVALID_PARAMETER);
    },

    // --- time ---
    /** Sleep: Sleep(0) yields; INFINITE never returns. */
    async Sleep(dwMilliseconds: number): Promise<void> {
      if (dwMilliseconds === 0) {
        k.charge(COST_YIELD_NS);
        await k.scheduler.yieldThread(thread);
        return;
      }
      const ms = dwMilliseconds >>> 0;
      await sys.NtDelayExecution(ms === INFINITE ? -(2n ** 63n) : -BigInt(ms) * 10_000n);
    },
    /**
     * FileTimeToSystemTime reads the FILETIME at lpFileTime: one 64-bit load on
     * x64, two 32-bit loads (low, then high) on x86, as compiled code does.
     */
    FileTimeToSystemTime(lpFileTime: number): { ok: boolean; systemTime?: SystemTime } {
      const ft = k.arch === 'x64'
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
        k32.YieldProcessor();
      }
    },
    /** GetTickCount: TickCount × TickCountMultiplier >> 24, from KUSER_SHARED_DATA. */
    GetTickCount(): number {
      const ticks = BigInt(mem.getUint32(KUSER_USER + 0x320));
      return Number(((ticks * BigInt(mem.getUint32(KUSER_USER + 0x4))) >> 24n) & 0xffff_ffffn);
    },

    // --- process ---
    ExitProcess(uExitCode: number): never {
      if (!process.exited) sys.NtTerminateProcess(NtCurrentProcess, uExitCode >>> 0);
      throw new ProcessExit(uExitCode >>> 0);
    },
    /** GetFullPathNameW into a caller's buffer; value is the length in characters (without the NUL), or the size needed. */
    GetFullPathNameW(lpFileName: string | number, nBufferLength: number, lpBuffer: number): { value: number; filePart: number } {
      const name = text(lpFileName);
      const full = /^[a-zA-Z]:\\/.test(name) || name.startsWith('\\\\') ? name : `${process.currentDirectory}${name}`;
      if (full.length + 1 > nBufferLength) return { value: full.length + 1, filePart: 0 };
      mem.setString(lpBuffer, full, 'utf-16le');
      lastError = ERROR_SUCCESS;
      return { value: full.length, filePart: lpBuffer + (full.lastIndexOf('\\') + 1) * 2 };
    },

    // --- the service control manager ---
    OpenSCManagerW(lpMachineName: string | null, _lpDatabaseName: string | null, dwDesiredAccess: number): number {
      if (lpMachineName) return (fail(1722), 0); // RPC_S_SERVER_UNAVAILABLE: no other machines
      return scmCall(() => scm.OpenSCManager(process, dwDesiredAccess >>> 0)).value;
    },
    CreateServiceW(hSCManager: number, lpServiceName: string, lpDisplayName: string | null, dwDesiredAccess: number, dwServiceType: number,
      dwStartType: number, _dwErrorControl: number, lpBinaryPathName: string | number, _lpLoadOrderGroup: string | null = null,
      _lpDependencies: string | null = null, _lpServiceStartName: string | null = null, _lpPassword: string | null = null): { value: number; tagId: number } {
      const { value } = scmCall(() => scm.CreateService(process, hSCManager, lpServiceName, lpDisplayName ?? lpServiceName, dwDesiredAccess >>> 0,
        dwServiceType, dwStartType, text(lpBinaryPathName)));
      return { value, tagId: 0 };
    },
    OpenServiceW(hSCManager: number, lpServiceName: string, dwDesiredAccess: number): number {
      return scmCall(() => scm.OpenService(process, hSCManager, lpServiceName, dwDesiredAccess >>> 0)).value;
    },
    StartServiceW(hService: number, _dwNumServiceArgs = 0, _lpServiceArgVectors: number | null = null): boolean {
      return scmCall(() => scm.StartService(process, hService)).ok;
    },
    ControlService(hService: number, dwControl: number): { ok: boolean; serviceStatus?: ServiceStatus } {
      const { ok, value: serviceStatus } = scmCall(() => scm.ControlService(process, hService, dwControl));
      return serviceStatus ? { ok, serviceStatus } : { ok };
    },
    QueryServiceStatus(hService: number): { ok: boolean; serviceStatus?: ServiceStatus } {
      const { ok, value: serviceStatus } = scmCall(() => scm.QueryServiceStatus(process, hService));
      return serviceStatus ? { ok, serviceStatus } : { ok };
    },
    DeleteService(hService: number): boolean {
      return scmCall(() => scm.DeleteService(process, hService)).ok;
    },
    CloseServiceHandle(hSCObject: number): boolean {
      return scmCall(() => scm.CloseServiceHandle(process, hSCObject)).ok;
    },

    // --- native calls (ntdll) ---
    NtAllocateVirtualMemory: (processHandle: number, baseAddress: number, _zeroBits: number, regionSize: number, allocationType: number, protect: number) =>
      sys.NtAllocateVirtualMemory(processHandle, baseAddress, regionSize, allocationType, protect),
    NtFreeVirtualMemory: (processHandle: number, baseAddress: number, regionSize: number, freeType: number) =>
      sys.NtFreeVirtualMemory(processHandle, baseAddress, regionSize, freeType),
    NtProtectVirtualMemory: (processHandle: number, baseAddress: number, regionSize: number, newProtect: number) =>
      sys.NtProtectVirtualMemory(processHandle, baseAddress, regionSize, newProtect),
    /**
     * NtQueryVirtualMemory: MemoryBasicInformation (class 0) only; other
     * classes give STATUS_INVALID_INFO_CLASS, a short length STATUS_INFO_LENGTH_MISMATCH.
     */
    NtQueryVirtualMemory(processHandle: number, baseAddress: number, memoryInformationClass: number, memoryInformationLength: number):
      { status: number; memoryInformation?: MemoryBasicInformation; returnLength: number } {
      const size = k.arch === 'x64' ? 48 : 28;
      if (memoryInformationClass !== 0) return { status: STATUS_INVALID_INFO_CLASS, returnLength: 0 };
      if (memoryInformationLength < size) return { status: STATUS_INFO_LENGTH_MISMATCH, returnLength: size };
      const r = sys.NtQueryVirtualMemory(processHandle, baseAddress);
      return r.buffer ? { status: r.status, memoryInformation: r.buffer, returnLength: size } : { status: r.status, returnLength: 0 };
    },
    NtClose: (handle: number): number => sys.NtClose(handle),
    NtDelayExecution: async (_alertable: boolean, delayInterval: bigint | number): Promise<number> => sys.NtDelayExecution(BigInt(delayInterval)),
    NtMapViewOfSection: (): number => sys.NtMapViewOfSection(),
    NtUnmapViewOfSection: (): number => sys.NtUnmapViewOfSection(),
    NtCreateSection: (): number => sys.NtCreateSection(),
    NtOpenSection: (): number => sys.NtOpenSection(),
    NtCurrentProcess: (): number => NtCurrentProcess,
    /** InitializeObjectAttributes (ntdef.h), for the native calls. */
    InitializeObjectAttributes: (...a: Parameters<typeof macros.InitializeObjectAttributes>) =>
      ({ ...macros.InitializeObjectAttributes(...a), Length: k.arch === 'x64' ? 0x30 : 0x18 }),
    NtException,
    STATUS_SUCCESS,
  };
  return k32;
}

/** The object a program receives. */
export type K32 = ReturnType<typeof makeK32>;
