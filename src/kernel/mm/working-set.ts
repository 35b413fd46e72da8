/**
 * Working sets, trimming and the page faults that undo it.
 *
 * Two kinds of page are pageable here, as on Windows: paged pool (the system
 * working set) and a process's private pages (VirtualAlloc'd memory, its
 * stack, its heap). Trimming one (MiTrimPage) makes its PTE a transition PTE
 * (software-pte.ts): the frame still holds the page, nothing maps it. The
 * next trim pass writes the pages that stayed in transition to the pagefile
 * and frees their frames (the modified page writer, one pass behind the
 * trimmer), so a page touched soon after a trim is a soft fault (the same
 * frame, remapped) and one touched later a hard fault (a new frame, read
 * from the pagefile). Either is resolved only below DISPATCH_LEVEL; above,
 * MmAccessFault bug checks 0xD1 / 0x0A (fault.ts).
 *
 * Never trimmed: a frame locked by an MDL (MmProbeAndLockPages), nonpaged
 * pool, page tables, sections' pages, KUSER_SHARED_DATA, system PTE
 * mappings (MDL mappings, views in system space). A transition page that
 * another PTE still maps (a paged pool page a driver mapped to user mode
 * with an MDL built by MmBuildMdlForNonPagedPool) stays in transition: its
 * frame is not written out from under that mapping (docs/fidelity.md).
 * https://learn.microsoft.com/windows/win32/memory/working-set
 */
import { MiTracePaging } from './trace-mm.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { MmContext, MmProcess } from './context.js';
import { PAGE_ALIGN } from './layout.js';
import type { PageFile } from './pagefile.js';
import { PfnUse } from './pfn.js';
import { attributesFor, permits } from './protection.js';
import { MiAttributesOf, type SoftwarePtes } from './software-pte.js';

/** What the report's `paging` key shows. */
export interface PagingCounters {
  /** Faults resolved from a transition PTE (no I/O). */
  softPageIns: number;
  /** Faults resolved by reading the pagefile. */
  hardPageIns: number;
  /** Pages written to the pagefile (their frames freed). */
  pageOuts: number;
  /** PTEs made transition by a trim. */
  trims: number;
  pagefilePagesInUse: number;
}

/** Memory pressure (boot's `memoryPressure`): when the trimmer runs without being asked. */
export type MemoryPressure = 'none' | 'low' | 'high';

/** A page in transition: the PTE that names it. */
interface TransitionPage {
  root: number;
  va: number;
}

/** The working-set manager: trims pageable pages and resolves the faults on them. */
export class WorkingSets {
  readonly counters = { softPageIns: 0, hardPageIns: 0, pageOuts: 0, trims: 0 };
  /** Frames in transition (trimmed, not yet written out), by frame number. */
  private readonly transition = new Map<number, TransitionPage>();
  /** The pages whose PTE is a software PTE ntshm wrote, by address-space root (kernel pages under the System root). */
  private readonly trimmed = new Map<number, Set<number>>();

  constructor(private readonly k: MmContext, private readonly ptes: SoftwarePtes, readonly pagefile: PageFile) {}

  /** The report's `paging` figures. */
  get snapshot(): PagingCounters {
    return { ...this.counters, pagefilePagesInUse: this.pagefile.pagesInUse };
  }

  private rootFor(root: number, va: number): number {
    return va >= this.k.layout.systemRangeStart ? this.k.systemRoot : root;
  }

  private note(root: number, va: number, on: boolean): void {
    let set = this.trimmed.get(root);
    if (on) {
      if (!set) this.trimmed.set(root, (set = new Set()));
      set.add(va);
    } else if (set) {
      set.delete(va);
      if (set.size === 0) this.trimmed.delete(root);
    }
  }

  /**
   * Trims one resident page into transition, if it may be trimmed: a paged
   * pool page or a private page of a process, not locked. Returns whether it
   * was trimmed.
   */
  MiTrimPage(processRoot: number, address: number): boolean {
    const k = this.k;
    const va = PAGE_ALIGN(address);
    const root = this.rootFor(processRoot, va);
    const pfn = k.pageTables.frameAt(root, va);
    if (pfn < 0 || k.pfn.lockCount[pfn] !== 0) return false;
    const user = va < k.layout.systemRangeStart;
    if (user) {
      if (k.pfn.use[pfn] !== PfnUse.Private) return false;
      const vad = k.processByRoot(root)?.VadRoot.find(va);
      if (vad?.kind !== 'private' || vad.frames.get(va) !== pfn) return false;
      vad.frames.delete(va);
    } else if (k.pfn.use[pfn] !== PfnUse.PagedPool || !k.pool.isPagedPoolAddress(va)) {
      return false;
    }
    const mapping = k.pageTables.mappings.get(pfn)?.find((m) => m.va === va && m.root === (user ? root : -1));
    const attributes = mapping?.attributes ?? { writable: true, executable: false, user };
    k.pageTables.MiErasePte(root, va);
    this.ptes.writeTransition(k.pageTables.ptePa(root, va, false, undefined), pfn, attributes);
    this.transition.set(pfn, { root, va });
    this.note(root, va, true);
    this.counters.trims++;
    if (k.trace) MiTracePaging(k, true, va, 'trimmed to a transition PTE');
    return true;
  }

  /** Where a trimmed page is now ('transition' or 'pagefile'), or undefined for any other page (the bug check's explanation). */
  MiTrimmedState(processRoot: number, address: number): 'transition' | 'pagefile' | undefined {
    const va = PAGE_ALIGN(address);
    const root = this.rootFor(processRoot, va);
    if (!this.trimmed.get(root)?.has(va)) return undefined;
    const kind = this.ptes.read(this.k.pageTables.ptePa(root, va, false, undefined)).kind;
    return kind === 'transition' || kind === 'pagefile' ? kind : undefined;
  }

  /** The modified page writer: every page still in transition and mapped nowhere else goes to the pagefile. */
  MiWriteModifiedPages(): void {
    const k = this.k;
    for (const [pfn, { root, va }] of [...this.transition]) {
      if (k.pfn.shareCount[pfn] !== 0 || k.pfn.lockCount[pfn] !== 0) continue;
      const ptePa = k.pageTables.ptePa(root, va, false, undefined);
      const pte = this.ptes.read(ptePa);
      if (pte.kind !== 'transition' || pte.pfn !== pfn) continue;
      const offset = this.pagefile.MiWritePage(pfn);
      this.ptes.writePagefile(ptePa, offset, pte.protection);
      this.transition.delete(pfn);
      k.pfn.freePage(pfn);
      this.counters.pageOuts++;
      if (k.trace) MiTracePaging(k, true, va, 'written to the pagefile');
    }
  }

  /**
   * Resolves a fault on a trimmed page (MiResolveTransitionFault,
   * MiResolvePageFileFault); false when `va`'s PTE is not one ntshm wrote,
   * or (user pages) the VAD no longer allows the access.
   */
  MiResolveSoftwareFault(processRoot: number, address: number, access: number): boolean {
    const k = this.k;
    const va = PAGE_ALIGN(address);
    const root = this.rootFor(processRoot, va);
    if (!this.trimmed.get(root)?.has(va)) return false;
    const ptePa = k.pageTables.ptePa(root, va, false, undefined);
    const pte = ptePa < 0 ? undefined : this.ptes.read(ptePa);
    if (pte === undefined || (pte.kind !== 'transition' && pte.kind !== 'pagefile')) return false;
    const user = va < k.layout.systemRangeStart;
    const process = user ? k.processByRoot(root) : undefined;
    const vad = process?.VadRoot.find(va);
    let attributes = MiAttributesOf(pte.protection, false);
    if (user) {
      const protect = vad?.kind === 'private' ? vad.commit.get((va - vad.start) / PAGE_SIZE) : 0;
      const a = protect === 0 ? undefined : attributesFor(protect, true);
      if (!a || !permits(protect, access)) return false;
      attributes = a;
    }
    let pfn: number;
    if (pte.kind === 'transition') {
      pfn = pte.pfn;
      this.transition.delete(pfn);
      this.counters.softPageIns++;
      if (k.trace) MiTracePaging(k, false, va, 'from its transition frame');
    } else {
      pfn = k.pfn.removeAnyPage(user ? PfnUse.Private : PfnUse.PagedPool);
      if (pfn < 0) return false;
      this.pagefile.MiReadPage(pte.offset, pfn);
      this.pagefile.MiReleaseSlot(pte.offset);
      this.counters.hardPageIns++;
      if (k.trace) MiTracePaging(k, false, va, 'read from the pagefile');
    }
    this.ptes.clear(ptePa);
    k.pageTables.MiWriteValidPte(root, va, pfn, attributes, process?.pageTableFrames);
    if (user && vad) vad.frames.set(va, pfn);
    this.note(root, va, false);
    return true;
  }

  /**
   * The page's memory is being freed (ExFreePool, VirtualFree, process
   * exit): its software PTE is cleared, and its transition frame or
   * pagefile slot is released. Returns whether `va` was a trimmed page.
   */
  MiDeleteSoftwarePte(processRoot: number, address: number): boolean {
    const k = this.k;
    const va = PAGE_ALIGN(address);
    const root = this.rootFor(processRoot, va);
    if (!this.trimmed.get(root)?.has(va)) return false;
    const ptePa = k.pageTables.ptePa(root, va, false, undefined);
    const pte = this.ptes.read(ptePa);
    if (pte.kind === 'transition') {
      this.transition.delete(pte.pfn);
      k.pfn.freePage(pte.pfn);
    } else if (pte.kind === 'pagefile') {
      this.pagefile.MiReleaseSlot(pte.offset);
    }
    this.ptes.clear(ptePa);
    this.note(root, va, false);
    return true;
  }

  /** MiDeleteSoftwarePte for every trimmed page of [start, end) under `root` (a decommit, a VAD's deletion). */
  MiDeleteSoftwarePtes(root: number, start: number, end: number): void {
    const set = this.trimmed.get(root);
    if (!set) return;
    for (const va of [...set]) if (va >= start && va < end) this.MiDeleteSoftwarePte(root, va);
  }

  /** Trims every resident paged pool page (the verifier's forced IRQL checking, and memory pressure). */
  MiTrimPagedPool(): void {
    for (const va of this.k.pool.pagedPoolPages()) this.MiTrimPage(this.k.systemRoot, va);
  }

  /** Trims a process's working set: every resident private page. */
  MiTrimProcess(process: MmProcess): void {
    if (process.exited) return;
    const root = process.DirectoryTableBase;
    for (const vad of process.VadRoot.vads) {
      if (vad.kind !== 'private') continue;
      for (const va of [...vad.frames.keys()]) this.MiTrimPage(root, va);
    }
  }

  /** One pass of the working-set manager: write out what stayed in transition, then trim everything pageable. */
  MmWorkingSetManager(): void {
    this.MiWriteModifiedPages();
    this.MiTrimPagedPool();
    for (const process of this.k.processes) this.MiTrimProcess(process);
  }

  /**
   * The clock-tick policy of boot's `memoryPressure`: 'high' runs a pass at
   * every tick, 'low' only when free frames fall under an eighth of memory.
   */
  onTick(pressure: MemoryPressure): void {
    if (pressure === 'high' || (pressure === 'low' && this.k.pfn.freeCount < this.k.pfn.total / 8)) this.MmWorkingSetManager();
  }
}
