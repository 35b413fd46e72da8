/**
 * Nonpaged and paged pool (ExAllocatePoolWithTag, ExFreePoolWithTag).
 *
 * Small blocks are carved from pool pages behind a POOL_HEADER written into
 * guest memory (16 bytes on x64, 8 on x86), first fit, coalescing on free;
 * free blocks carry a header too, and every header's PreviousSize is the
 * size of the block before it (pool-header.ts), so that a free can check its
 * neighbours (pool-check.ts). The allocator's own truth (free runs, live
 * blocks) is kept here, out of the guest's reach: a corrupt header stops the
 * machine, it never misleads the allocator.
 *
 * Requests too big for a small block get whole pages, page aligned, without a
 * header (Windows' "big pool"). Memory is never zeroed: a block holds what
 * was there before, which is why a driver that maps pool to user mode
 * unzeroed leaks kernel bytes.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepoolwithtag
 */
import { MiReportFreedPoolStillMapped, MiReportSmallBlockStillMapped } from './pool-still-mapped.js';
import { PAGE_MASK, PAGE_SIZE } from '../../hw/physical-memory.js';
import { BAD_POOL_CALLER, BAD_POOL_HEADER } from '../../include/bugcodes.js';
import type { MmContext } from './context.js';
import { firstFit, PoolRegion, type PoolBlock, type SmallPage } from './pool-region.js';
import { MiKernelPhysicalAddress } from './kernel-space.js';
import { PfnUse } from './pfn.js';
import { AllocationTable } from './pool-allocations.js';
import { ExpBugCheckFreedTwice, ExpBugCheckWrongTag, ExpCheckPoolHeader } from './pool-check.js';
import { PoolHeaders } from './pool-header.js';
import { MiSpecialPool } from './special-pool.js';
import { DRIVER_VERIFIER_SPECIAL_POOLING, verifierChecks } from '../../include/verifier-flags.js';

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
  /** Placed in Driver Verifier's special pool (special-pool.ts): a page of its own, ending at the page's end. */
  readonly special?: true;
}

/** Nonpaged and paged pool: the allocator behind ExAllocatePoolWithTag and ExFreePoolWithTag, with a record of every live block. */
export class Pool {
  readonly allocations: AllocationTable<PoolBlock>;
  private readonly nonPaged: PoolRegion;
  private readonly paged: PoolRegion;
  private readonly headers: PoolHeaders;
  /** sizeof(POOL_HEADER), which is also the block unit: 16 bytes on x64, 8 on x86. */
  private readonly unit: number;
  /** Blocks per page. */
  private readonly units: number;
  /** Driver Verifier's special pool, with its option on; null otherwise. */
  readonly special: MiSpecialPool | null;

  constructor(private readonly k: MmContext) {
    this.nonPaged = new PoolRegion(k.layout.nonPagedPool, false);
    this.paged = new PoolRegion(k.layout.pagedPool, true);
    this.allocations = new AllocationTable<PoolBlock>(k.layout.nonPagedPool, k.layout.pagedPool);
    this.headers = new PoolHeaders(k.memory, k.arch);
    this.unit = this.headers.size;
    this.units = PAGE_SIZE / this.unit;
    this.special = verifierChecks(k.options, DRIVER_VERIFIER_SPECIAL_POOLING) ? new MiSpecialPool(k, this.nonPaged, this.paged, this.unit) : null;
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

  /** The paged pool pages in use (each page of a big block, each small-block page): what a trim visits. */
  pagedPoolPages(): number[] {
    const pages: number[] = [];
    const used = this.paged.pageUsed;
    for (let i = used.indexOf(1); i >= 0; i = used.indexOf(1, i + 1)) pages.push(this.paged.region.base + i * PAGE_SIZE);
    return pages;
  }

  /**
   * A paged pool small page the pool is about to read or write through its
   * physical address: faulted back in first if it was trimmed (its frame may
   * be new), as the pool's own access would fault on Windows.
   */
  private resident(pool: PoolRegion, page: SmallPage): void {
    if (!pool.paged || this.k.pageTables.frameAt(this.k.systemRoot, page.va) >= 0) return;
    this.k.workingSets.MiResolveSoftwareFault(this.k.systemRoot, page.va, 1);
    page.pa = MiKernelPhysicalAddress(this.k, page.va);
  }

  isPoolAddress(va: number): boolean {
    const r = this.nonPaged.region;
    return this.isPagedPoolAddress(va) || (va >= r.base && va < r.base + r.size);
  }

  /**
   * ExAllocatePoolWithTag; 0 when the pool cannot satisfy it. The owner is the driver whose routine is
   * running, unless `kernelOwned` (storage the kernel supplies on a driver's behalf: nt-timer.ts).
   */
  allocate(poolType: number, numberOfBytes: number, tag: number, kernelOwned = false): number {
    if (!Number.isInteger(numberOfBytes) || numberOfBytes < 0) return 0;
    const pool = isPagedPoolType(poolType) ? this.paged : this.nonPaged;
    const bytes = Math.max(numberOfBytes, 1);
    // POOL_BUDDY_MAX = PAGE_SIZE - (POOL_OVERHEAD + POOL_SMALLEST_BLOCK): above it, whole pages
    // (a bigger small block would not fit the header's BlockSize field).
    const big = bytes > PAGE_SIZE - 2 * this.unit;
    const address = big
      ? this.allocatePages(pool, Math.ceil(bytes / PAGE_SIZE))
      : this.allocateSmall(pool, bytes, poolType, tag);
    if (address === 0) return 0;
    const charged = big
      ? Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE
      : this.blocksFor(bytes) * this.unit;
    pool.bytesInUse += charged;
    const page = big ? undefined : pool.lastSmallPage;
    const owner = kernelOwned ? undefined : this.k.attribution.top()?.driver;
    this.allocations.set(address, { address, numberOfBytes, tag, poolType, charged, owner, page });
    // A driver's block starts uninitialized (mm/taint.ts): it may not reach user mode before the driver writes it.
    if (owner !== undefined) this.k.uninitialized.taintVa(address, numberOfBytes);
    return address;
  }

  /**
   * ExAllocatePool* as a driver calls it: with the verifier's special pool on and a driver's routine
   * running, the block goes to special pool if it fits on a page (special-pool.ts); otherwise allocate().
   */
  allocateForCaller(poolType: number, numberOfBytes: number, tag: number): number {
    const special = this.special;
    const owner = special !== null && Number.isInteger(numberOfBytes) && numberOfBytes >= 0 ? this.k.attribution.top()?.driver : undefined;
    if (owner === undefined) return this.allocate(poolType, numberOfBytes, tag);
    const paged = isPagedPoolType(poolType);
    const address = special!.allocate(paged, numberOfBytes);
    if (address === 0) return this.allocate(poolType, numberOfBytes, tag);
    (paged ? this.paged : this.nonPaged).bytesInUse += PAGE_SIZE;
    this.allocations.set(address, { address, numberOfBytes, tag, poolType, charged: PAGE_SIZE, owner, page: undefined, special: true });
    this.k.uninitialized.taintVa(address, numberOfBytes);
    return address;
  }

  /**
   * ExFreePoolWithTag (`tag` 0: ExFreePool, no tag check). Every free is
   * checked, the kernel's own as well as a driver's: an address that is not
   * an allocated block, a wrong tag or a corrupt header stops the machine
   * (pool-check.ts). Returns the block that was freed.
   */
  free(address: number, tag = 0): PoolAllocation {
    const k: MmContext = this.k;
    // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc2--bad-pool-caller
    if (!(address >= k.layout.systemRangeStart)) {
      k.bugCheck(BAD_POOL_CALLER, 0x40, address, k.layout.systemRangeStart, 0, `ExFreePool was given ${k.formatAddress(address)}, a user-mode address, to free as kernel pool.`);
    }
    const pool = this.isPagedPoolAddress(address) ? this.paged : this.nonPaged;
    if (pool === this.nonPaged && !(address >= pool.region.base && address < pool.region.base + pool.region.size)) {
      k.bugCheck(BAD_POOL_CALLER, 0x42, address, 0, 0, `ExFreePool was given ${k.formatAddress(address)}, a system address that was never in any pool.`);
    }
    if (this.special !== null && this.special.contains(address)) return this.freeSpecial(pool, address, tag);
    // A big block starts on a page; a small block never does (its header comes first).
    if ((address & PAGE_MASK) === 0) return this.freeBig(pool, address, tag);
    if ((address & (this.unit - 1)) !== 0) {
      k.bugCheck(BAD_POOL_CALLER, 0x99, address, 0, 0, `ExFreePool was given ${k.formatAddress(address)}, which is not aligned as every pool block is (${this.unit} bytes): not the start of a block.`);
    }
    const headerVa = address - this.unit;
    const pageVa = headerVa - (headerVa & PAGE_MASK);
    const a = this.allocations.get(address);
    // A live small block knows its page; any other address is looked up (and is a bug check below).
    const page = a !== undefined && a.page !== undefined ? a.page : pool.smallPages.get((pageVa - pool.region.base) / PAGE_SIZE);
    const offset = (headerVa - pageVa) / this.unit;
    if (page) this.resident(pool, page);
    // A page the pool no longer holds reads as zeros here: its blocks were all freed.
    const pagePa = page ? page.pa : this.mappedPagePa(pageVa);
    if (pagePa < 0) ExpBugCheckFreedTwice(k, address, 0);
    const blocks = ExpCheckPoolHeader(k, this.headers, address, pageVa, pagePa, offset, tag);
    if (!a || !page) {
      // The bytes before the address look like a header, but the pool never handed out a block there.
      k.bugCheck(BAD_POOL_CALLER, 0x99, address, 0, 0, `ExFreePool was given ${k.formatAddress(address)}, which is inside pool but not the start of any block.`);
    }
    if (a.charged / this.unit !== blocks) {
      k.bugCheck(BAD_POOL_HEADER, 0x20, headerVa, headerVa + blocks * this.unit, 0,
        `A pool header is corrupt: the block at ${k.formatAddress(headerVa)} has ${a.charged / this.unit} units, its header says ${blocks}.`);
    }
    this.allocations.delete(address);
    pool.bytesInUse -= a.charged;
    // The block lies in its page, whose frame the pool knows: forgotten there without a page-table walk
    // (the walk was a fifth of an IOCTL's time, the SystemBuffer's free being on every request's path).
    const start = address & PAGE_MASK;
    if (start + a.numberOfBytes <= PAGE_SIZE) this.k.uninitialized.forgetPa(page.pa + start, a.numberOfBytes);
    else this.k.uninitialized.forgetVa(address, a.numberOfBytes);
    MiReportSmallBlockStillMapped(this.k, this.units, page, address, a.numberOfBytes, blocks);
    this.freeSmall(pool, page, offset, blocks);
    return a;
  }

  /** A page-aligned free: the start of a big block, or a bug check (0xC2 / 0x41 nonpaged, 0x50 paged). */
  private freeBig(pool: PoolRegion, address: number, tag: number): PoolAllocation {
    const k: MmContext = this.k;
    const a = this.allocations.get(address);
    if (!a) {
      if (pool.paged) {
        k.bugCheck(BAD_POOL_CALLER, 0x50, address, (address - pool.region.base) / PAGE_SIZE, pool.region.size,
          `ExFreePool was given ${k.formatAddress(address)}, a paged pool page that is not the start of an allocation (freed twice, or never allocated).`);
      }
      const pfn = k.pageTables.frameAt(k.systemRoot, address);
      k.bugCheck(BAD_POOL_CALLER, 0x41, address, Math.max(pfn, 0), k.pfn.total - 1,
        `ExFreePool was given ${k.formatAddress(address)}, a nonpaged pool page that is not the start of an allocation (freed twice, or never allocated).`);
    }
    if (tag !== 0 && tag !== a.tag) ExpBugCheckWrongTag(k, address, a.tag, tag);
    this.allocations.delete(address);
    pool.bytesInUse -= a.charged;
    k.uninitialized.forgetVa(address, a.numberOfBytes);
    this.freePages(pool, address, a.charged / PAGE_SIZE);
    return a;
  }

  /** A free in the special pool: the tag, then the page's pattern (special-pool.ts). */
  private freeSpecial(pool: PoolRegion, address: number, tag: number): PoolAllocation {
    const a = this.allocations.get(address);
    if (a && tag !== 0 && tag !== a.tag) ExpBugCheckWrongTag(this.k, address, a.tag, tag);
    if (a) this.k.uninitialized.forgetVa(address, a.numberOfBytes);
    this.special!.free(address, a?.numberOfBytes);
    this.allocations.delete(address);
    pool.bytesInUse -= a!.charged;
    return a!;
  }

  /**
   * For a block the kernel keeps for reuse (the IRP lookaside list): stops
   * the machine with 0xC2 / 7 if `block` is no longer the live block at its
   * address — someone freed it behind its owner's back.
   */
  ExpCheckStillAllocated(block: PoolAllocation): void {
    if (this.allocations.get(block.address) === block) return;
    const headerVa = block.address - this.unit;
    const pfn = this.k.pageTables.frameAt(this.k.systemRoot, headerVa);
    ExpBugCheckFreedTwice(this.k, block.address, pfn < 0 ? 0 : this.headers.ulong1(pfn * PAGE_SIZE + (headerVa & PAGE_MASK)));
  }

  /** Physical address of a mapped system page, or -1. */
  private mappedPagePa(va: number): number {
    const pfn = this.k.pageTables.frameAt(this.k.systemRoot, va);
    return pfn < 0 ? -1 : pfn * PAGE_SIZE;
  }

  private blocksFor(bytes: number): number {
    return Math.ceil((bytes + this.unit) / this.unit);
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

  /**
   * Gives the pages back. A frame another mapping still shows (a user
   * mapping of the page) is reported and goes to the free list all the
   * same, as on Windows, whose PFN does not count that mapping: the next
   * allocation reuses it and the mapping's owner sees the new owner's bytes.
   * A frame an MDL still holds locked waits for its last lock.
   */
  private freePages(pool: PoolRegion, va: number, count: number): void {
    const first = (va - pool.region.base) / PAGE_SIZE;
    for (let i = 0; i < count; i++) {
      const pfn = this.k.pageTables.MiErasePte(this.k.systemRoot, va + i * PAGE_SIZE);
      // A trimmed page: its transition frame or pagefile slot goes instead (working-set.ts).
      if (pfn < 0 && pool.paged) this.k.workingSets.MiDeleteSoftwarePte(this.k.systemRoot, va + i * PAGE_SIZE);
      if (pfn >= 0) {
        if (this.k.pfn.shareCount[pfn] !== 0 || this.k.pfn.lockCount[pfn] !== 0) MiReportFreedPoolStillMapped(this.k, va + i * PAGE_SIZE, pfn, null);
        this.k.pfn.freePageLeavingMappings(pfn);
      }
      pool.pageUsed[first + i] = 0;
    }
  }

  private allocateSmall(pool: PoolRegion, bytes: number, poolType: number, tag: number): number {
    const blocks = this.blocksFor(bytes);
    let page: SmallPage | undefined;
    let run = -1;
    // The page that served last is tried first; then every small page, first fit.
    const last = pool.lastSmallPage;
    if (last !== undefined && last.live) {
      run = firstFit(last, blocks);
      if (run >= 0) page = last;
    }
    if (!page) {
      for (const index of pool.pagesWithRoom) {
        const p = pool.smallPages.get(index)!;
        run = firstFit(p, blocks);
        // Too fragmented for this size: searched again once a block in it is freed (freeSmall adds it back).
        if (run < 0) pool.unlistPage(p);
        if (run >= 0) {
          page = p;
          break;
        }
      }
    }
    if (!page) {
      const va = this.allocatePages(pool, 1);
      if (va === 0) return 0;
      const index = (va - pool.region.base) / PAGE_SIZE;
      page = {
        index, va, pa: MiKernelPhysicalAddress(this.k, va), free: [[0, this.units]], previous: new Uint16Array(this.units), live: true, listed: false,
      };
      pool.smallPages.set(index, page);
      pool.listPage(page);
      run = 0;
    }
    // allocate() records the block's page from here.
    pool.lastSmallPage = page;
    this.resident(pool, page);
    const entry = page.free[run]!;
    const offset = entry[0];
    const length = entry[1];
    // A free block's header changed since the pool wrote it: something wrote past the block before it.
    if (length < this.units) this.checkFreeHeader(page, offset, length);
    if (length === blocks) {
      page.free.splice(run, 1);
      if (page.free.length === 0) pool.unlistPage(page);
    } else { entry[0] += blocks; entry[1] -= blocks; }

    // The new block, the free rest of the run after it, and the PreviousSize of the block after the run.
    const h = this.headers;
    const previous = page.previous;
    h.writeAllocated(page.pa + offset * this.unit, previous[offset]!, blocks, poolType, tag);
    if (length > blocks) {
      previous[offset + blocks] = blocks;
      h.writeFree(page.pa + (offset + blocks) * this.unit, blocks, length - blocks);
    }
    const after = offset + length;
    if (after < this.units) {
      const size = length > blocks ? length - blocks : blocks;
      previous[after] = size;
      h.writePreviousSize(page.pa + after * this.unit, size);
    }
    return page.va + offset * this.unit + this.unit;
  }

  /** 0x19 / 0x0D: the header of a free block is not what the pool left there (a freed block's header was modified). */
  private checkFreeHeader(page: SmallPage, offset: number, length: number): void {
    const pa = page.pa + offset * this.unit;
    const expected = this.headers.encode(page.previous[offset]!, length, 0);
    const found = this.headers.ulong1(pa);
    if (found === expected) return;
    const va = page.va + offset * this.unit;
    this.k.bugCheck(BAD_POOL_HEADER, 0x0d, va, found, expected,
      `A pool header is corrupt: the header of the free block at ${this.k.formatAddress(va)} was modified after the block was freed (most often by a write past the end of the block before it).`);
  }

  private freeSmall(pool: PoolRegion, page: SmallPage, offset: number, blocks: number): void {
    // Insert in offset order and merge with the free runs on either side.
    const free = page.free;
    let i = 0;
    while (i < free.length && free[i]![0] < offset) i++;
    // Never free[-1]: a negative index is a named-property lookup, many times slower than the rest of the free.
    const before = i > 0 ? free[i - 1] : undefined;
    const after = i < free.length ? free[i] : undefined;
    let start = offset;
    let size = blocks;
    if (before && before[0] + before[1] === offset) {
      before[1] += blocks;
      if (after && before[0] + before[1] === after[0]) {
        before[1] += after[1];
        free.splice(i, 1);
      }
      start = before[0];
      size = before[1];
    } else if (after && offset + blocks === after[0]) {
      after[0] = offset;
      after[1] += blocks;
      size = after[1];
    } else {
      free.splice(i, 0, [offset, blocks]);
    }
    pool.listPage(page);
    if (size === this.units) {
      pool.smallPages.delete(page.index);
      pool.unlistPage(page);
      page.live = false;
      this.freePages(pool, page.va, 1);
      return;
    }
    // The merged free block's header, and the PreviousSize of the block after it.
    this.headers.writeFree(page.pa + start * this.unit, page.previous[start]!, size);
    const next = start + size;
    if (next < this.units) {
      page.previous[next] = size;
      this.headers.writePreviousSize(page.pa + next * this.unit, size);
    }
  }
}
