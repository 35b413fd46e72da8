/**
 * Numbers as WinDbg prints them: pointers of the target's width, x64 kernel
 * addresses sign-extended and split with a backtick (`fffffa80`00009f10`),
 * bare hex without `0x` as kd's own output has it.
 */

/** The 64-bit value an x64 address has in a register: canonical, sign-extended from bit 47. */
export function canonical(arch: 'x64' | 'x86', value: number): bigint {
  if (arch === 'x86') return BigInt.asUintN(32, BigInt(Math.trunc(value)));
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  if (v >= 1n << 47n && v < 1n << 48n) v |= 0xffff_0000_0000_0000n;
  return v;
}

/** A pointer as kd prints it: `fffffa80`00009f10` on x64, `8a3c2000` on x86. */
export function ptr(arch: 'x64' | 'x86', value: number): string {
  const v = canonical(arch, value);
  if (arch === 'x86') return v.toString(16).padStart(8, '0');
  const s = v.toString(16).padStart(16, '0');
  return `${s.slice(0, 8)}\`${s.slice(8)}`;
}

/** A pointer-sized value without the backtick (kd's `Arg1: 000000000000007f`). */
export function ulongPtr(arch: 'x64' | 'x86', value: number | bigint): string {
  const v = typeof value === 'bigint' ? BigInt.asUintN(arch === 'x64' ? 64 : 32, value) : canonical(arch, value);
  return v.toString(16).padStart(arch === 'x64' ? 16 : 8, '0');
}

/** Bare hex, at least `width` digits. */
export function hex(value: number | bigint, width = 0): string {
  return (typeof value === 'bigint' ? value : BigInt(Math.trunc(value))).toString(16).padStart(width, '0');
}

/**
 * An address typed at kd: hex with or without `0x`, backticks allowed
 * (`fffffa80`00009f10`), sign-extended x64 forms folded back to ntshm's
 * 48-bit numbers. Undefined when it is not a number.
 */
export function parseKdNumber(text: string): number | undefined {
  let t = text.trim().replace(/`/g, '');
  if (/^0n\d+$/i.test(t)) return Number(t.slice(2));
  if (/^0x/i.test(t)) t = t.slice(2);
  if (!/^[0-9a-f]+$/i.test(t) || t.length > 16) return undefined;
  let v = BigInt(`0x${t}`);
  if (v >= 0xffff_8000_0000_0000n) v &= 0xffff_ffff_ffffn;
  return Number(v);
}

/** Left-justified table columns, two spaces apart. */
export function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}
