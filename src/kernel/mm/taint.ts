/**
 * Uninitialized kernel memory, per byte (reference: "Kernel info leak" —
 * pool bytes no kernel code has written since allocation). A block a driver
 * allocates from pool, and the I/O manager's SystemBuffer, start tainted;
 * any kernel write clears the bytes it writes, a kernel copy carries its
 * source's taint to its destination (as Bochspwn Reloaded does), and
 * freeing the block forgets it. Where tainted bytes become readable from
 * user mode is a leak (mm/leak-report.ts).
 *
 * Kept beside physical memory, per frame: the user address and the system
 * address of one frame are aliases, so the taint is the frame's. A frame
 * with no tainted byte costs nothing; one with some is watched by the
 * kernel-write path (write-watch.ts), which never caches it.
 *
 *   frame:  | clean | tainted ... tainted | clean |
 *           ^ pfn * PAGE_SIZE             bytes[] 1 = never written
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { MmContext } from './context.js';
import type { LeakCopyPath } from './leak-report.js';

interface TaintedFrame {
  readonly bytes: Uint8Array;
  count: number;
}

export class UninitializedBytes {
  private readonly frames = new Map<number, TaintedFrame>();
  /** Who copies now, when not the driver on top (the I/O manager's copy back); set around the copy. */
  copyPath: LeakCopyPath | undefined = undefined;

  constructor(private readonly k: MmContext) {}

  /** Whether some frame holds tainted bytes. */
  get any(): boolean {
    return this.frames.size !== 0;
  }

  /** Whether the frame of physical `pa` holds tainted bytes. */
  watches(pa: number): boolean {
    return this.frames.size !== 0 && this.frames.has(Math.floor(pa / PAGE_SIZE));
  }

  /** Marks [va, va + length) of kernel memory as never written (its resident pages: a paged-out page's taint is not kept). */
  taintVa(va: number, length: number): void {
    for (let offset = 0; offset < length;) {
      const at = va + offset;
      const n = Math.min(length - offset, PAGE_SIZE - (at % PAGE_SIZE));
      const pfn = this.k.pageTables.frameAt(this.k.systemRoot, at);
      if (pfn >= 0) this.set(pfn * PAGE_SIZE + (at % PAGE_SIZE), n, 1);
      offset += n;
    }
  }

  /** Forgets [va, va + length) of kernel memory: a block freed is nobody's to leak. */
  forgetVa(va: number, length: number): void {
    if (this.frames.size === 0) return;
    for (let offset = 0; offset < length;) {
      const at = va + offset;
      const n = Math.min(length - offset, PAGE_SIZE - (at % PAGE_SIZE));
      const pfn = this.k.pageTables.frameAt(this.k.systemRoot, at);
      if (pfn >= 0) this.set(pfn * PAGE_SIZE + (at % PAGE_SIZE), n, 0);
      offset += n;
    }
  }

  /** Forgets [pa, pa + length) within one frame (`forgetVa` when the caller knows the frame). */
  forgetPa(pa: number, length: number): void {
    if (this.frames.size !== 0) this.set(pa, length, 0);
  }

  /** A kernel write of `length` bytes at physical `pa` (within one frame): they are initialized now. */
  written(pa: number, length: number): void {
    this.set(pa, length, 0);
  }

  /** A kernel copy of `length` bytes (within one frame each side): the destination takes the source's taint. */
  copied(to: number, from: number, length: number): void {
    const source = this.frames.get(Math.floor(from / PAGE_SIZE));
    if (!source) return this.set(to, length, 0);
    const start = from % PAGE_SIZE;
    const bits = source.bytes.slice(start, start + length);
    for (let i = 0; i < length;) {
      let j = i;
      while (j < length && bits[j] === bits[i]) j++;
      this.set(to + i, j - i, bits[i]!);
      i = j;
    }
  }

  /** The tainted bytes of [pa, pa + length) within one frame: their offsets from `pa`. */
  taintedIn(pa: number, length: number): number[] {
    const frame = this.frames.get(Math.floor(pa / PAGE_SIZE));
    if (!frame) return [];
    const start = pa % PAGE_SIZE;
    const out: number[] = [];
    for (let i = 0; i < length; i++) if (frame.bytes[start + i] === 1) out.push(i);
    return out;
  }

  private set(pa: number, length: number, value: 0 | 1 | number): void {
    const pfn = Math.floor(pa / PAGE_SIZE);
    let frame = this.frames.get(pfn);
    if (!frame) {
      if (value === 0) return;
      frame = { bytes: new Uint8Array(PAGE_SIZE), count: 0 };
      this.frames.set(pfn, frame);
      // The page may sit in a write cache that reports nothing: from now on its kernel writes must be heard.
      this.k.forgetTranslations();
    }
    const start = pa % PAGE_SIZE;
    const bytes = frame.bytes;
    for (let i = start; i < start + length; i++) {
      if (bytes[i] !== value) {
        frame.count += value ? 1 : -1;
        bytes[i] = value;
      }
    }
    if (frame.count === 0) this.frames.delete(pfn);
  }
}
