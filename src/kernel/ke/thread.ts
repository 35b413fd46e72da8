import type { KApc } from './apc.js';
import type { UserApc } from './user-apc.js';

/**
 * KTHREAD and KPROCESS: the dispatcher's part of a thread and a process.
 * ETHREAD and EPROCESS (ps/) begin with them, as in NT, where a PETHREAD is
 * a PKTHREAD: here EThread extends KThread and EProcess extends KProcess.
 */

/** KPROCESS: what the dispatcher needs of a process: the root of its page tables (and its name, for messages). */
export class KProcess {
  constructor(
    /** Physical address of the root page table (the CR3 value). */
    public DirectoryTableBase: number,
    /** EPROCESS.ImageFileName, kept here so that the dispatcher's messages can name the process. */
    readonly ImageFileName: string,
  ) {}
}

/** KTHREAD: the process it belongs to and is attached to, PreviousMode, and its scheduling state. */
export class KThread {
  /** The process whose address space the thread is in now (ApcState.Process): its own, or one it attached to. */
  apcProcess: KProcess;
  /** Saved states of KeStackAttachProcess, innermost last. */
  readonly attachStack: KProcess[] = [];
  /** KernelMode for system threads; UserMode for a program's thread (the mode its system calls come from). */
  PreviousMode: number;
  /** What resumes the thread when the scheduler runs it. */
  continuation: (() => void) | undefined;
  /** When a sleeping thread is due (virtual ns); Infinity when it is not sleeping. */
  wakeNs = Infinity;
  /** Virtual time at which the thread was last given a CPU (the start of its quantum). */
  quantumStartNs = 0;
  /** Virtual time of the thread's last system call (its entry), for the memory-spin bound. */
  lastSystemCallNs = 0;
  terminated = false;
  /** The kernel address of the thread's object body (ETHREAD), what a KMUTANT's OwnerThread holds; 0 for none. */
  address = 0;
  /** The thread's wait in progress (ke/wait.ts), if it is waiting on dispatcher objects. */
  waitBlock: unknown = undefined;
  /** Called when the thread's wait times out at a clock tick, before it is readied: the wait ends unsatisfied. */
  onWaitTimeout: (() => void) | undefined = undefined;
  /**
   * Called by the scheduler as the thread takes a CPU (before its code goes on) and as it leaves it: a
   * System thread running a driver's routine puts the driver's frame back on the attribution stack and
   * takes it off again (io/system-thread.ts). Undefined for a program's thread.
   */
  onResume: (() => void) | undefined = undefined;
  onSuspend: (() => void) | undefined = undefined;
  /** Kernel APCs queued to the thread and not yet run (ke/apc.ts). */
  readonly apcQueue: KApc[] = [];
  /** User APCs queued to the thread and not yet run (ke/user-apc.ts). */
  readonly userApcQueue: UserApc[] = [];
  /** In an alertable user-mode wait: a user APC queued now ends it (STATUS_USER_APC). */
  alertableWait = false;
  /** How a wait that was ended from outside ended (STATUS_USER_APC), for a delay, which has no wait block. */
  unwaitStatus: number | undefined = undefined;

  constructor(
    /** The thread's own process (ApcState's home). */
    readonly process: KProcess,
    /** A system thread (KernelMode) or a program's thread. */
    readonly system: boolean,
    /** How messages name the thread ("client.exe main thread"). */
    readonly label: string,
  ) {
    this.apcProcess = process;
    this.PreviousMode = system ? 0 : 1;
  }
}
