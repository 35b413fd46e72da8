/**
 * EPROCESS: an address space (root table, VADs), a handle table, threads,
 * and the count of pages drivers hold locked in it.
 */
import { KProcess } from '../ke/thread.js';
import { HandleTable } from '../ob/handle.js';
import { ObjectHeader, type KernelObject, type ObjectType } from '../ob/object.js';
import { VadTree } from '../mm/vad.js';
import type { EThread } from './thread.js';

export const ProcessType: ObjectType = { name: 'Process', bodySize: { x64: 0x850, x86: 0x2c8 } };

/** STATUS_PENDING doubles as STILL_ACTIVE (259) while a process runs. */
export const STILL_ACTIVE = 0x103;

/** EPROCESS: the address space (root table, VadRoot), handle table (ObjectTable), threads, locked pages and exit status. */
export class EProcess extends KProcess implements KernelObject {
  readonly header = new ObjectHeader(ProcessType);
  address = 0;
  readonly ObjectTable: HandleTable;
  readonly VadRoot: VadTree;
  readonly threads: EThread[] = [];
  /** Frames of this process's own page tables (user half and the root). */
  readonly pageTableFrames: number[] = [];
  /** Pages locked by MmProbeAndLockPages and not yet unlocked. */
  NumberOfLockedPages = 0;
  ExitStatus = STILL_ACTIVE;
  terminating = false;
  exited = false;
  stdout = '';
  /** Who runs it: an administrator or a standard user (for the SCM and, later, tokens). */
  user: 'admin' | 'user' = 'admin';
  /** The session it runs in: 0 for the System process and services, 1 for the interactive user on a win10 machine. */
  SessionId = 0;
  /** The primary token (se/token.ts), made from `user` on first use; an object, as EPROCESS.Token refers to one. */
  Token: KernelObject | undefined;
  /** Win32 current directory, for GetFullPathName and relative CreateFile paths: the root of the volume C:. */
  currentDirectory = 'C:\\';
  /**
   * How a new thread of this process begins its user-mode code (RtlUserThreadStart, set by whoever loaded
   * the program): runs the routine at `startAddress` with `parameter` on `thread`, to its exit code.
   */
  startUserThread: ((thread: EThread, startAddress: number, parameter: number) => Promise<number>) | undefined;
  /** Resolves with the exit status when the process has gone. */
  readonly exitPromise: Promise<number>;
  resolveExit!: (status: number) => void;

  constructor(
    readonly UniqueProcessId: number,
    ImageFileName: string,
    DirectoryTableBase: number,
    kernelTable: boolean,
    sharedVads?: VadTree,
  ) {
    super(DirectoryTableBase, ImageFileName);
    this.ObjectTable = new HandleTable(kernelTable);
    this.VadRoot = sharedVads ?? new VadTree();
    this.exitPromise = new Promise((resolve) => (this.resolveExit = resolve));
  }
}
