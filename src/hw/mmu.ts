/**
 * The memory-management unit of one CPU: walks the page tables that the
 * memory manager keeps in physical memory, in the processor's own format.
 *
 * Hot path: a cache of the last two pages per (mode, read/write), then a direct-mapped
 * TLB in typed arrays, then the page walk (cold). Nothing here allocates
 * after construction. A fault is reported by returning -1 and filling
 * `fault`, which the kernel reads (the narrow interface to MmAccessFault).
 */
import { PAGE_MASK, PAGE_SIZE, type PhysicalMemory } from './physical-memory.js';
import {
  PTE_ACCESSED, PTE_DIRTY, PTE_GLOBAL, PTE_HIGH_FRAME_MASK, PTE_HIGH_NO_EXECUTE, PTE_OWNER, PTE_VALID, PTE_WRITE,
  tableIndex, type PagingFormat,
} from './pte.js';

/** Kinds of access; the values are those of bug check 0xD1's third parameter. */
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_EXECUTE = 8;
/** A kind of memory access: ACCESS_READ, ACCESS_WRITE or ACCESS_EXECUTE. */
export type AccessKind = typeof ACCESS_READ | typeof ACCESS_WRITE | typeof ACCESS_EXECUTE;

/** What the processor knows about a fault (the error code and CR2 of a #PF). */
export interface PageFault {
  va: number;
  access: AccessKind;
  user: boolean;
  /** The entry that stopped the walk was present: a protection fault, not a not-present one. */
  present: boolean;
  /** Level of the entry that stopped the walk (0 = root). */
  level: number;
  /**
   * The entry names memory that is not installed: the #PF error code's RSVD
   * bit. ntshm's processor has exactly the installed memory as its physical
   * address space, so any frame past it is a reserved-bit violation.
   */
  reserved: boolean;
}

const TLB_ENTRIES = 1024;
const TLB_INDEX_MASK = TLB_ENTRIES - 1;
// Flags kept beside each TLB entry: the effective rights of the whole walk.
const TLB_WRITABLE = 1;
const TLB_USER = 2;
const TLB_NO_EXECUTE = 4;
const TLB_DIRTY = 8;
const TLB_GLOBAL = 16;
// Slots of the last-page cache: user*2 + write; slot + LAST_SLOTS holds the page before it, so that a
// copy between two pages (a SystemBuffer and a user buffer) finds both.
const LAST_SLOTS = 4;
// Local copies for the hot path. Optimized code folds a module's own
// unexported constants, but reads an imported or exported binding from its
// cell, with a hole check, at every use (about 1 ns a translation, measured).
const OFFSET_MASK = PAGE_MASK;
const WRITE = ACCESS_WRITE;
const EXECUTE = ACCESS_EXECUTE;

/** One CPU's MMU: CR3, translation through a last-page cache and a TLB, the page walk, and the last fault. */
export class Mmu {
  /** Physical address of the root table (CR3). Set through `loadCr3`. */
  cr3 = 0;
  readonly fault: PageFault = { va: 0, access: ACCESS_READ, user: false, present: false, level: 0, reserved: false };
  /** Counters for the inspector and the benchmarks. */
  readonly stats = { walks: 0, faults: 0, flushes: 0 };

  private readonly tlbVpn = new Float64Array(TLB_ENTRIES).fill(-1);
  private readonly tlbPfn = new Int32Array(TLB_ENTRIES);
  private readonly tlbFlags = new Uint8Array(TLB_ENTRIES);
  /** Last-page cache: the virtual address of the page (va with the offset cleared), -1 when empty; the last and the one before. */
  private readonly lastPage = new Float64Array(2 * LAST_SLOTS).fill(-1);
  private readonly lastBase = new Float64Array(2 * LAST_SLOTS);
  private readonly is64: boolean;

  /**
   * @param physicalFrames The physical address space (MAXPHYADDR) in frames: an
   *   entry naming a frame at or past it is a reserved-bit fault. A machine
   *   makes it its installed memory, so that no walk reads past RAM.
   */
  constructor(readonly memory: PhysicalMemory, readonly format: PagingFormat, private readonly physicalFrames = memory.frameCount) {
    this.is64 = format.entryBytes === 8;
  }

  /**
   * MOV CR3: switches address space and flushes every non-global translation,
   * even when the value is unchanged (KeFlushCurrentTb relies on that). The
   * kernel skips the write when the address space does not change, as
   * SwapContext does.
   */
  loadCr3(rootPa: number): void {
    this.cr3 = rootPa;
    this.flush(false);
  }

  /** INVLPG: forgets the translation of one page. */
  invalidatePage(va: number): void {
    const vpn = Math.floor(va / PAGE_SIZE);
    const i = vpn & TLB_INDEX_MASK;
    if (this.tlbVpn[i] === vpn) this.tlbVpn[i] = -1;
    for (let s = 0; s < 2 * LAST_SLOTS; s++) if (this.lastPage[s] === vpn * PAGE_SIZE) this.lastPage[s] = -1;
  }

  /** Flushes the TLB; `includeGlobal` also drops global (kernel) entries, as a CR4.PGE toggle does. */
  flush(includeGlobal = true): void {
    this.stats.flushes++;
    for (let i = 0; i < TLB_ENTRIES; i++) {
      if (includeGlobal || (this.tlbFlags[i]! & TLB_GLOBAL) === 0) this.tlbVpn[i] = -1;
    }
    this.lastPage.fill(-1);
  }

  /**
   * Translates `va` for an access; returns the physical address, or -1 after
   * filling `fault`. Read and write are cached per page; execute always
   * checks the TLB entry's NX flag.
   */
  translate(va: number, access: AccessKind, user: boolean): number {
    const pa = this.lookup(va, access, user);
    return pa >= 0 ? pa : this.translateMiss(va, Math.floor(va / PAGE_SIZE), access, user, (user ? 2 : 0) + (access & ACCESS_WRITE));
  }

  /**
   * The last-page cache alone: the physical address if `va`'s page is one
   * of the last two translated for this mode and kind of access, else -1. Changes
   * nothing and never faults. A hit implies `va` is a valid integer address
   * (the cached page is one, and the offset `va & PAGE_MASK` is an integer),
   * so callers may leave their argument checks to the miss path.
   *
   * `&` rather than `Math.floor(va / PAGE_SIZE)`: one integer operation
   * instead of a division, also for x64 addresses above 2^31 (doubles),
   * whose low 12 bits ToInt32 keeps.
   */
  lookup(va: number, access: AccessKind, user: boolean): number {
    const offset = va & OFFSET_MASK;
    const slot = (user ? 2 : 0) + (access & WRITE);
    if (access === EXECUTE) return -1;
    const page = va - offset;
    if (this.lastPage[slot] === page) return this.lastBase[slot]! + offset;
    if (this.lastPage[slot + LAST_SLOTS] === page) return this.lastBase[slot + LAST_SLOTS]! + offset;
    return -1;
  }

  private translateMiss(va: number, vpn: number, access: AccessKind, user: boolean, slot: number): number {
    const i = vpn & TLB_INDEX_MASK;
    let flags = this.tlbFlags[i]!;
    const hit = this.tlbVpn[i] === vpn
      && this.permits(flags, access, user)
      && (access !== ACCESS_WRITE || (flags & TLB_DIRTY) !== 0);
    if (!hit) {
      if (!this.walk(va, vpn, access, user)) return -1;
      flags = this.tlbFlags[i]!;
    }
    const base = this.tlbPfn[i]! * PAGE_SIZE;
    if (access !== ACCESS_EXECUTE) {
      this.lastPage[slot + LAST_SLOTS] = this.lastPage[slot]!;
      this.lastBase[slot + LAST_SLOTS] = this.lastBase[slot]!;
      this.lastPage[slot] = vpn * PAGE_SIZE;
      this.lastBase[slot] = base;
    }
    return base + (va - vpn * PAGE_SIZE);
  }

  private permits(flags: number, access: AccessKind, user: boolean): boolean {
    if (user && (flags & TLB_USER) === 0) return false;
    if (access === ACCESS_WRITE && (flags & TLB_WRITABLE) === 0) return false; // CR0.WP is set, as on Windows
    if (access === ACCESS_EXECUTE && (flags & TLB_NO_EXECUTE) !== 0) return false;
    return true;
  }

  /** The page walk: sets Accessed (and Dirty on a write) as the processor does, then fills the TLB. */
  private walk(va: number, vpn: number, access: AccessKind, user: boolean): boolean {
    this.stats.walks++;
    const mem = this.memory;
    const fmt = this.format;
    let table = this.cr3;
    let writable = true;
    let owner = true;
    let noExecute = false;
    let global = false;
    let pfn = 0;
    for (let level = 0; level < fmt.levels; level++) {
      const entryPa = table + tableIndex(fmt, va, level) * fmt.entryBytes;
      let low = mem.read32(entryPa);
      const high = this.is64 ? mem.read32(entryPa + 4) : 0;
      if ((low & PTE_VALID) === 0) return this.raise(va, access, user, false, level);
      writable &&= (low & PTE_WRITE) !== 0;
      owner &&= (low & PTE_OWNER) !== 0;
      noExecute ||= (high & PTE_HIGH_NO_EXECUTE) !== 0;
      pfn = (high & PTE_HIGH_FRAME_MASK) * 2 ** 20 + (low >>> 12);
      // Garbage written into the tables (a driver through the self-map): the walk stops here, never reading past memory.
      if (pfn >= this.physicalFrames) return this.raise(va, access, user, true, level, true);
      const last = level === fmt.levels - 1;
      if (last) {
        global = (low & PTE_GLOBAL) !== 0;
        const flags = (writable ? TLB_WRITABLE : 0) | (owner ? TLB_USER : 0) | (noExecute ? TLB_NO_EXECUTE : 0);
        if (!this.permits(flags, access, user)) return this.raise(va, access, user, true, level);
        let set = PTE_ACCESSED;
        if (access === ACCESS_WRITE) set |= PTE_DIRTY;
        if ((low & set) !== set) mem.write32(entryPa, (low |= set) >>> 0);
        const i = vpn & TLB_INDEX_MASK;
        this.tlbVpn[i] = vpn;
        this.tlbPfn[i] = pfn;
        this.tlbFlags[i] = flags | ((low & PTE_DIRTY) !== 0 ? TLB_DIRTY : 0) | (global ? TLB_GLOBAL : 0);
      } else {
        if ((low & PTE_ACCESSED) === 0) mem.write32(entryPa, (low | PTE_ACCESSED) >>> 0);
        table = pfn * PAGE_SIZE;
      }
    }
    return true;
  }

  private raise(va: number, access: AccessKind, user: boolean, present: boolean, level: number, reserved = false): false {
    this.stats.faults++;
    const f = this.fault;
    f.va = va;
    f.access = access;
    f.user = user;
    f.present = present;
    f.level = level;
    f.reserved = reserved;
    return false;
  }
}
