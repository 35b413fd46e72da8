/**
 * Virtual address descriptors: what each range of a process's user space is.
 * Windows keeps them in an AVL tree; a sorted array with binary search is the
 * same thing at the sizes a run reaches.
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { Mdl } from './mdl-object.js';
import { PageProtections } from './page-protections.js';

/** Why a range exists: private memory, a locked-pages (MDL) mapping, the shared user data page. */
export type VadKind = 'private' | 'mdl' | 'shared-user-data';

/** MMVAD: one range of a process's user space, what it is, and the commit state of its pages. */
export interface Vad {
  /** First byte and one past the last byte, page aligned. */
  start: number;
  end: number;
  kind: VadKind;
  /** Protection the range was reserved with (PAGE_*). */
  protection: number;
  /** Per-page protection when committed, 0 when only reserved. */
  commit: PageProtections;
  /** Private pages that hold a frame (touched, or made PAGE_NOACCESS after), by address. */
  frames: Map<number, number>;
  /** The MDL a locked-pages mapping shows, for MmUnmapLockedPages to find. */
  mdl?: Mdl;
}

/** A new VAD over [start, end), every page with `commitProtect` (0 = reserved only). */
export function newVad(start: number, end: number, kind: VadKind, protection: number, commitProtect: number, mdl?: Mdl): Vad {
  const vad: Vad = { start, end, kind, protection, commit: new PageProtections((end - start) / PAGE_SIZE, commitProtect), frames: new Map() };
  if (mdl) vad.mdl = mdl;
  return vad;
}

/** A process's VAD tree (EPROCESS.VadRoot): VADs sorted by address, with lookup and the search for a free range. */
export class VadTree {
  readonly vads: Vad[] = [];

  /** The VAD containing `va`, if any. */
  find(va: number): Vad | undefined {
    if (!Number.isFinite(va)) return undefined;
    const i = this.indexOf(va);
    return i >= 0 ? this.vads[i] : undefined;
  }

  private indexOf(va: number): number {
    let lo = 0;
    let hi = this.vads.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vads[mid]!;
      if (va < v.start) hi = mid - 1;
      else if (va >= v.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** True if [start, end) overlaps no VAD. */
  isFree(start: number, end: number): boolean {
    return !this.vads.some((v) => v.start < end && start < v.end);
  }

  /** Lowest free range of `size` bytes aligned to `alignment` within [low, high], or -1 (bottom-up, as without ASLR). */
  findFree(size: number, alignment: number, low: number, high: number): number {
    let candidate = Math.ceil(low / alignment) * alignment;
    for (const v of this.vads) {
      if (v.end <= candidate) continue;
      if (candidate + size <= v.start) break;
      candidate = Math.ceil(v.end / alignment) * alignment;
    }
    return candidate + size - 1 <= high ? candidate : -1;
  }

  insert(vad: Vad): void {
    let i = 0;
    while (i < this.vads.length && this.vads[i]!.start < vad.start) i++;
    this.vads.splice(i, 0, vad);
  }

  remove(vad: Vad): void {
    const i = this.vads.indexOf(vad);
    if (i >= 0) this.vads.splice(i, 1);
  }

  static pages(vad: Vad): number {
    return (vad.end - vad.start) / PAGE_SIZE;
  }
}
