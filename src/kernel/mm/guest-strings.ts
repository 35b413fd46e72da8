/**
 * Strings in guest memory (GuestMemory.getString / setString): NUL-terminated
 * UTF-16LE, ASCII or UTF-8, read and written through the caller's accesses,
 * so every character is charged, translated and watched like any access.
 */
import type { GuestEncoding, GuestMemoryAccess } from './access.js';

/** The string at `va`, up to its NUL or `maxChars` characters. */
export function MiGetString(mem: GuestMemoryAccess, va: number, encoding: GuestEncoding, maxChars: number): string {
  const wide = encoding === 'utf-16le';
  // The characters are gathered and made a string at once (a string grown by `+=` a character at a time is a
  // chain of as many allocations).
  const codes: number[] = [];
  for (let i = 0; i < maxChars; i++) {
    const c = wide ? mem.getUint16(va + i * 2) : mem.getUint8(va + i);
    if (c === 0) break;
    codes.push(c);
  }
  if (encoding === 'utf-8') return new TextDecoder().decode(Uint8Array.from(codes));
  if (codes.length <= 4096) return String.fromCharCode.apply(null, codes);
  let s = '';
  // In pieces: a call takes only so many arguments.
  for (let i = 0; i < codes.length; i += 4096) s += String.fromCharCode.apply(null, codes.slice(i, i + 4096));
  return s;
}

/** Writes `value` and its NUL at `va` (one setBytes: every page probed before any byte is written). */
export function MiSetString(mem: GuestMemoryAccess, va: number, value: string, encoding: GuestEncoding): void {
  if (encoding === 'utf-16le') {
    const out = new Uint8Array(value.length * 2 + 2);
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      out[i * 2] = c & 0xff;
      out[i * 2 + 1] = c >>> 8;
    }
    mem.setBytes(va, out);
    return;
  }
  const body = encoding === 'utf-8' ? new TextEncoder().encode(value) : Uint8Array.from(value, (ch) => ch.charCodeAt(0) & 0xff);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  mem.setBytes(va, out);
}
