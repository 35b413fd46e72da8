/**
 * KTIMER: a timer object that expires at a clock tick, optionally periodic,
 * optionally queueing a DPC. A driver's timer is also a dispatcher object:
 * its KTIMER (DISPATCHER_HEADER, DueTime, Period) is in guest memory at
 * `address`, and its SignalState there is the timer's state (ke/wait.ts);
 * a timer of the kernel's own (the I/O timer) has no storage (`address` 0)
 * and keeps its state in `signaled`.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesettimerex
 */
import type { Kdpc } from './dpc.js';

export const NotificationTimer = 0;
export const SynchronizationTimer = 1;

/** KTIMER: due time, period, the DPC it queues, and whether it is inserted and signaled. */
export class KTimer {
  /** Expiry, in virtual ns since boot; Infinity when not set. */
  dueNs = Infinity;
  /** Period in ms, 0 for one-shot. */
  period = 0;
  dpc: Kdpc | null = null;
  inserted = false;
  /** The state of a timer without storage (`address` 0); with storage, its SignalState is the state. */
  signaled = false;
  /** The KTIMER's address in guest memory (nonpaged), 0 while it has none. */
  address = 0;
  /**
   * For a timer of the kernel's own: true while its expiry can change
   * nothing (the I/O manager's timer with no device timer started), so that
   * it alone does not keep a machine where nothing else can happen running.
   */
  inert: (() => boolean) | undefined = undefined;

  constructor(readonly type: number = NotificationTimer) {}
}
