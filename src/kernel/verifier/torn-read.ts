/**
 * Torn reads: user-mode code reads the two 32-bit halves of an 8-byte value
 * in shared memory, and kernel code writes that value in between — a timer
 * routine on another CPU, or an interrupt on the reader's own. The reader
 * then holds the low half of one value and the high half of the next.
 *
 * Keyed on physical addresses (8-byte granules), so the kernel's alias and
 * the user's alias of one frame are seen as the same bytes. The KSYSTEM_TIME
 * protocol (High1Time, LowPart, High2Time) is how KUSER_SHARED_DATA avoids it.
 */
import type { MemoryWatch, MmContext } from '../mm/context.js';

/** How close two reads must be to count as the halves of one 8-byte read. */
const PAIR_WINDOW_NS = 1000;

interface KernelWrite {
  atNs: number;
  cpu: number;
  by: string;
}

/** 8-byte granules in a frame. */
const GRANULES = 4096 / 8;

/**
 * The latest kernel write to each 8-byte granule of one frame, as parallel
 * arrays: a write of n bytes is three `fill`s over its granules, not one
 * map entry per granule (a driver's 64 KiB copy into shared pages was 8192
 * Map.set calls). Exactly what a map of granule to latest write held.
 */
interface VfFrameWrites {
  /** Virtual time of the latest write, or -1 for a granule never written. */
  readonly atNs: Float64Array;
  readonly cpu: Uint8Array;
  /** Index in `TornReadDetector.writers` of the routine that wrote. */
  readonly by: Uint32Array;
}

interface PairRead {
  pa: number;
  atNs: number;
  /** The dispatcher's interrupt time at the read. */
  interruptNs: number;
}

/** The torn-read check: reports a user read of an 8-byte value's two halves with a kernel write to it in between. */
export class TornReadDetector implements MemoryWatch {
  /** Set once kernel code has written user-visible memory; until then reads cost nothing extra. */
  armed = false;
  /** The frames kernel code wrote while they were mapped for user mode, by page frame number. */
  private readonly writes = new Map<number, VfFrameWrites>();
  /** The writers' names ("Driver!Routine", or "kernel"), each once; `writerIndex` maps a name to its index. */
  private readonly writers: string[] = ['kernel'];
  private readonly writerIndex = new Map<string, number>([['kernel', 0]]);
  /** The driver frame the last write was attributed to, and its writer index: a bulk copy's pages share it. */
  private lastFrame: object | undefined;
  private lastWriter = 0;
  private readonly lastRead: PairRead[];
  private readonly reported = new Map<number, { count: number; details: Record<string, unknown> }>();

  constructor(private readonly k: MmContext) {
    this.lastRead = k.prcbs.map(() => ({ pa: -1, atNs: 0, interruptNs: 0 }));
  }

  /** Whether kernel writes to the frame at `pa` must be reported here (it is mapped for user mode too). */
  watches(pa: number): boolean {
    const pfn = Math.floor(pa / 4096);
    return this.k.pfn.shareCount[pfn]! >= 2 && (this.k.pageTables.mappings.get(pfn)?.some((m) => m.root >= 0) ?? false);
  }

  /** A kernel-mode write of `length` bytes at physical `pa`. */
  kernelWrite(pa: number, length: number): void {
    const pfn = Math.floor(pa / 4096);
    if (this.k.pfn.shareCount[pfn]! < 2) return;
    const userMapped = this.k.pageTables.mappings.get(pfn)?.some((m) => m.root >= 0);
    if (!userMapped) return;
    if (!this.armed) this.k.forgetTranslations();
    this.armed = true;
    let frameWrites = this.writes.get(pfn);
    if (frameWrites === undefined) {
      frameWrites = { atNs: new Float64Array(GRANULES).fill(-1), cpu: new Uint8Array(GRANULES), by: new Uint32Array(GRANULES) };
      this.writes.set(pfn, frameWrites);
    }
    // Callers split at page boundaries; the granules are those of [pa, pa + length) in this frame.
    const from = Math.floor(pa / 8) - pfn * GRANULES;
    const to = Math.min(GRANULES, Math.floor((pa + length - 1) / 8) - pfn * GRANULES + 1);
    frameWrites.atNs.fill(this.k.clock.nowNs, from, to);
    frameWrites.cpu.fill(this.k.current.number, from, to);
    frameWrites.by.fill(this.writer(), from, to);
  }

  /** The index of the routine now writing in `writers`. */
  private writer(): number {
    const frame = this.k.attribution.top();
    if (frame === undefined) return 0;
    if (frame === this.lastFrame) return this.lastWriter;
    const by = `${frame.driver}!${frame.routine}`;
    let index = this.writerIndex.get(by);
    if (index === undefined) {
      index = this.writers.length;
      this.writers.push(by);
      this.writerIndex.set(by, index);
    }
    this.lastFrame = frame;
    this.lastWriter = index;
    return index;
  }

  /** The latest kernel write to the granule at physical `granule * 8`, if any. */
  private lastWrite(granule: number): KernelWrite | undefined {
    const pfn = Math.floor(granule / GRANULES);
    const frameWrites = this.writes.get(pfn);
    if (frameWrites === undefined) return undefined;
    const g = granule - pfn * GRANULES;
    const atNs = frameWrites.atNs[g]!;
    if (atNs < 0) return undefined;
    return { atNs, cpu: frameWrites.cpu[g]!, by: this.writers[frameWrites.by[g]!]! };
  }

  /** A user-mode 32-bit read at physical `pa`. */
  userRead32(pa: number, va: number): void {
    const slot = this.lastRead[this.k.current.number]!;
    const now = this.k.clock.nowNs;
    // The two halves of one value are read back to back: the other half just before, on this CPU.
    // (Time spent in interrupts in between does not count: the reader did not see it pass.)
    const interruptNs = this.k.ke.interruptNs;
    if ((pa ^ 4) === slot.pa && (pa & 3) === 0 && now - slot.atNs - (interruptNs - slot.interruptNs) <= PAIR_WINDOW_NS) {
      const granule = Math.floor(pa / 8);
      const w = this.lastWrite(granule);
      if (w && w.atNs > slot.atNs && w.atNs <= now) this.report(granule, va, w);
      // A read completes one pair: the next read of the value starts a new one.
      slot.pa = -1;
      return;
    }
    slot.pa = pa;
    slot.atNs = now;
    slot.interruptNs = interruptNs;
  }

  private report(granule: number, va: number, w: KernelWrite): void {
    const seen = this.reported.get(granule);
    if (seen) {
      seen.count++;
      seen.details.count = seen.count;
      return;
    }
    const k = this.k;
    const reader = k.currentProcess;
    const details: Record<string, unknown> = {
      address: k.formatAddress(va - (va % 8)), physical: `0x${(granule * 8).toString(16)}`, reader: reader.ImageFileName,
      readerCpu: k.current.number, writer: w.by, writerCpu: w.cpu, firstAtMs: Math.floor(k.clock.nowNs / 1e6), count: 1,
    };
    this.reported.set(granule, { count: 1, details });
    k.report({
      kind: 'torn-read',
      message: `torn read: ${reader.ImageFileName} read the 8-byte value at ${details.address as string} as two 32-bit halves, and ${w.by} (CPU ${w.cpu}) wrote it between the two reads; use one 64-bit access or the KSYSTEM_TIME protocol`,
      details,
    });
  }
}
