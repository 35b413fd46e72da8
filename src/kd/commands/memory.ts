/**
 * db, dw, dd, dq, dc, da, du, dps (display memory) and .formats: bytes read
 * through the page tables of the implicit process, as WinDbg lays them out;
 * a byte whose page is not valid shows as `??`.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/d--da--db--dc--dd--dd--df--dp--dq--du--dw--dw--dyb--dyd--display-memor
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-formats--show-number-formats-
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { translate } from '../paging.js';
import { canonical, hex, parseKdNumber, ptr } from '../format.js';
import { KdError, kdNumber, type KdContext } from '../target.js';
import { symbolFor } from '../symbols.js';

/** Reads `length` bytes at `va` in the implicit process: undefined for each byte of a page that is not valid. */
export function readVirtual(ctx: KdContext, va: number, length: number): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  let pageVa = -1;
  let pagePa: number | undefined;
  for (let i = 0; i < length; i++) {
    const a = va + i;
    const page = a - (a % PAGE_SIZE);
    if (page !== pageVa) {
      pageVa = page;
      pagePa = translate(ctx.memory, ctx.arch, ctx.process.directoryTableBase, page);
    }
    out.push(pagePa === undefined ? undefined : ctx.memory.u8[pagePa + (a % PAGE_SIZE)]);
  }
  return out;
}

const UNITS: Readonly<Record<string, number>> = { db: 1, dw: 2, dd: 4, dq: 8 };

/** `L<count>` (elements), or the default of 128 bytes. */
function countOf(args: string[], unit: number): number {
  const l = args.find((a) => /^l/i.test(a));
  if (!l) return 0x80 / unit;
  const n = parseKdNumber(l.slice(1).replace(/^\?/, ''));
  if (n === undefined || n <= 0 || n > 0x10000) throw new KdError(`Range error in '${l}': a count from 1 to 0x10000 is expected`);
  return n;
}

/** db/dw/dd/dq ADDR [L count]. */
export function displayMemory(ctx: KdContext, command: string, args: string[]): string[] {
  const unit = UNITS[command] ?? 1;
  const va = kdNumber(args[0], 'an address');
  const count = countOf(args.slice(1), unit);
  const bytes = readVirtual(ctx, va, count * unit);
  const lines: string[] = [];
  for (let row = 0; row < bytes.length; row += 16) {
    const chunk = bytes.slice(row, row + 16);
    const address = ptr(ctx.arch, va + row);
    if (unit === 1) {
      const cells = chunk.map((b, i) => (b === undefined ? '??' : hex(b, 2)) + (i === 7 && chunk.length > 8 ? '-' : ' '));
      const text = chunk.map((b) => (b !== undefined && b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === undefined ? '?' : '.')).join('');
      lines.push(`${address}  ${cells.join('').trimEnd().padEnd(47)}  ${text}`);
      continue;
    }
    const words: string[] = [];
    for (let i = 0; i < chunk.length; i += unit) {
      const part = chunk.slice(i, i + unit);
      if (part.some((b) => b === undefined)) words.push('?'.repeat(unit * 2));
      else {
        let v = 0n;
        part.forEach((b, j) => (v |= BigInt(b ?? 0) << BigInt(8 * j)));
        const s = hex(v, unit * 2);
        words.push(unit === 8 ? `${s.slice(0, 8)}\`${s.slice(8)}` : s);
      }
    }
    lines.push(`${address}  ${words.join(' ')}`);
  }
  return lines;
}

/** A display command's range length: `L<count>`, or `fallback`. */
function lengthOf(args: string[], fallback: number): number {
  const l = args.find((a) => /^l/i.test(a));
  return l ? countOf([l], 1) : fallback;
}

/**
 * da / du ADDR [L count]: a string, until its NUL or `count` characters (the default: 48, one line of
 * the page's "up to 48 characters" — ntshm's choice); a character outside printable ASCII as `.`.
 */
export function displayString(ctx: KdContext, command: 'da' | 'du', args: string[]): string[] {
  const va = kdNumber(args[0], 'an address');
  const unit = command === 'du' ? 2 : 1;
  const max = lengthOf(args.slice(1), 48);
  const bytes = readVirtual(ctx, va, max * unit);
  const lines: string[] = [];
  let text = '';
  let lineStart = va;
  for (let i = 0; i < max; i++) {
    const part = bytes.slice(i * unit, (i + 1) * unit);
    if (part.some((b) => b === undefined)) {
      if (i === 0) return [`${ptr(ctx.arch, va)}  ????`];
      break;
    }
    const c = unit === 2 ? (part[0] ?? 0) | ((part[1] ?? 0) << 8) : (part[0] ?? 0);
    if (c === 0) break;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    if (text.length === 48) {
      lines.push(`${ptr(ctx.arch, lineStart)}  "${text}"`);
      text = '';
      lineStart = va + (i + 1) * unit;
    }
  }
  if (text !== '' || lines.length === 0) lines.push(`${ptr(ctx.arch, lineStart)}  "${text}"`);
  return lines;
}

/** dc ADDR [L count]: four DWORDs a line and their bytes as characters (32 DWORDs by default). */
export function displayDwordsChars(ctx: KdContext, args: string[]): string[] {
  const va = kdNumber(args[0], 'an address');
  const count = countOf(args.slice(1), 4);
  const bytes = readVirtual(ctx, va, count * 4);
  const lines: string[] = [];
  for (let row = 0; row < bytes.length; row += 16) {
    const chunk = bytes.slice(row, row + 16);
    const words: string[] = [];
    for (let i = 0; i < chunk.length; i += 4) {
      const part = chunk.slice(i, i + 4);
      words.push(part.some((b) => b === undefined) ? '????????' : hex(part.reduce<number>((v, b, j) => v + (b ?? 0) * 2 ** (8 * j), 0), 8));
    }
    const text = chunk.map((b) => (b !== undefined && b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === undefined ? '?' : '.')).join('');
    lines.push(`${ptr(ctx.arch, va + row)}  ${words.join(' ').padEnd(35)}  ${text}`);
  }
  return lines;
}

/** dps ADDR [L count]: pointer-sized values, each with the symbol it falls in (`Driver!Routine`, `Driver+0xOFF`). */
export function displayPointersSymbols(ctx: KdContext, args: string[]): string[] {
  const va = kdNumber(args[0], 'an address');
  const size = ctx.arch === 'x64' ? 8 : 4;
  const count = countOf(args.slice(1), size);
  const bytes = readVirtual(ctx, va, count * size);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const part = bytes.slice(i * size, (i + 1) * size);
    const address = ptr(ctx.arch, va + i * size);
    if (part.some((b) => b === undefined)) {
      lines.push(`${address}  ${size === 8 ? '????????`????????' : '????????'}`);
      continue;
    }
    let value = 0n;
    part.forEach((b, j) => (value |= BigInt(b ?? 0) << BigInt(8 * j)));
    const digits = hex(value, size * 2);
    // ntshm's x64 addresses are 48-bit numbers: the upper 16 bits of a kernel pointer are its sign extension.
    const folded = Number(size === 8 && value >= 0xffff_8000_0000_0000n ? value & 0xffff_ffff_ffffn : value);
    const symbol = symbolFor(ctx.s, folded);
    lines.push(`${address}  ${size === 8 ? `${digits.slice(0, 8)}\`${digits.slice(8)}` : digits}${symbol ? ` ${symbol}` : ''}`);
  }
  return lines;
}

/** .formats N: a number in every base kd shows. */
export function formats(args: string[]): string[] {
  const n = kdNumber(args[0], 'a number');
  const v = canonical('x64', n);
  const bytes = new DataView(new ArrayBuffer(8));
  bytes.setBigUint64(0, v, true);
  const s = hex(v, 16);
  const binary = s.match(/../g)?.map((h) => parseInt(h, 16).toString(2).padStart(8, '0')).join(' ') ?? '';
  const chars = [...Array(8).keys()].map((i) => bytes.getUint8(7 - i)).map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
  const seconds = Number(v & 0xffff_ffffn);
  const time = new Date(seconds * 1000).toUTCString();
  return [
    'Evaluate expression:',
    `  Hex:     ${s.slice(0, 8)}\`${s.slice(8)}`,
    `  Decimal: ${BigInt.asIntN(64, v).toString()}`,
    `  Octal:   ${v.toString(8).padStart(22, '0')}`,
    `  Binary:  ${binary}`,
    `  Chars:   ${chars}`,
    `  Time:    ${time}`,
    `  Float:   low ${bytes.getFloat32(0, true).toPrecision(6)} high ${bytes.getFloat32(4, true).toPrecision(6)}`,
    `  Double:  ${bytes.getFloat64(0, true).toPrecision(6)}`,
  ];
}
