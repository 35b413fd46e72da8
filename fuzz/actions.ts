/**
 * The fuzzer's vocabulary: what a generated program does (one Win32 or
 * native call, a memory access, a call into the fuzz driver) and what the
 * fuzz driver does when asked (from its dispatch routine, or later from a
 * DPC, a timer or its I/O timer). Every action is plain data (JSON), so
 * that a failing scenario, shrunk, can be saved as a regression and
 * replayed; pointers, handles and lengths name *kinds* of values (a region
 * of this program, a handle another process holds, a kernel address,
 * 2**32-1), resolved against the machine's state when the action runs.
 */

/** JavaScript values no C caller could pass, for the arguments of k32 and nt routines. */
export const HOSTILE_VALUES = [
  'NaN', 'Infinity', '-Infinity', '-0', 'fraction', 'bigint', 'hugeBigint', 'symbol', 'string', 'numericString', 'null', 'undefined',
  'object', 'array', 'function', 'throwingValueOf', 'throwingToPrimitive', 'proxy', 'date', 'true',
] as const;
export type HostileValue = (typeof HOSTILE_VALUES)[number];

/** A pointer a program or driver passes. */
export type PointerChoice =
  /** Inside (or past the end of, with a large offset) one of this program's live regions. */
  | { readonly at: 'region'; readonly pick: number; readonly offset: number }
  /** A region this program has released. */
  | { readonly at: 'freed'; readonly pick: number; readonly offset: number }
  /** A user mapping of driver memory in this process (the fuzz driver's or the sample's). */
  | { readonly at: 'mapped'; readonly pick: number; readonly offset: number }
  /** A region of another process, at an address this one may not have. */
  | { readonly at: 'foreign'; readonly pick: number; readonly offset: number }
  /** A kernel address: nonpaged pool, the kernel's shared page, the start of system space, the top of memory. */
  | { readonly at: 'kernel'; readonly which: 'pool' | 'shared' | 'systemStart' | 'top' | 'pageTables' }
  /** A raw number: NULL, the lowest/highest user address, KUSER_SHARED_DATA, -1, 2**32-1, 2**64-ish, unaligned. */
  | { readonly at: 'value'; readonly value: number }
  | { readonly at: 'hostile'; readonly value: HostileValue };

/** A length or size. */
export type LengthChoice = number | { readonly hostile: HostileValue };

/** A handle a program passes. */
export type HandleChoice =
  /** One of its open handles (of a kind, or any). */
  | { readonly h: 'open'; readonly kind: 'fuzz' | 'sample' | 'key' | 'any'; readonly pick: number }
  /** One it has closed. */
  | { readonly h: 'closed'; readonly pick: number }
  /** One that another process holds open. */
  | { readonly h: 'foreign'; readonly pick: number }
  /** A raw value: 0, NtCurrentProcess (-1), NtCurrentThread (-2), 3, kernel handles, 2**32-4, 0x400 ... */
  | { readonly h: 'value'; readonly value: number }
  | { readonly h: 'hostile'; readonly value: HostileValue };

/** The IOCTLs of the fuzz driver (its function codes), and others. */
export type IoctlChoice = 'echo-buffered' | 'echo-in-direct' | 'echo-out-direct' | 'echo-neither' | 'write-only' | 'sample' | 'unknown' | 'other-device-type';

/** What a driver does. `misuse` marks an action that breaks a rule of the WDK: a bug check is then the driver's due. */
export type DriverAction =
  | { readonly d: 'alloc'; readonly pool: 'nonpaged' | 'paged' | 'nonpagedNx'; readonly size: LengthChoice }
  | { readonly d: 'free'; readonly pick: number; readonly misuse?: 'twice' | 'middle' | 'user' | 'never-pool' }
  | { readonly d: 'fill'; readonly pick: number; readonly offset: number; readonly length: number; readonly misuse?: 'overrun' }
  | { readonly d: 'zero'; readonly length: LengthChoice; readonly misuse: 'huge' }
  | { readonly d: 'mdl'; readonly pick: number }
  | { readonly d: 'map-user'; readonly pick: number; readonly readOnly: boolean }
  | { readonly d: 'map-system'; readonly pick: number }
  | { readonly d: 'unmap-user'; readonly pick: number; readonly misuse?: 'other-process' | 'twice' }
  | { readonly d: 'free-mdl'; readonly pick: number; readonly misuse?: 'twice' | 'still-mapped' }
  | { readonly d: 'lock-user'; readonly buffer: PointerChoice; readonly length: LengthChoice; readonly write: boolean }
  | { readonly d: 'unlock'; readonly pick: number; readonly misuse?: 'twice' | 'other-process' }
  | { readonly d: 'probe-read'; readonly buffer: PointerChoice; readonly length: LengthChoice }
  | { readonly d: 'touch-user'; readonly buffer: PointerChoice; readonly misuse: 'unprobed' }
  | { readonly d: 'dpc'; readonly actions: readonly DriverAction[] }
  | { readonly d: 'timer'; readonly dueMs: number; readonly periodMs: number; readonly actions: readonly DriverAction[] }
  | { readonly d: 'cancel-timer'; readonly pick: number }
  | { readonly d: 'io-timer'; readonly start: boolean; readonly actions: readonly DriverAction[] }
  | { readonly d: 'at-dispatch'; readonly actions: readonly DriverAction[] }
  | { readonly d: 'attach'; readonly pick: number; readonly actions: readonly DriverAction[] }
  | { readonly d: 'reference-handle'; readonly handle: HandleChoice; readonly userMode: boolean }
  | { readonly d: 'leave-irql-raised'; readonly misuse: 'irql' }
  /** Frees the SystemBuffer the I/O manager will free itself (issue 7, item 7). */
  | { readonly d: 'free-system-buffer'; readonly misuse: 'double-free' }
  /** Frees the IRP's own pool (issue 7, item 7). */
  | { readonly d: 'free-irp'; readonly misuse: 'irp' }
  /** Spins forever, making kernel calls (issue 7, item 3: a DPC past its time is 0x133). */
  | { readonly d: 'spin'; readonly misuse: 'spin' }
  /** Writes PML4[0] = ~0 through the self-map, x64 (issue 7, item 4). */
  | { readonly d: 'write-page-tables'; readonly misuse: 'page-tables' }
  /** Throws an Error it named 'EmulatorError' (issue 7, item 4). */
  | { readonly d: 'throw-named'; readonly misuse: 'throw' }
  | { readonly d: 'bugcheck'; readonly misuse: 'deliberate' }
  | { readonly d: 'hostile-call'; readonly routine: HostileKernelRoutine; readonly value: HostileValue; readonly misuse: 'hostile' }
  | { readonly d: 'return-hostile'; readonly value: HostileValue; readonly misuse: 'hostile' };

/** What a program does; `n` repeats it (a loop in the program). */
export type ProgramAction = { readonly n?: number } & (
  | { readonly k: 'open'; readonly target: 'fuzz' | 'sample' | 'bogus'; readonly name: string; readonly access: number; readonly disposition: number }
  | { readonly k: 'close'; readonly handle: HandleChoice }
  | {
    readonly k: 'ioctl'; readonly handle: HandleChoice; readonly code: IoctlChoice;
    readonly input: PointerChoice; readonly inputLength: LengthChoice; readonly output: PointerChoice; readonly outputLength: LengthChoice;
  }
  | { readonly k: 'driver'; readonly actions: readonly DriverAction[] }
  | { readonly k: 'valloc'; readonly address: PointerChoice; readonly size: LengthChoice; readonly type: number; readonly protect: number }
  | { readonly k: 'vfree'; readonly address: PointerChoice; readonly size: LengthChoice; readonly type: number }
  | { readonly k: 'vquery'; readonly address: PointerChoice }
  | { readonly k: 'vprotect'; readonly address: PointerChoice; readonly size: LengthChoice; readonly protect: number }
  | {
    readonly k: 'native-alloc'; readonly process: HandleChoice; readonly address: PointerChoice; readonly zeroBits: number;
    readonly size: LengthChoice; readonly type: number; readonly protect: number;
  }
  | { readonly k: 'native-free'; readonly process: HandleChoice; readonly address: PointerChoice; readonly size: LengthChoice; readonly type: number }
  | { readonly k: 'native-query'; readonly process: HandleChoice; readonly address: PointerChoice; readonly infoClass: number; readonly length: LengthChoice }
  | { readonly k: 'read'; readonly address: PointerChoice; readonly width: 1 | 2 | 4 | 8 | 'bytes'; readonly length: number }
  | { readonly k: 'write'; readonly address: PointerChoice; readonly width: 1 | 2 | 4 | 8 | 'bytes'; readonly length: number; readonly value: number }
  | { readonly k: 'sleep'; readonly ms: number }
  | { readonly k: 'write-file'; readonly handle: HandleChoice; readonly buffer: PointerChoice; readonly length: LengthChoice }
  | {
    readonly k: 'registry'; readonly op: 'create' | 'open' | 'set' | 'query' | 'delete-value' | 'delete-key' | 'enum' | 'close';
    readonly key: HandleChoice | 'HKLM' | 'HKCU'; readonly name: string; readonly data: PointerChoice; readonly length: LengthChoice;
  }
  | { readonly k: 'heap'; readonly op: 'alloc' | 'free'; readonly size: LengthChoice; readonly pick: number }
  | { readonly k: 'sample-map'; readonly output: PointerChoice; readonly outputLength: LengthChoice }
  | {
    readonly k: 'section'; readonly op: 'create' | 'open' | 'map' | 'unmap' | 'flush' | 'close'; readonly name: string; readonly size: LengthChoice;
    readonly offset: number; readonly protect: number; readonly access: number; readonly address: PointerChoice; readonly pick: number;
  }
  | { readonly k: 'hostile-call'; readonly routine: HostileRoutine; readonly argument: number; readonly value: HostileValue }
);

/** nt routines a driver passes hostile JavaScript values to. */
export const HOSTILE_KERNEL_ROUTINES = ['ExAllocatePoolWithTag', 'ExFreePool', 'IoAllocateMdl', 'MmUnmapLockedPages', 'KeBugCheckEx', 'DbgPrint', 'KeRaiseIrql'] as const;
export type HostileKernelRoutine = (typeof HOSTILE_KERNEL_ROUTINES)[number];

/** k32 routines a program passes hostile JavaScript values to. */
export const HOSTILE_ROUTINES = [
  'CloseHandle', 'VirtualAlloc', 'VirtualFree', 'VirtualQuery', 'VirtualProtect', 'CreateFileW', 'DeviceIoControl', 'Sleep',
  'NtAllocateVirtualMemory', 'NtClose', 'NtQueryVirtualMemory', 'getUint32', 'setUint32', 'getBytes', 'setBytes', 'RegOpenKeyExW',
  'WriteFile', 'SetLastError', 'GetStdHandle', 'HeapAlloc', 'CreateFileMappingW', 'OpenFileMappingW', 'MapViewOfFile', 'UnmapViewOfFile',
  'NtMapViewOfSection',
] as const;
export type HostileRoutine = (typeof HOSTILE_ROUTINES)[number];

/** How a program ends: its main returns, it calls ExitProcess, or it throws (a hostile value, item 1 of issue 7). */
export type ProgramEnd =
  | { readonly how: 'return'; readonly code: number }
  | { readonly how: 'ExitProcess'; readonly code: number }
  | { readonly how: 'throw'; readonly value: HostileValue | 'error' | 'ntexception' | 'named-emulator-error' };

/** One program: its calls, then its end. */
export interface ProgramScript {
  readonly actions: readonly ProgramAction[];
  readonly end: ProgramEnd;
}

/** One run of the fuzzer: a machine, its drivers, and the programs that run on it at once. */
export interface Scenario {
  readonly arch: 'x64' | 'x86';
  readonly cpus: number;
  readonly seed: number;
  readonly verifier: boolean;
  readonly programs: readonly ProgramScript[];
}

/** Calls a scenario makes at most (its actions with their repetitions; driver actions count once each). */
export function scenarioCalls(s: Scenario): number {
  const driverCalls = (actions: readonly DriverAction[]): number =>
    actions.reduce((n, a) => n + 1 + ('actions' in a ? driverCalls(a.actions) : 0), 0);
  let n = 0;
  for (const p of s.programs) {
    for (const a of p.actions) n += (a.n ?? 1) * (a.k === 'driver' ? 1 + driverCalls(a.actions) : 1);
  }
  return n;
}
