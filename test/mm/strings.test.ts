/**
 * getString and setString: a string read back is the string written, for
 * each encoding, at every length (getString gathers the characters and makes
 * the string at once, in pieces past 4096 characters), and stops at the
 * terminating NUL or at maxChars.
 */
import { describe, expect, it } from 'vitest';
import { NonPagedPool } from 'ntshm/wdm';
import { bootWith, testDriver } from '../helpers/test-driver.js';

describe('guest strings', () => {
  it('read back as written, in every encoding and length, up to the NUL or maxChars', async () => {
    const driver = testDriver();
    await bootWith([driver]);
    const nt = driver.nt;
    const p = nt.ExAllocatePoolWithTag(NonPagedPool, 5 * 4096, 'Strs');
    const text = (n: number, wide: boolean) => Array.from({ length: n }, (_, i) => String.fromCharCode(wide ? 0x20 + ((i * 7919) % 0xd700) : 0x20 + (i % 0x5f))).join('');
    const seen: string[] = [];
    for (const encoding of ['utf-16le', 'ascii', 'utf-8'] as const) {
      for (const n of [0, 1, 17, 4095, 4096, 4097, 9000]) {
        const s = text(encoding === 'utf-16le' ? Math.min(n, 10000) : n, encoding === 'utf-16le');
        nt.setString(p, s, encoding);
        const back = nt.getString(p, encoding);
        if (back !== s) seen.push(`${encoding} ${n}: got ${back.length} characters`);
      }
    }
    nt.setString(p, 'ntshm\u00e9', 'utf-16le');
    expect(nt.getString(p, 'utf-16le', 3)).toBe('nts');
    expect(nt.getString(p, 'utf-16le')).toBe('ntshm\u00e9');
    nt.ExFreePool(p);
    expect(seen).toEqual([]);
  });
});
