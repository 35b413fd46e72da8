/**
 * Page tables in physical memory, written in the processor's format.
 *
 * The memory manager reaches a PTE by walking from the root with physical
 * addresses (as MiGetPteAddress does through the self-map, which is also
 * installed so that PTE_BASE really shows the tables). Kernel page tables are
 * created at boot for every kernel region and shared: each process's root
 * copies the kernel half of the System root, so a kernel mapping made in any
 * context is seen in all of them.
 *
 * A valid PTE is written with MiWriteValidPte and removed with MiErasePte;
 * both keep the PFN share count and the reverse map, and shoot down the TLB
 * entry on every CPU.
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { PhysicalMemory } from '../../hw/physical-memory.js';
import {
  PTE_CACHE_DISABLE, PTE_DIRTY, PTE_GLOBAL, PTE_HIGH_FRAME_MASK, PTE_HIGH_NO_EXECUTE, PTE_OWNER, PTE_VALID, PTE_WRITE,
  PTE_WRITE_THROUGH, tableIndex, type PagingFormat,
} from '../../hw/pte.js';
import { EmulatorError } from '../../include/errors.js';
import type { AddressLayout } from './layout.js';
import { PfnUse, type PfnDatabase } from './pfn.js';

/** How a page is mapped: the hardware-relevant part of a Windows protection. */
export interface PteAttributes {
  writable: boolean;
  executable: boolean;
  user: boolean;
  /** MmNonCached and friends: PCD (and PWT) set. */
  noCache?: boolean;
}

/** One virtual address that maps a frame, for the reverse map and the run summary. */
export interface Mapping {
  /** Root of the address space (CR3); kernel mappings use the System root. */
  root: number;
  va: number;
  attributes: PteAttributes;
}

/** A paging entry the memory manager found corrupt: where it is, what it holds, and why it is wrong. */
export interface CorruptEntry {
  /** The address being walked or unmapped. */
  va: number;
  /** Level of the entry in the walk (0 = root). */
  level: number;
  /** The entry's own virtual address, through the self-map (what kd's !pte shows). */
  entryVa: number;
  /** Its low and high 32 bits (high is 0 on x86). */
  low: number;
  high: number;
  why: string;
}

/** Called on every change, so the machine can record sharing and shoot down TLBs. */
export interface PageTableObserver {
  onMap(pfn: number, mapping: Mapping): void;
  onUnmap(pfn: number, mapping: Mapping): void;
  invalidate(va: number): void;
}

/** The page tables of every address space: roots, MiWriteValidPte and MiErasePte, and the reverse map of frames to mappings. */
export class PageTables {
  /** Reverse map: the mappings of every mapped frame. */
  readonly mappings = new Map<number, Mapping[]>();
  private readonly is64: boolean;
  private readonly rootEntries: number;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly pfns: PfnDatabase,
    readonly format: PagingFormat,
    readonly layout: AddressLayout,
    private readonly observer: PageTableObserver,
    /** What happens when a walk or an unmap meets a corrupt entry: a bug check (mm/corruption.ts). */
    private readonly corrupt: (entry: CorruptEntry) => never = (entry) => {
      throw new EmulatorError(`corrupt page-table entry at ${entry.entryVa.toString(16)}: ${entry.why}`);
    },
  ) {
    this.is64 = format.entryBytes === 8;
    this.rootEntries = format.entriesPerTable;
  }

  /**
   * Allocates a zeroed table frame; -1 when memory is exhausted. A user page
   * table's commit is charged per address space (commit.ts), the others' by
   * the PFN database.
   */
  private newTable(owner: number[] | undefined, chargedByPfn = true): number {
    const pfn = this.pfns.removeZeroPage(PfnUse.PageTable, chargedByPfn);
    if (pfn >= 0) owner?.push(pfn);
    return pfn;
  }

  /** Builds the System root and every kernel page table (boot only). */
  createSystemRoot(kernelRegions: { base: number; size: number }[]): number {
    const pfn = this.newTable(undefined);
    if (pfn < 0) throw new EmulatorError('no memory for the system page directory');
    const root = pfn * PAGE_SIZE;
    this.installSelfMap(root);
    const step = this.is64 ? 2 * 1024 * 1024 : 4 * 1024 * 1024; // one page table covers this much
    for (const region of kernelRegions) {
      for (let va = region.base; va < region.base + region.size; va += step) {
        if (this.ptePa(root, va, true, undefined) < 0) throw new EmulatorError('no memory for kernel page tables');
      }
    }
    return root;
  }

  /** A new process root: zeroed user half, the System kernel half, its own self-map. */
  createProcessRoot(systemRoot: number, owner: number[]): number {
    const pfn = this.newTable(owner);
    if (pfn < 0) return -1;
    const root = pfn * PAGE_SIZE;
    const half = this.rootEntries / 2;
    const bytes = this.format.entryBytes;
    this.memory.u8.copyWithin(root + half * bytes, systemRoot + half * bytes, systemRoot + this.rootEntries * bytes);
    this.installSelfMap(root);
    return root;
  }

  private installSelfMap(root: number): void {
    this.writeEntry(root + this.layout.selfMapIndex * this.format.entryBytes, root / PAGE_SIZE, PTE_VALID | PTE_WRITE, false);
  }

  /**
   * Physical address of the PTE that maps `va` under `root`. With `create`,
   * missing intermediate tables are made (frames recorded in `owner`);
   * without, -1 when a table is missing.
   */
  ptePa(root: number, va: number, create: boolean, owner: number[] | undefined): number {
    let table = root;
    const user = va < this.layout.systemRangeStart;
    for (let level = 0; level < this.format.levels - 1; level++) {
      const entryPa = table + tableIndex(this.format, va, level) * this.format.entryBytes;
      const low = this.memory.read32(entryPa);
      if ((low & PTE_VALID) === 0) {
        if (!create) return -1;
        if (user && !this.pfns.commitment.MiChargePageTable(root, this.format, level + 1, va)) return -1;
        const pfn = this.newTable(owner, !user);
        if (pfn < 0) return -1;
        this.writeEntry(entryPa, pfn, PTE_VALID | PTE_WRITE | (user ? PTE_OWNER : 0), false);
        table = pfn * PAGE_SIZE;
      } else {
        // A valid upper-level entry must name a page table; anything else was written behind our back.
        const frame = this.entryFrame(entryPa);
        if (!this.installed(frame)) this.reportCorrupt(entryPa, va, level, 'it names a frame beyond installed memory');
        if (this.pfns.use[frame] !== PfnUse.PageTable) this.reportCorrupt(entryPa, va, level, `it names frame 0x${frame.toString(16)}, which is no page table`);
        table = frame * PAGE_SIZE;
      }
    }
    return table + tableIndex(this.format, va, this.format.levels - 1) * this.format.entryBytes;
  }

  /** Whether the reverse map has `pfn` mapped at `va` under `root` (kernel addresses: in every root). */
  maps(pfn: number, root: number, va: number): boolean {
    const owner = va < this.layout.systemRangeStart ? root : -1;
    return this.mappings.get(pfn)?.some((m) => m.va === va && m.root === owner) ?? false;
  }

  /** Whether a frame number names installed memory that may be mapped (frame 0 never is). */
  private installed(frame: number): boolean {
    return frame >= 1 && frame < this.pfns.total;
  }

  /**
   * The virtual address of the entry at `level` of `va`'s walk, through the
   * self-map: PTE_BASE + (va >> 12) * entry size is the PTE, and applying
   * that once more per level up gives the PDE, PPE and PXE.
   */
  MiEntryAddress(va: number, level: number): number {
    const bytes = this.format.entryBytes;
    let address = va;
    for (let l = this.format.levels - 1; l >= level; l--) {
      address = this.layout.pteBase + Math.floor((address % this.format.addressLimit) / PAGE_SIZE) * bytes;
    }
    return address;
  }

  private reportCorrupt(entryPa: number, va: number, level: number, why: string): never {
    return this.corrupt({
      va, level, entryVa: this.MiEntryAddress(va, level), why,
      low: this.memory.read32(entryPa), high: this.is64 ? this.memory.read32(entryPa + 4) : 0,
    });
  }

  /**
   * The memory manager expected `va` to be mapped (a VAD says it has a frame)
   * and its entry says otherwise: the first entry of the walk that is not
   * valid is the corrupt one.
   */
  MiReportMissingPte(root: number, va: number): never {
    let table = root;
    for (let level = 0; level < this.format.levels; level++) {
      const entryPa = table + tableIndex(this.format, va, level) * this.format.entryBytes;
      if (!this.isValid(entryPa) || level === this.format.levels - 1) {
        return this.reportCorrupt(entryPa, va, level, 'the page it should map is not mapped there');
      }
      table = this.entryFrame(entryPa) * PAGE_SIZE; // valid and checked by ptePa already
    }
    return this.reportCorrupt(root, va, 0, 'the page it should map is not mapped there');
  }

  /**
   * Reads and clears the Dirty bit of `va`'s PTE under `root` (the bit the
   * processor set on a write): how Mm learns that a mapped page was written
   * (MiCaptureDirtyBitToPfn). The translation is invalidated so that the
   * next write sets the bit again.
   */
  MiTestAndClearDirty(root: number, va: number): boolean {
    const pte = this.ptePa(root, va, false, undefined);
    if (pte < 0) return false;
    const low = this.memory.read32(pte);
    if ((low & PTE_VALID) === 0 || (low & PTE_DIRTY) === 0) return false;
    this.memory.write32(pte, (low & ~PTE_DIRTY) >>> 0);
    this.observer.invalidate(va);
    return true;
  }

  /** Frame number in the entry at `entryPa` (valid or not). */
  entryFrame(entryPa: number): number {
    const low = this.memory.read32(entryPa);
    const high = this.is64 ? this.memory.read32(entryPa + 4) & PTE_HIGH_FRAME_MASK : 0;
    return high * 2 ** 20 + (low >>> 12);
  }

  isValid(entryPa: number): boolean {
    return (this.memory.read32(entryPa) & PTE_VALID) !== 0;
  }

  /** Frame mapped at `va` under `root`, or -1. */
  frameAt(root: number, va: number): number {
    const pte = this.ptePa(root, va, false, undefined);
    if (pte < 0 || !this.isValid(pte)) return -1;
    const pfn = this.entryFrame(pte);
    if (!this.installed(pfn)) this.reportCorrupt(pte, va, this.format.levels - 1, 'it names a frame beyond installed memory');
    return pfn;
  }

  /** Maps `va` to `pfn`: the PTE becomes valid, the PFN gains a share. */
  MiWriteValidPte(root: number, va: number, pfn: number, attributes: PteAttributes, owner: number[] | undefined): boolean {
    this.checkFrame(pfn);
    const pte = this.ptePa(root, va, true, owner);
    if (pte < 0) return false;
    if (this.isValid(pte)) throw new EmulatorError(`PTE for ${va.toString(16)} is already valid`);
    let low = PTE_VALID;
    if (attributes.writable) low |= PTE_WRITE;
    if (attributes.user) low |= PTE_OWNER;
    else low |= PTE_GLOBAL;
    if (attributes.noCache) low |= PTE_CACHE_DISABLE | PTE_WRITE_THROUGH;
    this.writeEntry(pte, pfn, low, !attributes.executable);
    this.pfns.shareCount[pfn]!++;
    const mapping: Mapping = { root: attributes.user ? root : -1, va, attributes };
    let list = this.mappings.get(pfn);
    if (!list) this.mappings.set(pfn, (list = []));
    list.push(mapping);
    this.observer.onMap(pfn, mapping);
    return true;
  }

  /** Unmaps `va`; returns the frame it mapped, or -1 if it mapped none. */
  MiErasePte(root: number, va: number): number {
    const pte = this.ptePa(root, va, false, undefined);
    if (pte < 0 || !this.isValid(pte)) return -1;
    const pfn = this.entryFrame(pte);
    // The PFN must say this PTE maps it (MiDeletePte's check of Pfn->PteAddress): a frame beyond
    // memory, or one mapped nowhere here, means the PTE was written behind the memory manager's back.
    if (!this.installed(pfn)) this.reportCorrupt(pte, va, this.format.levels - 1, 'it names a frame beyond installed memory');
    const user = va < this.layout.systemRangeStart;
    const list = this.mappings.get(pfn);
    const i = list?.findIndex((m) => m.va === va && m.root === (user ? root : -1)) ?? -1;
    if (!list || i < 0) this.reportCorrupt(pte, va, this.format.levels - 1, `it names frame 0x${pfn.toString(16)}, which the PFN database does not map there`);
    this.memory.write32(pte, 0);
    if (this.is64) this.memory.write32(pte + 4, 0);
    this.observer.invalidate(va);
    this.pfns.shareCount[pfn]!--;
    const [mapping] = list.splice(i, 1);
    if (list.length === 0) this.mappings.delete(pfn);
    if (mapping) this.observer.onUnmap(pfn, mapping);
    this.pfns.releaseIfPending(pfn);
    return pfn;
  }

  /** Frees the user-half tables of a dead address space; every user PTE must already be erased. */
  freeTables(frames: number[]): void {
    for (const pfn of frames) this.pfns.freePage(pfn);
    frames.length = 0;
  }

  /**
   * Empties the user half of a dying address space: its page tables go, the
   * root stays (with the kernel half and the self-map) for as long as the
   * process object lives, so that a late KeStackAttachProcess finds an empty
   * user space rather than a freed frame.
   */
  clearUserHalf(root: number, frames: number[]): void {
    const rootPfn = root / PAGE_SIZE;
    const bytes = this.format.entryBytes;
    this.memory.u8.fill(0, root, root + (this.rootEntries / 2) * bytes);
    this.freeTables(frames.filter((pfn) => pfn !== rootPfn));
    frames.length = 0;
    frames.push(rootPfn);
  }

  /** Asserts that a frame number names installed memory (never NULL, never past the end). */
  private checkFrame(pfn: number): void {
    if (!Number.isInteger(pfn) || pfn < 1 || pfn >= this.pfns.total) throw new EmulatorError(`PTE for frame ${pfn}, which is not installed memory`);
  }

  private writeEntry(entryPa: number, pfn: number, lowFlags: number, noExecute: boolean): void {
    const low = ((pfn % 2 ** 20) * PAGE_SIZE + lowFlags) >>> 0;
    this.memory.write32(entryPa, low);
    if (this.is64) {
      const high = Math.floor(pfn / 2 ** 20) | (noExecute ? PTE_HIGH_NO_EXECUTE : 0);
      this.memory.write32(entryPa + 4, high >>> 0);
    }
  }
}
