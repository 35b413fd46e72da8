/**
 * KeBugCheckEx: the machine stops, and what it stopped on is kept. A broken
 * invariant of the emulator itself stops it too, as a failure of its own.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kebugcheckex
 */
import { bugCheckName } from '../../include/bugcodes.js';
import { MachineHalted } from '../../include/errors.js';
import { asUlong, asUlongPtr, orZero } from '../../include/c-types.js';
import type { BugCheckAttribution } from './attribution.js';

/** A stopped machine's record (the "blue screen"). */
export interface BugCheck {
  /** BugCheckCode, a ULONG. */
  code: number;
  name: string;
  /** The four ULONG_PTR parameters, at the machine's pointer width (x64 values as ntshm keeps them: include/c-types.ts). */
  params: [number, number, number, number];
  /** Plain-language account of what happened, from ntshm's point of view. */
  explanation: string;
  /** Driver routines on the stack when the machine stopped, innermost first. */
  stack: string[];
  /**
   * A parameter given as a bigint that a number cannot hold exactly (an x64
   * PTE with its NX bit, 0xBE's P2), by index: kd's hex of the report uses it.
   */
  exact?: (bigint | undefined)[];
}

/** Whether and why the machine stopped: the bug check, or the emulator's own failure; listeners learn of either. */
export class MachineStop {
  bugcheck: BugCheck | undefined;
  /** The first broken invariant of the emulator itself; `run` rethrows it, loudly. */
  failure: unknown;
  /** Called once when the machine stops (bug check or failure): the clock refuses, waiters are released. */
  readonly listeners: (() => void)[] = [];

  constructor(private readonly attribution: BugCheckAttribution, private readonly pointerSize: 4 | 8) {}

  /**
   * KeBugCheckEx: stops the machine; never returns, throws MachineHalted to
   * unwind guest code. A second bug check while stopping keeps the first
   * record, as the machine would already be halted. The code is a ULONG and
   * each parameter a ULONG_PTR, whatever a driver passed (NaN, 2 ** 70, -1,
   * 'x', a bigint): the record holds what those registers would, always numbers.
   */
  KeBugCheckEx(code: number, p1: number | bigint, p2: number | bigint, p3: number | bigint, p4: number | bigint, explanation: string): never {
    if (!this.bugcheck) {
      const ulong = orZero(asUlong, code);
      const param = (p: unknown): number => orZero((v) => asUlongPtr(this.pointerSize, v), p);
      const given: unknown[] = [p1, p2, p3, p4];
      const exact = given.map((p) => (typeof p === 'bigint' && this.pointerSize === 8 ? BigInt.asUintN(64, p) : undefined));
      this.bugcheck = {
        code: ulong, name: bugCheckName(ulong), params: [param(p1), param(p2), param(p3), param(p4)],
        explanation: String(explanation), stack: this.attribution.stack(),
        ...(exact.some((e) => e !== undefined && e > BigInt(Number.MAX_SAFE_INTEGER)) ? { exact } : {}),
      };
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
