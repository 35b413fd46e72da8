/**
 * The virtual clock: nanoseconds since boot, a plain number (exact up to
 * 2^53 ns, about 104 days). Time moves only when the machine says so:
 * guest operations charge their cost, and an idle machine jumps straight to
 * its next event, so idle time costs nothing.
 */
export class Clock {
  nowNs = 0;
  /**
   * When the interrupt controller next has something to deliver (a clock
   * tick, a DPC due on another CPU). Guest operations compare against it
   * after charging their time; the kernel keeps it up to date.
   */
  deadlineNs = Infinity;

  advanceTo(ns: number): void {
    if (ns > this.nowNs) this.nowNs = ns;
  }

  advanceBy(ns: number): void {
    this.nowNs += ns;
  }
}
