/**
 * Views of a section: mapping a range of a segment into a process's user
 * space (MiMapViewOfDataSection) or into system space
 * (MmMapViewInSystemSpace), the faults that bring a view's pages in, and
 * unmapping. A view's PTEs map the segment's own frames, so two views of one
 * section are one set of frames at two addresses.
 *
 *   a view page touched first   its PTE is made from the segment's prototype
 *                               (the frame, made on first use: segment.ts)
 *   a write to a write-copy page  the page is copied into a private frame of
 *                               the process, and only that copy is written
 *   unmapping                   PTEs erased; Dirty bits go to the segment,
 *                               which the last view of a file writes back
 *
 * System-space views and views of physical memory are mapped whole when
 * made (docs/fidelity.md, "Sections").
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwmapviewofsection
 */
import { MiTraceMapping } from './trace-mm.js';
import { MiReportViewLeak } from './leak-report.js';
import {
  MEM_TOP_DOWN, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_NOACCESS,
  PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
} from '../../include/memory-constants.js';
import {
  STATUS_COMMITMENT_LIMIT, STATUS_CONFLICTING_ADDRESSES, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER_3, STATUS_INVALID_VIEW_SIZE,
  STATUS_NO_MEMORY, STATUS_NOT_MAPPED_VIEW, STATUS_PROCESS_IS_TERMINATING, STATUS_SECTION_PROTECTION, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { ACCESS_WRITE } from '../../hw/mmu.js';
import type { MmContext, MmProcess } from './context.js';
import { PAGE_ALIGN } from './layout.js';
import type { PteAttributes } from './page-tables.js';
import { PfnUse } from './pfn.js';
import { attributesFor, permits } from './protection.js';
import type { Segment } from './segment.js';
import { newVad, type MappedView, type Vad } from './vad.js';
import { MiAllowsWriteCopy, MiViewPageProtection } from './view-protect.js';

/** X64K: a data view starts on the allocation granularity, in the section and in the address space. */
const X64K = 0x10000;

/**
 * The view protections each section protection allows
 * (MmCompatibleProtectionMask): write access needs a writable section,
 * execute an executable one; write-copy only needs a readable one.
 */
const COMPATIBLE: Readonly<Record<number, number>> = {
  [PAGE_NOACCESS]: PAGE_NOACCESS,
  [PAGE_READONLY]: PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY,
  [PAGE_READWRITE]: PAGE_NOACCESS | PAGE_READONLY | PAGE_READWRITE | PAGE_WRITECOPY,
  [PAGE_WRITECOPY]: PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY,
  [PAGE_EXECUTE]: PAGE_NOACCESS | PAGE_EXECUTE,
  [PAGE_EXECUTE_READ]: PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY | PAGE_EXECUTE | PAGE_EXECUTE_READ,
  [PAGE_EXECUTE_READWRITE]: 0xff,
  [PAGE_EXECUTE_WRITECOPY]: PAGE_NOACCESS | PAGE_READONLY | PAGE_WRITECOPY | PAGE_EXECUTE | PAGE_EXECUTE_READ | PAGE_EXECUTE_WRITECOPY,
};

/** MiIsProtectionCompatible: whether a view with `viewProtect` may be mapped of a section created with `sectionProtect`. */
export function MiIsProtectionCompatible(sectionProtect: number, viewProtect: number): boolean {
  return ((COMPATIBLE[sectionProtect & 0xff] ?? 0) & (viewProtect & 0xff)) === (viewProtect & 0xff);
}

/** What a caller asks of a view (the captured in-parameters of NtMapViewOfSection). */
export interface MapViewRequest {
  baseAddress: number;
  viewSize: number;
  sectionOffset: number;
  zeroBits: number;
  allocationType: number;
  protect: number;
}

/** What a view came to: its base, size and offset as written back to the caller. */
export interface MapViewResult {
  status: number;
  baseAddress: number;
  viewSize: number;
  sectionOffset: number;
}

/** A view in system space (MmMapViewInSystemSpace). */
interface SystemView {
  readonly segment: Segment;
  readonly pages: number;
}

/** Views of sections in user and system space, and the faults of their pages. */
export class SectionViews {
  private readonly systemViews = new Map<number, SystemView>();

  constructor(private readonly k: MmContext) {}

  /**
   * MiMapViewOfDataSection: maps `request` of `segment` (made with
   * `sectionProtect`) into `process`. The caller has checked the arguments
   * Nt-level (ZeroBits, inherit, allocation type, protection, base range).
   */
  MiMapViewOfDataSection(process: MmProcess, segment: Segment, sectionProtect: number, noCache: boolean, r: MapViewRequest): MapViewResult {
    const fail = (status: number): MapViewResult => ({ status, baseAddress: r.baseAddress, viewSize: r.viewSize, sectionOffset: r.sectionOffset });
    const l = this.k.layout;
    if (process.exited) return fail(STATUS_PROCESS_IS_TERMINATING);
    if (!MiIsProtectionCompatible(sectionProtect, r.protect)) return fail(STATUS_SECTION_PROTECTION);
    // The offset goes down to the allocation granularity; the view grows by what it lost.
    const offset = Math.floor(r.sectionOffset / X64K) * X64K;
    let size = r.viewSize === 0 ? 0 : r.viewSize + (r.sectionOffset - offset);
    const sectionBytes = segment.pageCount * PAGE_SIZE;
    if (size === 0) {
      if (offset >= segment.sizeOfSegment) return fail(STATUS_INVALID_VIEW_SIZE);
      size = segment.sizeOfSegment - offset;
    } else if (offset + size > sectionBytes) {
      return fail(STATUS_INVALID_VIEW_SIZE);
    }
    size = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    const highest = Math.min(l.highestUserAddress, r.zeroBits === 0 ? Infinity : (l.pointerSize === 8 ? 2 ** 64 : 2 ** 32) / 2 ** r.zeroBits - 1);
    let start: number;
    if (r.baseAddress !== 0) {
      start = Math.floor(r.baseAddress / X64K) * X64K;
      if (start < l.lowestUserAddress || start + size - 1 > highest) return fail(STATUS_INVALID_PARAMETER_3);
      if (!process.VadRoot.isFree(start, start + size)) return fail(STATUS_CONFLICTING_ADDRESSES);
    } else {
      start = (r.allocationType & MEM_TOP_DOWN) !== 0
        ? process.VadRoot.findFreeTopDown(size, X64K, l.lowestUserAddress, highest)
        : process.VadRoot.findFree(size, X64K, l.lowestUserAddress, highest);
      if (start < 0) return fail(STATUS_NO_MEMORY);
    }
    // The page tables the view will need are charged now, so that its faults find them.
    if (!this.k.vm.MiChargeCommitment(process, start, start + size, 0)) return fail(STATUS_COMMITMENT_LIMIT);
    const writeCopy = (r.protect & 0xff) === PAGE_WRITECOPY || (r.protect & 0xff) === PAGE_EXECUTE_WRITECOPY;
    const view: MappedView = { segment, firstPage: offset / PAGE_SIZE, protection: r.protect, writeCopy, noCache, sectionProtection: sectionProtect };
    const vad = newVad(start, start + size, 'mapped', r.protect, r.protect);
    vad.view = view;
    process.VadRoot.insert(vad);
    segment.mappedViews++;
    if (segment.kind === 'physical') {
      // A view of physical memory maps its frames at once (MiMapViewOfPhysicalSection).
      const attributes = attributesFor(r.protect, true);
      for (let i = 0; attributes && i < size / PAGE_SIZE; i++) {
        this.k.pageTables.MiWriteValidPte(process.DirectoryTableBase, start + i * PAGE_SIZE, view.firstPage + i, { ...attributes, noCache },
          process.pageTableFrames);
      }
    }
    if (this.k.trace) MiTraceMapping(this.k, true, 'view', start, size / PAGE_SIZE, process);
    // Frames the view shows at once (a physical section's; section pages a kernel view filled) may hold never-written kernel bytes.
    if (this.k.uninitialized.any) MiReportViewLeak(this.k, segment.kind === 'physical'
      ? Int32Array.from({ length: size / PAGE_SIZE }, (_, i) => view.firstPage + i)
      : segment.pages.subarray(view.firstPage, view.firstPage + size / PAGE_SIZE), start, process);
    return { status: STATUS_SUCCESS, baseAddress: start, viewSize: size, sectionOffset: offset };
  }

  /**
   * A fault on a view's page (`present`: its PTE is valid and the access was
   * refused by its protection). Returns true when resolved: the page mapped
   * from the segment, or copied for a write to a write-copy view.
   */
  MiResolveMappedFault(process: MmProcess, vad: Vad, va: number, access: number, present: boolean): boolean {
    const view = vad.view!;
    const page = PAGE_ALIGN(va);
    const index = view.firstPage + (page - vad.start) / PAGE_SIZE;
    const segment = view.segment;
    if (segment.kind === 'physical' || index >= segment.pageCount || !segment.isCommitted(index)) return false;
    const root = process.DirectoryTableBase;
    if (view.writeCopy && access === ACCESS_WRITE && MiAllowsWriteCopy(MiViewPageProtection(vad, page))) {
      if (vad.frames.has(page)) return false; // the private copy is there: a real protection fault
      return this.MiCopyOnWrite(process, vad, page, index);
    }
    const protection = MiViewPageProtection(vad, page);
    if (present || !permits(protection, access)) return false;
    const pfn = this.k.segments.frameOf(segment, index);
    if (pfn < 0) return false;
    const attributes = attributesFor(protection, true)!;
    return this.k.pageTables.MiWriteValidPte(root, page, pfn, { ...attributes, writable: attributes.writable && !view.writeCopy, noCache: view.noCache },
      process.pageTableFrames);
  }

  /** A write to a write-copy page: the process gets its own copy of the page, mapped writable. */
  private MiCopyOnWrite(process: MmProcess, vad: Vad, page: number, index: number): boolean {
    const view = vad.view!;
    const shared = this.k.segments.frameOf(view.segment, index);
    if (shared < 0) return false;
    const copy = this.k.pfn.removeAnyPage(PfnUse.Private, true);
    if (copy < 0) return false;
    this.k.memory.copyFrame(shared, copy);
    const root = process.DirectoryTableBase;
    this.k.pageTables.MiErasePte(root, page);
    const executable = (view.protection & 0xff) === PAGE_EXECUTE_WRITECOPY;
    this.k.pageTables.MiWriteValidPte(root, page, copy, { writable: true, executable, user: true, noCache: view.noCache }, process.pageTableFrames);
    vad.frames.set(page, copy);
    return true;
  }

  /** MiUnmapViewOfSection: the view containing `va` goes; STATUS_NOT_MAPPED_VIEW when `va` is in none. */
  MiUnmapViewOfSection(process: MmProcess, va: number): number {
    const vad = Number.isFinite(va) && va <= this.k.layout.highestUserAddress ? process.VadRoot.find(va) : undefined;
    if (!vad || vad.kind !== 'mapped') return STATUS_NOT_MAPPED_VIEW;
    this.MiDeleteView(process, vad);
    return STATUS_SUCCESS;
  }

  /** Erases a view's PTEs (Dirty bits to the segment), frees its private copies, and lets the segment go if it was the last. */
  MiDeleteView(process: MmProcess, vad: Vad): void {
    const view = vad.view!;
    const segment = view.segment;
    const root = process.DirectoryTableBase;
    for (let page = vad.start; page < vad.end; page += PAGE_SIZE) {
      const copy = vad.frames.get(page);
      if (copy === undefined && segment.kind === 'file' && this.k.pageTables.MiTestAndClearDirty(root, page)) {
        segment.dirty[view.firstPage + (page - vad.start) / PAGE_SIZE] = 1;
      }
      this.k.pageTables.MiErasePte(root, page);
      if (copy !== undefined) this.k.pfn.freePage(copy);
    }
    vad.frames.clear();
    process.VadRoot.remove(vad);
    if (this.k.trace) MiTraceMapping(this.k, false, 'view', vad.start, (vad.end - vad.start) / PAGE_SIZE, process);
    this.releaseView(segment);
  }

  /** One view fewer: the last view of a file writes its modified pages back; an unreferenced segment goes. */
  private releaseView(segment: Segment): void {
    segment.mappedViews--;
    if (segment.mappedViews === 0) this.k.segments.writeBack(segment);
    this.k.segments.deleteIfUnused(segment);
  }

  /**
   * MmFlushVirtualMemory (FlushViewOfFile): the pages of [va, va + size) of
   * a view that were written are written back to the file, durably. Returns
   * the status and the range flushed.
   */
  MmFlushVirtualMemory(process: MmProcess, va: number, size: number): { status: number; base: number; size: number } {
    const vad = Number.isFinite(va) && va <= this.k.layout.highestUserAddress ? process.VadRoot.find(va) : undefined;
    if (!vad || vad.kind !== 'mapped') return { status: STATUS_NOT_MAPPED_VIEW, base: va, size };
    const start = PAGE_ALIGN(va);
    const end = size === 0 ? vad.end : Math.min(vad.end, Math.ceil((va + size) / PAGE_SIZE) * PAGE_SIZE);
    const view = vad.view!;
    const segment = view.segment;
    if (segment.kind === 'file') {
      for (let page = start; page < end; page += PAGE_SIZE) {
        if (!vad.frames.has(page) && this.k.pageTables.MiTestAndClearDirty(process.DirectoryTableBase, page)) {
          segment.dirty[view.firstPage + (page - vad.start) / PAGE_SIZE] = 1;
        }
      }
      // Other views' writes to these pages are in their Dirty bits: gather those too.
      this.MiCaptureDirtyBits(segment, view.firstPage + (start - vad.start) / PAGE_SIZE, view.firstPage + (end - vad.start) / PAGE_SIZE);
      this.k.segments.writeBack(segment, view.firstPage + (start - vad.start) / PAGE_SIZE, view.firstPage + (end - vad.start) / PAGE_SIZE);
    }
    return { status: STATUS_SUCCESS, base: start, size: end - start };
  }

  /** Moves the Dirty bit of every PTE that maps pages [first, last) of `segment` to the segment. */
  private MiCaptureDirtyBits(segment: Segment, first: number, last: number): void {
    for (let i = first; i < last; i++) {
      const pfn = segment.pages[i]!;
      if (pfn < 0) continue;
      for (const m of this.k.pageTables.mappings.get(pfn) ?? []) {
        if (this.k.pageTables.MiTestAndClearDirty(m.root === -1 ? this.k.systemRoot : m.root, m.va)) segment.dirty[i] = 1;
      }
    }
  }

  /**
   * MmMapViewInSystemSpace: the first `viewSize` bytes of the segment (all of
   * it for 0) mapped whole into system space, writable as the section allows.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-mmmapviewinsystemspace
   */
  MmMapViewInSystemSpace(segment: Segment, sectionProtect: number, viewSize: number): { status: number; base: number; viewSize: number } {
    const size = viewSize === 0 ? segment.sizeOfSegment : viewSize;
    if (!(size > 0) || size > segment.pageCount * PAGE_SIZE) return { status: STATUS_INVALID_VIEW_SIZE, base: 0, viewSize };
    const pages = Math.ceil(size / PAGE_SIZE);
    const base = this.k.systemPtes.MiReserveSystemPtes(pages);
    if (base === 0) return { status: STATUS_NO_MEMORY, base: 0, viewSize };
    const attributes: PteAttributes = { ...(attributesFor(sectionProtect, false) ?? attributesFor(PAGE_READONLY, false)!), executable: false };
    for (let i = 0; i < pages; i++) {
      const pfn = this.k.segments.frameOf(segment, i);
      if (pfn < 0) {
        for (let j = 0; j < i; j++) this.k.pageTables.MiErasePte(this.k.systemRoot, base + j * PAGE_SIZE);
        this.k.systemPtes.MiReleaseSystemPtes(base, pages);
        return { status: STATUS_INSUFFICIENT_RESOURCES, base: 0, viewSize };
      }
      this.k.pageTables.MiWriteValidPte(this.k.systemRoot, base + i * PAGE_SIZE, pfn, attributes, undefined);
    }
    segment.mappedViews++;
    this.systemViews.set(base, { segment, pages });
    return { status: STATUS_SUCCESS, base, viewSize: pages * PAGE_SIZE };
  }

  /**
   * MmUnmapViewInSystemSpace: false when `base` starts no system view (the
   * caller bug checks, as Windows does).
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-mmunmapviewinsystemspace
   */
  MmUnmapViewInSystemSpace(base: number): boolean {
    const view = this.systemViews.get(base);
    if (!view) return false;
    this.systemViews.delete(base);
    for (let i = 0; i < view.pages; i++) {
      const va = base + i * PAGE_SIZE;
      if (view.segment.kind === 'file' && this.k.pageTables.MiTestAndClearDirty(this.k.systemRoot, va)) view.segment.dirty[i] = 1;
      this.k.pageTables.MiErasePte(this.k.systemRoot, va);
    }
    this.k.systemPtes.MiReleaseSystemPtes(base, view.pages);
    this.releaseView(view.segment);
    return true;
  }
}
