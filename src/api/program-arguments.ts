/**
 * A program's arguments as a register holds them: what `k32` and the
 * system-call stubs make of a JavaScript value no C program could pass.
 *
 *   a number            itself: each routine already answers every number
 *                       (k32 takes a ULONG's ToUint32, a native routine
 *                       refuses a non-integer with STATUS_INVALID_PARAMETER,
 *                       the kernel's probes and the MMU refuse what is no
 *                       address);
 *   null, undefined     NULL (0);
 *   a bigint            the low bits of the parameter's width;
 *   anything else       the number ToNumber makes of it (true → 1, '4096' →
 *                       4096, an object through its valueOf, {} → NaN), then
 *                       as that number.
 *
 * A value ToNumber cannot convert (a Symbol, an object whose valueOf or
 * Symbol.toPrimitive throws, a Proxy whose traps throw) no register holds:
 * it is the program's wild value, and ntshm raises what reading it would,
 * STATUS_ACCESS_VIOLATION in the program (ExceptionInformation [0, -1], as
 * for a driver: api/driver-arguments.ts), which ends the process with
 * 0xC0000005 unless the program catches it (docs/fidelity.md, "Hostile
 * arguments from programs").
 */
import { numeric } from '../include/c-types.js';
import { pointerArgument, wildPointer } from './driver-arguments.js';

type Arch = 'x64' | 'x86';

/** ToNumber (a bigint kept whole) of a value that is not a number; the program's access violation if it has none. */
function registerValue(arch: Arch, value: unknown): number | bigint {
  if (value === null || value === undefined) return 0;
  try {
    return numeric(value);
  } catch {
    return wildPointer(arch);
  }
}

/** A ULONG (DWORD, UINT) of a program, as a k32 routine computes with it: its low 32 bits, unsigned (NaN → 0). */
export function ulongFromProgram(arch: Arch, value: unknown): number {
  if (typeof value === 'number') return value >>> 0;
  const n = registerValue(arch, value);
  return typeof n === 'number' ? n >>> 0 : Number(BigInt.asUintN(32, n));
}

/**
 * A pointer-width integer of a program (HANDLE, SIZE_T, an address handed
 * to the kernel): the number a program would have written for the same
 * bits, signed as ntshm writes handles (-1n is -1, NtCurrentProcess).
 */
export function ulongPtrFromProgram(arch: Arch, value: unknown): number {
  if (typeof value === 'number') return value;
  const n = registerValue(arch, value);
  return typeof n === 'number' ? n : Number(BigInt.asIntN(arch === 'x64' ? 64 : 32, n));
}

/** A LARGE_INTEGER a program gives by value (a delay, an offset): 64 bits, signed; a fraction truncated, NaN and ±Infinity 0. */
export function largeIntegerFromProgram(arch: Arch, value: unknown): bigint {
  const n = typeof value === 'number' ? value : registerValue(arch, value);
  if (typeof n === 'bigint') return BigInt.asIntN(64, n);
  return Number.isFinite(n) ? BigInt.asIntN(64, BigInt(Math.trunc(n))) : 0n;
}

/**
 * An address a program reads or writes itself (the memory accessors, a
 * string's address): as the MMU takes it, a bigint in ntshm's address form
 * (pointerArgument: a non-canonical x64 value is the access violation a
 * general protection fault becomes).
 */
export function addressFromProgram(arch: Arch, value: unknown): number {
  if (typeof value === 'number') return value;
  const n = registerValue(arch, value);
  return typeof n === 'number' ? n : pointerArgument(arch, n);
}

/**
 * A byte count a program gives (getBytes' length): a SIZE_T, wrapped to the
 * width (a fraction truncated, NaN and ±Infinity 0, -1 the largest count).
 */
export function countFromProgram(arch: Arch, value: unknown): number {
  const n = typeof value === 'number' ? value : registerValue(arch, value);
  const bits = arch === 'x64' ? 64 : 32;
  if (typeof n === 'bigint') return Number(BigInt.asUintN(bits, n));
  if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) return Math.floor(n);
  if (!Number.isFinite(n)) return 0;
  return Number(BigInt.asUintN(bits, BigInt(Math.trunc(n))));
}

/**
 * The bytes a program hands setBytes: a Uint8Array as it is, an array or
 * another typed array byte by byte (each element's low 8 bits). Anything
 * else, or an element no register holds, is a source pointer that points
 * at nothing: the program's access violation.
 */
export function bytesFromProgram(arch: Arch, value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    try {
      return Uint8Array.from(value as ArrayLike<number>, (b) => ulongFromProgram(arch, b) & 0xff);
    } catch {
      return wildPointer(arch);
    }
  }
  return wildPointer(arch);
}
