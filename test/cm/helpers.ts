/** Shared helpers for the configuration manager tests. */
import { CmCreateKey } from '../../src/kernel/cm/key-ops.js';
import type { CmKeyNode } from '../../src/kernel/cm/key.js';
import { CmRegistry } from '../../src/kernel/cm/registry.js';

/** A FILETIME for "boot" and a later one for changes. */
export const BOOT = 133_000_000_000_000_000n;
export const LATER = BOOT + 10_000_000n;

/** A fresh registry with \Registry\Machine\Software\Test created (non-volatile). */
export function withTestKey(): { registry: CmRegistry; key: CmKeyNode } {
  const registry = new CmRegistry(BOOT);
  const { key } = CmCreateKey(registry, null, '\\Registry\\Machine\\Software\\Test', 0, BOOT);
  if (!key) throw new Error('could not create the test key');
  return { registry, key };
}

/** The UTF-16LE bytes of a string, without a NUL. */
export const utf16 = (s: string): number[] => [...s].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >>> 8]);

/** The little-endian bytes of a ULONG. */
export const ulong = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

/** The little-endian bytes of a LARGE_INTEGER. */
export const large = (n: bigint): number[] => [...ulong(Number(n & 0xffffffffn)), ...ulong(Number(n >> 32n))];
