/**
 * The pool's table of live allocations, by address (pool.ts keeps one).
 */
import { PAGE_MASK, PAGE_SIZE } from '../../hw/physical-memory.js';
import type { Region } from './layout.js';

/**
 * Live allocations by address: for each page of each pool (an array by page
 * index, which pool fills from its bottom), a small Map by offset in the
 * page. Reads like one Map of address to allocation; but no one Map grows to
 * every block in pool (a Map of 100 000 entries costs some 300 ns an insert
 * as it grows, 130 ns a delete as it shrinks), and no key is a double (an
 * x64 address), which hashes slowly. A freed block's entry is kept, empty,
 * for the next block at that offset: a Map that is added to and deleted from
 * rebuilds its table every so many additions, and a request that allocates
 * and frees one buffer (an IOCTL's SystemBuffer) would make garbage.
 */
export class AllocationTable<T> {
  private readonly nonPagedPages: (Map<number, T | undefined> | undefined)[] = [];
  private readonly pagedPages: (Map<number, T | undefined> | undefined)[] = [];
  private count = 0;

  constructor(private readonly nonPaged: Region, private readonly paged: Region) {}

  /** The Map of the page holding `address` (made if `make`), or undefined for an address in neither pool. */
  private page(address: number, make: boolean): Map<number, T | undefined> | undefined {
    let pages: (Map<number, T | undefined> | undefined)[];
    let offset = address - this.nonPaged.base;
    if (offset >= 0 && offset < this.nonPaged.size) pages = this.nonPagedPages;
    else {
      offset = address - this.paged.base;
      if (!(offset >= 0 && offset < this.paged.size)) return undefined;
      pages = this.pagedPages;
    }
    // A pool is at most 4 GiB: a page index is a small integer.
    const index = (offset / PAGE_SIZE) | 0;
    let map = index < pages.length ? pages[index] : undefined;
    if (map === undefined && make) {
      // Filled up to the index, never with a hole far past the end (which would make the array a dictionary).
      while (pages.length < index) pages.push(undefined);
      pages[index] = map = new Map();
    }
    return map;
  }

  get(address: number): T | undefined {
    return this.page(address, false)?.get(address & PAGE_MASK);
  }

  has(address: number): boolean {
    return this.get(address) !== undefined;
  }

  set(address: number, allocation: T): void {
    const map = this.page(address, true);
    if (map === undefined) throw new RangeError(`${address} is in no pool`);
    const key = address & PAGE_MASK;
    if (map.get(key) === undefined) this.count++;
    map.set(key, allocation);
  }

  delete(address: number): void {
    const map = this.page(address, false);
    const key = address & PAGE_MASK;
    if (map === undefined || map.get(key) === undefined) return;
    map.set(key, undefined);
    this.count--;
  }

  *values(): IterableIterator<T> {
    for (const pages of [this.nonPagedPages, this.pagedPages]) {
      for (const map of pages) {
        if (map !== undefined) for (const block of map.values()) if (block !== undefined) yield block;
      }
    }
  }

  get size(): number {
    return this.count;
  }
}
