/**
 * Guest memory access: the DataView-like interface drivers (`nt`) and
 * programs (`k32`) share. Every access goes through the executing CPU's MMU
 * in the caller's mode and the current address space; a fault goes to
 * MmAccessFault, which resolves it, raises, or stops the machine.
 *
 * Scalar accesses within a page use the last-page cache and allocate
 * nothing; bulk copies translate once per page.
 */
import { ACCESS_READ as READ, ACCESS_WRITE as WRITE, type AccessKind } from '../../hw/mmu.js';
import { PAGE_MASK as MASK, PAGE_SIZE as SIZE } from '../../hw/physical-memory.js';
import { GuestMisuse } from '../../include/errors.js';
import type { KThread } from '../ke/thread.js';
import type { MmContext } from './context.js';
import { MmAccessFault } from './fault.js';
import type { StructMemory } from '../../include/struct-access.js';
import { MiLockedOperation, type LockedOperation } from './interlocked.js';
import { MiGetString, MiSetString } from './guest-strings.js';
import { copyPhysical } from './physical-copy.js';

// Local copies of the imported constants, for the hot paths: optimized code
// folds a module's own unexported constants, but reads an imported binding
// from its cell, with a hole check, at every use (measured: 1-2 ns an access).
const ACCESS_READ = READ;
const ACCESS_WRITE = WRITE;
const PAGE_MASK = MASK;
const PAGE_SIZE = SIZE;
/** `va & WORD_MASK`: the page offset of the aligned 32-bit word that holds `va`. */
const WORD_MASK = MASK & ~3;

/** Text encodings for getString/setString. */
export type GuestEncoding = 'utf-16le' | 'ascii' | 'utf-8';

/** The memory-access half of `nt` and `k32` (docs/api.md): the structure helpers' memory, with strings and pointers. */
export interface GuestMemoryAccess extends StructMemory {
  setBytes(va: number, bytes: Uint8Array | readonly number[]): void;
  getString(va: number, encoding: GuestEncoding, maxChars?: number): string;
  setString(va: number, value: string, encoding: GuestEncoding): void;
  /** sizeof(PVOID): 8 on x64, 4 on x86. */
  readonly sizeofPointer: 4 | 8;
  /** *(PVOID*)va: a pointer-sized load, returned as ntshm's address number. */
  getPointer(va: number): number;
  /** *(PVOID*)va = value: a pointer-sized store (x64 kernel addresses are stored sign-extended). */
  setPointer(va: number, value: number): void;
  /** Sets `length` bytes at `va` to `value`, page by page (RtlFillMemory). */
  fill(va: number, length: number, value: number): void;
  /** A locked read-modify-write of 4 or 8 bytes at `va` (mm/interlocked.ts); returns the initial value, unsigned. */
  interlocked(va: number, size: 4 | 8, op: LockedOperation, operand: bigint, comparand: bigint): bigint;
}

/** Guest memory in one mode (kernel or user), through the executing CPU's MMU; a fault goes to MmAccessFault. */
export class GuestMemory implements GuestMemoryAccess {
  // Declared, not class fields: a class field (or a parameter property) is first
  // defined as undefined and only then assigned by the constructor, which leaves
  // V8 a mutable field of any type, and optimized code then checks the map of
  // `this.left` or `this.u32` at every access. Assigned once in the
  // constructor, each is a constant field of a known map.
  declare readonly sizeofPointer: 4 | 8;
  private declare readonly k: MmContext;
  private declare readonly user: boolean;
  private declare readonly owner: KThread | undefined;
  /** The clock's `accessesLeft` (hw/clock.ts): what each access decrements. */
  private declare readonly left: Int32Array;
  private declare readonly u8: Uint8Array;
  private declare readonly u32: Uint32Array;
  private declare readonly view: DataView;
  /**
   * A last-page cache per direction, above the MMU's: the page last read
   * (written) in this mode and its physical base. Dropped by `forget`
   * whenever a translation may change — a PTE change or TLB shootdown, a
   * switch of CPU or address space, a new mapping — so a hit is always what
   * the MMU would answer. A page whose kernel writes must be watched (it is
   * mapped for user mode too) and user reads while torn-read tracking is on
   * are never cached here.
   */
  private readPage = -1;
  private readBase = 0;
  private writePage = -1;
  private writeBase = 0;
  /**
   * Each cache's page before its last fill, asked by the 32-bit slow paths only: a system call's kernel
   * code alternates between two pages (an event in pool, the caller's PreviousState), which missed at
   * every access. Filled only from the entries above, so forgotten with them.
   */
  private readPrevPage = -1;
  private readPrevBase = 0;
  private writePrevPage = -1;
  private writePrevBase = 0;
  /** Physical addresses of a bulk write's pages, kept between its probe and its copy. */
  private scratch = new Float64Array(16);

  constructor(k: MmContext, user: boolean, owner?: KThread) {
    this.k = k;
    this.user = user;
    this.owner = owner;
    this.sizeofPointer = k.layout.pointerSize;
    this.left = k.clock.accessesLeft;
    this.u8 = k.memory.u8;
    this.u32 = k.memory.u32;
    this.view = k.memory.view;
  }

  forget(): void {
    this.readPage = -1;
    this.writePage = -1;
    this.readPrevPage = -1;
    this.writePrevPage = -1;
  }

  getPointer(va: number): number {
    if (this.sizeofPointer === 4) return this.getUint32(va);
    return Number(this.getBigUint64(va) & 0xffff_ffff_ffffn);
  }

  setPointer(va: number, value: number): void {
    if (this.sizeofPointer === 4) return this.setUint32(va, value >>> 0);
    const v = BigInt(value);
    this.setBigUint64(va, v >= 1n << 47n ? v | 0xffff_0000_0000_0000n : v);
  }

  /** Charges one access; the deadline test is the whole fast path. */
  private charge(): void {
    if ((this.left[0] = this.left[0]! - 1) < 0) this.k.deadlineReached();
  }

  /**
   * Physical address for an access, resolving faults until it translates.
   * The MMU's last-page cache is asked first: a hit is only ever a valid
   * address, so the checks below run on a miss alone.
   */
  private pa(va: number, access: AccessKind): number {
    // Every translation starts here (the page cache is only ever filled through it), so a
    // thread's view is checked here: the CPU's own caches may hold another process's page.
    if (this.owner !== undefined && this.k.scheduler.running !== this.owner) this.notScheduled();
    const pa = this.k.current.cpu.mmu.lookup(va, access, this.user);
    return pa >= 0 ? pa : this.paMiss(va, access);
  }

  private notScheduled(): never {
    throw new GuestMisuse(`${this.owner!.label} touched memory while not scheduled (a thread may only run between kernel calls it awaits)`);
  }

  private paMiss(va: number, access: AccessKind): number {
    const k = this.k;
    for (;;) {
      const mmu = k.current.cpu.mmu;
      if (Number.isInteger(va) && va >= 0 && va < k.format.addressLimit) {
        const pa = mmu.translate(va, access, this.user);
        if (pa >= 0) return pa;
        MmAccessFault(k, mmu.fault);
      } else {
        const f = mmu.fault;
        f.va = Number.isFinite(va) ? va : 0;
        f.access = access;
        f.user = this.user;
        f.present = false;
        f.level = 0;
        f.reserved = false;
        MmAccessFault(k, f);
      }
    }
  }

  /** A read that stays in one page: translate, watch for torn reads, fill the cache. */
  private readPa(va: number, size: number): number {
    const pa = this.pa(va, ACCESS_READ);
    const off = va & PAGE_MASK;
    if (this.user && this.k.writeWatch.armed) {
      if (size === 4) this.k.writeWatch.userRead32(pa, va);
    } else if (!this.user && this.k.readWatch !== null && this.k.readWatch.watches(pa)) {
      // A frame a user mapping can write, read by kernel code: each read is the double-fetch check's, never cached.
      this.k.readWatch.kernelRead(pa, va, size);
    } else {
      this.readPrevPage = this.readPage;
      this.readPrevBase = this.readBase;
      this.readPage = va - off;
      this.readBase = pa - off;
    }
    return pa;
  }

  /** A write that stays in one page: translate, report a watched kernel write, fill the cache. */
  private writePa(va: number, size: number): number {
    const pa = this.pa(va, ACCESS_WRITE);
    const off = va & PAGE_MASK;
    if (!this.user && this.k.writeWatch.watches(pa)) {
      this.k.writeWatch.kernelWrite(pa, size);
    } else {
      this.writePrevPage = this.writePage;
      this.writePrevBase = this.writeBase;
      this.writePage = va - off;
      this.writeBase = pa - off;
    }
    return pa;
  }

  getUint8(va: number): number {
    this.charge();
    const off = va & PAGE_MASK;
    if (va - off === this.readPage) return this.u8[this.readBase + off]!;
    return this.u8[this.readPa(va, 1)]!;
  }

  getUint16(va: number): number {
    this.charge();
    const off = va & PAGE_MASK;
    if (va - off === this.readPage && off <= PAGE_SIZE - 2) return this.view.getUint16(this.readBase + off, true);
    if (crossesPage(va, 2)) return this.byte(va) | (this.byte(va + 1) << 8);
    return this.view.getUint16(this.readPa(va, 2), true);
  }

  /*
   * getUint32 and setUint32 are the scalar hot path (the performance targets (README, Performance), figure 2).
   * The access is charged first, as by `charge`; a hit in the last-page cache
   * (`va - off` is the cached page only when `va` is also 4-aligned, as `off`
   * is rounded down to a word) is then done in line, and anything else — a
   * miss, or a charge that reached the deadline — goes on in the Slow method,
   * which tells the deadline from the budget left below zero. The hit falls
   * through and makes no call, so nothing it uses is spilled around one.
   * (`>>> 0` changes no value: it types the slow result as a uint32 like the
   * hit's, so the caller's result stays an untagged integer.)
   */
  getUint32(va: number): number {
    const off = va & WORD_MASK;
    if ((this.left[0] = this.left[0]! - 1) < 0 || va - off !== this.readPage) return this.getUint32Slow(va) >>> 0;
    return this.u32[(this.readBase + off) >>> 2]!;
  }

  /**
   * getUint32 once charged: the deadline if the charge reached it, then the
   * access. It first calls itself once (`outOfLine`): V8 never inlines a
   * function into itself, so its body stays out of the caller's loop. Inlined
   * there, it made the loop too big to optimize well (its variables stayed
   * tagged and went to the stack at every access: measured 20-80% slower).
   */
  private getUint32Slow(va: number, outOfLine?: true): number {
    if (outOfLine !== true) return this.getUint32Slow(va, true);
    if (this.left[0]! < 0) this.k.deadlineReached();
    const off = va & PAGE_MASK;
    if ((off & 3) === 0) {
      if (va - off === this.readPage) return this.u32[(this.readBase + off) >>> 2]!;
      if (va - off === this.readPrevPage) return this.u32[(this.swapReadPages() + off) >>> 2]!;
    }
    if (crossesPage(va, 4)) return (this.byte(va) | (this.byte(va + 1) << 8) | (this.byte(va + 2) << 16) | (this.byte(va + 3) << 24)) >>> 0;
    return this.view.getUint32(this.readPa(va, 4), true);
  }

  /** The previous read page becomes the current one (and the current the previous); returns its physical base. */
  private swapReadPages(): number {
    const page = this.readPage;
    const base = this.readBase;
    this.readPage = this.readPrevPage;
    this.readBase = this.readPrevBase;
    this.readPrevPage = page;
    this.readPrevBase = base;
    return this.readBase;
  }

  /** As swapReadPages, for the write cache. */
  private swapWritePages(): number {
    const page = this.writePage;
    const base = this.writeBase;
    this.writePage = this.writePrevPage;
    this.writeBase = this.writePrevBase;
    this.writePrevPage = page;
    this.writePrevBase = base;
    return this.writeBase;
  }

  getBigUint64(va: number): bigint {
    this.charge();
    if (crossesPage(va, 8)) {
      let v = 0n;
      for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(this.byte(va + i));
      return v;
    }
    return this.view.getBigUint64(this.readPa(va, 8), true);
  }

  setUint8(va: number, value: number): void {
    this.charge();
    const off = va & PAGE_MASK;
    if (va - off === this.writePage) {
      this.u8[this.writeBase + off] = value;
      return;
    }
    this.u8[this.writePa(va, 1)] = value;
  }

  setUint16(va: number, value: number): void {
    this.charge();
    const off = va & PAGE_MASK;
    if (va - off === this.writePage && off <= PAGE_SIZE - 2) {
      this.view.setUint16(this.writeBase + off, value, true);
      return;
    }
    if (crossesPage(va, 2)) return this.setBytes(va, [value & 0xff, (value >>> 8) & 0xff]);
    this.view.setUint16(this.writePa(va, 2), value, true);
  }

  setUint32(va: number, value: number): void {
    const off = va & WORD_MASK;
    if ((this.left[0] = this.left[0]! - 1) < 0 || va - off !== this.writePage) return this.setUint32Slow(va, value);
    this.u32[(this.writeBase + off) >>> 2] = value;
  }

  /** setUint32 once charged: as getUint32Slow. */
  private setUint32Slow(va: number, value: number, outOfLine?: true): void {
    if (outOfLine !== true) return this.setUint32Slow(va, value, true);
    if (this.left[0]! < 0) this.k.deadlineReached();
    const off = va & PAGE_MASK;
    if ((off & 3) === 0 && (va - off === this.writePage || (va - off === this.writePrevPage && this.swapWritePages() >= 0))) {
      this.u32[(this.writeBase + off) >>> 2] = value;
      return;
    }
    if (crossesPage(va, 4)) return this.setBytes(va, [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff]);
    this.view.setUint32(this.writePa(va, 4), value >>> 0, true);
  }

  setBigUint64(va: number, value: bigint): void {
    this.charge();
    const v = BigInt.asUintN(64, value);
    if (crossesPage(va, 8)) {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, v, true);
      return this.setBytes(va, bytes);
    }
    this.view.setBigUint64(this.writePa(va, 8), v, true);
  }

  /**
   * A locked read-modify-write: charged once as one access, translated for a write (a read-only page
   * faults as the LOCK'd instruction's store would), every page before any byte is touched.
   */
  interlocked(va: number, size: 4 | 8, op: LockedOperation, operand: bigint, comparand: bigint): bigint {
    this.charge();
    const split = crossesPage(va, size);
    let pa = this.pa(va, ACCESS_WRITE);
    const second = split ? this.pa(va - (va & PAGE_MASK) + PAGE_SIZE, ACCESS_WRITE) : -1;
    // The second page's fault may have been resolved at the first's expense: translate the first again.
    if (split) pa = this.pa(va, ACCESS_WRITE);
    if (!this.user && this.k.writeWatch.watches(pa)) this.k.writeWatch.kernelWrite(pa, split ? PAGE_SIZE - (va & PAGE_MASK) : size);
    if (split && !this.user && this.k.writeWatch.watches(second)) this.k.writeWatch.kernelWrite(second, size - (PAGE_SIZE - (va & PAGE_MASK)));
    return MiLockedOperation(this.k.memory.buffer, pa, second, size, op, operand, comparand);
  }

  /** One byte of a read that crosses a page, without charging again. */
  private byte(va: number): number {
    return this.u8[this.pa(va, ACCESS_READ)]!;
  }

  /** Copies `length` bytes out of guest memory: one translation per page. */
  getBytes(va: number, length: number): Uint8Array {
    if (length > 0 && Number.isInteger(length) && chunkLength(va, length) === length) {
      // Within one page: one translation, and `slice` copies into a fresh array without a subarray view.
      this.charge();
      const pa = this.pa(va, ACCESS_READ);
      if (!this.user && this.k.readWatch !== null) this.k.readWatch.kernelRead(pa, va, length);
      return this.u8.slice(pa, pa + length);
    }
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`bad length ${length}`);
    const out = new Uint8Array(length);
    const u8 = this.u8;
    for (let offset = 0; offset < length;) {
      const at = va + offset;
      const n = chunkLength(at, length - offset);
      this.charge();
      const pa = this.pa(at, ACCESS_READ);
      if (!this.user && this.k.readWatch !== null) this.k.readWatch.kernelRead(pa, at, n);
      out.set(u8.subarray(pa, pa + n), offset);
      offset += n;
    }
    return out;
  }

  /** Copies bytes into guest memory: every page probed (and charged) first, so a fault leaves memory unchanged. */
  setBytes(va: number, bytes: Uint8Array | readonly number[]): void {
    const src = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    const length = src.length;
    if (length === 0) return;
    const pages = Math.ceil(length / PAGE_SIZE) + 1;
    if (this.scratch.length < pages) this.scratch = new Float64Array(pages * 2);
    const scratch = this.scratch;
    let page = 0;
    // Every page is charged before any is probed: an interrupt (a DPC that unmaps a page, or
    // that writes with setBytes itself and reuses `scratch`) can only come before the probes.
    for (let offset = 0; offset < length; page++) {
      this.charge();
      offset += chunkLength(va + offset, length - offset);
    }
    page = 0;
    for (let offset = 0; offset < length; page++) {
      const at = va + offset;
      scratch[page] = this.pa(at, ACCESS_WRITE);
      offset += chunkLength(at, length - offset);
    }
    const u8 = this.u8;
    page = 0;
    for (let offset = 0; offset < length; page++) {
      const at = va + offset;
      const n = chunkLength(at, length - offset);
      const pa = scratch[page]!;
      if (!this.user && this.k.writeWatch.watches(pa)) this.k.writeWatch.kernelWrite(pa, n);
      u8.set(n === length ? src : src.subarray(offset, offset + n), pa);
      offset += n;
    }
  }

  /**
   * Copies `length` bytes from `source` to `destination`, both in this mode
   * and address space (RtlCopyMemory), page by page: like the CPU's own
   * copy, a fault part-way leaves the bytes before it copied. Overlapping
   * ranges are copied as memmove does (backwards when the destination lies
   * above the source).
   */
  copy(destination: number, source: number, length: number): void {
    if (length <= 0) return;
    if (destination > source && destination - source < length) return this.copyBackwards(destination, source, length);
    if (length <= PAGE_SIZE && chunkLength(source, length) === length && chunkLength(destination, length) === length) {
      this.charge();
      const from = this.pa(source, ACCESS_READ);
      const to = this.pa(destination, ACCESS_WRITE);
      if (!this.user && this.k.readWatch !== null) this.k.readWatch.kernelRead(from, source, length);
      if (!this.user) this.k.writeWatch.kernelCopy(to, from, length, destination);
      copyPhysical(this.u8, this.u32, to, from, length);
      return;
    }
    if (!Number.isInteger(length)) throw new RangeError(`bad length ${length}`);
    // Page by page, never a guest-sized buffer: a huge length faults where the memory ends.
    for (let offset = 0; offset < length;) {
      const n = Math.min(chunkLength(source + offset, length - offset), chunkLength(destination + offset, length - offset));
      this.charge();
      const from = this.pa(source + offset, ACCESS_READ);
      const to = this.pa(destination + offset, ACCESS_WRITE);
      if (!this.user && this.k.readWatch !== null) this.k.readWatch.kernelRead(from, source + offset, n);
      if (!this.user) this.k.writeWatch.kernelCopy(to, from, n, destination + offset);
      this.u8.copyWithin(to, from, from + n);
      offset += n;
    }
  }

  /** `copy` from the last byte down, for a destination that overlaps the source from above. */
  private copyBackwards(destination: number, source: number, length: number): void {
    for (let end = length; end > 0;) {
      // The chunk ends at `end` and starts no lower than the page start of either range's last byte.
      const n = Math.min(end, ((source + end - 1) & PAGE_MASK) + 1, ((destination + end - 1) & PAGE_MASK) + 1);
      const start = end - n;
      this.charge();
      const from = this.pa(source + start, ACCESS_READ);
      const to = this.pa(destination + start, ACCESS_WRITE);
      if (!this.user) this.k.writeWatch.kernelCopy(to, from, n, destination + start);
      this.u8.copyWithin(to, from, from + n);
      end = start;
    }
  }

  /**
   * Sets `length` bytes at `va` to `value` (RtlFillMemory, RtlZeroMemory),
   * page by page like the CPU's own string store: a fault part-way leaves
   * the bytes before it written, and a huge length faults where the memory
   * ends, with no buffer of its size.
   */
  fill(va: number, length: number, value: number): void {
    for (let offset = 0; offset < length;) {
      const at = va + offset;
      const n = chunkLength(at, length - offset);
      this.charge();
      const pa = this.pa(at, ACCESS_WRITE);
      if (!this.user && this.k.writeWatch.watches(pa)) this.k.writeWatch.kernelWrite(pa, n);
      this.u8.fill(value, pa, pa + n);
      offset += n;
    }
  }

  getString(va: number, encoding: GuestEncoding, maxChars = 32767): string {
    return MiGetString(this, va, encoding, maxChars);
  }

  setString(va: number, value: string, encoding: GuestEncoding): void {
    MiSetString(this, va, value, encoding);
  }
}

/**
 * Whether a `size`-byte access at `va` runs past the end of its page. Exactly
 * `va % PAGE_SIZE > PAGE_SIZE - size`, but that `%` becomes a call to fmod
 * once the address is a double (x64 kernel space, x86 above 2 GiB), so an
 * integer `&` screens first and the exact test runs only near a page's end.
 */
function crossesPage(va: number, size: number): boolean {
  return (va & PAGE_MASK) >= PAGE_SIZE - size && va % PAGE_SIZE > PAGE_SIZE - size;
}

/** Bytes from `va` to the end of its page, at most `remaining` (for a valid address; any other faults before it is used). */
function chunkLength(va: number, remaining: number): number {
  return Math.min(remaining, PAGE_SIZE - (va & PAGE_MASK));
}
