/**
 * Segments: the pages a section object stands for, shared by every view of
 * it. A segment holds one prototype PTE per page; here a prototype PTE is the
 * frame of the page (-1 until the page is first touched), since a view's PTE
 * that faults finds the frame through it and maps that very frame, so every
 * view of a section maps the same frames (docs/fidelity.md, "Sections").
 *
 *   pagefile-backed, SEC_COMMIT  every page charged at creation; a page
 *                                touched first gets a zeroed frame
 *   pagefile-backed, SEC_RESERVE nothing charged; pages are committed in a
 *                                view (VirtualAlloc MEM_COMMIT), then as above
 *   file-backed                  a page touched first is read from the file;
 *                                modified pages are written back on a flush
 *                                and when the last view goes
 *   physical (\Device\PhysicalMemory)  page i is physical frame i, nothing
 *                                is allocated or freed
 *
 * A segment lives while a section object or a view refers to it; then its
 * frames and its charge go (a frame still locked by an MDL or mapped
 * elsewhere goes when that lock or mapping does, as every frame does).
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/section-objects-and-views
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { MmContext } from './context.js';
import type { MmFileBacking } from './file-backing.js';
import { PfnUse } from './pfn.js';

/** What a segment is backed by. */
export type SegmentKind = 'pagefile' | 'file' | 'physical';

/** SEGMENT and its CONTROL_AREA, reduced to what ntshm models. */
export class Segment {
  /** Prototype PTEs: the frame of each page, -1 until the page is first touched. */
  pages: Int32Array;
  /** SEC_RESERVE: whether each page is committed yet (null: every page is, from the start). */
  readonly committed: Uint8Array | null;
  /** Pages written through some view since they were last written back (file-backed). */
  dirty: Uint8Array;
  /** Section objects that refer to the segment (CONTROL_AREA.NumberOfSectionReferences). */
  sectionReferences = 0;
  /** Views mapped now, in any process or system space (CONTROL_AREA.NumberOfMappedViews). */
  mappedViews = 0;
  /** Pages charged to the system commit for this segment. */
  chargedPages = 0;
  /** The name of the section object that made it, for reports (`\BaseNamedObjects\X`, or `(unnamed section)`). */
  label = '(unnamed section)';
  deleted = false;

  constructor(readonly kind: SegmentKind, public sizeOfSegment: number, readonly backing: MmFileBacking | null, reserve: boolean) {
    const count = Math.ceil(sizeOfSegment / PAGE_SIZE);
    this.pages = new Int32Array(kind === 'physical' ? 0 : count).fill(-1);
    this.committed = reserve ? new Uint8Array(count) : null;
    this.dirty = new Uint8Array(kind === 'file' ? count : 0);
  }

  get pageCount(): number {
    return Math.ceil(this.sizeOfSegment / PAGE_SIZE);
  }

  /** A file's segment grows with its file (a larger section of it, NtExtendSection): new pages are not read yet. */
  grow(size: number): void {
    if (size <= this.sizeOfSegment) return;
    this.sizeOfSegment = size;
    const count = this.pageCount;
    if (count === this.pages.length) return;
    const pages = new Int32Array(count).fill(-1);
    pages.set(this.pages);
    this.pages = pages;
    const dirty = new Uint8Array(count);
    dirty.set(this.dirty);
    this.dirty = dirty;
  }

  isCommitted(index: number): boolean {
    return this.committed === null || this.committed[index] === 1;
  }
}

/** The segments of a machine: creation with its charge, each page's frame, write-back and deletion. */
export class SegmentManager {
  /** The segment each materialised frame belongs to (for !pfn and the report's shared-frames table). */
  private readonly byFrame = new Map<number, Segment>();
  private readonly live = new Set<Segment>();

  constructor(private readonly k: MmContext) {}

  /**
   * MiCreatePagingFileMap / MiCreateDataFileMap: a segment of `size` bytes.
   * A pagefile-backed SEC_COMMIT segment is charged whole now; undefined
   * when the charge is refused (STATUS_COMMITMENT_LIMIT).
   */
  create(kind: SegmentKind, size: number, backing: MmFileBacking | null, reserve: boolean, forProcess: boolean): Segment | undefined {
    const segment = new Segment(kind, size, backing, reserve);
    if (kind === 'pagefile' && !reserve) {
      if (!this.k.pfn.commitment.MiChargeCommitment(segment.pageCount, forProcess)) return undefined;
      segment.chargedPages = segment.pageCount;
    }
    if (backing) backing.dataSegment = segment;
    this.live.add(segment);
    return segment;
  }

  /**
   * Commits pages [first, last) of a SEC_RESERVE segment (VirtualAlloc
   * MEM_COMMIT in a view): charges the pages not committed yet; false when
   * the charge is refused.
   */
  commit(segment: Segment, first: number, last: number): boolean {
    const committed = segment.committed;
    if (!committed) return true;
    let pages = 0;
    for (let i = first; i < last; i++) if (committed[i] === 0) pages++;
    if (!this.k.pfn.commitment.MiChargeCommitment(pages, true)) return false;
    committed.fill(1, first, last);
    segment.chargedPages += pages;
    return true;
  }

  /**
   * The frame of page `index`, materialised on first use (the prototype PTE
   * made valid): zeroed for a pagefile-backed page, read from the file for a
   * file-backed one. -1 when no frame can be had (a file page beyond the
   * commit limit).
   */
  frameOf(segment: Segment, index: number): number {
    if (segment.kind === 'physical') return index;
    const existing = segment.pages[index]!;
    if (existing >= 0) return existing;
    let pfn: number;
    if (segment.kind === 'pagefile') {
      // Charged with the segment (or its commit): the frame is there.
      pfn = this.k.pfn.removeZeroPage(PfnUse.Section, false);
    } else {
      pfn = this.k.pfn.removeAnyPage(PfnUse.Section, true);
      if (pfn >= 0) this.readFilePage(segment, index, pfn);
    }
    if (pfn < 0) return -1;
    segment.pages[index] = pfn;
    this.byFrame.set(pfn, segment);
    return pfn;
  }

  /** The segment a frame belongs to, if it is a section's page. */
  segmentOfFrame(pfn: number): Segment | undefined {
    return this.byFrame.get(pfn);
  }

  /** Live segments (for reports and invariants). */
  get segments(): ReadonlySet<Segment> {
    return this.live;
  }

  private readFilePage(segment: Segment, index: number, pfn: number): void {
    const bytes = this.k.memory.u8.subarray(pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE);
    bytes.fill(0);
    segment.backing!.readPage(index * PAGE_SIZE, bytes);
  }

  /**
   * Writes the dirty pages of [first, last) back to the file (never past its
   * end) and makes them durable: MmFlushSection. Nothing to do for a
   * pagefile-backed segment.
   */
  writeBack(segment: Segment, first = 0, last = segment.pageCount): void {
    const backing = segment.backing;
    if (!backing) return;
    const end = backing.endOfFile;
    for (let i = first; i < last; i++) {
      if (segment.dirty[i] !== 1) continue;
      segment.dirty[i] = 0;
      const pfn = segment.pages[i]!;
      const offset = i * PAGE_SIZE;
      if (pfn < 0 || offset >= end) continue;
      const length = Math.min(PAGE_SIZE, end - offset);
      backing.writePage(offset, this.k.memory.u8.slice(pfn * PAGE_SIZE, pfn * PAGE_SIZE + length));
    }
    backing.flush();
  }

  /** Deletes the segment once nothing refers to it: its frames and its charge go. */
  deleteIfUnused(segment: Segment): void {
    if (segment.deleted || segment.sectionReferences > 0 || segment.mappedViews > 0) return;
    segment.deleted = true;
    this.writeBack(segment);
    for (let i = 0; i < segment.pages.length; i++) {
      const pfn = segment.pages[i]!;
      if (pfn < 0) continue;
      segment.pages[i] = -1;
      this.byFrame.delete(pfn);
      this.k.pfn.freePage(pfn);
    }
    this.k.pfn.commitment.MiReturnCommitment(segment.chargedPages);
    segment.chargedPages = 0;
    if (segment.backing && segment.backing.dataSegment === segment) segment.backing.dataSegment = undefined;
    this.live.delete(segment);
  }
}
