/**
 * Virtual address descriptors: what each range of a process's user space is.
 * Windows keeps them in an AVL tree; a sorted array with binary search is the
 * same thing at the sizes a run reaches.
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { Mdl } from './mdl-object.js';
import { PageProtections } from './page-protections.js';
import type { Segment } from './segment.js';

/** Why a range exists: private memory, a locked-pages (MDL) mapping, the shared user data page, a view of a section. */
export type VadKind = 'private' | 'mdl' | 'shared-user-data' | 'mapped';

/** What a view of a section maps (MMVAD's ControlArea and FirstPrototypePte, and its protection). */
export interface MappedView {
  readonly segment: Segment;
  /** Index in the segment of the view's first page (the section offset, in pages). */
  readonly firstPage: number;
  /** The view's protection (Win32Protect). */
  readonly protection: number;
  /** PAGE_WRITECOPY or PAGE_EXECUTE_WRITECOPY: a write makes a private copy of the page. */
  readonly writeCopy: boolean;
  /** SEC_NOCACHE: the view's PTEs are uncached. */
  readonly noCache: boolean;
  /** The protection the section was created with: what NtProtectVirtualMemory may give a page of the view. */
  readonly sectionProtection: number;
  /** Pages given their own protection by NtProtectVirtualMemory (index in the view → protection); the rest have `protection`. */
  pageProtection?: Map<number, number>;
}

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
  /** The section a view maps (kind 'mapped'). Its private copies of write-copy pages are in `frames`. */
  view?: MappedView;
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

  /** Highest free range of `size` bytes aligned to `alignment` within [low, high], or -1 (MEM_TOP_DOWN). */
  findFreeTopDown(size: number, alignment: number, low: number, high: number): number {
    let candidate = Math.floor((high + 1 - size) / alignment) * alignment;
    for (let i = this.vads.length - 1; i >= 0; i--) {
      const v = this.vads[i]!;
      if (v.start >= candidate + size) continue;
      if (v.end <= candidate) break;
      candidate = Math.floor((v.start - size) / alignment) * alignment;
    }
    return candidate >= low ? candidate : -1;
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
