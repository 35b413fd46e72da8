/**
 * Figures 1 and 2 of the performance targets (README, Performance): guest memory access against the host's
 * own access to the same physical pages of the SharedArrayBuffer.
 *
 *   bulk:   k32.getBytes / k32.setBytes of a 1 MiB committed region, against
 *           copying the same frames with Uint8Array.set, page by page;
 *   scalar: k32.getUint32 / k32.setUint32 over the region, 4 bytes at a time,
 *           against an Int32Array loop over the same frames.
 *
 * Everything runs in a program's thread, so the accesses go through the
 * CPU's MMU in user mode in the program's address space, as guest code's do.
 * The same loops through the kernel's GuestMemory (without k32's wrapper)
 * are reported beside them, to tell the wrapper's cost from the MMU's.
 */
import type { K32 } from '../src/api/k32.js';
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE } from '../src/api/win32.js';
import { PAGE_SIZE as IMPORTED_PAGE_SIZE } from '../src/hw/physical-memory.js';
import { boot, type Machine } from '../src/index.js';
import { inProgram } from './guest.js';
import { paired, sink, type PairedTiming } from './measure.js';

// A local copy: optimized code folds a module's own constants, but loads an
// imported binding (with a hole check) at every use, which would slow the
// raw loops' bounds and flatter the emulator.
const PAGE_SIZE = IMPORTED_PAGE_SIZE;
const WORDS_PER_PAGE = PAGE_SIZE / 4;
const REGION_BYTES = 1 << 20;
const PAGES = REGION_BYTES / PAGE_SIZE;
const WORDS = REGION_BYTES / 4;

export interface BulkFigures {
  arch: 'x64' | 'x86';
  getBytes: PairedTiming;
  setBytes: PairedTiming;
}

export interface ScalarFigures {
  arch: 'x64' | 'x86';
  getUint32: PairedTiming;
  setUint32: PairedTiming;
  /** The same loops through kernel.userMemory directly (no k32 wrapper). */
  direct: { getUint32: PairedTiming; setUint32: PairedTiming };
}

/** A 1 MiB committed, touched region in a program, and the physical address of each of its pages. */
interface Region {
  va: number;
  pagePa: number[];
}

function commitRegion(machine: Machine, k32: K32): Region {
  const va = k32.VirtualAlloc(0, REGION_BYTES, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (va === 0) throw new Error(`VirtualAlloc of ${REGION_BYTES} bytes failed (error ${k32.GetLastError()})`);
  // Touch every page (demand-zero faults) so that the timed loops never fault.
  for (let p = 0; p < PAGES; p++) k32.setUint8(va + p * PAGE_SIZE, p & 0xff);
  const k = machine.kernel;
  const root = k.currentProcess.DirectoryTableBase;
  const pagePa: number[] = [];
  for (let p = 0; p < PAGES; p++) {
    const pfn = k.pageTables.frameAt(root, va + p * PAGE_SIZE);
    if (pfn < 0) throw new Error('a committed page is not mapped after touching it');
    pagePa.push(pfn * PAGE_SIZE);
  }
  return { va, pagePa };
}

/** Figure 1: bulk copies. */
export async function benchBulk(arch: 'x64' | 'x86', quick: boolean): Promise<BulkFigures> {
  const machine = await boot({ arch, memoryMiB: 64 });
  return inProgram(machine, 'bulk.exe', (k32) => {
    const { va, pagePa } = commitRegion(machine, k32);
    const u8 = machine.kernel.memory.u8;
    const src = new Uint8Array(REGION_BYTES).fill(0x5a);
    const opts = { reps: quick ? 4 : 16, warmup: quick ? 3 : 10, samples: quick ? 5 : 31 };

    const getBytes = paired(
      () => { sink.value ^= k32.getBytes(va, REGION_BYTES)[7]!; },
      () => {
        const out = new Uint8Array(REGION_BYTES);
        for (let p = 0; p < PAGES; p++) {
          const pa = pagePa[p]!;
          out.set(u8.subarray(pa, pa + PAGE_SIZE), p * PAGE_SIZE);
        }
        sink.value ^= out[7]!;
      },
      opts);
    const setBytes = paired(
      () => k32.setBytes(va, src),
      () => {
        for (let p = 0; p < PAGES; p++) u8.set(src.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), pagePa[p]!);
      },
      opts);
    return { arch, getBytes, setBytes };
  });
}

/** Figure 2: 32-bit loads and stores, one at a time. */
export async function benchScalar(arch: 'x64' | 'x86', quick: boolean): Promise<ScalarFigures> {
  const machine = await boot({ arch, memoryMiB: 64 });
  return inProgram(machine, 'scalar.exe', (k32) => {
    const { va, pagePa } = commitRegion(machine, k32);
    const i32 = new Int32Array(machine.kernel.memory.buffer);
    const mem = machine.kernel.userMemory;
    const end = va + REGION_BYTES;
    const opts = { reps: quick ? 2 : 4, warmup: quick ? 3 : 10, samples: quick ? 5 : 31 };

    // Each pass is 256 calls of a one-page loop rather than one 262144-iteration
    // loop: a function entered often is optimized on entry, while one long loop
    // runs in on-stack-replacement code, whose speed varies threefold from one
    // process to the next. Emulated and raw loops are shaped alike.
    const rawReadPage = (base: number): number => {
      let s = 0;
      for (let j = 0; j < WORDS_PER_PAGE; j++) s = (s + i32[base + j]!) | 0;
      return s;
    };
    const rawWritePage = (base: number, w: number): void => {
      for (let j = 0; j < WORDS_PER_PAGE; j++) i32[base + j] = w + j;
    };
    const k32ReadPage = (page: number): number => {
      let s = 0;
      for (let a = page; a < page + PAGE_SIZE; a += 4) s = (s + k32.getUint32(a)) | 0;
      return s;
    };
    const k32WritePage = (page: number, w: number): void => {
      for (let a = page; a < page + PAGE_SIZE; a += 4) k32.setUint32(a, w++);
    };
    const directReadPage = (page: number): number => {
      let s = 0;
      for (let a = page; a < page + PAGE_SIZE; a += 4) s = (s + mem.getUint32(a)) | 0;
      return s;
    };
    const directWritePage = (page: number, w: number): void => {
      for (let a = page; a < page + PAGE_SIZE; a += 4) mem.setUint32(a, w++);
    };
    const rawRead = (): void => {
      let s = 0;
      for (let p = 0; p < PAGES; p++) s = (s + rawReadPage(pagePa[p]! >>> 2)) | 0;
      sink.value ^= s;
    };
    const rawWrite = (): void => {
      for (let p = 0; p < PAGES; p++) rawWritePage(pagePa[p]! >>> 2, p * 1024);
    };
    const reader = (readPage: (page: number) => number) => (): void => {
      let s = 0;
      for (let page = va; page < end; page += PAGE_SIZE) s = (s + readPage(page)) | 0;
      sink.value ^= s;
    };
    const writer = (writePage: (page: number, w: number) => void) => (): void => {
      for (let page = va, w = 0; page < end; page += PAGE_SIZE, w += 1024) writePage(page, w);
    };

    const getUint32 = paired(reader(k32ReadPage), rawRead, opts);
    const setUint32 = paired(writer(k32WritePage), rawWrite, opts);
    const directGet = paired(reader(directReadPage), rawRead, opts);
    const directSet = paired(writer(directWritePage), rawWrite, opts);
    return { arch, getUint32, setUint32, direct: { getUint32: directGet, setUint32: directSet } };
  });
}

/** Nanoseconds per 32-bit access, from a per-pass timing. */
export const perWord = (nsPerPass: number): number => nsPerPass / WORDS;
export const REGION_MIB = REGION_BYTES / (1 << 20);
