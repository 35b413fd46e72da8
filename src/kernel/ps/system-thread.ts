/**
 * System threads (PsCreateSystemThread's ps half): a thread of the System
 * process, KernelMode, with no TEB and no user stack, run by the scheduler
 * like a program's thread. What it runs is its creator's business (the I/O
 * manager's io/system-thread.ts runs a driver's StartRoutine in the
 * driver's frame); here is its object — an ETHREAD whose DISPATCHER_HEADER
 * is signalled when it ends, so that KeWaitForSingleObject on it, or on a
 * handle to it, returns then — and its end (PspExitThread, which
 * PsTerminateSystemThread and a start routine's return both reach).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-pscreatesystemthread
 * ReactOS ntoskrnl/ps/thread.c (PspCreateThread, PspSystemThreadStartup)
 */
import { STATUS_PENDING } from '../../include/ntstatus.js';
import type { PsContext } from './context.js';
import { EThread } from './thread.js';
import { PspInitializeDispatcherHeader } from './user-thread.js';

/**
 * Creates a System thread that runs `start` when the scheduler first runs it. The creation's reference
 * is the thread's own, dropped when it ends; the caller takes its own (a handle) if it wants one.
 */
export function PspCreateSystemThread(k: PsContext, label: string, start: (thread: EThread) => void): EThread {
  const thread = k.ob.ObCreateObject(new EThread(k.systemProcess, k.ps.newCid(), true, label));
  PspInitializeDispatcherHeader(k, thread);
  thread.ExitStatus = STATUS_PENDING;
  // A thread holds its process, as every KTHREAD does.
  k.ob.ObReferenceObject(k.systemProcess);
  thread.continuation = () => start(thread);
  k.scheduler.readyThread(thread);
  return thread;
}

/**
 * PspExitThread for a System thread: its mutants are abandoned and its wait ends (KeRundownThread), it
 * leaves the scheduler, its object is signalled (waiters on it run), and its own references go. The CPU
 * is given up if it held one.
 */
export function PspExitSystemThread(k: PsContext, thread: EThread, exitStatus: number): void {
  if (thread.terminated) return;
  thread.ExitStatus = exitStatus >>> 0;
  k.waits.KeRundownThread(thread);
  thread.terminated = true;
  k.scheduler.forget(thread);
  k.waits.KeSignalObject(thread.address);
  k.ob.ObDereferenceObject(k.systemProcess);
  k.ob.ObDereferenceObject(thread);
  if (k.scheduler.running === thread) k.scheduler.giveUpCpu();
}
