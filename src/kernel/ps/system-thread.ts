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
import { PspExitThread, PspInitializeDispatcherHeader, PspIsLastThread } from './user-thread.js';
import type { EProcess } from './process.js';

/**
 * Creates a System thread that runs `start` when the scheduler first runs it. The creation's reference
 * is the thread's own, dropped when it ends; the caller takes its own (a handle) if it wants one.
 *
 * `process` other than the System process (PsCreateSystemThread's ProcessHandle): a kernel-mode thread
 * of that process, in its address space. It is one of the process's threads (ObReferenceObject, on its
 * list): the process's exit ends it wherever it is, and its own end, if it is the last, is the process's.
 */
export function PspCreateSystemThread(k: PsContext, label: string, start: (thread: EThread) => void, process: EProcess = k.systemProcess): EThread {
  const thread = k.ob.ObCreateObject(new EThread(process, k.ps.newCid(), true, label));
  PspInitializeDispatcherHeader(k, thread);
  thread.ExitStatus = STATUS_PENDING;
  // A thread holds its process, as every KTHREAD does.
  k.ob.ObReferenceObject(process);
  if (process !== k.systemProcess) process.threads.push(thread);
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
  const process = thread.process;
  if (process !== k.systemProcess) {
    // A thread of a program's process ends as its other threads do: the last one's end is the process's,
    // which also lets go of each thread and its reference on the process (ps/manager.ts).
    if (PspIsLastThread(thread)) k.ps.PspExitProcess(process, exitStatus);
    else PspExitThread(k, thread, exitStatus);
    if (k.scheduler.running === thread) k.scheduler.giveUpCpu();
    return;
  }
  thread.ExitStatus = exitStatus >>> 0;
  k.waits.KeRundownThread(thread);
  thread.terminated = true;
  k.scheduler.forget(thread);
  k.waits.KeSignalObject(thread.address);
  k.ob.ObDereferenceObject(k.systemProcess);
  k.ob.ObDereferenceObject(thread);
  if (k.scheduler.running === thread) k.scheduler.giveUpCpu();
}
