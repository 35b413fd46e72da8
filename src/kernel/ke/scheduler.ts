/**
 * The thread scheduler. Guest threads are async functions; a CPU runs one at
 * a time, from the moment the scheduler resumes it until it blocks (Sleep,
 * a wait), its quantum runs out at a preemption point, or it ends.
 * Everything is ordered by the virtual clock and the seed, so a run is
 * reproducible.
 *
 * Quantum: a thread given the CPU may keep it for THREAD_QUANTUM_NS (two
 * clock ticks) while others are ready; after that it goes to the back of the
 * ready queue, as at NT's quantum end. JS cannot suspend a synchronous call,
 * so this happens only where the thread awaits the kernel anyway: at a
 * system call that returns a promise (`preemptionPoint`). Priorities: every
 * program thread has the same priority (NORMAL_PRIORITY_CLASS, no boosts),
 * so the ready queue is a single FIFO and round robin is the whole policy.
 *
 * One thread's code executes at a time in JS; the other CPUs meanwhile run
 * their idle threads and take interrupts and DPCs, which land between the
 * running thread's operations (see dispatcher.ts).
 */
import type { KeContext } from './context.js';
import type { KThread } from './thread.js';
import type { Prcb } from './prcb.js';
import { CLOCK_TICK_NS, THREAD_QUANTUM_NS } from './cost.js';
import { GuestMisuse, MachineHalted } from '../../include/errors.js';
import { isThrownInstance } from '../../include/thrown.js';
import { KiDeliverApcs } from './apc.js';

/** Why Scheduler.run returned. */
export type SchedulerStop = 'done' | 'stopped' | 'limit' | 'idle';

/** The thread scheduler: runs one guest thread at a time, in virtual-clock order, with a ready queue and sleepers. */
export class Scheduler {
  /** The thread whose JS code is executing, if any. */
  running: KThread | undefined;
  private readonly readyQueue: KThread[] = [];
  private readonly sleepers: KThread[] = [];
  /** Threads, not executing, with kernel APCs to deliver (ke/apc.ts). */
  private readonly apcTargets: KThread[] = [];
  private yielded: (() => void) | undefined;
  /**
   * Asked at every preemptible system call while a front end paces the run
   * (machine/pacer.ts): stop here for now? Undefined otherwise, and then the
   * system-call stub does not even look.
   */
  pauseRequested: (() => boolean) | undefined;
  /** The thread stopped at a system call for a pause, with the CPU and quantum it had: it goes on first, as if never stopped. */
  private parked: { thread: KThread; prcb: Prcb; quantumStartNs: number; paused: boolean } | undefined;

  constructor(private readonly k: KeContext) {}

  /** The threads ready to run, in the order they will (kd's !thread reads it: nothing is changed). */
  get readyThreads(): readonly KThread[] {
    return this.readyQueue;
  }

  /** Makes a thread runnable; it runs after those already waiting. */
  readyThread(thread: KThread): void {
    this.readyQueue.push(thread);
  }

  /** A thread that is not executing has a kernel APC queued: it runs at the scheduler's next turn. */
  apcPending(thread: KThread): void {
    if (!this.apcTargets.includes(thread)) this.apcTargets.push(thread);
  }

  /**
   * Delivers the APCs of threads that are not executing: a CPU is switched to
   * each (its address space loaded), its APCs run at APC_LEVEL, and the CPU
   * goes back to its idle thread. A thread that ended has nothing delivered.
   */
  private deliverApcs(): void {
    let thread: KThread | undefined;
    while ((thread = this.apcTargets.shift()) !== undefined && !this.k.bugcheck) {
      if (thread.terminated || thread.apcQueue.length === 0) continue;
      const prcb = this.k.prcbs[this.k.random.below(this.k.prcbs.length)]!;
      const previous = this.k.current;
      const idle = prcb.currentThread;
      prcb.currentThread = thread;
      this.k.switchTo(prcb);
      try {
        KiDeliverApcs(this.k, thread);
      } finally {
        prcb.currentThread = idle;
        this.k.switchTo(prcb);
        if (previous !== prcb) this.k.switchTo(previous);
      }
    }
  }

  /** Wakes every sleeper whose time has come (called at each clock tick). */
  wakeSleepers(nowNs: number): void {
    while (this.sleepers.length > 0 && this.sleepers[0]!.wakeNs <= nowNs) {
      const t = this.sleepers.shift()!;
      t.wakeNs = Infinity;
      const timedOut = t.onWaitTimeout;
      t.onWaitTimeout = undefined;
      timedOut?.();
      this.readyQueue.push(t);
    }
  }

  /**
   * Blocks the running thread until `wakeNs` (NtDelayExecution). The
   * returned promise settles when the scheduler runs the thread again.
   */
  delay(thread: KThread, wakeNs: number): Promise<void> {
    this.checkNotWaiting(thread);
    thread.wakeNs = Math.max(wakeNs, this.k.clock.nowNs);
    let i = this.sleepers.length;
    while (i > 0 && this.sleepers[i - 1]!.wakeNs > thread.wakeNs) i--;
    this.sleepers.splice(i, 0, thread);
    return new Promise<void>((resolve) => {
      thread.continuation = resolve;
      this.giveUpCpu();
    });
  }

  /**
   * A waiting thread's wait is satisfied (ke/wait.ts, KiUnwaitThread): it
   * leaves the sleepers, its timeout cancelled, and is readied.
   */
  wake(thread: KThread): void {
    const i = this.sleepers.indexOf(thread);
    if (i < 0) return;
    this.sleepers.splice(i, 1);
    thread.wakeNs = Infinity;
    thread.onWaitTimeout = undefined;
    this.readyQueue.push(thread);
  }

  /** Sleep(0): the thread goes to the back of the ready queue if anyone else is waiting to run. */
  yieldThread(thread: KThread): Promise<void> | undefined {
    this.checkNotWaiting(thread);
    // Sleep(0) is NtDelayExecution on Windows: a system call, as far as the memory-spin bound is concerned.
    thread.lastSystemCallNs = this.k.clock.nowNs;
    if (this.readyQueue.length === 0) return undefined;
    this.readyQueue.push(thread);
    return new Promise<void>((resolve) => {
      thread.continuation = resolve;
      this.giveUpCpu();
    });
  }

  /**
   * Quantum end, checked where a system call can suspend the thread: if the
   * thread has had the CPU for a quantum and another thread is ready, it goes
   * to the back of the ready queue and the promise settles when it runs
   * again. Otherwise undefined: it runs on (with a new quantum if its own ran
   * out while nobody was waiting, as KiQuantumEnd gives one).
   */
  preemptionPoint(thread: KThread): Promise<void> | undefined {
    if (this.pauseRequested?.()) return this.park(thread);
    const now = this.k.clock.nowNs;
    if (now - thread.quantumStartNs < THREAD_QUANTUM_NS) return undefined;
    if (this.readyQueue.length === 0) {
      thread.quantumStartNs = now;
      return undefined;
    }
    return this.yieldThread(thread);
  }

  /**
   * A pause the front end asked for, in the middle of a thread's turn: the
   * thread leaves the CPU at the entry of its system call without going to
   * any queue, Scheduler.run returns, and when it is entered again the thread
   * takes the same CPU with the quantum it had (no draw of the seed, nothing
   * else run first), so the run goes on exactly as if it had not stopped.
   */
  private park(thread: KThread): Promise<void> {
    this.checkNotWaiting(thread);
    this.parked = { thread, prcb: this.k.current, quantumStartNs: thread.quantumStartNs, paused: false };
    return new Promise<void>((resolve) => {
      thread.continuation = resolve;
      this.giveUpCpu();
    });
  }

  /** A thread waits for one thing at a time: a second blocking call before the first returned is refused. */
  private checkNotWaiting(thread: KThread): void {
    if (thread.continuation || this.running !== thread) {
      throw new GuestMisuse(`${thread.label} made a blocking call while another was in progress (a thread waits for one thing at a time; await each call)`);
    }
  }

  /** The running thread has ended or blocked: the CPU goes back to its idle thread. */
  giveUpCpu(): void {
    const y = this.yielded;
    this.yielded = undefined;
    y?.();
  }

  /** Removes a thread from every queue (it is terminating). */
  forget(thread: KThread): void {
    for (const q of [this.readyQueue, this.sleepers]) {
      const i = q.indexOf(thread);
      if (i >= 0) q.splice(i, 1);
    }
  }

  /**
   * Runs until `done()` holds (`done`), the machine stops (`stopped`), the
   * clock reaches `limitNs` (`limit`), or, when `stopWhenIdle`, nothing can
   * ever happen again (`idle`, see `idle`). An idle machine otherwise jumps
   * straight to its next event.
   */
  async run(limitNs: number, done: () => boolean, stopWhenIdle: boolean): Promise<SchedulerStop> {
    let stop: SchedulerStop = 'stopped';
    try {
      for (;;) {
        const parked = this.parked;
        if (parked !== undefined && !this.k.bugcheck) {
          // Stopped mid-turn: first the pause (the run returns), then the same turn goes on.
          if (!parked.paused) {
            parked.paused = true;
            stop = 'done';
            break;
          }
          this.parked = undefined;
          await this.dispatch(parked.thread, parked.prcb, parked.quantumStartNs);
          continue;
        }
        // Work a System worker thread would do as soon as a CPU is free: deletions deferred from DISPATCH_LEVEL.
        if (this.k.workQueue.pending && !this.k.bugcheck) this.k.workQueue.run();
        if (this.apcTargets.length > 0 && !this.k.bugcheck) this.deliverApcs();
        if (this.k.bugcheck || this.k.failure !== undefined) break;
        if (done()) {
          stop = 'done';
          break;
        }
        const t = this.readyQueue.shift();
        if (t) {
          await this.dispatch(t);
          continue;
        }
        if (stopWhenIdle && this.idle()) {
          stop = 'idle';
          break;
        }
        const sleeper = this.sleepers[0];
        const wakeTick = sleeper ? Math.ceil(sleeper.wakeNs / CLOCK_TICK_NS) * CLOCK_TICK_NS : Infinity;
        const next = Math.max(Math.min(wakeTick, this.k.ke.nextTimerTickNs()), this.k.clock.nowNs);
        if (next > limitNs) {
          if (Number.isFinite(limitNs)) this.advanceIdle(limitNs);
          stop = 'limit';
          break;
        }
        if (next === Infinity) {
          stop = 'idle';
          break;
        }
        this.advanceIdle(next);
      }
    } catch (e) {
      if (!isThrownInstance(e, MachineHalted)) this.k.emulatorFailed(e);
    }
    if (this.k.failure !== undefined) throw this.k.failure;
    return stop;
  }

  /**
   * Nothing can ever happen again: no thread is ready or will wake (every
   * sleeper sleeps forever), no DPC or deferred work is queued, and no armed
   * timer can do anything when it expires. The clock tick that only updates
   * KUSER_SHARED_DATA's time wakes no one, so it does not count.
   */
  private idle(): boolean {
    if (this.readyQueue.length > 0 || this.k.workQueue.pending || this.apcTargets.length > 0) return false;
    // Sleepers are kept in order of wake time: the first is the earliest.
    if (this.sleepers.length > 0 && this.sleepers[0]!.wakeNs !== Infinity) return false;
    if (this.k.prcbs.some((p) => p.dpcQueue.length > 0)) return false;
    return !this.k.ke.liveTimers;
  }

  private advanceIdle(ns: number): void {
    this.k.clock.advanceTo(ns);
    if (this.k.clock.nowNs >= this.k.clock.deadlineNs && !this.k.bugcheck) this.k.ke.interrupt();
  }

  /** Puts a thread on a CPU and lets it run until it gives the CPU up. */
  private dispatch(thread: KThread, prcb = this.k.prcbs[this.k.random.below(this.k.prcbs.length)]!, quantumStartNs = this.k.clock.nowNs): Promise<void> {
    prcb.currentThread = thread;
    this.k.switchTo(prcb);
    this.running = thread;
    thread.quantumStartNs = quantumStartNs;
    return new Promise<void>((resolve) => {
      this.yielded = resolve;
      const go = thread.continuation;
      thread.continuation = undefined;
      // APCs queued while the thread was not executing run before it goes on.
      if (thread.apcQueue.length > 0) KiDeliverApcs(this.k, thread);
      thread.onResume?.();
      go?.();
    }).then(() => {
      thread.onSuspend?.();
      this.running = undefined;
      // APCs queued while it executed kernel code it left without a kernel exit: delivered now.
      if (thread.apcQueue.length > 0 && !thread.terminated) this.apcPending(thread);
      prcb.currentThread = prcb.idleThread;
      prcb.cpu.irql = 0;
      this.k.switchTo(prcb);
    });
  }
}
