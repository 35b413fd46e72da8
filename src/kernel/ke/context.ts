/**
 * What the dispatcher layer (ke) is given when the kernel is built: the
 * hardware it runs on and the parts of ke itself. Each layer above extends
 * this with what it adds (mm/context.ts, ob/context.ts, ...), so that a
 * subsystem's code names only what it uses and never the Kernel that builds
 * it (kernel.ts, the composition root, implements every context).
 */
import type { Clock } from '../../hw/clock.js';
import type { Arch } from '../../hw/pte.js';
import type { SeededRandom } from '../../hw/random.js';
import type { BugCheckAttribution } from './attribution.js';
import type { BugCheck } from './bugcheck.js';
import type { Dispatcher } from './dispatcher.js';
import type { Finding, LogEvent } from './log.js';
import type { KernelOptions } from './options.js';
import type { Prcb } from './prcb.js';
import type { Scheduler } from './scheduler.js';
import type { KThread } from './thread.js';
import type { SystemWorkQueue } from './work-queue.js';
import type { KeWaits } from './wait.js';
import type { KeTrace } from './trace.js';

/** The dispatcher layer's view of the machine. */
export interface KeContext {
  readonly arch: Arch;
  readonly options: KernelOptions;
  readonly clock: Clock;
  readonly random: SeededRandom;
  /** Every CPU's KPRCB. */
  readonly prcbs: readonly Prcb[];
  /** The CPU whose code is executing now. */
  readonly current: Prcb;
  readonly currentThread: KThread;
  /** The executing CPU's IRQL. */
  readonly irql: number;
  /** Makes `prcb` the executing CPU and loads its thread's address space. */
  switchTo(prcb: Prcb): void;
  /** Charges virtual time for a guest operation and takes any interrupt now due. */
  charge(ns: number): void;
  /** The slow half of a memory access's charge: the deadline has come. */
  deadlineReached(): void;
  readonly bugcheck: BugCheck | undefined;
  readonly failure: unknown;
  /** KeBugCheckEx: stops the machine; never returns. */
  bugCheck(code: number, p1: number | bigint, p2: number | bigint, p3: number | bigint, p4: number | bigint, explanation: string): never;
  /** Records a broken invariant of the emulator and stops the machine. */
  emulatorFailed(e: unknown): void;
  /** The driver frames now on the stack. */
  readonly attribution: BugCheckAttribution;
  readonly ke: Dispatcher;
  readonly scheduler: Scheduler;
  /** Dispatcher objects and waits. */
  readonly waits: KeWaits;
  /** Work deferred from DISPATCH_LEVEL to a System worker thread. */
  readonly workQueue: SystemWorkQueue;
  /** A line of the machine's log. */
  emit(source: LogEvent['source'], process: string, text: string): void;
  /** A finding (a report that does not stop the machine). */
  report(finding: Finding): void;
  /** The trace recorder, or null when the machine records no trace (every hook tests this first). */
  readonly trace: KeTrace | null;
}
