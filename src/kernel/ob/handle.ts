/**
 * Handle tables: one per process, and the kernel's own (the System process's,
 * reached with OBJ_KERNEL_HANDLE). User handles are small multiples of four;
 * kernel handles have the top bit set, which ntshm writes as a negative
 * number (0xFFFFFFFF80000004 is -0x7FFFFFFC), so -1 stays NtCurrentProcess().
 *
 * Allocation is constant-time, from a free list, as ExCreateHandle's is
 * (WRK base/ntos/ex/handle.c, ReactOS ntoskrnl/ex/handle.c):
 *
 *   ExpAllocateHandleTableEntry   pops the head of FirstFree;
 *   ExpFreeHandleTableEntry       pushes the freed entry back on FirstFree
 *                                 (the uncontended path: ntshm's kernel has
 *                                 no contention), so the handle closed last
 *                                 is the next one given out (LIFO);
 *   ExpAllocateHandleTableEntrySlow  when the list is empty, adds a page of
 *                                 entries (a "low-level table") in ascending
 *                                 order. Entry 0 of every such page is never
 *                                 handed out (its NextFreeTableEntry is the
 *                                 EX_ADDITIONAL_INFO_SIGNATURE), so on x64,
 *                                 with 256 16-byte entries a page, handle
 *                                 0x400 never exists (0x800 on x86, 512
 *                                 8-byte entries).
 *
 * A fresh table therefore gives 4, 8, 12, ... in order, as before.
 */
import type { Arch } from '../../include/structures.js';
import type { KernelObject } from './object.js';

/** HANDLE_TABLE_ENTRY: the object a handle refers to, the access granted and the handle's attributes. */
export interface HandleEntry {
  readonly object: KernelObject;
  readonly grantedAccess: number;
  readonly attributes: number;
}

const KERNEL_HANDLE_BIAS = 2 ** 31;

/** LOWLEVEL_COUNT: HANDLE_TABLE_ENTRYs in one page of the table (PAGE_SIZE / sizeof(HANDLE_TABLE_ENTRY)). */
export const HANDLE_ENTRIES_PER_PAGE: Readonly<Record<Arch, number>> = { x64: 4096 / 16, x86: 4096 / 8 };

/** HANDLE_TABLE: a process's handles, or the kernel's when `kernel` (values with the top bit set). */
export class HandleTable {
  /**
   * The entries by index (handle / 4): the table's pages laid end to end, an
   * empty slot being a free or skipped entry. Indexes are handed out from the
   * bottom, so the array stays dense and a lookup is one indexed load.
   */
  private readonly entries: (HandleEntry | undefined)[] = [];
  /** FirstFree: indexes of freed entries, the most recently freed last (popped first). */
  private readonly firstFree: number[] = [];
  /** NextHandleNeedingPool, as an index: the first entry no page holds yet. */
  private nextIndex = 1;
  private open = 0;

  constructor(readonly kernel: boolean) {}

  get count(): number {
    return this.open;
  }

  /**
   * ExCreateHandle: the head of the free list, or, when the list is empty,
   * the next entry of the table's last page (a new page's first entry is skipped).
   */
  insert(entry: HandleEntry, arch: Arch): number {
    let index = this.firstFree.pop();
    if (index === undefined) {
      if (this.nextIndex % HANDLE_ENTRIES_PER_PAGE[arch] === 0) this.entries[this.nextIndex++] = undefined;
      index = this.nextIndex++;
    }
    this.entries[index] = entry;
    this.open++;
    return this.valueOf(index);
  }

  lookup(handle: number): HandleEntry | undefined {
    const index = this.indexOf(handle);
    // Only indexes the table has handed out are read: no hole past the end, no negative or fractional index.
    return index > 0 && index < this.nextIndex ? this.entries[index] : undefined;
  }

  /** ExDestroyHandle: the entry goes back on the head of the free list. */
  remove(handle: number): HandleEntry | undefined {
    const entry = this.lookup(handle);
    if (entry) {
      const index = this.indexOf(handle);
      this.entries[index] = undefined;
      this.open--;
      this.firstFree.push(index);
    }
    return entry;
  }

  /** Handles in creation order of value, for process teardown. */
  handles(): number[] {
    const out: number[] = [];
    for (let index = 1; index < this.nextIndex; index++) if (this.entries[index] !== undefined) out.push(this.valueOf(index));
    return out;
  }

  /** Entries on the free list (for the invariant that free + open = every entry handed out so far). */
  get freeCount(): number {
    return this.firstFree.length;
  }

  /** NextHandleNeedingPool, as an index: entries below it are open, free, or a page's skipped first entry. */
  get nextHandleNeedingPool(): number {
    return this.nextIndex;
  }

  private valueOf(index: number): number {
    return this.kernel ? index * 4 - KERNEL_HANDLE_BIAS : index * 4;
  }

  /** The index of a handle value of this table; any other value (the other table's, unaligned, not a number) gives -1. */
  private indexOf(handle: number): number {
    if (typeof handle !== 'number') return -1;
    const biased = this.kernel ? handle + KERNEL_HANDLE_BIAS : handle;
    return biased >= 0 && biased < KERNEL_HANDLE_BIAS && biased % 4 === 0 ? biased / 4 : -1;
  }
}

/** Whether a handle value is a kernel handle: top bit set (negative here) and a multiple of four. */
export const isKernelHandle = (handle: number): boolean => handle < 0 && handle >= -(2 ** 31) + 4 && handle % 4 === 0;
/** NtCurrentProcess() and NtCurrentThread(). */
export const NtCurrentProcess = -1;
export const NtCurrentThread = -2;

/**
 * The handle table's index of a handle value: the low two bits of a handle
 * are tag bits the application may use, and every lookup clears them
 * (EXHANDLE.TagBits; ExpLookupHandleTableEntry: "Clear the tag bits"), so
 * 8|3 names handle 8. The pseudo-handles (-1, -2) are no table's handles and
 * are left as they are.
 * https://github.com/reactos/reactos/blob/master/ntoskrnl/ex/handle.c
 */
export function ExpClearHandleTagBits(handle: number): number {
  if (handle === NtCurrentProcess || handle === NtCurrentThread || !Number.isInteger(handle)) return handle;
  return handle - (((handle % 4) + 4) % 4);
}
