/**
 * Threads, timers and DPC queues as kd reads them: each thread's state
 * (running on a processor, ready, waiting and on what), the armed KTIMERs,
 * and each processor's DPC queue. Reads only; nothing in the kernel changes.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { EThread } from '../kernel/ps/thread.js';
import type { Kdpc } from '../kernel/ke/dpc.js';
import type { KdDpc, KdThreadState, KdTimer } from './snapshot.js';

/** What ke/wait.ts keeps of a wait in progress (KiWaitBlock): the objects waited on. */
interface WaitInProgress {
  readonly objects: readonly number[];
}

/** A thread's state: RUNNING on a processor, READY, WAIT (on objects, or a delay), or TERMINATED. */
export function KdCaptureThreadState(k: Kernel, t: EThread, pidOf: (p: unknown) => number | null): KdThreadState {
  const attached = t.apcProcess !== t.process ? pidOf(t.apcProcess) : null;
  const attach = attached !== null ? { attachedProcess: attached } : {};
  // The thread the machine stopped on was running there; the stop ended its process afterwards (kernel.ts onStop).
  if (k.bugcheck && k.stoppedOn?.thread === t) return { state: 'RUNNING', processor: k.stoppedOn.processor, ...attach };
  if (t.terminated) return { state: 'TERMINATED', ...attach };
  const prcb = k.prcbs.find((p) => p.currentThread === t);
  if (prcb) return { state: 'RUNNING', processor: prcb.number, ...attach };
  if (k.scheduler.readyThreads.includes(t)) return { state: 'READY', ...attach };
  const wait = t.waitBlock as WaitInProgress | undefined;
  const user = t.PreviousMode !== 0;
  // KWAIT_REASON: a program's wait is UserRequest, the kernel's own Executive; a wait with no object is a delay (Sleep).
  const waitReason = wait ? (user ? 'UserRequest' : 'Executive') : 'DelayExecution';
  return {
    state: 'WAIT', waitReason, waitMode: user ? 'UserMode' : 'KernelMode', alertable: t.alertableWait,
    waitObjects: wait ? [...wait.objects] : [], ...attach,
  };
}

function dpcOf(dpc: Kdpc): KdDpc {
  return { address: 0, routine: { address: 0, name: dpc.owner } };
}

/** The armed timers, earliest first. */
export function KdCaptureTimers(k: Kernel): KdTimer[] {
  return k.ke.armedTimers.map((t) => ({
    address: t.address, dueNs: t.dueNs, periodMs: t.period, type: t.type, dpc: t.dpc ? dpcOf(t.dpc) : null, thread: null,
  }));
}

/** Each processor's DPC queue, in the order the DPCs will run. */
export function KdCaptureDpcQueues(k: Kernel): KdDpc[][] {
  return k.prcbs.map((p) => p.dpcQueue.map(dpcOf));
}
