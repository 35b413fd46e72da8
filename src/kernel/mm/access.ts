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
import { COST_MEMORY_ACCESS_NS as COST_NS } from '../ke/cost.js';
import type { Kernel } from '../kernel.js';
import { MmAccessFault } from './fault.js';

// Local copies of the imported constants, for the hot paths: optimized code
// folds a module's own unexported constants, but reads an imported binding
// from its cell, with a hole check, at every use (measured: 1-2 ns an access).
const ACCESS_READ = READ;
const ACCESS_WRITE = WRITE;
const PAGE_MASK = MASK;
const PAGE_SIZE = SIZE;
const COST_MEMORY_ACCESS_NS = COST_NS;

/** Text encodings for getString/setString. */
export type GuestEncoding = 'utf-16le' | 'ascii' | 'utf-8';

/** The memory-access half of `nt` and `k32` (DESIGN.md §6). */
export interface GuestMemoryAccess {
  getUint8(va: number): number;
  getUint16(va: number): number;
  getUint32(va: number): number;
  getBigUint64(va: number): bigint;
  setUint8(va: number, value: number): void;
  setUint16(va: number, value: number): void;
  setUint32(va: number, value: number): void;
  setBigUint64(va: number, value: bigint): void;
  getBytes(va: number, length: number): Uint8Array;
  setBytes(va: number, bytes: Uint8Array | readonly number[]): void;
  getString(va: number, encoding: GuestEncoding, maxChars?: number): string;
  setString(va: number, value: string, encoding: GuestEncoding): void;
  /** sizeof(PVOID): 8 on x64, 4 on x86. */
  readonly sizeofPointer: 4 | 8;
  /** *(PVOID*)va: a pointer-sized load, returned as ntshm's address number. */
  getPointer(va: number): number;
  /** *(PVOID*)va = value: a pointer-sized store (x64 kernel addresses are stored sign-extended). */
  setPointer(va: number, value: number): void;
}

export class GuestMemory implements GuestMemoryAccess {
  readonly sizeofPointer: 4 | 8;

  constructor(private readonly k: Kernel, private readonly user: boolean) {
    this.sizeofPointer = k.layout.pointerSize;
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

  /**
   * Physical address for an access, resolving faults until it translates.
   * The last-page cache is asked first: a hit is only ever a valid address,
   * so the checks below run on a miss alone.
   */
  private pa(va: number, access: AccessKind): number {
    const pa = this.k.current.cpu.mmu.lookup(va, access, this.user);
    return pa >= 0 ? pa : this.paMiss(va, access);
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
        MmAccessFault(k, f);
      }
    }
  }

  getUint8(va: number): number {
    this.k.charge(COST_MEMORY_ACCESS_NS);
    return this.k.memory.u8[this.pa(va, ACCESS_READ)]!;
  }

  getUint16(va: number): number {
    this.k.charge(COST_MEMORY_ACCESS_NS);
    if (crossesPage(va, 2)) return this.getUint8(va) | (this.getUint8(va + 1) << 8);
    return this.k.memory.view.getUint16(this.pa(va, ACCESS_READ), true);
  }

  getUint32(va: number): number {
    this.k.charge(COST_MEMORY_ACCESS_NS);
    if (crossesPage(va, 4)) return (this.getUint16(va) | (this.getUint16(va + 2) << 16)) >>> 0;
    const pa = this.pa(va, ACCESS_READ);
    if (this.user && this.k.tornReads.armed) this.k.tornReads.userRead32(pa, va);
    return this.k.memory.read32(pa);
  }

  getBigUint64(va: number): bigint {
    this.k.charge(COST_MEMORY_ACCESS_NS);
    if (crossesPage(va, 8)) return BigInt(this.getUint32(va)) | (BigInt(this.getUint32(va + 4)) << 32n);
    return this.k.memory.view.getBigUint64(this.pa(va, ACCESS_READ), true);
  }

  setUint8(va: number, value: number): void {
    this.k.charge(COST_MEMORY_ACCESS_NS);
    this.k.memory.u8[this.pa(va, ACCESS_WRITE)] = value;
  }

  setUint16(va: number, value: number): void {
    this.k.charge(COST_MEMORY_ACCESS_NS);
    if (crossesPage(va, 2)) {
      // Probe both pages before writing either, so a fault leaves memory unchanged.
      this.pa(va + 1, ACCESS_WRITE);
      this.setUint8(va, value & 0xff);
      this.setUint8(va + 1, (value >>> 8) & 0xff);
      return;
    }
    this.k.memory.view.setUint16(this.pa(va, ACCESS_WRITE), value, true);
  }

  setUint32(va: number, value: number): void {
    this.k.charge(COST_MEMORY_ACCESS_NS);
    if (crossesPage(va, 4)) {
      this.pa(va + 3, ACCESS_WRITE);
      this.setUint16(va, value & 0xffff);
      this.setUint16(va + 2, (value >>> 16) & 0xffff);
      return;
    }
    const pa = this.pa(va, ACCESS_WRITE);
    if (!this.user) this.k.tornReads.kernelWrite(pa, 4);
    this.k.memory.write32(pa, value >>> 0);
  }

  setBigUint64(va: number, value: bigint): void {
    this.k.charge(COST_MEMORY_ACCESS_NS);
    const v = BigInt.asUintN(64, value);
    if (crossesPage(va, 8)) {
      this.pa(va + 7, ACCESS_WRITE);
      this.setUint32(va, Number(v & 0xffff_ffffn));
      this.setUint32(va + 4, Number(v >> 32n));
      return;
    }
    const pa = this.pa(va, ACCESS_WRITE);
    if (!this.user) this.k.tornReads.kernelWrite(pa, 8);
    this.k.memory.view.setBigUint64(pa, v, true);
  }

  /** Copies `length` bytes out of guest memory: one translation per page. */
  getBytes(va: number, length: number): Uint8Array {
    if (length > 0 && Number.isInteger(length) && chunkLength(va, length) === length) {
      // Within one page: one translation, and `slice` copies into a fresh array without a subarray view.
      this.k.charge(COST_MEMORY_ACCESS_NS);
      const pa = this.pa(va, ACCESS_READ);
      return this.k.memory.u8.slice(pa, pa + length);
    }
    const out = new Uint8Array(length);
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`bad length ${length}`);
    const u8 = this.k.memory.u8;
    for (let offset = 0; offset < length;) {
      const at = va + offset;
      const n = chunkLength(at, length - offset);
      this.k.charge(COST_MEMORY_ACCESS_NS);
      const pa = this.pa(at, ACCESS_READ);
      out.set(u8.subarray(pa, pa + n), offset);
      offset += n;
    }
    return out;
  }

  /** Copies bytes into guest memory: one translation per page; all pages are probed before any byte is written. */
  setBytes(va: number, bytes: Uint8Array | readonly number[]): void {
    const src = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    const length = src.length;
    for (let offset = 0; offset < length;) {
      const at = va + offset;
      const n = chunkLength(at, length - offset);
      this.k.charge(COST_MEMORY_ACCESS_NS);
      this.pa(at, ACCESS_WRITE);
      offset += n;
    }
    const u8 = this.k.memory.u8;
    for (let offset = 0; offset < length;) {
      const at = va + offset;
      const n = chunkLength(at, length - offset);
      this.k.charge(COST_MEMORY_ACCESS_NS);
      const pa = this.pa(at, ACCESS_WRITE);
      u8.set(n === length ? src : src.subarray(offset, offset + n), pa);
      offset += n;
    }
  }

  getString(va: number, encoding: GuestEncoding, maxChars = 32767): string {
    let s = '';
    const wide = encoding === 'utf-16le';
    const bytes: number[] = [];
    for (let i = 0; i < maxChars; i++) {
      const c = wide ? this.getUint16(va + i * 2) : this.getUint8(va + i);
      if (c === 0) break;
      if (wide) s += String.fromCharCode(c);
      else bytes.push(c);
    }
    if (wide) return s;
    return encoding === 'utf-8' ? new TextDecoder().decode(Uint8Array.from(bytes)) : String.fromCharCode(...bytes);
  }

  setString(va: number, value: string, encoding: GuestEncoding): void {
    if (encoding === 'utf-16le') {
      const out = new Uint8Array(value.length * 2 + 2);
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        out[i * 2] = c & 0xff;
        out[i * 2 + 1] = c >>> 8;
      }
      this.setBytes(va, out);
      return;
    }
    const body = encoding === 'utf-8' ? new TextEncoder().encode(value) : Uint8Array.from(value, (ch) => ch.charCodeAt(0) & 0xff);
    const out = new Uint8Array(body.length + 1);
    out.set(body);
    this.setBytes(va, out);
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
