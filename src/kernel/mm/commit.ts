/**
 * Commit charge: every page that may one day need a frame is charged against
 * the commit limit when it is promised, not when it is touched, so that a
 * promise can always be kept (Windows Internals, 6th ed., part 2, ch. 10,
 * "Commit Charge and the System Commit Limit").
 *
 *   MmTotalCommitLimit     = usable frames + pagefile pages (no pagefile: the frames)
 *   MmTotalCommittedPages  = private committed pages of every process
 *                          + the page tables those pages will need (charged with them)
 *                          + every frame the kernel holds: pool, page tables,
 *                            driver images, the shared user data page (charged by
 *                            the PFN database as it hands them out)
 *
 * Since everything that holds a frame is charged, and the charges never pass
 * the limit, a committed page that is touched always finds a free frame: a
 * demand-zero fault on committed memory cannot fail. Programs may not charge
 * the last MmSystemCommitReserve pages: those are the kernel's, so a program
 * that commits all it can still leaves nonpaged pool room to grow.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntallocatevirtualmemory
 */
import type { PagingFormat } from '../../hw/pte.js';

/** ReactOS's MmSystemCommitReserve (ntoskrnl/mm/ARM3/commitment.c): 0x500 pages, 5 MiB. */
const SYSTEM_COMMIT_RESERVE = 0x500;

/** The system commit: its limit, its charge and the reserve programs may not take. */
export class MmCommitment {
  /** MmTotalCommitLimit, in pages. */
  readonly limit: number;
  /** MmSystemCommitReserve: the last pages of the limit, which only the kernel may charge. */
  readonly systemReserve: number;
  /** MmTotalCommittedPages. */
  total = 0;
  /** MmPeakCommitment. */
  peak = 0;
  /** Per address space (by root), the page tables already charged: see MiChargePageTables. */
  private readonly tables = new Map<number, Set<number>>();

  /**
   * `usableFrames`: the physical frames the PFN database can hand out.
   * `pagefilePages`: ntshm has no pagefile, so 0 (docs/fidelity.md).
   */
  constructor(usableFrames: number, pagefilePages = 0) {
    this.limit = usableFrames + pagefilePages;
    // A small machine keeps an eighth of its memory instead of 5 MiB.
    this.systemReserve = Math.min(SYSTEM_COMMIT_RESERVE, Math.floor(usableFrames / 8));
  }

  /** Pages a process may still charge. */
  get availableToProcesses(): number {
    return Math.max(0, this.limit - this.systemReserve - this.total);
  }

  /**
   * MiChargeCommitment: false when `pages` would pass the limit (for a
   * process's charge, the limit less the system's reserve).
   */
  MiChargeCommitment(pages: number, forProcess: boolean): boolean {
    const ceiling = forProcess ? this.limit - this.systemReserve : this.limit;
    if (!(pages >= 0) || this.total + pages > ceiling) return false;
    this.total += pages;
    if (this.total > this.peak) this.peak = this.total;
    return true;
  }

  /** A charge that must be taken even past the limit (a frame that stays in use after its owner let it go). */
  MiChargeCommitmentMustSucceed(pages: number): void {
    this.total += pages;
    if (this.total > this.peak) this.peak = this.total;
  }

  /** MiReturnCommitment. */
  MiReturnCommitment(pages: number): void {
    this.total -= pages;
  }

  /**
   * The page tables (every level below the root) that [start, end) of the
   * address space `root` will need and that are not charged yet: Windows
   * charges "space for page tables that are not yet actually allocated"
   * with the committed memory they will map (Windows Internals, ibid.).
   * Returns their keys; MiCommitPageTables records them once charged.
   */
  MiPageTablesToCharge(root: number, format: PagingFormat, start: number, end: number): number[] {
    const charged = this.tables.get(root);
    const keys: number[] = [];
    for (let level = 1; level < format.levels; level++) {
      const span = tableSpan(format, level);
      const last = Math.floor((end - 1) / span);
      for (let i = Math.floor(start / span); i <= last; i++) {
        const key = level * 2 ** 28 + i;
        if (!charged?.has(key)) keys.push(key);
      }
    }
    return keys;
  }

  /** Records page tables whose charge was taken (with the pages they map). */
  MiCommitPageTables(root: number, keys: readonly number[]): void {
    let charged = this.tables.get(root);
    if (!charged) this.tables.set(root, (charged = new Set()));
    for (const key of keys) charged.add(key);
  }

  /**
   * A user page table is about to be made: it costs nothing if it was
   * charged with committed memory; otherwise (a locked-pages mapping, the
   * shared user data page) it is charged now, as the kernel's. False when
   * the charge is refused.
   */
  MiChargePageTable(root: number, format: PagingFormat, level: number, va: number): boolean {
    const key = level * 2 ** 28 + Math.floor(va / tableSpan(format, level));
    if (this.tables.get(root)?.has(key)) return true;
    if (!this.MiChargeCommitment(1, false)) return false;
    this.MiCommitPageTables(root, [key]);
    return true;
  }

  /** The user page tables of an address space are gone: their charge returns. */
  MiReturnPageTables(root: number): void {
    const charged = this.tables.get(root);
    if (!charged) return;
    this.MiReturnCommitment(charged.size);
    this.tables.delete(root);
  }
}

/** Bytes of address space one table at `level` (0 = the root) maps. */
function tableSpan(format: PagingFormat, level: number): number {
  const bitsPerLevel = format.arch === 'x64' ? 9 : 10;
  return 2 ** (12 + bitsPerLevel * (format.levels - level));
}
