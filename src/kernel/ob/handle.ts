/**
 * Handle tables: one per process, and the kernel's own (the System process's,
 * reached with OBJ_KERNEL_HANDLE). User handles are small multiples of four;
 * kernel handles have the top bit set, which ntshm writes as a negative
 * number (0xFFFFFFFF80000004 is -0x7FFFFFFC), so -1 stays NtCurrentProcess().
 */
import type { KernelObject } from './object.js';

/** HANDLE_TABLE_ENTRY: the object a handle refers to, the access granted and the handle's attributes. */
export interface HandleEntry {
  readonly object: KernelObject;
  readonly grantedAccess: number;
  readonly attributes: number;
}

const KERNEL_HANDLE_BIAS = 2 ** 31;

/** HANDLE_TABLE: a process's handles, or the kernel's when `kernel` (values with the top bit set). */
export class HandleTable {
  private readonly entries = new Map<number, HandleEntry>();

  constructor(readonly kernel: boolean) {}

  get count(): number {
    return this.entries.size;
  }

  /** Inserts with the lowest free handle value, as ExCreateHandle does. */
  insert(entry: HandleEntry): number {
    let index = 1;
    while (this.entries.has(this.valueOf(index))) index++;
    const handle = this.valueOf(index);
    this.entries.set(handle, entry);
    return handle;
  }

  lookup(handle: number): HandleEntry | undefined {
    return this.entries.get(handle);
  }

  remove(handle: number): HandleEntry | undefined {
    const entry = this.entries.get(handle);
    if (entry) this.entries.delete(handle);
    return entry;
  }

  /** Handles in creation order of value, for process teardown. */
  handles(): number[] {
    return [...this.entries.keys()].sort((a, b) => a - b);
  }

  private valueOf(index: number): number {
    return this.kernel ? index * 4 - KERNEL_HANDLE_BIAS : index * 4;
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
