/**
 * kernel32's user APCs (ReactOS dll/win32/kernel32/client/thread.c,
 * synch.c; kernel/ke/user-apc.ts for when they run):
 *
 *   QueueUserAPC   NtQueueApcThread(hThread, pfnAPC, dwData): pfnAPC is a JS function taking
 *                  (k32, dwData), run in the target thread at its next alertable wait
 *   SleepEx        NtDelayExecution(bAlertable, ...): 0 when the time has passed, or
 *                  WAIT_IO_COMPLETION once queued APCs have run
 *
 * WaitForSingleObjectEx and WaitForMultipleObjectsEx are in sync-api.ts.
 * https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-queueuserapc
 * https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-sleepex
 */
import { STATUS_USER_APC } from '../include/ntstatus.js';
import { INFINITE } from '../include/win32-constants.js';
import type { NativeRoutines } from './native.js';

/** PAPCFUNC: the routine QueueUserAPC queues, given the target thread's k32 and dwData. */
export type ApcRoutine<K> = (k32: K, dwData: number) => Promise<void> | void;

/** What the routines need of k32 and of the thread's loader. */
export interface ApcApiContext<K> {
  readonly native: NativeRoutines;
  fromStatus(status: number): boolean;
  ulong(v: unknown): number;
  /** The address standing for a routine of the program (the loader's table). */
  registerRoutine(routine: ApcRoutine<K>): number;
  /** ntdll's KiUserApcDispatcher: runs the calling thread's queued user APCs. */
  deliverUserApcs(): Promise<void>;
}

export function makeApcApi<K>(c: ApcApiContext<K>) {
  const { native } = c;
  return {
    /** QueueUserAPC(pfnAPC, hThread, dwData) → true when queued; a thread that has ended refuses (ERROR_GEN_FAILURE). */
    QueueUserAPC(pfnAPC: ApcRoutine<K> | number, hThread: number, dwData: number): boolean {
      const routine = typeof pfnAPC === 'function' ? c.registerRoutine(pfnAPC) : pfnAPC;
      return c.fromStatus(native.NtQueueApcThread(hThread, routine, dwData ?? 0, 0, 0));
    },
    /** SleepEx(dwMilliseconds, bAlertable) → 0, or WAIT_IO_COMPLETION (0xC0) when user APCs ended it and have run. */
    async SleepEx(dwMilliseconds: number, bAlertable: boolean | number): Promise<number> {
      const ms = c.ulong(dwMilliseconds);
      const status = await native.NtDelayExecution(bAlertable ? 1 : 0, ms === INFINITE ? -(2n ** 63n) : -BigInt(ms) * 10_000n);
      if (status !== STATUS_USER_APC) return 0;
      await c.deliverUserApcs();
      return STATUS_USER_APC;
    },
  };
}
