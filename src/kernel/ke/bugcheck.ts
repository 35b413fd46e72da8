/**
 * KeBugCheckEx: the machine stops, and what it stopped on is kept.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kebugcheckex
 */
import { bugCheckName } from '../../include/bugcodes.js';
import { MachineHalted } from './exception.js';

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

/** Where KeBugCheckEx reports (the Kernel): the driver stack, the stop record, and whether the machine already stopped. */
export interface BugCheckSink {
  /** The driver routines now on the stack, innermost first. */
  driverStack(): string[];
  onBugCheck(record: BugCheck): void;
  readonly bugcheck: BugCheck | undefined;
}

/**
 * Stops the machine. Never returns: throws MachineHalted to unwind guest code.
 * A second bug check while stopping keeps the first record, as the machine
 * would already be halted.
 */
export function KeBugCheckEx(
  sink: BugCheckSink, code: number, p1: number, p2: number, p3: number, p4: number, explanation: string,
): never {
  if (!sink.bugcheck) {
    sink.onBugCheck({
      code, name: bugCheckName(code), params: [p1, p2, p3, p4], explanation, stack: sink.driverStack(),
    });
  }
  throw new MachineHalted(sink.bugcheck?.code ?? code);
}
