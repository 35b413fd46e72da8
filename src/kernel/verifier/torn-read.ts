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
  private readonly writes = new Map<number, KernelWrite>();
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
    const frame = this.k.attribution.top();
    const w: KernelWrite = { atNs: this.k.clock.nowNs, cpu: this.k.current.number, by: frame ? `${frame.driver}!${frame.routine}` : 'kernel' };
    for (let g = Math.floor(pa / 8); g <= Math.floor((pa + length - 1) / 8); g++) this.writes.set(g, w);
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
      const w = this.writes.get(granule);
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
