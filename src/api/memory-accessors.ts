/**
 * The memory-access half shared by `nt` (kernel mode) and `k32` (user mode):
 * DataView-like names over a GuestMemory, bound so they can be passed around
 * (docs/api.md).
 *
 * An address that is a number goes to the MMU as it is (one typeof test:
 * this is the hot path of every access); any other value is made an
 * address first (program-arguments.ts: a bigint in ntshm's address form,
 * `true` 1, a Symbol the caller's access violation). A length is a SIZE_T,
 * and the bytes to store must be bytes.
 */
import type { GuestEncoding, GuestMemoryAccess } from '../kernel/mm/access.js';
import { addressFromProgram, bytesFromProgram, countFromProgram, ulongFromProgram } from './program-arguments.js';

/** The DataView-like accessors (getUint32, setBytes, getPointer, ...) of a GuestMemory, bound, for `nt` and `k32`. */
export function memoryAccessors(mem: GuestMemoryAccess) {
  const arch = mem.sizeofPointer === 8 ? 'x64' : 'x86';
  const at = (va: unknown): number => addressFromProgram(arch, va);
  return {
    getUint8: (va: number): number => mem.getUint8(typeof va === 'number' ? va : at(va)),
    getUint16: (va: number): number => mem.getUint16(typeof va === 'number' ? va : at(va)),
    getUint32: (va: number): number => mem.getUint32(typeof va === 'number' ? va : at(va)),
    getBigUint64: (va: number): bigint => mem.getBigUint64(typeof va === 'number' ? va : at(va)),
    setUint8: (va: number, v: number): void => mem.setUint8(typeof va === 'number' ? va : at(va), typeof v === 'number' ? v : ulongFromProgram(arch, v)),
    setUint16: (va: number, v: number): void => mem.setUint16(typeof va === 'number' ? va : at(va), typeof v === 'number' ? v : ulongFromProgram(arch, v)),
    setUint32: (va: number, v: number): void => mem.setUint32(typeof va === 'number' ? va : at(va), typeof v === 'number' ? v : ulongFromProgram(arch, v)),
    setBigUint64: (va: number, v: bigint): void => mem.setBigUint64(typeof va === 'number' ? va : at(va), typeof v === 'bigint' ? v : quadword(arch, v)),
    getBytes: (va: number, n: number): Uint8Array => getBytes(mem, arch, typeof va === 'number' ? va : at(va), countFromProgram(arch, n)),
    setBytes: (va: number, bytes: Uint8Array | readonly number[]): void =>
      mem.setBytes(typeof va === 'number' ? va : at(va), bytes instanceof Uint8Array ? bytes : bytesFromProgram(arch, bytes)),
    getString: (va: number, encoding: GuestEncoding, maxChars?: number): string => mem.getString(typeof va === 'number' ? va : at(va), encoding, maxChars),
    setString: (va: number, s: string, encoding: GuestEncoding): void => mem.setString(typeof va === 'number' ? va : at(va), s, encoding),
    /** sizeof(PVOID). */
    sizeofPointer: mem.sizeofPointer,
    /** *(PVOID*)va. */
    getPointer: (va: number): number => mem.getPointer(typeof va === 'number' ? va : at(va)),
    /** *(PVOID*)va = value. */
    setPointer: (va: number, value: number): void => mem.setPointer(typeof va === 'number' ? va : at(va), typeof value === 'number' ? value : at(value)),
  };
}

/** A ULONG64 to store that is not a bigint: its 64 bits (a number truncated, NaN 0). */
function quadword(arch: 'x64' | 'x86', v: unknown): bigint {
  const n = typeof v === 'number' ? v : addressFromProgram(arch, v);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
}

/** The largest read made in one host buffer before its pages are probed. */
const PROBE_ABOVE = 1 << 24;

/**
 * getBytes of a count: a count no mapping could satisfy (2^64 - 1, for -1)
 * must fault where the bytes run out, as the copy's loads would, and not
 * ask the host for a buffer of that size: a large read touches each page
 * first (one byte of each), and only then copies.
 */
function getBytes(mem: GuestMemoryAccess, arch: 'x64' | 'x86', va: number, n: number): Uint8Array {
  if (n > PROBE_ABOVE) {
    const end = va + n;
    for (let page = va; page < end; page = (Math.floor(page / 4096) + 1) * 4096) mem.getUint8(page);
  }
  return mem.getBytes(va, n);
}
