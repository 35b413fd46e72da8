/**
 * User APCs: a routine of a program, queued to one of its threads, that the
 * thread runs in user mode the next time it waits alertably (SleepEx,
 * WaitForSingleObjectEx with bAlertable TRUE, NtTestAlert) — QueueUserAPC's
 * routines and the ApcRoutine of an I/O request (NtDeviceIoControlFile).
 *
 *   - queued to a thread in an alertable wait: the wait ends at once with
 *     STATUS_USER_APC (KiUnwaitThread), and the routines run before the
 *     waiting API returns (WAIT_IO_COMPLETION);
 *   - queued to a thread doing anything else: it waits in the queue; an
 *     alertable wait begun with the queue not empty returns STATUS_USER_APC
 *     without waiting;
 *   - a thread that ends with routines queued never runs them.
 *
 * The routines are the program's JS functions, named by the address that
 * stands for them (machine/program-loader.ts); ntdll's KiUserApcDispatcher,
 * which calls them on the way back to user mode, is the loader's
 * `deliverUserApcs`.
 * https://learn.microsoft.com/windows/win32/sync/asynchronous-procedure-calls
 * ReactOS ntoskrnl/ke/apc.c (KiInsertQueueApc: a user APC to a thread in an alertable UserMode wait unwaits it)
 */
import { STATUS_USER_APC } from '../../include/ntstatus.js';
import type { KeContext } from './context.js';
import type { KThread } from './thread.js';

/** A user-mode APC: NormalRoutine(NormalContext, SystemArgument1, SystemArgument2), all in the program. */
export interface UserApc {
  /** The address standing for the program's routine. */
  readonly NormalRoutine: number;
  readonly NormalContext: number;
  readonly SystemArgument1: number;
  readonly SystemArgument2: number;
}

/**
 * KeInsertQueueApc for a user APC: false for a thread that has ended (its
 * APCs are never run). A thread in an alertable wait is unwaited with
 * STATUS_USER_APC.
 */
export function KeInsertQueueUserApc(k: KeContext, thread: KThread, apc: UserApc): boolean {
  if (thread.terminated || thread.system) return false;
  thread.userApcQueue.push(apc);
  if (thread.alertableWait) k.waits.KiUnwaitThread(thread, STATUS_USER_APC);
  return true;
}

/** At the start of an alertable user-mode wait: STATUS_USER_APC when routines are queued already, so that the wait ends at once. */
export function KiTestUserApc(thread: KThread): number | undefined {
  return thread.userApcQueue.length > 0 ? STATUS_USER_APC : undefined;
}
