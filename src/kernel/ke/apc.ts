/**
 * Kernel APCs: work that must run in one particular thread, in its address
 * space (KeInsertQueueApc, KiDeliverApc). The I/O manager's completion of a
 * request that went pending is one: the output is copied to the caller's
 * buffer and its IO_STATUS_BLOCK written from inside the caller's process.
 *
 * When the APC runs: at once if the thread is not the one executing (it is
 * waiting, or ready): the scheduler switches a CPU to the thread, runs its
 * APCs at APC_LEVEL, and puts it back as it was (a wait it was in goes on,
 * unless the APC signalled what it waits for). For the thread that is
 * executing, at its next return from a system call (KiSystemServiceExit) or
 * when it next gives up its CPU: Windows delivers it as soon as the thread's
 * IRQL drops below APC_LEVEL, which for a thread in user mode is at once;
 * ntshm waits for the thread's next kernel entry or exit (docs/fidelity.md).
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/types-of-apcs
 * ReactOS ntoskrnl/ke/apc.c (KiInsertQueueApc, KiDeliverApc)
 */
import { APC_LEVEL } from '../../include/wdm-constants.js';
import type { KeContext } from './context.js';
import type { KThread } from './thread.js';

/** A special kernel APC: its KernelRoutine, run in the target thread at APC_LEVEL. */
export interface KApc {
  /** For messages ("IopCompleteRequest"). */
  readonly name: string;
  readonly KernelRoutine: () => void;
}

/** KeInsertQueueApc: queues `apc` to `thread`; the scheduler delivers it (see above). */
export function KeInsertQueueApc(k: KeContext, thread: KThread, apc: KApc): void {
  thread.apcQueue.push(apc);
  if (k.scheduler.running !== thread) k.scheduler.apcPending(thread);
}

/**
 * KiDeliverApc for the thread executing on the current CPU: each queued APC
 * runs at APC_LEVEL, in the thread's address space, oldest first.
 */
export function KiDeliverApcs(k: KeContext, thread: KThread): void {
  const prcb = k.current;
  const oldIrql = prcb.cpu.irql;
  prcb.cpu.irql = Math.max(oldIrql, APC_LEVEL);
  try {
    let apc: KApc | undefined;
    while ((apc = thread.apcQueue.shift()) !== undefined && !k.bugcheck) apc.KernelRoutine();
  } finally {
    prcb.cpu.irql = oldIrql;
  }
}
