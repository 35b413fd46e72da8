/**
 * What the memory manager (mm) is given when the kernel is built: the
 * dispatcher layer, the physical memory and its own parts, and — from the
 * layers above, as interfaces it defines — the processes it maps into and
 * the verifier's watch on kernel writes to user-visible pages.
 */
import type { UninitializedBytes } from './taint.js';
import type { PhysicalMemory } from '../../hw/physical-memory.js';
import type { PagingFormat } from '../../hw/pte.js';
import type { KeContext } from '../ke/context.js';
import type { WrittenBytes } from './write-watch.js';
import type { KProcess, KThread } from '../ke/thread.js';
import type { GuestMemory } from './access.js';
import type { AddressLayout } from './layout.js';
import type { MdlManager } from './mdl.js';
import type { PageTables } from './page-tables.js';
import type { PfnDatabase } from './pfn.js';
import type { Pool } from './pool.js';
import type { SharedUserData } from './shared-user-data.js';
import type { SystemPtes } from './syspte.js';
import type { VadTree } from './vad.js';
import type { VirtualMemory } from './virtual.js';
import type { SegmentManager } from './segment.js';
import type { SectionViews } from './view.js';
import type { WorkingSets } from './working-set.js';

/** What mm needs of a process (EPROCESS's memory-management part: its VADs, page-table frames, locked pages). */
export interface MmProcess extends KProcess {
  readonly UniqueProcessId: number;
  readonly ImageFileName: string;
  /** Kernel address of the process object (bug-check parameters). */
  address: number;
  readonly VadRoot: VadTree;
  /** Frames of this process's own page tables (user half and the root). */
  readonly pageTableFrames: number[];
  /** Pages locked by MmProbeAndLockPages and not yet unlocked. */
  NumberOfLockedPages: number;
  readonly terminating: boolean;
  readonly exited: boolean;
}

/** The verifier's watch on memory (verifier/torn-read.ts), as guest-memory access reports to it. */
export interface MemoryWatch {
  /** Whether user reads are being watched now (a kernel write to a user-visible page is recent). */
  readonly armed: boolean;
  /** Whether kernel writes to this physical address must be reported (the page is mapped for user mode too). */
  watches(pa: number): boolean;
  kernelWrite(pa: number, length: number): void;
  userRead32(pa: number, va: number): void;
}

/** The verifier's double-fetch check (verifier/double-fetch.ts): kernel reads of frames a user mapping can write. */
export interface KernelReadWatch {
  /** Whether kernel reads at this physical address must be reported (and its page never cached for reading). */
  watches(pa: number): boolean;
  kernelRead(pa: number, va: number, length: number): void;
}

/** The memory manager's view of the machine. */
export interface MmContext extends KeContext {
  readonly currentThread: KThread & { readonly process: MmProcess; readonly apcProcess: MmProcess };
  readonly memory: PhysicalMemory;
  readonly format: PagingFormat;
  readonly layout: AddressLayout;
  readonly pfn: PfnDatabase;
  readonly pageTables: PageTables;
  /** The System process's root page table (kernel space is the same in every process). */
  readonly systemRoot: number;
  readonly pool: Pool;
  readonly systemPtes: SystemPtes;
  readonly sharedUserData: SharedUserData;
  readonly vm: VirtualMemory;
  readonly mdl: MdlManager;
  /** Sections' segments and their frames (segment.ts). */
  readonly segments: SegmentManager;
  /** Trimming, the pagefile, and the faults on trimmed pages (working-set.ts). */
  readonly workingSets: WorkingSets;
  /** Every process, live or exiting (the trimmer visits their working sets). */
  readonly processes: readonly MmProcess[];
  /** Views of sections in user and system space (view.ts). */
  readonly views: SectionViews;
  /** Memory as kernel-mode code sees it (through the current CPU's MMU). */
  readonly kernelMemory: GuestMemory;
  /** Memory as user-mode code sees it. */
  readonly userMemory: GuestMemory;
  /** The process whose address space the current CPU is in (attached or own). */
  readonly currentProcess: MmProcess;
  readonly systemProcess: MmProcess;
  readonly idleProcess: MmProcess;
  /** The live process whose page tables have this root, if any. */
  processByRoot(root: number): MmProcess | undefined;
  readonly writeWatch: MemoryWatch & {
    track(va: number, length: number): WrittenBytes;
    untrack(t: WrittenBytes): void;
    /** A kernel copy of `length` bytes (one page each side) from physical `from` to `to`, at virtual `toVa`. */
    kernelCopy(to: number, from: number, length: number, toVa: number): void;
  };
  /** Uninitialized kernel memory, per byte (taint.ts). */
  readonly uninitialized: UninitializedBytes;
  /** The double-fetch check, with the verifier on; null otherwise (kernel reads then cost nothing extra). */
  readonly readWatch: KernelReadWatch | null;
  formatAddress(va: number): string;
  /** A program thread's own view of user memory (it may touch memory only while it holds a CPU). */
  userMemoryOf(thread: KThread): GuestMemory;
  /** Drops a dead thread's view. */
  releaseUserMemory(thread: KThread): void;
  /** Drops every guest-memory page cache (a translation may have changed). */
  forgetTranslations(): void;
}
