/**
 * The process heap (GetProcessHeap, HeapAlloc, HeapFree): user-mode code,
 * as ntdll's RtlAllocateHeap is, over memory it reserves and commits with
 * NtAllocateVirtualMemory. First fit, 16-byte granules (8 on x86); a reused
 * block keeps what it held, unless HEAP_ZERO_MEMORY.
 */
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE } from '../include/memory-constants.js';

const HEAP_RESERVE = 16 * 1024 * 1024;

/** What the heap needs from its process: NtAllocateVirtualMemory to reserve and commit, and zeroing for HEAP_ZERO_MEMORY. */
export interface HeapBackend {
  allocate(baseAddress: number, size: number, type: number, protect: number): { status: number; baseAddress: number; regionSize: number };
  zero(va: number, length: number): void;
}

/** The process heap (GetProcessHeap's handle): first-fit RtlAllocateHeap over one 16 MB reservation, committed as it grows. */
export class ProcessHeap {
  /** The heap handle is its base address, as on Windows. */
  readonly handle: number;
  private committed = 0;
  private readonly free: [number, number][] = [];
  private readonly blocks = new Map<number, number>();
  private top: number;

  private constructor(private readonly backend: HeapBackend, base: number, private readonly granule: number) {
    this.handle = base;
    this.top = base + granule * 4; // room for the HEAP header at the base
  }

  static create(backend: HeapBackend, granule: number): ProcessHeap | undefined {
    const r = backend.allocate(0, HEAP_RESERVE, MEM_RESERVE, PAGE_READWRITE);
    return r.status === 0 ? new ProcessHeap(backend, r.baseAddress, granule) : undefined;
  }

  /** RtlAllocateHeap: the block's address, or 0. */
  allocate(bytes: number, zero: boolean): number {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > HEAP_RESERVE) return 0;
    const size = Math.max(this.granule, Math.ceil(bytes / this.granule) * this.granule);
    let va = 0;
    const i = this.free.findIndex(([, len]) => len >= size);
    if (i >= 0) {
      const run = this.free[i]!;
      va = run[0];
      if (run[1] === size) this.free.splice(i, 1);
      else { run[0] += size; run[1] -= size; }
    } else {
      if (this.top + size > this.handle + HEAP_RESERVE) return 0;
      va = this.top;
      const needEnd = Math.ceil((va + size - this.handle) / 4096) * 4096;
      if (needEnd > this.committed) {
        const r = this.backend.allocate(this.handle + this.committed, needEnd - this.committed, MEM_COMMIT, PAGE_READWRITE);
        if (r.status !== 0) return 0;
        this.committed = needEnd;
      }
      this.top += size;
    }
    this.blocks.set(va, size);
    if (zero) this.backend.zero(va, size);
    return va;
  }

  /** RtlFreeHeap: false for an address this heap did not hand out. */
  release(va: number): boolean {
    const size = this.blocks.get(va);
    if (size === undefined) return false;
    this.blocks.delete(va);
    this.free.push([va, size]);
    this.free.sort((a, b) => a[0] - b[0]);
    return true;
  }
}
