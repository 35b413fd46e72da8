/**
 * Driver Verifier's special pool (DRIVER_VERIFIER_SPECIAL_POOLING): each
 * pool block a driver asks for, while the option is on, gets a page of its
 * own, followed by a guard page that maps nothing, and ends at the end of
 * its page ("Verify End"), so that the first byte past the block faults.
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/special-pool
 *
 *   one slot of the special pool (two pages of a pool region's top quarter)
 *   +-----------------------------------------+---------------------+
 *   | pattern ........... | block (n bytes) |s| guard: PTE zero     |
 *   +-----------------------------------------+---------------------+
 *   page start            address           page end  (s: slop to the pool's 16/8-byte alignment)
 *
 * The pattern before the block and the slop after it are checked when the
 * block is freed (0xC1 / 0x23, 0x24); the freed page is unmapped and its
 * slot goes to the back of a queue, so that a touch of freed special pool
 * faults for as long as possible (0xD5, or 0xCC when no driver is running),
 * as does any touch of a guard page (0xD6 / 0xCD). Requests bigger than a
 * page less a header, and requests once the slots run out, go to normal
 * pool, as on Windows. The slots are the top quarter of each pool's region,
 * so that the special pool is still paged or nonpaged pool by address
 * (isPagedPoolAddress, the MDL checks) (docs/fidelity.md).
 */
import { PAGE_MASK, PAGE_SIZE } from '../../hw/physical-memory.js';
import {
  DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, PAGE_FAULT_BEYOND_END_OF_ALLOCATION,
  PAGE_FAULT_IN_FREED_SPECIAL_POOL, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION,
} from '../../include/bugcodes.js';
import { ACCESS_WRITE } from '../../hw/mmu.js';
import type { MmContext } from './context.js';
import type { Region } from './layout.js';
import { MiReportFreedPoolStillMapped } from './pool-still-mapped.js';
import { PfnUse } from './pfn.js';

/** What pool.ts lends the special pool of one of its regions. */
export interface SpecialPoolRegion {
  readonly region: Region;
  readonly paged: boolean;
  /** Page use of the region: 0 free, 1 mapped pool page, 2 reserved by the special pool (guard, freed). */
  readonly pageUsed: Uint8Array;
}

/** The byte the unused part of a special pool page holds: the low byte of the block's address (docs/fidelity.md). */
export const specialPoolPattern = (address: number): number => address & 0xff;

/** A slot's state, by page index in its region. */
const enum Slot { Guard = 1, Live = 2, Freed = 3 }

class SpecialPoolOf {
  /** First page index of the special pool in the region (the top quarter). */
  readonly first: number;
  private next: number;
  /** Freed slots, oldest first: reused only once the never-used ones are gone. */
  private readonly freed: number[] = [];
  private freedHead = 0;
  readonly slots: Uint8Array;

  constructor(readonly pool: SpecialPoolRegion) {
    const pages = pool.pageUsed.length;
    this.first = pages - (pages >> 2);
    this.next = this.first;
    this.slots = new Uint8Array(pages);
    // The normal allocator skips the special pool's pages from the start.
    pool.pageUsed.fill(2, this.first);
  }

  /** A slot's page index, or -1 when all are in use. */
  take(): number {
    if (this.next + 1 < this.pool.pageUsed.length) {
      const index = this.next;
      this.next += 2;
      this.slots[index + 1] = Slot.Guard;
      return index;
    }
    if (this.freedHead < this.freed.length) return this.freed[this.freedHead++]!;
    return -1;
  }

  giveBack(index: number): void {
    if (this.freedHead > 1024 && this.freedHead * 2 > this.freed.length) this.freed.splice(0, this.freedHead), this.freedHead = 0;
    this.freed.push(index);
  }

  contains(va: number): boolean {
    const r = this.pool.region;
    return va >= r.base + this.first * PAGE_SIZE && va < r.base + r.size;
  }
}

/** The special pool of both pools. */
export class MiSpecialPool {
  private readonly nonPaged: SpecialPoolOf;
  private readonly paged: SpecialPoolOf;
  /** Blocks placed here. */
  allocations = 0;

  constructor(private readonly k: MmContext, nonPaged: SpecialPoolRegion, paged: SpecialPoolRegion, private readonly unit: number) {
    this.nonPaged = new SpecialPoolOf(nonPaged);
    this.paged = new SpecialPoolOf(paged);
  }

  /** Whether `va` lies in either special pool. */
  contains(va: number): boolean {
    return this.nonPaged.contains(va) || this.paged.contains(va);
  }

  private of(va: number): SpecialPoolOf | undefined {
    return this.nonPaged.contains(va) ? this.nonPaged : this.paged.contains(va) ? this.paged : undefined;
  }

  /**
   * A block of `numberOfBytes` at the end of a page of its own (MiAllocateSpecialPool), or 0: too big
   * for a page, no slot, no frame (the caller then uses normal pool).
   */
  allocate(paged: boolean, numberOfBytes: number): number {
    const bytes = Math.max(numberOfBytes, 1);
    if (bytes > PAGE_SIZE - this.unit) return 0;
    const sp = paged ? this.paged : this.nonPaged;
    const index = sp.take();
    if (index < 0) return 0;
    const pfn = this.k.pfn.removeAnyPage(paged ? PfnUse.PagedPool : PfnUse.NonPagedPool);
    if (pfn < 0) {
      sp.giveBack(index);
      return 0;
    }
    const va = sp.pool.region.base + index * PAGE_SIZE;
    this.k.pageTables.MiWriteValidPte(this.k.systemRoot, va, pfn, { writable: true, executable: false, user: false }, undefined);
    sp.pool.pageUsed[index] = 1;
    sp.slots[index] = Slot.Live;
    // The highest address the block fits at, aligned as every pool block is (16 bytes on x64, 8 on x86).
    const address = (va + PAGE_SIZE - bytes) - ((va + PAGE_SIZE - bytes) & (this.unit - 1));
    const pa = pfn * PAGE_SIZE;
    const pattern = specialPoolPattern(address);
    this.k.memory.u8.fill(pattern, pa, pa + (address - va));
    this.k.memory.u8.fill(pattern, pa + (address - va) + numberOfBytes, pa + PAGE_SIZE);
    this.allocations++;
    return address;
  }

  /**
   * Checks and frees a special pool block (MmFreeSpecialPool): `numberOfBytes` as allocated, or
   * undefined when the address is no live block (0xC1 / 0x20). The pattern before the block and the
   * slop after it must be intact (0xC1 / 0x23, 0x24); then the page is unmapped, its slot kept reserved.
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc1--special-pool-detected-memory-corruption
   */
  free(address: number, allocated: number | undefined): void {
    const k: MmContext = this.k;
    const sp = this.of(address)!;
    const va = address - (address & PAGE_MASK);
    const index = (va - sp.pool.region.base) / PAGE_SIZE;
    if (allocated === undefined || sp.slots[index] !== Slot.Live) {
      k.bugCheck(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, address, 0, 0, 0x20,
        `ExFreePool was given ${k.formatAddress(address)}, in special pool but not a block allocated there (freed twice, or never allocated).`);
    }
    const numberOfBytes = allocated;
    // A trimmed paged page comes back before its pattern is read.
    if (sp.pool.paged && k.pageTables.frameAt(k.systemRoot, va) < 0) k.workingSets.MiResolveSoftwareFault(k.systemRoot, va, 0);
    const pfn = k.pageTables.frameAt(k.systemRoot, va);
    const pa = pfn * PAGE_SIZE;
    const u8 = k.memory.u8;
    const pattern = specialPoolPattern(address);
    const start = address - va;
    for (let i = 0; i < start; i++) {
      if (u8[pa + i] !== pattern) {
        k.bugCheck(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, address, va + i, 0, 0x23,
          `Special pool block ${k.formatAddress(address)} is freed, but the byte at ${k.formatAddress(va + i)} before it, in its page, was changed: a write before the start of the block.`);
      }
    }
    for (let i = start + numberOfBytes; i < PAGE_SIZE; i++) {
      if (u8[pa + i] !== pattern) {
        k.bugCheck(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, address, va + i, 0, 0x24,
          `Special pool block ${k.formatAddress(address)} (${numberOfBytes} bytes) is freed, but the byte at ${k.formatAddress(va + i)}, past its end, was changed: a write past the end of the block.`);
      }
    }
    k.pageTables.MiErasePte(k.systemRoot, va);
    if (k.pfn.shareCount[pfn] !== 0 || k.pfn.lockCount[pfn] !== 0) MiReportFreedPoolStillMapped(k, va, pfn, null);
    k.pfn.freePageLeavingMappings(pfn);
    sp.pool.pageUsed[index] = 2;
    sp.slots[index] = Slot.Freed;
    sp.giveBack(index);
  }

  /**
   * A kernel-mode fault in the special pool: a guard page (0xD6, or 0xCD with no driver running) or a
   * freed block's page (0xD5 / 0xCC) stops the machine; any other fault is not the special pool's.
   * P2 is 0 for a read, 1 for a write; P3 the address of the code that touched it.
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xd6--driver-page-fault-beyond-end-of-allocation
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xd5--driver-page-fault-in-freed-special-pool
   */
  MiCheckSpecialPoolFault(va: number, access: number): void {
    const sp = this.of(va);
    if (!sp) return;
    const slot = sp.slots[((va - sp.pool.region.base) / PAGE_SIZE) | 0];
    if (slot !== Slot.Guard && slot !== Slot.Freed) return;
    const k = this.k;
    const frame = k.attribution.top();
    const write = access === ACCESS_WRITE ? 1 : 0;
    const verb = write ? 'wrote' : 'read';
    if (slot === Slot.Guard) {
      k.bugCheck(frame?.driver ? DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION : PAGE_FAULT_BEYOND_END_OF_ALLOCATION, va, write, frame?.address ?? 0, 0,
        `${frame?.driver ?? 'The system'} ${verb} ${k.formatAddress(va)}, past the end of a special pool block: the guard page after the block maps nothing (Driver Verifier's special pool).`);
    }
    k.bugCheck(frame?.driver ? DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL : PAGE_FAULT_IN_FREED_SPECIAL_POOL, va, write, frame?.address ?? 0, 0,
      `${frame?.driver ?? 'The system'} ${verb} ${k.formatAddress(va)}, in a special pool block that was freed (Driver Verifier's special pool unmaps freed blocks).`);
  }
}
