/**
 * ETHREAD: a KTHREAD (ke/thread.ts) with the executive's part — its client
 * ID and its object header — reduced to what ntshm models.
 */
import { KThread } from '../ke/thread.js';
import { ObjectHeader, type KernelObject, type ObjectType } from '../ob/object.js';
import type { EProcess } from './process.js';

export const ThreadType: ObjectType = { name: 'Thread', bodySize: { x64: 0x898, x86: 0x3d0 } };

/** ETHREAD: KTHREAD plus its CID (CLIENT_ID.UniqueThread), as an object of type Thread. */
export class EThread extends KThread implements KernelObject {
  readonly header = new ObjectHeader(ThreadType);
  declare readonly process: EProcess;
  declare apcProcess: EProcess;
  declare readonly attachStack: EProcess[];
  /** The thread's TEB in its process (0 for a system thread). */
  Teb = 0;
  /** The user stack's base (highest address, exclusive) and committed limit (0 for a system thread). */
  StackBase = 0;
  StackLimit = 0;
  /** The thread has begun to exit (PspExitThread) and waits for its I/O to finish: it never runs its own code again. */
  exiting = false;
  /** ETHREAD.ExitStatus: STATUS_PENDING (STILL_ACTIVE) while it runs, then the code it ended with. */
  ExitStatus = 0x103;

  constructor(process: EProcess, readonly Cid: number, system: boolean, label: string) {
    super(process, system, label);
  }
}
