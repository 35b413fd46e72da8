/**
 * The memory-access half shared by `nt` (kernel mode) and `k32` (user mode):
 * DataView-like names over a GuestMemory, bound so they can be passed around
 * (docs/api.md).
 */
import type { GuestEncoding, GuestMemoryAccess } from '../kernel/mm/access.js';

/** The DataView-like accessors (getUint32, setBytes, getPointer, ...) of a GuestMemory, bound, for `nt` and `k32`. */
export function memoryAccessors(mem: GuestMemoryAccess) {
  return {
    getUint8: (va: number): number => mem.getUint8(va),
    getUint16: (va: number): number => mem.getUint16(va),
    getUint32: (va: number): number => mem.getUint32(va),
    getBigUint64: (va: number): bigint => mem.getBigUint64(va),
    setUint8: (va: number, v: number): void => mem.setUint8(va, v),
    setUint16: (va: number, v: number): void => mem.setUint16(va, v),
    setUint32: (va: number, v: number): void => mem.setUint32(va, v),
    setBigUint64: (va: number, v: bigint): void => mem.setBigUint64(va, v),
    getBytes: (va: number, n: number): Uint8Array => mem.getBytes(va, n),
    setBytes: (va: number, bytes: Uint8Array | readonly number[]): void => mem.setBytes(va, bytes),
    getString: (va: number, encoding: GuestEncoding, maxChars?: number): string => mem.getString(va, encoding, maxChars),
    setString: (va: number, s: string, encoding: GuestEncoding): void => mem.setString(va, s, encoding),
    /** sizeof(PVOID). */
    sizeofPointer: mem.sizeofPointer,
    /** *(PVOID*)va. */
    getPointer: (va: number): number => mem.getPointer(va),
    /** *(PVOID*)va = value. */
    setPointer: (va: number, value: number): void => mem.setPointer(va, value),
  };
}
