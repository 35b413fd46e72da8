/**
 * The Interlocked routines, one implementation spread into both `nt` (wdm.h)
 * and `k32` (winnt.h): each is one locked read-modify-write of guest memory
 * in the caller's mode (GuestMemory.interlocked, mm/interlocked.ts), so a
 * program and a driver's DPC incrementing the same shared LONG never lose an
 * update, and a 64-bit one on x86 is one 8-byte access, never two halves.
 *
 * Values: a LONG is a JS number (signed 32-bit); a LONG64 a bigint (signed);
 * a PVOID ntshm's address number. Any operand is taken as a register holds
 * it (a fraction truncated, NaN 0, a bigint's low bits).
 * https://learn.microsoft.com/windows/win32/sync/interlocked-variable-access
 */
import type { Arch } from '../include/structures.js';
import type { GuestMemoryAccess } from '../kernel/mm/access.js';
import type { LockedOperation } from '../kernel/mm/interlocked.js';
import { addressFromProgram, largeIntegerFromProgram } from './program-arguments.js';

/** The Interlocked* routines over one mode's guest memory. */
export function makeInterlocked(mem: GuestMemoryAccess) {
  const arch: Arch = mem.sizeofPointer === 8 ? 'x64' : 'x86';
  const at = (va: unknown): number => addressFromProgram(arch, va);
  const bits = (v: unknown): bigint => largeIntegerFromProgram(arch, v);
  /** A LONG operation: the initial value, signed. */
  const op32 = (va: unknown, op: LockedOperation, operand: bigint, comparand = 0n): number =>
    Number(BigInt.asIntN(32, mem.interlocked(at(va), 4, op, operand, comparand)));
  const op64 = (va: unknown, op: LockedOperation, operand: bigint, comparand = 0n): bigint =>
    BigInt.asIntN(64, mem.interlocked(at(va), 8, op, operand, comparand));
  /** A PVOID operation; x64 pointers are stored sign-extended, as setPointer stores them. */
  const opPointer = (va: unknown, op: LockedOperation, value: unknown, comparand: unknown = 0): number => {
    const size = mem.sizeofPointer;
    const initial = mem.interlocked(at(va), size, op, pointerBits(arch, value), pointerBits(arch, comparand));
    return size === 4 ? Number(initial) : Number(initial & 0xffff_ffff_ffffn);
  };
  return {
    /** Returns the incremented value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedincrement */
    InterlockedIncrement: (Addend: number): number => (op32(Addend, 'add', 1n) + 1) | 0,
    /** Returns the decremented value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockeddecrement */
    InterlockedDecrement: (Addend: number): number => (op32(Addend, 'add', -1n) - 1) | 0,
    /** Returns the initial value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedexchange */
    InterlockedExchange: (Target: number, Value: number): number => op32(Target, 'exchange', bits(Value)),
    /** Returns the initial value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedexchangeadd */
    InterlockedExchangeAdd: (Addend: number, Value: number): number => op32(Addend, 'add', bits(Value)),
    /** Returns the initial value; stores ExChange only if it equalled Comperand. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedcompareexchange */
    InterlockedCompareExchange: (Destination: number, ExChange: number, Comperand: number): number =>
      op32(Destination, 'compareExchange', bits(ExChange), bits(Comperand)),
    /** Returns the original value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedand */
    InterlockedAnd: (Destination: number, Value: number): number => op32(Destination, 'and', bits(Value)),
    /** Returns the original value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedor */
    InterlockedOr: (Destination: number, Value: number): number => op32(Destination, 'or', bits(Value)),
    /** Returns the original value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedxor */
    InterlockedXor: (Destination: number, Value: number): number => op32(Destination, 'xor', bits(Value)),
    /** One CMPXCHG8B on x86: returns the initial value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedcompareexchange64 */
    InterlockedCompareExchange64: (Destination: number, ExChange: bigint, Comperand: bigint): bigint =>
      op64(Destination, 'compareExchange', bits(ExChange), bits(Comperand)),
    /** Returns the initial value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedexchange64 */
    InterlockedExchange64: (Target: number, Value: bigint): bigint => op64(Target, 'exchange', bits(Value)),
    /** Returns the initial value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedexchangeadd64 */
    InterlockedExchangeAdd64: (Addend: number, Value: bigint): bigint => op64(Addend, 'add', bits(Value)),
    /** Returns the result of the addition. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedadd64 */
    InterlockedAdd64: (Addend: number, Value: bigint): bigint => BigInt.asIntN(64, op64(Addend, 'add', bits(Value)) + bits(Value)),
    /** Returns the incremented value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedincrement64 */
    InterlockedIncrement64: (Addend: number): bigint => BigInt.asIntN(64, op64(Addend, 'add', 1n) + 1n),
    /** Returns the decremented value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockeddecrement64 */
    InterlockedDecrement64: (Addend: number): bigint => BigInt.asIntN(64, op64(Addend, 'add', -1n) - 1n),
    /** Pointer-sized (8 bytes on x64, 4 on x86): returns the initial value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedexchangepointer */
    InterlockedExchangePointer: (Target: number, Value: number): number => opPointer(Target, 'exchange', Value),
    /** Pointer-sized: returns the initial value. https://learn.microsoft.com/windows/win32/api/winnt/nf-winnt-interlockedcompareexchangepointer */
    InterlockedCompareExchangePointer: (Destination: number, Exchange: number, Comperand: number): number =>
      opPointer(Destination, 'compareExchange', Exchange, Comperand),
  };
}

/** A PVOID's bits as stored: x64 addresses sign-extended from bit 47 (ntshm's address numbers are 48-bit). */
function pointerBits(arch: Arch, value: unknown): bigint {
  const v = BigInt.asUintN(arch === 'x64' ? 64 : 32, largeIntegerFromProgram(arch, value));
  return arch === 'x64' && v >= 1n << 47n && v < 1n << 48n ? v | 0xffff_0000_0000_0000n : v;
}
