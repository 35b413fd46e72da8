/**
 * Nonpaged and paged pool (ExAllocatePoolWithTag, ExFreePoolWithTag).
 *
 * Small blocks are carved from pool pages behind a POOL_HEADER written into
 * guest memory (16 bytes on x64, 8 on x86), first fit, coalescing on free.
 * Requests too big for a small block get whole pages, page aligned, without a
 * header (Windows' "big pool"). Memory is never zeroed: a block holds what
 * was there before, which is why a driver that maps pool to user mode
 * unzeroed leaks kernel bytes.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepoolwithtag
 */
import { PAGE_MASK, PAGE_SIZE } from '../../hw/physical-memory.js';
import type { MmContext, MmProcess } from './context.js';
import type { Region } from './layout.js';
import { MiKernelPhysicalAddress } from './kernel-space.js';
import { PfnUse } from './pfn.js';

export { NonPagedPool, PagedPool } from '../../include/wdm-constants.js';
/** NonPagedPoolNx (512) and the other nonpaged variants are the same pool here. */
export const isPagedPoolType = (poolType: number): boolean => (poolType & 1) === 1;

/** One live pool block: address, size, tag, pool type, bytes charged and owning driver. */
export interface PoolAllocation {
  readonly address: number;
  readonly numberOfBytes: number;
  readonly tag: number;
  readonly poolType: number;
  /** Bytes taken from the pool, header and rounding included. */
  readonly charged: number;
  /** The driver whose routine was running, if any (for leak reports). */
  readonly owner: string | undefined;
}

interface SmallPage {
  va: number;
  /** Physical address of the page, for writing headers without a walk. */
  pa: number;
  /** Free runs of blocks: [offset in blocks, length in blocks], sorted by offset. */
  free: [number, number][];
}

/** One pool: a region of system space, its pages, its small-block pages. */
class PoolRegion {
  readonly pageUsed: Uint8Array;
  /** Pool pages cut into small blocks, by page index in the region (a small integer, unlike the address). */
  readonly smallPages = new Map<number, SmallPage>();
  /** The small page that last had room, tried first. */
  lastSmallPage: { index: number; page: SmallPage } | undefined;
  bytesInUse = 0;
  private hint = 0;

  constructor(readonly region: Region, readonly paged: boolean) {
    this.pageUsed = new Uint8Array(region.size / PAGE_SIZE);
  }

  /** Next-fit search for `count` free pages; returns the page index or -1. */
  findPages(count: number): number {
    const n = this.pageUsed.length;
    for (let pass = 0; pass < 2; pass++) {
      let run = 0;
      for (let i = pass === 0 ? this.hint : 0; i < n; i++) {
        run = this.pageUsed[i] ? 0 : run + 1;
        if (run === count) {
          this.hint = i + 1;
          return i - count + 1;
        }
      }
    }
    return -1;
  }
}

/**
 * Live allocations by address. Keyed by offset in the pool in 8-byte units
 * (a small integer) rather than by the address, which on x64 is a double and
 * hashes slowly; reads like a Map of address to allocation.
 */
class AllocationTable {
  private readonly byKey = new Map<number, PoolAllocation>();

  constructor(private readonly nonPaged: Region, private readonly paged: Region) {}

  private key(address: number): number {
    const np = address - this.nonPaged.base;
    if (np >= 0 && np < this.nonPaged.size) return np / 8;
    const pp = address - this.paged.base;
    if (pp >= 0 && pp < this.paged.size) return pp / 8 + 2 ** 30;
    return -1;
  }

  get(address: number): PoolAllocation | undefined {
    return this.byKey.get(this.key(address));
  }

  has(address: number): boolean {
    return this.byKey.has(this.key(address));
  }

  set(address: number, allocation: PoolAllocation): void {
    this.byKey.set(this.key(address), allocation);
  }

  delete(address: number): void {
    this.byKey.delete(this.key(address));
  }

  values(): IterableIterator<PoolAllocation> {
    return this.byKey.values();
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** Index of the first free run of a page with room for `blocks`, or -1. */
function firstFit(page: SmallPage, blocks: number): number {
  const free = page.free;
  for (let r = 0; r < free.length; r++) if (free[r]![1] >= blocks) return r;
  return -1;
}

/** Nonpaged and paged pool: the allocator behind ExAllocatePoolWithTag and ExFreePoolWithTag, with a record of every live block. */
export class Pool {
  readonly allocations: AllocationTable;
  private readonly nonPaged: PoolRegion;
  private readonly paged: PoolRegion;
  private readonly blockUnit: number;
  private readonly headerSize: number;

  constructor(private readonly k: MmContext) {
    this.nonPaged = new PoolRegion(k.layout.nonPagedPool, false);
    this.paged = new PoolRegion(k.layout.pagedPool, true);
    this.allocations = new AllocationTable(k.layout.nonPagedPool, k.layout.pagedPool);
    this.headerSize = k.arch === 'x64' ? 16 : 8;
    this.blockUnit = this.headerSize;
  }

  get nonPagedBytes(): number {
    return this.nonPaged.bytesInUse;
  }

  get pagedBytes(): number {
    return this.paged.bytesInUse;
  }

  /** True if `va` lies in paged pool (for MmBuildMdlForNonPagedPool and the IRQL checks). */
  isPagedPoolAddress(va: number): boolean {
    const r = this.paged.region;
    return va >= r.base && va < r.base + r.size;
  }

  isPoolAddress(va: number): boolean {
    const r = this.nonPaged.region;
    return this.isPagedPoolAddress(va) || (va >= r.base && va < r.base + r.size);
  }

  /** ExAllocatePoolWithTag; 0 when the pool cannot satisfy it. */
  allocate(poolType: number, numberOfBytes: number, tag: number): number {
    if (!Number.isInteger(numberOfBytes) || numberOfBytes < 0) return 0;
    const pool = isPagedPoolType(poolType) ? this.paged : this.nonPaged;
    const bytes = Math.max(numberOfBytes, 1);
    // POOL_BUDDY_MAX = PAGE_SIZE - (POOL_OVERHEAD + POOL_SMALLEST_BLOCK): above it, whole pages
    // (a bigger small block would not fit the header's BlockSize field).
    const big = bytes > PAGE_SIZE - 2 * this.headerSize;
    const address = big
      ? this.allocatePages(pool, Math.ceil(bytes / PAGE_SIZE))
      : this.allocateSmall(pool, bytes, poolType, tag);
    if (address === 0) return 0;
    const charged = big
      ? Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE
      : this.blocksFor(bytes) * this.blockUnit;
    pool.bytesInUse += charged;
    this.allocations.set(address, { address, numberOfBytes, tag, poolType, charged, owner: this.k.attribution.top()?.driver });
    return address;
  }

  /** ExFreePoolWithTag; returns the allocation, or undefined if `address` is not the start of one. */
  free(address: number): PoolAllocation | undefined {
    const a = this.allocations.get(address);
    if (!a) return undefined;
    this.allocations.delete(address);
    const pool = isPagedPoolType(a.poolType) ? this.paged : this.nonPaged;
    pool.bytesInUse -= a.charged;
    // A big block starts on a page; a small block never does (its header comes first).
    if ((address & PAGE_MASK) === 0) {
      this.freePages(pool, address, a.charged / PAGE_SIZE);
    } else {
      this.freeSmall(pool, address - this.headerSize, a.charged / this.blockUnit);
    }
    return a;
  }

  private blocksFor(bytes: number): number {
    return Math.ceil((bytes + this.headerSize) / this.blockUnit);
  }

  private allocatePages(pool: PoolRegion, count: number): number {
    const first = pool.findPages(count);
    if (first < 0) return 0;
    const va = pool.region.base + first * PAGE_SIZE;
    const frames: number[] = [];
    for (let i = 0; i < count; i++) {
      const pfn = this.k.pfn.removeAnyPage(pool.paged ? PfnUse.PagedPool : PfnUse.NonPagedPool);
      if (pfn < 0) {
        for (let j = 0; j < frames.length; j++) {
          this.k.pageTables.MiErasePte(this.k.systemRoot, va + j * PAGE_SIZE);
          this.k.pfn.freePage(frames[j]!);
        }
        return 0;
      }
      frames.push(pfn);
      this.k.pageTables.MiWriteValidPte(this.k.systemRoot, va + i * PAGE_SIZE, pfn, { writable: true, executable: false, user: false }, undefined);
      pool.pageUsed[first + i] = 1;
    }
    return va;
  }

  private freePages(pool: PoolRegion, va: number, count: number): void {
    const first = (va - pool.region.base) / PAGE_SIZE;
    for (let i = 0; i < count; i++) {
      const pfn = this.k.pageTables.MiErasePte(this.k.systemRoot, va + i * PAGE_SIZE);
      if (pfn >= 0 && !this.k.pfn.freePage(pfn)) this.reportStillMapped(va + i * PAGE_SIZE, pfn);
      pool.pageUsed[first + i] = 0;
    }
  }

  /** Freed pool that another mapping still shows: whoever holds that mapping sees the next owner's data. */
  private reportStillMapped(va: number, pfn: number): void {
    const k = this.k;
    const where = (k.pageTables.mappings.get(pfn) ?? []).map((m) => {
      const p = m.root < 0 ? undefined : k.processByRoot(m.root);
      return `${k.formatAddress(m.va)}${p ? ` in ${p.ImageFileName} (pid ${p.UniqueProcessId})` : ''}`;
    });
    const frame = k.attribution.top();
    k.report({
      kind: 'freed-pool-still-mapped',
      ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
      message: `pool page ${k.formatAddress(va)} (PFN 0x${pfn.toString(16)}) was freed while still mapped at ${where.join(', ')}: a user-visible mapping of freed pool`,
      details: { va: k.formatAddress(va), pfn, mappings: where },
    });
  }

  private allocateSmall(pool: PoolRegion, bytes: number, poolType: number, tag: number): number {
    const blocks = this.blocksFor(bytes);
    let page: SmallPage | undefined;
    let run = -1;
    // The page that served last is tried first; then every small page, first fit.
    const last = pool.lastSmallPage;
    if (last && pool.smallPages.get(last.index) === last.page) {
      run = firstFit(last.page, blocks);
      if (run >= 0) page = last.page;
    }
    if (!page) {
      for (const [index, p] of pool.smallPages) {
        run = firstFit(p, blocks);
        if (run >= 0) {
          page = p;
          pool.lastSmallPage = { index, page: p };
          break;
        }
      }
    }
    if (!page) {
      const va = this.allocatePages(pool, 1);
      if (va === 0) return 0;
      page = { va, pa: MiKernelPhysicalAddress(this.k, va), free: [[0, PAGE_SIZE / this.blockUnit]] };
      const index = (va - pool.region.base) / PAGE_SIZE;
      pool.smallPages.set(index, page);
      pool.lastSmallPage = { index, page };
      run = 0;
    }
    const entry = page.free[run]!;
    const offset = entry[0];
    if (entry[1] === blocks) page.free.splice(run, 1);
    else { entry[0] += blocks; entry[1] -= blocks; }
    this.writeHeader(page.pa + offset * this.blockUnit, offset, blocks, poolType, tag);
    return page.va + offset * this.blockUnit + this.headerSize;
  }

  private freeSmall(pool: PoolRegion, headerVa: number, blocks: number): void {
    const pageVa = headerVa - (headerVa & PAGE_MASK);
    const pageIndex = (pageVa - pool.region.base) / PAGE_SIZE;
    const page = pool.smallPages.get(pageIndex);
    if (!page) return;
    const offset = (headerVa - pageVa) / this.blockUnit;
    // Insert in offset order and merge with the free runs on either side.
    const free = page.free;
    let i = 0;
    while (i < free.length && free[i]![0] < offset) i++;
    const before = free[i - 1];
    const after = free[i];
    if (before && before[0] + before[1] === offset) {
      before[1] += blocks;
      if (after && before[0] + before[1] === after[0]) {
        before[1] += after[1];
        free.splice(i, 1);
      }
    } else if (after && offset + blocks === after[0]) {
      after[0] = offset;
      after[1] += blocks;
    } else {
      free.splice(i, 0, [offset, blocks]);
    }
    const whole = free.length === 1 && free[0]![0] === 0 && free[0]![1] === PAGE_SIZE / this.blockUnit;
    if (whole) {
      pool.smallPages.delete(pageIndex);
      this.freePages(pool, pageVa, 1);
    }
  }

  /**
   * POOL_HEADER, written through the physical frame so that pool's own
   * bookkeeping never counts as a driver's access. x64: PreviousSize,
   * PoolIndex, BlockSize, PoolType (one byte each, sizes in 16-byte units),
   * PoolTag, ProcessBilled. x86: two 16-bit words of 9+7 bits, then PoolTag.
   */
  private writeHeader(pa: number, previousBlocks: number, blocks: number, poolType: number, tag: number): void {
    const mem = this.k.memory;
    if (this.k.arch === 'x64') {
      mem.write32(pa, ((previousBlocks & 0xff) | (blocks & 0xff) << 16 | ((poolType + 1) & 0xff) << 24) >>> 0);
      mem.write32(pa + 4, tag >>> 0);
      mem.write32(pa + 8, 0);
      mem.write32(pa + 12, 0);
    } else {
      mem.write32(pa, ((previousBlocks & 0x1ff) | ((blocks & 0x1ff) << 16) | (((poolType + 1) & 0x7f) << 25)) >>> 0);
      mem.write32(pa + 4, tag >>> 0);
    }
  }
}
