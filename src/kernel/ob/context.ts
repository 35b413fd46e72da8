/**
 * What the object manager (ob) is given when the kernel is built: the
 * memory manager's context, and — as interfaces it defines — the processes
 * whose handle tables it keeps and the System worker thread it defers
 * deletions to.
 */
import type { NtRoutine } from '../ke/nt-image.js';
import type { KThread } from '../ke/thread.js';
import type { MmContext, MmProcess } from '../mm/context.js';
import type { HandleTable } from './handle.js';
import type { ObjectManager } from './manager.js';
import type { KernelObject } from './object.js';

/** What ob needs of a process: its handle table (EPROCESS.ObjectTable), and that it is an object. */
export interface ObProcess extends MmProcess, KernelObject {
  readonly ObjectTable: HandleTable;
  /** The session the process runs in (EPROCESS.Session; 0 on an nt4 machine, and for the System process). */
  readonly SessionId: number;
}

/** The object manager's view of the machine. */
export interface ObContext extends MmContext {
  readonly currentThread: KThread & KernelObject & { readonly process: ObProcess; readonly apcProcess: ObProcess };
  readonly currentProcess: ObProcess;
  readonly systemProcess: ObProcess;
  readonly ob: ObjectManager;
  /** Every live process, for handle accounting. */
  readonly processes: readonly ObProcess[];
  /** Runs `body` in a System worker thread (ps), as deferred deletions must: the work item of `workerRoutine`. */
  runInSystemThread<T>(body: () => T, workerRoutine: NtRoutine): T;
}
