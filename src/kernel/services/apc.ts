/**
 * The services of user APCs (ke/user-apc.ts): NtQueueApcThread, QueueUserAPC's
 * service, and NtTestAlert, which runs the calling thread's queued APCs.
 * https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-queueuserapc
 * ReactOS ntoskrnl/ps/state.c (NtQueueApcThread: THREAD_SET_CONTEXT; a system thread refuses: STATUS_INVALID_HANDLE)
 */
import { STATUS_INVALID_HANDLE, STATUS_SUCCESS, STATUS_UNSUCCESSFUL, STATUS_USER_APC } from '../../include/ntstatus.js';
import { KeInsertQueueUserApc } from '../ke/user-apc.js';
import type { PsContext } from '../ps/context.js';
import { ThreadType, type EThread } from '../ps/thread.js';

/** THREAD_SET_CONTEXT: what queueing an APC to a thread asks of its handle. */
const THREAD_SET_CONTEXT = 0x0010;

/**
 * NtQueueApcThread(ThreadHandle, ApcRoutine, ApcArgument1, ApcArgument2, ApcArgument3): the routine runs in the
 * thread, in user mode, at its next alertable wait, given the three arguments. STATUS_UNSUCCESSFUL for a thread
 * that has ended (KeInsertQueueApc refuses it).
 */
export function NtQueueApcThread(k: PsContext, ThreadHandle: number, ApcRoutine: number, ApcArgument1: number, ApcArgument2: number,
  ApcArgument3: number): number {
  const ref = k.ob.ObReferenceObjectByHandle(ThreadHandle, THREAD_SET_CONTEXT, ThreadType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  const thread = ref.object as EThread;
  try {
    if (thread.system) return STATUS_INVALID_HANDLE;
    const queued = KeInsertQueueUserApc(k, thread, { NormalRoutine: ApcRoutine, NormalContext: ApcArgument1, SystemArgument1: ApcArgument2, SystemArgument2: ApcArgument3 });
    return queued ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
  } finally {
    k.ob.ObDereferenceObject(thread);
  }
}

/** NtTestAlert: STATUS_USER_APC when the calling thread has user APCs queued (ntdll runs them on the way back), else STATUS_SUCCESS. */
export function NtTestAlert(k: PsContext): number {
  // NtAlertThread's alerts are not modelled (docs/fidelity.md): STATUS_ALERTED never comes.
  return k.currentThread.userApcQueue.length > 0 ? STATUS_USER_APC : STATUS_SUCCESS;
}
