/**
 * The processor control block: the kernel's view of one CPU.
 */
import type { Cpu } from '../../hw/cpu.js';
import type { Kdpc } from './dpc.js';
import type { KThread } from './thread.js';

/** KPRCB: one CPU's current and idle threads and its DPC queue. */
export class Prcb<T extends KThread = KThread> {
  /** Set with `idleThread` when the process manager makes the Idle process. */
  currentThread!: T;
  idleThread!: T;
  readonly dpcQueue: Kdpc[] = [];
  /** Virtual time at which this CPU's queued DPCs start, when it is not the CPU now executing. */
  dpcDueNs = Infinity;
  dpcRoutineActive = false;
  /** The DPC now running on this CPU, if any (the watchdog names it). */
  activeDpc: Kdpc | undefined = undefined;
  /** When the DPC now running started (virtual ns): KPRCB's DpcTimeCount, kept as a start time. */
  dpcRoutineStartNs = 0;
  /** Since when this CPU has been at DISPATCH_LEVEL or above without a break (virtual ns), or -1: KPRCB's DpcWatchdogCount, kept as a start time. */
  dpcWatchdogStartNs = -1;
  /** Spin locks this CPU holds (api/nt-spinlock.ts): while any is held at DISPATCH_LEVEL, other CPUs' DPCs wait (dispatcher.ts). */
  spinLocksHeld = 0;
  /** Why this CPU spins on a lock it can never get, for the watchdog's explanation; undefined when it does not. */
  spinLockWait: string | undefined = undefined;

  constructor(readonly number: number, readonly cpu: Cpu) {}
}
