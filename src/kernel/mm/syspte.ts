/**
 * System PTEs: the region of system space from which MDL mappings
 * (MmMapLockedPagesSpecifyCache(KernelMode)) and driver images take their
 * virtual addresses (MiReserveSystemPtes / MiReleaseSystemPtes).
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { Region } from './layout.js';

/** The system PTE region: reserves and releases runs of PTEs (MiReserveSystemPtes, MiReleaseSystemPtes). */
export class SystemPtes {
  private readonly used: Uint8Array;
  /** Length of each reservation, by first page index, so a release can be checked. */
  private readonly reservations = new Map<number, number>();
  private hint = 0;

  constructor(readonly region: Region) {
    this.used = new Uint8Array(region.size / PAGE_SIZE);
  }

  /** How many system PTEs there are. */
  get total(): number {
    return this.used.length;
  }

  get pagesInUse(): number {
    let n = 0;
    for (const count of this.reservations.values()) n += count;
    return n;
  }

  /** Reserves `count` consecutive PTEs; returns the virtual address or 0. */
  MiReserveSystemPtes(count: number): number {
    const n = this.used.length;
    for (let pass = 0; pass < 2; pass++) {
      let run = 0;
      for (let i = pass === 0 ? this.hint : 0; i < n; i++) {
        run = this.used[i] ? 0 : run + 1;
        if (run === count) {
          const first = i - count + 1;
          this.used.fill(1, first, first + count);
          this.reservations.set(first, count);
          this.hint = i + 1;
          return this.region.base + first * PAGE_SIZE;
        }
      }
    }
    return 0;
  }

  /** Releases a reservation; false if `va` does not start one of `count` pages. */
  MiReleaseSystemPtes(va: number, count: number): boolean {
    const first = (va - this.region.base) / PAGE_SIZE;
    if (this.reservations.get(first) !== count) return false;
    this.reservations.delete(first);
    this.used.fill(0, first, first + count);
    return true;
  }

  contains(va: number): boolean {
    return va >= this.region.base && va < this.region.base + this.region.size;
  }
}
