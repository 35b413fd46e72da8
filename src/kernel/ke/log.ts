/**
 * The machine's log (DbgPrint lines and programs' console output, in
 * virtual-time order) and its findings (ntshm's reports that do not stop the
 * machine).
 */
import type { Clock } from '../../hw/clock.js';

/**
 * A line of the machine's log: DbgPrint output or a program's console output.
 * `cpu`, `irql` and `thread` say where it was written, read from the
 * processor that wrote it at that moment: a DbgPrint in an I/O timer routine
 * shows the CPU that took the clock interrupt, IRQL 2, and whatever thread
 * that CPU was running. The kernel always fills them; they are optional so
 * that a log made elsewhere (a recorded run) need not have them.
 */
export interface LogEvent {
  /** Virtual milliseconds since boot. */
  t: number;
  source: 'dbgprint' | 'stdout' | 'verifier';
  /** The image name of the process whose context the line was written in ("client.exe", "System"). */
  process: string;
  text: string;
  /** The processor's number (KPRCB Number, KeGetCurrentProcessorNumber), from 0. */
  cpu?: number;
  /** Its IRQL (KeGetCurrentIrql): 0 PASSIVE_LEVEL, 1 APC_LEVEL, 2 DISPATCH_LEVEL. */
  irql?: number;
  /** The thread it was running: its thread ID (ETHREAD Cid.UniqueThread, PsGetCurrentThreadId); 0 for an idle thread. */
  thread?: number;
}

/** Where a log line was written: the processor, its IRQL and its thread (see LogEvent). */
export type LogOrigin = Required<Pick<LogEvent, 'cpu' | 'irql' | 'thread'>>;

/** A report from ntshm's checks that does not stop the machine. */
export interface Finding {
  kind: string;
  /** The driver whose routine was running (its service name, "SharingMemory"). */
  driver?: string;
  /** That routine, named as bug-check stacks name it: "DispatchControl", or the slot of an unnamed one ("IRP_MJ_CREATE"). */
  routine?: string;
  /** One plain sentence; statuses as "STATUS_SUCCESS (0x00000000)", major functions as "IRP_MJ_CLOSE". */
  message: string;
  /** The values behind the message; a status as a number (`status`) and its name (`statusName`). */
  details: object;
}

/** The log and the findings of one machine, with listeners for front ends that stream the log. */
export class KernelLog {
  readonly events: LogEvent[] = [];
  readonly findings: Finding[] = [];
  /** Observers of the log, for front ends that stream it. */
  readonly listeners: ((e: LogEvent) => void)[] = [];

  constructor(
    private readonly clock: Clock,
    /** Where the machine is now: the current processor, its IRQL and thread, read for every line. */
    private readonly origin: () => LogOrigin,
  ) {}

  emit(source: LogEvent['source'], process: string, text: string): void {
    const e: LogEvent = { t: Math.floor(this.clock.nowNs / 1e6), source, process, text, ...this.origin() };
    this.events.push(e);
    for (const l of this.listeners) l(e);
  }

  report(finding: Finding): void {
    this.findings.push(finding);
  }
}
