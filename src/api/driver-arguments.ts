/**
 * A driver's integer arguments as a register holds them. A C driver passes
 * a ULONG_PTR or a SIZE_T in a register of the architecture's width, so a
 * JS number stands for the integer it names, wrapped to that width: -1 as a
 * length is 0xFFFFFFFF`FFFFFFFF on x64 (2^64 - 1 bytes) and 0xFFFFFFFF on
 * x86.
 *
 * ntshm writes x64 addresses as 48-bit numbers (ffff8000`00000000 is
 * 0x8000_0000_0000, mm/layout.ts), so a pointer maps to that form: a
 * negative number is a sign-extended high address (-0x1000 is
 * ffffffff`fffff000). A 64-bit value that is not canonical (bits 63..47
 * not all equal) cannot be dereferenced on x64: the CPU raises a general
 * protection fault, which Windows turns into STATUS_ACCESS_VIOLATION
 * raised in the faulting frame, with -1 as the address it cannot know.
 *
 * A value no register can hold (NaN, ±Infinity, a fraction, a non-number)
 * no C driver can pass: ntshm takes it as such a wild pointer, the driver's
 * own bug, and raises the same access violation in its frame: caught by its
 * try/catch (__try/__except), else 0x3B, 0x1E or 0x7E with 0xC0000005.
 */
import { NtException } from '../include/errors.js';
import { STATUS_ACCESS_VIOLATION } from '../include/ntstatus.js';
import { asUchar } from '../include/c-types.js';

type Arch = 'x64' | 'x86';

const TWO_47 = 2 ** 47;
const TWO_48 = 2 ** 48;

/** The access violation of an address no CPU can form: ExceptionInformation [read, -1] (ffffffff`ffffffff, or ffffffff). */
export function wildPointer(arch: Arch): never {
  throw new NtException(STATUS_ACCESS_VIOLATION, [0, arch === 'x64' ? TWO_48 - 1 : 0xffff_ffff]);
}

/** A ULONG_PTR argument that is an address, in ntshm's address form; raises STATUS_ACCESS_VIOLATION for one no register holds. */
export function pointerArgument(arch: Arch, value: unknown): number {
  if (typeof value === 'bigint') return pointerArgument(arch, Number(BigInt.asIntN(64, value)));
  if (typeof value !== 'number' || !Number.isInteger(value)) return wildPointer(arch);
  if (arch === 'x86') return value >>> 0;
  if (value >= 0 && value < TWO_48) return value;
  if (value < 0 && value >= -TWO_47) return value + TWO_48;
  // Past 48 bits either way: wrapped to 64 bits, only the top 2^47 values are canonical (sign-extended high addresses).
  const u = BigInt.asUintN(64, BigInt(value));
  if (u >= (1n << 64n) - (1n << 47n)) return Number(u - (1n << 64n)) + TWO_48;
  return wildPointer(arch);
}

/** A SIZE_T argument: the count, wrapped to the architecture's width (a number past 2^53 is approximate, and huge all the same). */
export function sizeArgument(arch: Arch, value: unknown): number {
  if (typeof value === 'bigint') return Number(BigInt.asUintN(arch === 'x64' ? 64 : 32, value));
  if (typeof value !== 'number' || !Number.isInteger(value)) return wildPointer(arch);
  if (arch === 'x86') return value >>> 0;
  if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) return value;
  return Number(BigInt.asUintN(64, BigInt(value)));
}

/** A ULONG argument (a count of 32 bits on both architectures), wrapped to 32 bits. */
export function ulongArgument(arch: Arch, value: unknown): number {
  if (typeof value === 'bigint') return Number(BigInt.asUintN(32, value));
  if (typeof value !== 'number' || !Number.isInteger(value)) return wildPointer(arch);
  return value >>> 0;
}

/**
 * A KIRQL argument (a UCHAR): a number, bigint or boolean keeps its low byte
 * (c-types' asUchar); a Symbol or an object whose valueOf throws is no
 * byte any register holds: the driver's wild value, the same access
 * violation in its frame.
 */
export function irqlArgument(arch: Arch, value: unknown): number {
  try {
    return asUchar(value);
  } catch {
    return wildPointer(arch);
  }
}

/**
 * A HANDLE argument (pointer-sized, signed: NtCurrentProcess() is -1): an
 * integer number as it is, a bigint by its signed low 64 bits; anything
 * else (a Symbol, NaN, an object) the driver's wild value, the access
 * violation in its frame.
 */
export function handleArgument(arch: Arch, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(arch === 'x64' ? BigInt.asIntN(64, value) : BigInt.asIntN(32, value));
  return wildPointer(arch);
}
