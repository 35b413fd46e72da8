/**
 * The virtual clock: nanoseconds since boot, a plain number (exact up to
 * 2^53 ns, about 104 days). Time moves only when the machine says so:
 * guest operations charge their cost, and an idle machine jumps straight to
 * its next event, so idle time costs nothing.
 *
 * Memory accesses are the commonest operation and all cost the same, so
 * they are counted down instead of added up: `budget` is how many more
 * accesses fit before the deadline (the next interrupt), and an access only
 * decrements it. `nowNs` folds the accesses counted since the last change
 * back in when anyone reads it.
 */
export class Clock {
  /** Time at the last resynchronisation. */
  private baseNs = 0;
  /** `budget` at the last resynchronisation. */
  private budgetAtBase = 0;
  private deadline = Infinity;
  /**
   * `budget`'s cell, which guest memory decrements directly. An Int32Array
   * over a buffer of its own rather than a property: a property holds a
   * tagged small integer, so each access's decrement was a load, untag,
   * overflow check, retag and store; an element of a typed array whose data
   * never moves is a plain 32-bit load and store at a fixed address.
   */
  readonly accessesLeft = new Int32Array(new ArrayBuffer(4));

  constructor(readonly accessNs: number) {
    this.budget = BUDGET_CAP;
    this.budgetAtBase = this.budget;
  }

  /**
   * Memory accesses left before the deadline; the access that takes it below
   * zero has reached the deadline.
   */
  get budget(): number {
    return this.accessesLeft[0]!;
  }

  set budget(n: number) {
    this.accessesLeft[0] = n;
  }

  get nowNs(): number {
    return this.baseNs + (this.budgetAtBase - this.budget) * this.accessNs;
  }

  set nowNs(ns: number) {
    this.baseNs = ns;
    this.rebudget();
  }

  /**
   * When the interrupt controller next has something to deliver (a clock
   * tick, a DPC due on another CPU); -Infinity stops every access at once.
   */
  get deadlineNs(): number {
    return this.deadline;
  }

  set deadlineNs(ns: number) {
    this.baseNs = this.nowNs;
    this.deadline = ns;
    this.rebudget();
  }

  /** Folds the counted accesses into the time and recounts the budget. */
  resync(): void {
    this.baseNs = this.nowNs;
    this.rebudget();
  }

  advanceTo(ns: number): void {
    if (ns > this.nowNs) this.nowNs = ns;
  }

  advanceBy(ns: number): void {
    this.nowNs += ns;
  }

  private rebudget(): void {
    // After k more accesses the time is base + k × accessNs; the deadline is reached at the
    // first k with base + k × accessNs >= deadline, which must take the budget below zero.
    const left = Math.ceil((this.deadline - this.baseNs) / this.accessNs) - 1;
    this.budget = left < -1 ? -1 : left > BUDGET_CAP ? BUDGET_CAP : left;
    this.budgetAtBase = this.budget;
  }
}

/** The largest budget: far from the int32 range's ends, so that counting down never wraps. */
const BUDGET_CAP = 2 ** 30;
