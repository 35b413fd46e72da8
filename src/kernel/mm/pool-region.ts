/**
 * The pool's own bookkeeping, out of the guest's reach (pool.ts): a region
 * of system space with its used pages, and the small-block pages cut from it.
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { Region } from './layout.js';
import type { PoolAllocation } from './pool.js';

export interface SmallPage {
  /** Index of the page in its region. */
  index: number;
  va: number;
  /** Physical address of the page, for writing headers without a walk. */
  pa: number;
  /** Free runs of blocks: [offset in blocks, length in blocks], sorted by offset. */
  free: [number, number][];
  /** PreviousSize of the block starting at each offset (meaningful at block starts only). */
  previous: Uint16Array;
  /** Still a small page of the pool (false once its last block was freed and the page went back). */
  live: boolean;
  /** In its region's `pagesWithRoom`. */
  listed: boolean;
}

/** A live block as the pool keeps it: the record, and the small page it was cut from (none for a big block). */
export interface PoolBlock extends PoolAllocation {
  readonly page: SmallPage | undefined;
}

/** One pool: a region of system space, its pages, its small-block pages. */
export class PoolRegion {
  readonly pageUsed: Uint8Array;
  /** Pool pages cut into small blocks, by page index in the region (a small integer, unlike the address). */
  readonly smallPages = new Map<number, SmallPage>();
  /** The small page that last had room, tried first (if still live). */
  lastSmallPage: SmallPage | undefined;
  /**
   * Small pages an allocation searches: a page drops out when it is full or
   * too fragmented for a request, and comes back when a block in it is
   * freed, so that filling the pool is linear, not quadratic, in its pages.
   */
  readonly pagesWithRoom = new Set<number>();

  /** Puts a page on `pagesWithRoom` (a Set operation only when it was off). */
  listPage(page: SmallPage): void {
    if (page.listed) return;
    page.listed = true;
    this.pagesWithRoom.add(page.index);
  }

  unlistPage(page: SmallPage): void {
    if (!page.listed) return;
    page.listed = false;
    this.pagesWithRoom.delete(page.index);
  }
  bytesInUse = 0;
  private hint = 0;

  constructor(readonly region: Region, readonly paged: boolean) {
    this.pageUsed = new Uint8Array(region.size / PAGE_SIZE);
  }

  /** Next-fit search for `count` free pages; returns the page index or -1. */
  findPages(count: number): number {
    if (count === 1) {
      // One page (every small-block page): the typed array's own search, from the hint, then from the start.
      let i = this.pageUsed.indexOf(0, this.hint);
      if (i < 0) i = this.pageUsed.indexOf(0);
      if (i >= 0) this.hint = i + 1;
      return i;
    }
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

/** Index of the first free run of a page with room for `blocks`, or -1. */
export function firstFit(page: SmallPage, blocks: number): number {
  const free = page.free;
  for (let r = 0; r < free.length; r++) if (free[r]![1] >= blocks) return r;
  return -1;
}
