/**
 * The PFN database: one record per physical frame, in typed arrays
 * (10 bytes a frame), with the free list threaded through `next`.
 *
 * Every frame handed out is paid for in commit (commit.ts): the kernel's
 * frames are charged here as they are taken and returned as they come back;
 * a private page was charged when it was committed, a user page table with
 * the memory it maps. A frame whose owner let it go while it stays mapped or
 * locked is charged here until it is really free.
 *
 * A frame that was never handed out holds "what was there before": junk from
 * the machine's seeded random source, written on first use, so that pool
 * memory is really uninitialised (ExAllocatePool does not zero) while boot
 * stays O(1) in memory size.
 */
import { PAGE_SIZE, type PhysicalMemory } from '../../hw/physical-memory.js';
import type { SeededRandom } from '../../hw/random.js';
import { EmulatorError } from '../../include/errors.js';
import { MmCommitment } from './commit.js';

/** What a frame is used for (MMPFN's PageLocation and use, merged). */
export const PfnUse = {
  Free: 0,
  PageTable: 1,
  NonPagedPool: 2,
  PagedPool: 3,
  Private: 4,
  SharedUserData: 5,
  MdlPages: 6,
  DriverImage: 7,
  Reserved: 8,
  /** A page of a section (a prototype PTE's frame): shared by every view of it (segment.ts). */
  Section: 9,
} as const;
/** One of the PfnUse values. */
export type PfnUseValue = (typeof PfnUse)[keyof typeof PfnUse];
/** The name of a PfnUse value ("NonPagedPool"), or "use N" for an unknown one. */
export const pfnUseName = (use: number): string => Object.keys(PfnUse).find((k) => PfnUse[k as keyof typeof PfnUse] === use) ?? `use ${use}`;

const FLAG_EVER_USED = 1;
/** Freed by its owner while still mapped or locked: goes to the free list when the last mapping or lock goes. */
const FLAG_FREE_PENDING = 2;
/** The frame's commit charge is held here (returned when the frame is freed). */
const FLAG_CHARGED = 4;
/** Freed while stray PTEs (a user mapping of freed pool) still map it: free, and still visible there. */
const FLAG_STRAY_MAPPED = 8;

/** The PFN database (MmPfnDatabase): each frame's use, share count and lock count, and the free list. */
export class PfnDatabase {
  readonly use: Uint8Array;
  readonly flags: Uint8Array;
  /** Valid PTEs that map the frame (MMPFN ShareCount). */
  readonly shareCount: Uint16Array;
  /** Locks held by MDLs (MmProbeAndLockPages); a locked frame may not be freed. */
  readonly lockCount: Uint16Array;
  private readonly next: Int32Array;
  private freeHead = -1;
  freeCount = 0;
  /** The system commit: limit and charge (every frame but frame 0 can back a commitment; no pagefile). */
  readonly commitment: MmCommitment;

  constructor(private readonly memory: PhysicalMemory, private readonly random: SeededRandom) {
    const n = memory.frameCount;
    this.use = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.shareCount = new Uint16Array(n);
    this.lockCount = new Uint16Array(n);
    this.next = new Int32Array(n);
    // Frame 0 is never handed out (NULL physical address); the rest are free,
    // lowest first so that runs are easy to read.
    this.use[0] = PfnUse.Reserved;
    for (let pfn = n - 1; pfn >= 1; pfn--) {
      this.next[pfn] = this.freeHead;
      this.freeHead = pfn;
    }
    this.freeCount = n - 1;
    this.commitment = new MmCommitment(n - 1);
  }

  get total(): number {
    return this.memory.frameCount;
  }

  /**
   * Takes a frame off the free list with whatever it holds (MiRemoveAnyPage);
   * -1 when none is left or its commit charge is refused. `charge`: whether
   * the frame is charged here (false when its charge was taken with a
   * commitment: private pages, user page tables).
   */
  removeAnyPage(use: PfnUseValue, charge = use !== PfnUse.Private): number {
    const pfn = this.take(use, charge);
    if (pfn < 0) return -1;
    if ((this.flags[pfn]! & FLAG_EVER_USED) === 0) {
      this.flags[pfn]! |= FLAG_EVER_USED;
      this.fillWithJunk(pfn);
    }
    return pfn;
  }

  /** Takes a frame and zeroes it (MiRemoveZeroPage): user pages and page tables. `charge` as for removeAnyPage. */
  removeZeroPage(use: PfnUseValue, charge = use !== PfnUse.Private): number {
    const pfn = this.take(use, charge);
    if (pfn < 0) return -1;
    this.flags[pfn]! |= FLAG_EVER_USED;
    this.memory.zeroFrame(pfn);
    return pfn;
  }

  private take(use: PfnUseValue, charge: boolean): number {
    const pfn = this.freeHead;
    if (pfn < 0) return -1;
    if (charge && !this.commitment.MiChargeCommitment(1, false)) return -1;
    this.freeHead = this.next[pfn]!;
    this.freeCount--;
    this.use[pfn] = use;
    this.flags[pfn]! &= ~FLAG_STRAY_MAPPED;
    if (charge) this.flags[pfn]! |= FLAG_CHARGED;
    return pfn;
  }

  /**
   * Takes one given free frame off the free list (MiUnlinkFreeOrZeroedPage),
   * with whatever it holds: false if it is not free. For callers that choose
   * frames by physical address (MmAllocatePagesForMdlEx's range, contiguous runs).
   */
  removeFreePage(pfn: number, use: PfnUseValue): boolean {
    if (this.use[pfn] !== PfnUse.Free || !this.commitment.MiChargeCommitment(1, false)) return false;
    let prev = -1;
    for (let p = this.freeHead; p >= 0 && p !== pfn; p = this.next[p]!) prev = p;
    if (prev < 0) this.freeHead = this.next[pfn]!;
    else this.next[prev] = this.next[pfn]!;
    this.freeCount--;
    this.use[pfn] = use;
    this.flags[pfn]! |= FLAG_CHARGED;
    if ((this.flags[pfn]! & FLAG_EVER_USED) === 0) {
      this.flags[pfn]! |= FLAG_EVER_USED;
      this.fillWithJunk(pfn);
    }
    return true;
  }

  /**
   * Leaves only `keep` frames free (the boot option lowMemoryPages): the rest
   * are held as Reserved, as if the rest of the system used them, so that an
   * allocation runs short. The highest frames go first.
   */
  holdAllBut(keep: number): void {
    const free: number[] = [];
    for (let p = this.freeHead; p >= 0; p = this.next[p]!) free.push(p);
    free.sort((a, b) => a - b);
    const kept = free.slice(0, keep);
    const held = free.slice(keep);
    for (const p of held) this.use[p] = PfnUse.Reserved;
    // Not charged: low memory is few free frames, not an exhausted commit limit (there is a pagefile's worth of it).
    this.freeHead = -1;
    for (let i = kept.length - 1; i >= 0; i--) {
      this.next[kept[i]!] = this.freeHead;
      this.freeHead = kept[i]!;
    }
    this.freeCount = kept.length;
  }

  /**
   * Returns a frame to the free list; its contents stay as they were, as on
   * Windows. A frame still mapped or locked elsewhere (a pool page freed while
   * a user mapping of it lives) waits until its last mapping or lock goes.
   * Returns false in that case.
   */
  freePage(pfn: number): boolean {
    if (this.use[pfn] === PfnUse.Free || this.use[pfn] === PfnUse.Reserved) throw new EmulatorError(`PFN ${pfn.toString(16)} freed twice`);
    if (this.shareCount[pfn] !== 0 || this.lockCount[pfn] !== 0) {
      // Its owner returns its own charge now; the frame stays in use, so it is charged here until it is free.
      if ((this.flags[pfn]! & FLAG_CHARGED) === 0) this.commitment.MiChargeCommitmentMustSucceed(1);
      this.flags[pfn]! |= FLAG_FREE_PENDING | FLAG_CHARGED;
      return false;
    }
    if (this.flags[pfn]! & FLAG_CHARGED) this.commitment.MiReturnCommitment(1);
    this.flags[pfn]! &= ~(FLAG_FREE_PENDING | FLAG_CHARGED);
    this.use[pfn] = PfnUse.Free;
    this.next[pfn] = this.freeHead;
    this.freeHead = pfn;
    this.freeCount++;
    return true;
  }

  /**
   * Returns a frame to the free list although stray PTEs still map it: a pool
   * page freed while a user mapping of it (MmMapLockedPagesSpecifyCache over
   * a MmBuildMdlForNonPagedPool MDL) lives. Windows' PFN counts no share for
   * that mapping, so the frame is free at once and the next allocation
   * reuses it, while the process keeps seeing whatever the frame holds. A
   * locked frame still waits for its last lock (freePage).
   */
  freePageLeavingMappings(pfn: number): boolean {
    if (this.lockCount[pfn] !== 0 || this.shareCount[pfn] === 0) return this.freePage(pfn);
    if (this.use[pfn] === PfnUse.Free || this.use[pfn] === PfnUse.Reserved) throw new EmulatorError(`PFN ${pfn.toString(16)} freed twice`);
    if (this.flags[pfn]! & FLAG_CHARGED) this.commitment.MiReturnCommitment(1);
    this.flags[pfn]! &= ~(FLAG_FREE_PENDING | FLAG_CHARGED);
    this.flags[pfn]! |= FLAG_STRAY_MAPPED;
    this.use[pfn] = PfnUse.Free;
    this.next[pfn] = this.freeHead;
    this.freeHead = pfn;
    this.freeCount++;
    return true;
  }

  /** Whether a free frame is still mapped by stray PTEs (freePageLeavingMappings): the one way a free frame may be mapped. */
  hasStrayMappings(pfn: number): boolean {
    return (this.flags[pfn]! & FLAG_STRAY_MAPPED) !== 0 && this.shareCount[pfn] !== 0;
  }

  /** Called when a mapping or lock goes: a frame whose owner already freed it is freed now. */
  releaseIfPending(pfn: number): void {
    if ((this.flags[pfn]! & FLAG_FREE_PENDING) && this.shareCount[pfn] === 0 && this.lockCount[pfn] === 0) this.freePage(pfn);
  }

  isFreePending(pfn: number): boolean {
    return (this.flags[pfn]! & FLAG_FREE_PENDING) !== 0;
  }

  /** Consistency check for tests: the free list and the use column agree. */
  check(): string[] {
    const problems: string[] = [];
    const seen = new Uint8Array(this.total);
    let count = 0;
    for (let pfn = this.freeHead; pfn >= 0; pfn = this.next[pfn]!) {
      if (seen[pfn]) { problems.push(`free list loops at ${pfn}`); break; }
      seen[pfn] = 1;
      count++;
      if (this.use[pfn] !== PfnUse.Free) problems.push(`PFN ${pfn} on the free list is in use (${pfnUseName(this.use[pfn]!)})`);
      if (this.shareCount[pfn] !== 0 && !this.hasStrayMappings(pfn)) problems.push(`free PFN ${pfn} is still mapped`);
    }
    if (count !== this.freeCount) problems.push(`free list has ${count} frames, count says ${this.freeCount}`);
    for (let pfn = 0; pfn < this.total; pfn++) {
      if (this.use[pfn] === PfnUse.Free && !seen[pfn]) problems.push(`PFN ${pfn} is free but not on the free list`);
    }
    return problems;
  }

  private fillWithJunk(pfn: number): void {
    const words = this.memory.u32;
    const start = (pfn * PAGE_SIZE) >>> 2;
    this.random.fill(words, start, PAGE_SIZE / 4);
  }
}
