/**
 * Interrupts, IRQL, DPCs and timers.
 *
 * The clock interrupt comes every 15.625 ms of virtual time. It is taken by
 * a CPU drawn from the seed; timers that have expired queue their DPCs to
 * that CPU, and the DPCs run at DISPATCH_LEVEL in the context of whatever
 * thread that CPU is running: the program's thread if the program is on it,
 * else the idle thread (whose address space is the System process's).
 *
 * A DPC queued to a CPU other than the one executing starts a little later
 * (up to DPC_CROSS_CPU_LATENCY_NS, from the seed), so it lands between two
 * operations of a running thread, as on a real multiprocessor.
 *
 * Idle time costs nothing: the scheduler jumps the clock to the next event,
 * and ticks in between that change nothing but the time are coalesced.
 */
import { MachineHalted } from '../../include/errors.js';
import { asUchar } from '../../include/c-types.js';
import type { KeContext } from './context.js';
import { DRIVER_IRQL_NOT_LESS_OR_EQUAL, IRQL_NOT_GREATER_OR_EQUAL, IRQL_NOT_LESS_OR_EQUAL } from '../../include/bugcodes.js';
import { CLOCK_TICK_NS, DPC_CROSS_CPU_LATENCY_NS } from './cost.js';
import { Kdpc } from './dpc.js';
import type { Prcb } from './prcb.js';
import { KTimer } from './timer.js';
import { Watchdog } from './watchdog.js';

import { DISPATCH_LEVEL, IRQL_LEVELS } from '../../include/wdm-constants.js';
export { APC_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL } from '../../include/wdm-constants.js';

/** The kernel dispatcher (Ke): IRQL, the clock interrupt, DPC queues and KTIMERs. */
export class Dispatcher {
  /** The next virtual time at which `interrupt` has something to do (the clock's deadline). */
  get nextInterruptNs(): number {
    return this.k.clock.deadlineNs;
  }

  set nextInterruptNs(ns: number) {
    // Once the machine has stopped, every charge takes the slow path, which refuses.
    this.k.clock.deadlineNs = this.k.bugcheck ? -Infinity : ns;
  }
  private lastTick = 0;
  private readonly timers: KTimer[] = [];
  /** Drivers' KTIMERs by the address of their storage, for the routines that are given the address (api/nt-timer.ts). */
  readonly timersByAddress = new Map<number, KTimer>();
  private inInterrupt = false;
  /** The DPC watchdog (0x133) and the bound on code below DISPATCH_LEVEL that never yields. */
  readonly watchdog: Watchdog;

  /** Called at every clock tick that changes the time (KeUpdateSystemTime's writes to KUSER_SHARED_DATA, registered by mm). */
  readonly tickListeners: ((tick: number) => void)[] = [];
  /** Called when a CPU's IRQL rises from below DISPATCH_LEVEL to it or above (the verifier's trim of paged pool, registered by mm). */
  readonly raiseListeners: (() => void)[] = [];

  constructor(private readonly k: KeContext) {
    k.clock.deadlineNs = CLOCK_TICK_NS;
    this.watchdog = new Watchdog(k);
  }

  // --- virtual time ----------------------------------------------------------

  /** Charges virtual time for a guest operation and takes any interrupt now due. */
  charge(ns: number): void {
    const c = this.k.clock;
    if ((c.nowNs += ns) >= c.deadlineNs) this.deadlineReached();
  }

  /** The slow half of `charge`: a stopped machine refuses; otherwise interrupts are taken. */
  deadlineReached(): void {
    const k = this.k;
    if (k.bugcheck) throw new MachineHalted(k.bugcheck.code);
    if (k.failure !== undefined) throw k.failure;
    const c = k.clock;
    if (c.nowNs >= c.deadlineNs) this.interrupt();
    c.resync();
    this.watchdog.check();
  }

  /**
   * KeStallExecutionProcessor: the CPU spins for `microSeconds`, taking
   * interrupts as they fall due. Charged a clock tick at most at a time, so
   * that every tick of a long stall reaches the deadline (and the watchdog).
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kestallexecutionprocessor
   */
  KeStallExecutionProcessor(microSeconds: number): void {
    for (let left = microSeconds * 1000; left > 0; left -= CLOCK_TICK_NS) this.charge(Math.min(left, CLOCK_TICK_NS));
  }

  get highLevel(): number {
    return IRQL_LEVELS[this.k.arch].HIGH_LEVEL;
  }

  // --- IRQL ----------------------------------------------------------------

  /**
   * KeRaiseIrql. NewIrql is a KIRQL, a UCHAR: whatever the driver passed
   * (NaN, 2.5, 0x102) is first what a byte register holds of it; a raise to
   * a lower level, or past HIGH_LEVEL, is then bug check 0x9 as the HAL's
   * KfRaiseIrql makes it (ReactOS hal/halx86/generic/irql.c; Verifier's
   * 0xC4/0x30 is the same check).
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keraiseirql
   */
  KeRaiseIrql(requested: number): number {
    const newIrql = asUchar(requested);
    const cpu = this.k.current.cpu;
    const old = cpu.irql;
    if (newIrql < old || newIrql > this.highLevel) {
      this.k.bugCheck(IRQL_NOT_GREATER_OR_EQUAL, old, newIrql, 0, 0,
        `KeRaiseIrql was asked to go from IRQL ${old} to ${newIrql}, which is not a raise.`);
    }
    if (old < DISPATCH_LEVEL && newIrql >= DISPATCH_LEVEL) for (const l of this.raiseListeners) l();
    cpu.irql = newIrql;
    // The cumulative DPC watchdog counts from the raise to DISPATCH_LEVEL.
    if (old < DISPATCH_LEVEL && newIrql >= DISPATCH_LEVEL) this.k.current.dpcWatchdogStartNs = this.k.clock.nowNs;
    return old;
  }

  /** KeLowerIrql (NewIrql a KIRQL, as KeRaiseIrql's): lowering below DISPATCH_LEVEL runs the DPCs that waited. */
  KeLowerIrql(requested: number): void {
    const newIrql = asUchar(requested);
    const cpu = this.k.current.cpu;
    if (newIrql > cpu.irql) {
      this.k.bugCheck(IRQL_NOT_LESS_OR_EQUAL, 0, cpu.irql, 0, newIrql,
        `KeLowerIrql was asked to go from IRQL ${cpu.irql} to ${newIrql}, which is not a lowering.`);
    }
    cpu.irql = newIrql;
    if (newIrql < DISPATCH_LEVEL) this.k.current.dpcWatchdogStartNs = -1;
    if (newIrql < DISPATCH_LEVEL && this.k.current.dpcQueue.length > 0) this.drainDpcs(this.k.current);
  }

  /**
   * The bug check for touching memory that is not resident at DISPATCH_LEVEL
   * or above: 0xD1 when a driver routine is running, else 0x0A; both take
   * (address, IRQL, 0 read / 1 write / 8 execute, the instruction's address).
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xd1--driver-irql-not-less-or-equal
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xa--irql-not-less-or-equal
   */
  irqlFault(va: number, access: number, explanation: string): never {
    const frame = this.k.attribution.top();
    const code = frame ? DRIVER_IRQL_NOT_LESS_OR_EQUAL : IRQL_NOT_LESS_OR_EQUAL;
    return this.k.bugCheck(code, va, this.k.irql, access, frame?.address ?? 0, explanation);
  }

  // --- DPCs ----------------------------------------------------------------

  KeInsertQueueDpc(dpc: Kdpc, systemArgument1: unknown, systemArgument2: unknown): boolean {
    if (dpc.queuedOn >= 0) return false;
    const target = dpc.targetProcessor >= 0 ? this.k.prcbs[dpc.targetProcessor] ?? this.k.current : this.k.current;
    dpc.systemArgument1 = systemArgument1;
    dpc.systemArgument2 = systemArgument2;
    this.queueOn(dpc, target);
    return true;
  }

  KeRemoveQueueDpc(dpc: Kdpc): boolean {
    if (dpc.queuedOn < 0) return false;
    const q = this.k.prcbs[dpc.queuedOn]!.dpcQueue;
    q.splice(q.indexOf(dpc), 1);
    dpc.queuedOn = -1;
    return true;
  }

  private queueOn(dpc: Kdpc, prcb: Prcb): void {
    dpc.queuedOn = prcb.number;
    prcb.dpcQueue.push(dpc);
    if (prcb === this.k.current) {
      if (prcb.cpu.irql < DISPATCH_LEVEL && !this.inInterrupt) this.drainDpcs(prcb);
      return;
    }
    // Another CPU: it starts soon, between operations of whatever runs here.
    const latency = this.k.scheduler.running ? this.k.random.below(DPC_CROSS_CPU_LATENCY_NS) : 0;
    prcb.dpcDueNs = Math.min(prcb.dpcDueNs, this.k.clock.nowNs + latency);
    this.nextInterruptNs = Math.min(this.nextInterruptNs, prcb.dpcDueNs);
  }

  /** Runs a CPU's DPC queue at DISPATCH_LEVEL, in that CPU's current context. */
  drainDpcs(prcb: Prcb): void {
    if (prcb.dpcRoutineActive) return;
    const previous = this.k.current;
    this.k.switchTo(prcb);
    const oldIrql = prcb.cpu.irql;
    if (oldIrql < DISPATCH_LEVEL) for (const l of this.raiseListeners) l();
    prcb.cpu.irql = Math.max(oldIrql, DISPATCH_LEVEL);
    if (oldIrql < DISPATCH_LEVEL) prcb.dpcWatchdogStartNs = this.k.clock.nowNs;
    prcb.dpcRoutineActive = true;
    prcb.dpcDueNs = Infinity;
    try {
      let dpc: Kdpc | undefined;
      while ((dpc = prcb.dpcQueue.shift())) {
        dpc.queuedOn = -1;
        // Each DPC's own allotment counts from its start; the queue's run counts on (the watchdog period).
        prcb.activeDpc = dpc;
        prcb.dpcRoutineStartNs = this.k.clock.nowNs;
        dpc.DeferredRoutine(dpc, dpc.DeferredContext, dpc.systemArgument1, dpc.systemArgument2);
        if (this.k.trace !== null) this.k.trace.cpuComplete(prcb, dpc.owner, 'dpc', prcb.dpcRoutineStartNs);
      }
    } finally {
      prcb.dpcRoutineActive = false;
      prcb.activeDpc = undefined;
      prcb.cpu.irql = oldIrql;
      if (oldIrql < DISPATCH_LEVEL) prcb.dpcWatchdogStartNs = -1;
      this.k.switchTo(previous);
    }
  }

  /** A spin lock was released: DPCs of other CPUs that waited for it (interruptBody) are due at once. */
  KiSpinLockReleased(): void {
    for (const p of this.k.prcbs) if (p !== this.k.current && p.dpcQueue.length > 0) this.nextInterruptNs = Math.min(this.nextInterruptNs, p.dpcDueNs);
  }

  // --- timers --------------------------------------------------------------

  /**
   * KeSetTimerEx. `dueTime` is a LARGE_INTEGER: negative is relative, in
   * 100 ns units; positive is an absolute system time. Returns true if the
   * timer was already set.
   */
  KeSetTimerEx(timer: KTimer, dueTime: bigint | number, period: number, dpc: Kdpc | null): boolean {
    const was = this.KeCancelTimer(timer);
    const due = BigInt(dueTime);
    const nowNs = this.k.clock.nowNs;
    timer.dueNs = due < 0n
      ? nowNs + Number(-due) * 100
      : Math.max(nowNs, Number(due - this.k.options.bootSystemTime) * 100);
    timer.period = period;
    timer.dpc = dpc;
    timer.signaled = false;
    if (timer.address !== 0) {
      // KeSetTimerEx writes the KTIMER: not signalled, DueTime in interrupt time (100 ns), Period.
      this.k.waits.KeClearTimerState(timer.address);
      this.k.waits.KeWriteTimerDue(timer.address, BigInt(Math.ceil(timer.dueNs / 100)), period);
    }
    timer.inserted = true;
    this.insertTimer(timer);
    return was;
  }

  KeCancelTimer(timer: KTimer): boolean {
    if (!timer.inserted) return false;
    timer.inserted = false;
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
    return true;
  }

  private insertTimer(timer: KTimer): void {
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.dueNs > timer.dueNs) i--;
    this.timers.splice(i, 0, timer);
  }

  /** Earliest timer expiry, rounded up to the tick that will notice it. */
  nextTimerTickNs(): number {
    const t = this.timers[0];
    return t ? Math.max(Math.ceil(t.dueNs / CLOCK_TICK_NS), this.lastTick + 1) * CLOCK_TICK_NS : Infinity;
  }

  /** The armed timers, earliest first (kd's !timer reads it: nothing is changed). */
  get armedTimers(): readonly KTimer[] {
    return this.timers;
  }

  get activeTimers(): number {
    return this.timers.length;
  }

  /** Whether an armed timer's expiry can still do something (queue a DPC that may act, signal a waiter). */
  get liveTimers(): boolean {
    return this.timers.some((t) => !t.inert?.());
  }

  // --- the clock interrupt -------------------------------------------------

  /** Virtual time spent in interrupts (ticks, DPCs, deferred work), which the interrupted code did not see pass. */
  interruptNs = 0;

  /** Takes whatever is due: clock ticks, then DPCs queued to other CPUs. */
  interrupt(): void {
    if (this.inInterrupt) {
      // A DPC drained from inside the interrupt (one queued to another CPU) runs with the
      // interrupt still being taken: the next deadline is the next tick, where the watchdog
      // looks again, and the ticks in between are taken when the interrupt is done.
      this.nextInterruptNs = (Math.floor(this.k.clock.nowNs / CLOCK_TICK_NS) + 1) * CLOCK_TICK_NS;
      return;
    }
    const started = this.k.clock.nowNs;
    try {
      this.interruptBody();
    } finally {
      this.interruptNs += this.k.clock.nowNs - started;
    }
  }

  private interruptBody(): void {
    this.inInterrupt = true;
    try {
      const now = this.k.clock.nowNs;
      const tick = Math.floor(now / CLOCK_TICK_NS);
      if (tick > this.lastTick) this.clockInterrupt(tick);
      // While this CPU holds a spin lock at DISPATCH_LEVEL, another CPU's DPC that wanted it would spin until its
      // release, and ntshm cannot run two CPUs at once: the DPCs wait for the release instead (docs/fidelity.md).
      const holding = this.k.current.spinLocksHeld > 0 && this.k.current.cpu.irql >= DISPATCH_LEVEL;
      for (const p of this.k.prcbs) {
        if (!holding && p !== this.k.current && p.dpcQueue.length > 0 && p.dpcDueNs <= now && p.cpu.irql < DISPATCH_LEVEL) this.drainDpcs(p);
      }
    } finally {
      this.inInterrupt = false;
    }
    const current = this.k.current;
    if (current.dpcQueue.length > 0 && current.cpu.irql < DISPATCH_LEVEL) this.drainDpcs(current);
    // Work queued at DISPATCH_LEVEL (deferred object deletion) goes to a System worker thread.
    if (this.k.workQueue.pending && current.cpu.irql < DISPATCH_LEVEL) this.k.workQueue.run();
    this.recompute();
  }

  private recompute(): void {
    let next = (this.lastTick + 1) * CLOCK_TICK_NS;
    const current = this.k.current;
    // Other CPUs' DPCs held back by a spin lock are looked at again when it is released (KiSpinLockReleased).
    const holding = current.spinLocksHeld > 0 && current.cpu.irql >= DISPATCH_LEVEL;
    for (const p of this.k.prcbs) if (p.dpcQueue.length > 0 && (!holding || p === current)) next = Math.min(next, p.dpcDueNs);
    this.nextInterruptNs = next;
  }

  /** KeUpdateSystemTime: the shared time, expired timers, sleeping threads. */
  private clockInterrupt(tick: number): void {
    this.lastTick = tick;
    for (const l of this.tickListeners) l(tick);
    const tickNs = tick * CLOCK_TICK_NS;
    const owner = this.k.prcbs[this.k.random.below(this.k.prcbs.length)]!;
    while (this.timers.length > 0 && this.timers[0]!.dueNs <= tickNs) {
      const timer = this.timers.shift()!;
      timer.signaled = true;
      // The KTIMER is signalled before its DPC is queued: a waiter is readied here (KiTimerExpiration).
      if (timer.address !== 0) this.k.waits.KeSignalTimer(timer.address);
      if (timer.period > 0) {
        timer.dueNs += timer.period * 1e6;
        if (timer.dueNs <= tickNs) timer.dueNs = tickNs + timer.period * 1e6;
        this.insertTimer(timer);
      } else {
        timer.inserted = false;
      }
      if (timer.dpc && timer.dpc.queuedOn < 0) this.queueOn(timer.dpc, owner);
    }
    this.k.scheduler.wakeSleepers(tickNs);
  }
}
