/**
 * Guest code that never gives the CPU back. JS cannot interrupt a running
 * function, so every bound here is checked where the guest's own operations
 * reach the clock's deadline (Dispatcher.deadlineReached): every memory
 * access and kernel call charges virtual time, and the deadline comes at
 * least once per clock tick. The deadline is the countdown; nothing is
 * checked per operation.
 *
 *   at DISPATCH_LEVEL or above: the DPC watchdog, as Windows counts it at
 *   each clock tick (KeAccumulateTicks)
 *     one DPC routine runs more than DpcTimeLimit ticks       → 0x133, P1 = 0
 *     the CPU stays at DISPATCH_LEVEL or above more than
 *     DpcWatchdogLimit ticks without a break (a DPC that
 *     queues itself again, an IRQL raised and held)          → 0x133, P1 = 1
 *
 *   below DISPATCH_LEVEL Windows has no watchdog: a thread may run for ever.
 *   ntshm, with one host thread, cannot run anything else meanwhile, so it
 *   stops such code after SPIN_LIMIT_NS with a GuestMisuse thrown through it:
 *     a driver routine that has not returned (any thread)    → its caller gets it
 *     a program thread that makes no system call             → its process ends
 *
 * Code that makes no kernel call and touches no guest memory reaches no
 * deadline and cannot be stopped (docs/fidelity.md, "Guest loops and host
 * artefacts").
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x133-dpc-watchdog-violation
 */
import { DPC_WATCHDOG_VIOLATION } from '../../include/bugcodes.js';
import { GuestMisuse } from '../../include/errors.js';
import { STATUS_POSSIBLE_DEADLOCK } from '../../include/ntstatus.js';
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from '../../include/wdm-constants.js';
import type { KeContext } from './context.js';
import { CLOCK_TICK_NS, SPIN_LIMIT_NS } from './cost.js';
import type { Prcb } from './prcb.js';
import { ntImageBase } from './nt-image.js';

/**
 * The single-DPC allotment, in clock ticks: 0x500 = 1280 ticks, 20 s at
 * 15.625 ms. The bug check page's example stops a DPC at a count of 0x501
 * against an allotment of 0x500.
 */
export const DPC_TIMEOUT_TICKS = 0x500;
/**
 * The cumulative watchdog period, in clock ticks: 0x1E00 = 7680 ticks,
 * 120 s. Windows 10 and 11 dumps of 0x133 with P1 = 1 give it as P2.
 */
export const DPC_WATCHDOG_PERIOD_TICKS = 0x1e00;

/** nt!KiDpcWatchdogGlobalTriageBlock, the DPC_WATCHDOG_GLOBAL_TRIAGE_BLOCK both forms of 0x133 point to: in ntoskrnl's data. */
export const KiDpcWatchdogGlobalTriageBlock = (arch: 'x64' | 'x86'): number => ntImageBase(arch) + 0x3f_b320;

/** Clock interrupts between two instants: the ticks the watchdog counts. */
const ticksBetween = (fromNs: number, toNs: number): number => Math.floor(toNs / CLOCK_TICK_NS) - Math.floor(fromNs / CLOCK_TICK_NS);

/** The DPC watchdog and ntshm's bound on code below DISPATCH_LEVEL that never yields. */
export class Watchdog {
  /**
   * KDPC_WATCHDOG_INFORMATION's limits, in clock ticks; 0 turns a check off,
   * as Windows reports a disabled one. Windows' values by default; a test
   * or a fuzzer may shorten them (machine.kernel.ke.watchdog).
   */
  DpcTimeLimit = DPC_TIMEOUT_TICKS;
  DpcWatchdogLimit = DPC_WATCHDOG_PERIOD_TICKS;

  constructor(private readonly k: KeContext) {}

  /** At a deadline: the executing CPU's watchdog counts, then the bound below DISPATCH_LEVEL. */
  check(): void {
    const prcb = this.k.current;
    const nowNs = this.k.clock.nowNs;
    if (prcb.dpcRoutineActive) this.checkDpcTime(prcb, nowNs);
    if (prcb.cpu.irql >= DISPATCH_LEVEL) {
      // A raise that did not note its start (a path other than KeRaiseIrql or a DPC drain) starts counting here.
      if (prcb.dpcWatchdogStartNs < 0) prcb.dpcWatchdogStartNs = nowNs;
      this.checkDpcWatchdog(prcb, nowNs);
      return;
    }
    prcb.dpcWatchdogStartNs = -1;
    if (!prcb.dpcRoutineActive) this.checkSpin(nowNs);
  }

  private checkDpcTime(prcb: Prcb, nowNs: number): void {
    const count = ticksBetween(prcb.dpcRoutineStartNs, nowNs);
    if (this.DpcTimeLimit === 0 || count <= this.DpcTimeLimit) return;
    const k = this.k;
    k.bugCheck(DPC_WATCHDOG_VIOLATION, 0, count, this.DpcTimeLimit, KiDpcWatchdogGlobalTriageBlock(k.arch),
      `${this.runningDpc(prcb)} ran ${seconds(nowNs - prcb.dpcRoutineStartNs)} s of virtual time in one call at DISPATCH_LEVEL` +
      `${prcb.spinLockWait !== undefined ? ` (${prcb.spinLockWait})` : ''}: ` +
      `the DPC watchdog counted ${count} clock ticks against the single-DPC allotment of ${this.DpcTimeLimit} ` +
      `(${seconds(this.DpcTimeLimit * CLOCK_TICK_NS)} s). A DPC or timer routine must return quickly (the bug check page asks ` +
      'for 100 µs at most); long work belongs in a work item or a system thread.');
  }

  private checkDpcWatchdog(prcb: Prcb, nowNs: number): void {
    if (this.DpcWatchdogLimit === 0 || ticksBetween(prcb.dpcWatchdogStartNs, nowNs) <= this.DpcWatchdogLimit) return;
    const k = this.k;
    const frame = k.attribution.top();
    const cause = prcb.spinLockWait !== undefined
      ? prcb.spinLockWait
      : prcb.dpcRoutineActive
      ? `its DPC queue never emptied (${this.runningDpc(prcb)} was running; a DPC that queues itself from its own routine runs again at once, for ever)`
      : `${frame ? `${frame.driver}!${frame.routine}` : 'kernel code'} raised the IRQL to ${prcb.cpu.irql} and kept it there`;
    k.bugCheck(DPC_WATCHDOG_VIOLATION, 1, this.DpcWatchdogLimit, KiDpcWatchdogGlobalTriageBlock(k.arch), 0,
      `CPU ${prcb.number} stayed at DISPATCH_LEVEL or above for ${seconds(nowNs - prcb.dpcWatchdogStartNs)} s of virtual time ` +
      `without a break: ${cause}. The DPC watchdog period is ${this.DpcWatchdogLimit} clock ticks (${seconds(this.DpcWatchdogLimit * CLOCK_TICK_NS)} s).`);
  }

  /** The driver routine a DPC is in ("SharingMemory!TimerRoutine"), else the DPC's own owner. */
  private runningDpc(prcb: Prcb): string {
    const frame = this.k.attribution.top();
    return frame ? `${frame.driver}!${frame.routine}` : prcb.activeDpc?.owner ?? 'a DPC routine';
  }

  /**
   * Below DISPATCH_LEVEL, outside any DPC. A driver routine that has run
   * SPIN_LIMIT_NS since the outermost driver frame was entered (whatever
   * thread it runs on: a program's, in a dispatch routine; the System
   * worker's, in DriverEntry) gets the GuestMisuse; it unwinds the driver
   * (callDriverRoutine lets it through) to the thread's caller: the program,
   * whose process then ends, or the host's loadDriver. Otherwise a program
   * thread that has run SPIN_LIMIT_NS since its last system call (or since it
   * was last given the CPU) gets it through its own code. Either, caught and
   * spun on, meets it again at the next tick.
   */
  private checkSpin(nowNs: number): void {
    const k = this.k;
    const enteredNs = k.attribution.outermostEnteredNs();
    if (enteredNs >= 0) {
      if (nowNs - enteredNs < SPIN_LIMIT_NS) return;
      const frame = k.attribution.top()!;
      throw new GuestMisuse(`${frame.driver}!${frame.routine} ran ${seconds(nowNs - enteredNs)} s of virtual time at IRQL ${k.irql} ` +
        `without returning (on ${k.currentThread.label}): Windows has no watchdog below DISPATCH_LEVEL and would let it run for ever, ` +
        'but ntshm\'s single host thread can run nothing else meanwhile (a driver routine must return; wait on an event or a timer instead of polling)',
      STATUS_POSSIBLE_DEADLOCK);
    }
    const t = k.scheduler.running;
    if (!t || t.system || k.currentThread !== t || k.irql !== PASSIVE_LEVEL) return;
    const ranNs = nowNs - Math.max(t.lastSystemCallNs, t.quantumStartNs);
    if (ranNs < SPIN_LIMIT_NS) return;
    throw new GuestMisuse(`${t.label} ran ${seconds(ranNs)} s of virtual time without a system call: ` +
      'a program that spins on memory alone cannot be preempted in ntshm\'s single-threaded mode ' +
      '(use Sleep, Sleep(0) to yield, or a wait)', STATUS_POSSIBLE_DEADLOCK);
  }
}

const seconds = (ns: number): string => (ns / 1e9).toFixed(3);
