/**
 * Kernel-mode writes that someone wants to hear of. Guest-memory access
 * (access.ts) asks one MemoryWatch whether a frame is watched, on a miss of
 * its write cache only, and reports the writes to it. Two listen:
 *
 *   the torn-read check      (verifier/torn-read.ts) frames mapped for user mode too
 *   byte trackers            ranges of kernel memory whose written bytes are
 *                            counted, such as the part of a METHOD_BUFFERED
 *                            SystemBuffer a driver is to fill (io/leak-check.ts)
 *   uninitialized bytes      frames holding pool bytes never written (taint.ts):
 *                            a write initializes them, a copy carries taint
 *
 * A tracker added starts with the write caches forgotten, so that a write to
 * a page already cached still reaches it.
 */
import type { MemoryWatch, MmContext } from './context.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { MiKernelPhysicalAddress } from './kernel-space.js';
import type { UninitializedBytes } from './taint.js';
import { MiReportCopiedLeak } from './leak-report.js';

/** The bytes of one range of kernel memory that kernel code has written since the tracker was made. */
export class WrittenBytes {
  /** Which bytes of the range were written (1) or not (0). */
  readonly written: Uint8Array;
  /** Physical base of each page the range spans, with the offset in the range where that page's part starts. */
  readonly pages: { pa: number; start: number; end: number }[] = [];

  constructor(k: MmContext, readonly va: number, length: number) {
    this.written = new Uint8Array(length);
    for (let start = 0; start < length;) {
      const at = va + start;
      const end = Math.min(length, start + PAGE_SIZE - (at % PAGE_SIZE));
      this.pages.push({ pa: MiKernelPhysicalAddress(k, at), start, end });
      start = end;
    }
  }

  /** Whether a write at physical `pa` is in a frame the range spans. */
  covers(pa: number): boolean {
    const frame = Math.floor(pa / PAGE_SIZE);
    return this.pages.some((p) => Math.floor(p.pa / PAGE_SIZE) === frame);
  }

  record(pa: number, length: number): void {
    for (const p of this.pages) {
      const from = Math.max(pa, p.pa);
      const to = Math.min(pa + length, p.pa + (p.end - p.start));
      if (from < to) this.written.fill(1, p.start + (from - p.pa), p.start + (to - p.pa));
    }
  }
}

/** The MemoryWatch access.ts reports to: the torn-read check and the byte trackers. */
export class KernelWriteWatch implements MemoryWatch {
  private readonly trackers: WrittenBytes[] = [];

  constructor(private readonly k: MmContext, private readonly torn: MemoryWatch, private readonly taint: UninitializedBytes) {}

  get armed(): boolean {
    return this.torn.armed;
  }

  watches(pa: number): boolean {
    return this.torn.watches(pa) || this.taint.watches(pa) || (this.trackers.length > 0 && this.trackers.some((t) => t.covers(pa)));
  }

  kernelWrite(pa: number, length: number): void {
    for (const t of this.trackers) t.record(pa, length);
    this.taint.written(pa, length);
    this.torn.kernelWrite(pa, length);
  }

  /** A kernel copy: a write to `to` that takes the source's taint, and a leak if tainted bytes reach a user address. */
  kernelCopy(to: number, from: number, length: number, toVa: number): void {
    const taintedSource = this.taint.watches(from);
    if (!taintedSource && !this.watches(to)) return;
    for (const t of this.trackers) t.record(to, length);
    this.torn.kernelWrite(to, length);
    this.taint.copied(to, from, length);
    if (taintedSource && toVa < this.k.layout.systemRangeStart) MiReportCopiedLeak(this.k, to, from, length, toVa);
  }

  userRead32(pa: number, va: number): void {
    this.torn.userRead32(pa, va);
  }

  /** Starts counting the bytes of [va, va + length) that kernel code writes. */
  track(va: number, length: number): WrittenBytes {
    const t = new WrittenBytes(this.k, va, length);
    this.trackers.push(t);
    this.k.forgetTranslations();
    return t;
  }

  untrack(t: WrittenBytes): void {
    const i = this.trackers.indexOf(t);
    if (i >= 0) this.trackers.splice(i, 1);
  }
}
