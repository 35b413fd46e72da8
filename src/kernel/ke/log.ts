/**
 * The machine's log (DbgPrint lines and programs' console output, in
 * virtual-time order) and its findings (ntshm's reports that do not stop the
 * machine).
 */
import type { Clock } from '../../hw/clock.js';

/** A line of the machine's log: DbgPrint output or a program's console output. */
export interface LogEvent {
  /** Virtual milliseconds since boot. */
  t: number;
  source: 'dbgprint' | 'stdout';
  process: string;
  text: string;
}

/** A report from ntshm's checks that does not stop the machine. */
export interface Finding {
  kind: string;
  driver?: string;
  routine?: string;
  message: string;
  details: object;
}

/** The log and the findings of one machine, with listeners for front ends that stream the log. */
export class KernelLog {
  readonly events: LogEvent[] = [];
  readonly findings: Finding[] = [];
  /** Observers of the log, for front ends that stream it. */
  readonly listeners: ((e: LogEvent) => void)[] = [];

  constructor(private readonly clock: Clock) {}

  emit(source: LogEvent['source'], process: string, text: string): void {
    const e: LogEvent = { t: Math.floor(this.clock.nowNs / 1e6), source, process, text };
    this.events.push(e);
    for (const l of this.listeners) l(e);
  }

  report(finding: Finding): void {
    this.findings.push(finding);
  }
}
