/**
 * kernel32's threads over the thread services (ReactOS
 * dll/win32/kernel32/client/thread.c):
 *
 *   CreateThread        NtCreateThreadEx in the caller's process; the start routine is a JS
 *                       function (async or not) taking (k32, lpParameter), which kernel32
 *                       registers with the process and passes by the address standing for it
 *   ExitThread          NtTerminateThread on the calling thread, then the thread unwinds
 *   TerminateThread     NtTerminateThread on another
 *   GetExitCodeThread   NtQueryInformationThread(ThreadBasicInformation).ExitStatus:
 *                       STILL_ACTIVE (259) while the thread runs
 *   GetCurrentThread    the pseudo-handle NtCurrentThread() (-2)
 *   GetThreadId         ClientId.UniqueThread, from the same query
 * https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-createthread
 */
import { ThreadExit } from '../include/errors.js';
import { readSize, type StructMemory } from '../include/struct-access.js';
import type { Arch } from '../include/structures.js';
import type { NativeRoutines } from './native.js';
import type { UserStack } from './user-stack.js';

/** THREAD_ALL_ACCESS (winnt.h, Vista and later): what CreateThread's handle grants. */
const THREAD_ALL_ACCESS = 0x001fffff;
/** NtCurrentProcess(), NtCurrentThread(). */
const NtCurrentProcess = -1;
const NtCurrentThread = -2;
/** CREATE_SUSPENDED (winbase.h), which becomes THREAD_CREATE_FLAGS_CREATE_SUSPENDED. */
const CREATE_SUSPENDED = 0x4;

/** THREAD_BASIC_INFORMATION's size and the offsets read of it. */
const BASIC = { x64: { size: 0x30, UniqueThread: 0x18 }, x86: { size: 0x1c, UniqueThread: 0xc } } as const;

/** What the routines need of k32 and of the thread's loader. */
export interface ThreadApiContext<K> {
  readonly arch: Arch;
  readonly mem: StructMemory;
  readonly stack: UserStack;
  readonly native: NativeRoutines;
  fromStatus(status: number): boolean;
  ulong(v: unknown): number;
  /** The address standing for a start routine in this process (the loader's table of the program's routines). */
  registerStartRoutine(routine: ThreadStartRoutine<K>): number;
}

/** LPTHREAD_START_ROUTINE: the thread's code, given its own k32 and lpParameter; what it returns is the thread's exit code. */
export type ThreadStartRoutine<K> = (k32: K, lpParameter: number) => Promise<number> | number;

/** The routines, for k32. */
export function makeThreadApi<K>(c: ThreadApiContext<K>) {
  const { native, arch, mem, stack } = c;
  /** NtQueryInformationThread(ThreadBasicInformation) into a buffer on the stack. */
  const basic = <T>(hThread: number, read: (va: number) => T): T | undefined => stack.frame(() => {
    const size = BASIC[arch].size;
    const va = stack.push(size, 8);
    const r = native.NtQueryInformationThread(hThread, 0, va, size);
    return c.fromStatus(r.status) ? read(va) : undefined;
  });
  return {
    /**
     * CreateThread(lpThreadAttributes, dwStackSize, lpStartAddress, lpParameter, dwCreationFlags) →
     * { value: the thread's HANDLE (0 on failure), threadId }. The thread runs when the scheduler first
     * picks it; lpStartAddress is a JS function (or the address of one already registered).
     */
    CreateThread(_lpThreadAttributes: unknown, dwStackSize: number, lpStartAddress: ThreadStartRoutine<K> | number, lpParameter: number,
      dwCreationFlags: number): { value: number; threadId: number } {
      const start = typeof lpStartAddress === 'function' ? c.registerStartRoutine(lpStartAddress) : lpStartAddress;
      const flags = (c.ulong(dwCreationFlags) & CREATE_SUSPENDED) !== 0 ? 1 : 0;
      const r = native.NtCreateThreadEx(THREAD_ALL_ACCESS, null, NtCurrentProcess, start, lpParameter ?? 0, flags, 0, dwStackSize ?? 0, 0, 0);
      if (!c.fromStatus(r.status)) return { value: 0, threadId: 0 };
      return { value: r.threadHandle, threadId: basic(r.threadHandle, (va) => readSize(mem, arch, va + BASIC[arch].UniqueThread)) ?? 0 };
    },
    /** ExitThread: the thread ends with dwExitCode; the last thread's end is its process's. Never returns. */
    ExitThread(dwExitCode: number): never {
      const code = c.ulong(dwExitCode);
      native.NtTerminateThread(NtCurrentThread, code);
      throw new ThreadExit(code);
    },
    /** TerminateThread(hThread, dwExitCode): another thread ends where it is (its mutexes abandoned). */
    TerminateThread: (hThread: number, dwExitCode: number): boolean => c.fromStatus(native.NtTerminateThread(hThread, c.ulong(dwExitCode))),
    /** GetExitCodeThread(hThread) → { ok, exitCode }: STILL_ACTIVE (259) while it runs. */
    GetExitCodeThread(hThread: number): { ok: boolean; exitCode: number } {
      const code = basic(hThread, (va) => mem.getUint32(va));
      return { ok: code !== undefined, exitCode: code ?? 0 };
    },
    GetCurrentThread: (): number => NtCurrentThread,
    /** GetThreadId(hThread): 0 on failure. */
    GetThreadId: (hThread: number): number => basic(hThread, (va) => readSize(mem, arch, va + BASIC[arch].UniqueThread)) ?? 0,
  };
}
