/**
 * KeBugCheckEx: the machine stops, and what it stopped on is kept. A broken
 * invariant of the emulator itself stops it too, as a failure of its own.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kebugcheckex
 */
import { bugCheckName } from '../../include/bugcodes.js';
import { MachineHalted } from '../../include/errors.js';
import type { BugCheckAttribution } from './attribution.js';

/** A stopped machine's record (the "blue screen"). */
export interface BugCheck {
  code: number;
  name: string;
  params: [number, number, number, number];
  /** Plain-language account of what happened, from ntshm's point of view. */
  explanation: string;
  /** Driver routines on the stack when the machine stopped, innermost first. */
  stack: string[];
}

/** Whether and why the machine stopped: the bug check, or the emulator's own failure; listeners learn of either. */
export class MachineStop {
  bugcheck: BugCheck | undefined;
  /** The first broken invariant of the emulator itself; `run` rethrows it, loudly. */
  failure: unknown;
  /** Called once when the machine stops (bug check or failure): the clock refuses, waiters are released. */
  readonly listeners: (() => void)[] = [];

  constructor(private readonly attribution: BugCheckAttribution) {}

  /**
   * KeBugCheckEx: stops the machine; never returns, throws MachineHalted to
   * unwind guest code. A second bug check while stopping keeps the first
   * record, as the machine would already be halted.
   */
  KeBugCheckEx(code: number, p1: number, p2: number, p3: number, p4: number, explanation: string): never {
    if (!this.bugcheck) {
      this.bugcheck = { code, name: bugCheckName(code), params: [p1, p2, p3, p4], explanation, stack: this.attribution.stack() };
      for (const l of this.listeners) l();
    }
    throw new MachineHalted(this.bugcheck.code);
  }

  /** Records a broken invariant of the emulator and stops the machine. */
  emulatorFailed(e: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    for (const l of this.listeners) l();
  }
}
