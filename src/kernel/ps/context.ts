/**
 * What the process manager (ps) is given when the kernel is built: the
 * object manager's context, with the processes and threads it owns in their
 * full types (EPROCESS, ETHREAD).
 */
import type { Prcb } from '../ke/prcb.js';
import type { ObContext } from '../ob/context.js';
import type { ProcessManager } from './manager.js';
import type { EProcess } from './process.js';
import type { EThread } from './thread.js';

/** The process manager's view of the machine. */
export interface PsContext extends ObContext {
  readonly prcbs: readonly Prcb<EThread>[];
  readonly current: Prcb<EThread>;
  readonly currentThread: EThread;
  readonly currentProcess: EProcess;
  readonly systemProcess: EProcess;
  readonly idleProcess: EProcess;
  readonly processes: readonly EProcess[];
  readonly ps: ProcessManager;
}
