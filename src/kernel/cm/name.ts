/**
 * Registry names: case-insensitive comparison as the configuration manager
 * does it (each UTF-16 unit upcased on its own, like RtlUpcaseUnicodeChar,
 * then compared unit by unit), and UTF-16LE encoding of names and strings.
 */

/** The largest key name component in bytes: CmpGetNextName rejects a longer one. */
export const CMP_MAX_KEY_NAME_BYTES = 512;

/**
 * The upcased form of a name, the key under which it is stored and compared.
 * One unit at a time: 'ß' stays 'ß' (String.prototype.toUpperCase would make
 * it 'SS', which RtlUpcaseUnicodeChar never does).
 */
export function CmpUpcaseName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const unit = name[i]!;
    const upper = unit.toUpperCase();
    out += upper.length === 1 ? upper : unit;
  }
  return out;
}

/** Orders two upcased names as the hive's subkey index does: by UTF-16 unit value. */
export function CmpCompareUpcased(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A name's length in bytes, as NameLength fields count it. */
export function CmpNameBytes(name: string): number {
  return name.length * 2;
}

/** Writes a string as UTF-16LE into `out` at `offset`, at most `limit` bytes (whole units only). */
export function CmpWriteUtf16(out: Uint8Array, offset: number, text: string, limit: number): void {
  const units = Math.min(text.length, Math.floor(limit / 2));
  for (let i = 0; i < units; i++) {
    const c = text.charCodeAt(i);
    out[offset + 2 * i] = c & 0xff;
    out[offset + 2 * i + 1] = c >>> 8;
  }
  // A limit that ends halfway through a unit still gets that unit's low byte, as RtlCopyMemory would.
  if (limit % 2 === 1 && units < text.length) out[offset + 2 * units] = text.charCodeAt(units) & 0xff;
}

/** Encodes a string as UTF-16LE, with a terminating NUL when asked. */
export function CmpEncodeUtf16(text: string, terminate: boolean): Uint8Array {
  const out = new Uint8Array((text.length + (terminate ? 1 : 0)) * 2);
  CmpWriteUtf16(out, 0, text, text.length * 2);
  return out;
}

/** Decodes UTF-16LE up to the first NUL unit (or the end; an odd last byte is ignored). */
export function CmpDecodeUtf16(data: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < data.length; i += 2) {
    const c = data[i]! | (data[i + 1]! << 8);
    if (c === 0) break;
    out += String.fromCharCode(c);
  }
  return out;
}
