/**
 * ETHREAD/KTHREAD, reduced to what the scheduler and attachment need.
 */
import { KernelObject, type ObjectType } from '../ob/object.js';
import type { EProcess } from './process.js';
import type { GuestMemory } from '../mm/access.js';

export const ThreadType: ObjectType = { name: 'Thread', bodySize: { x64: 0x898, x86: 0x3d0 } };

/** ETHREAD/KTHREAD: the thread's CID, the process it is attached to, its PreviousMode, and its scheduling state. */
export class KThread extends KernelObject {
  /** CLIENT_ID.UniqueThread. */
  readonly Cid: number;
  /** The process whose address space the thread is in now (ApcState.Process): its own, or one it attached to. */
  apcProcess: EProcess;
  /** Saved states of KeStackAttachProcess, innermost last. */
  readonly attachStack: EProcess[] = [];
  /** KernelMode for system threads; UserMode for a program's thread (the mode its system calls come from). */
  PreviousMode: number;
  /** What resumes the thread when the scheduler runs it. */
  continuation: (() => void) | undefined;
  wakeNs = Infinity;
  /** The program's view of user memory (Kernel.userMemoryOf), for program threads. */
  userView: GuestMemory | undefined;
  terminated = false;

  constructor(readonly process: EProcess, cid: number, readonly system: boolean, readonly label: string) {
    super(ThreadType);
    this.Cid = cid;
    this.apcProcess = process;
    this.PreviousMode = system ? 0 : 1;
  }
}
