/**
 * What a value handed across the guest boundary becomes in the C type the
 * kernel reads it as: a register of that width holds the low bits of
 * whatever was put in it. A JS guest can hand the kernel anything, so each
 * reader of a guest value (a routine's return, IoStatus, a bug-check
 * parameter, an IRQL) coerces it here first.
 *
 *   ULONG / NTSTATUS  32 bits  (2**40 → 0, -1 → 0xFFFFFFFF, 5n → 5)
 *   UCHAR / KIRQL      8 bits  (0x102 → 2)
 *   ULONG_PTR         the pointer width (x86: 32 bits; x64: 64 bits, kept as
 *                     ntshm keeps x64 values: a number, see asUlongPtr)
 *
 * A number that is not an integer is truncated, and NaN or ±Infinity is 0
 * (ECMAScript's ToUint32; a C cast of either is undefined behaviour). A
 * bigint keeps its low bits; a boolean, string, null or undefined goes
 * through Number(). What no register could hold — a Symbol, or an object
 * whose valueOf throws — throws a TypeError (or whatever valueOf threw): a
 * caller reading it inside a driver's frame turns that into the driver's
 * own exception. `orZero` is for readers that must never throw.
 */

/** ToNumber for a guest value, keeping a bigint whole (the callers take its low bits themselves). */
export function numeric(value: unknown): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  // An object's valueOf may hand back a bigint: ToPrimitive first, then the same rules.
  const primitive = typeof value === 'object' && value !== null || typeof value === 'function' ? Number(value) : value;
  return typeof primitive === 'bigint' ? primitive : Number(primitive);
}

/** The low `bits` bits of an integer-valued number or bigint, as a bigint (NaN and ±Infinity: 0). */
function lowBits(value: number | bigint, bits: number): bigint {
  if (typeof value === 'bigint') return BigInt.asUintN(bits, value);
  if (!Number.isFinite(value)) return 0n;
  return BigInt.asUintN(bits, BigInt(Math.trunc(value)));
}

/** ULONG (and NTSTATUS, as ntshm keeps statuses unsigned: 0xC0000005). */
export function asUlong(value: unknown): number {
  const n = numeric(value);
  return typeof n === 'number' ? n >>> 0 : Number(BigInt.asUintN(32, n));
}

/** UCHAR, and so KIRQL. */
export function asUchar(value: unknown): number {
  return asUlong(value) & 0xff;
}

/**
 * ULONG_PTR of a `pointerSize`-byte machine. On x86, the low 32 bits. On
 * x64, the low 64 bits as ntshm keeps x64 values, a number:
 *
 *   below 2^53                      exact (counts, user and kernel addresses);
 *   0xFFFF8000`00000000 and above   sign-extended values (-1, kernel addresses):
 *                                   kept as their low 48 bits, the form every
 *                                   x64 address takes in ntshm, which kd hex
 *                                   prints sign-extended again (-1 → 2^48 - 1,
 *                                   printed 0xffffffffffffffff);
 *   anything else                   (no address, only a guest's junk) the
 *                                   nearest double: its magnitude is kept, its
 *                                   lowest bits may not be.
 */
export function asUlongPtr(pointerSize: 4 | 8, value: unknown): number {
  const n = numeric(value);
  if (pointerSize === 4) return typeof n === 'number' ? n >>> 0 : Number(BigInt.asUintN(32, n));
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n; // the common case: no bigint made
  const u = lowBits(n, 64);
  if (u >= 0xffff_8000_0000_0000n) return Number(u & 0xffff_ffff_ffffn);
  return Number(u);
}

/** `convert(value)`, or 0 when the value cannot be converted at all (a Symbol, a throwing valueOf). */
export function orZero(convert: (value: unknown) => number, value: unknown): number {
  try {
    return convert(value);
  } catch {
    return 0;
  }
}
