/**
 * What a finding points at, for the picture to highlight: the pages whose
 * addresses its message or details name (kd's `fffffa80\`0000a000` form, or
 * 8 hex digits), and the frames its details name as `pfn` or `frames`.
 */
import type { Finding, MemoryMap } from 'ntshm';

/** Pages (as `pid:va`) and frames a finding names. */
export interface FindingTargets {
  pages: Set<string>;
  frames: Set<number>;
}

/** Every string and number in a value, however deep. */
function leaves(value: unknown, key = '', out: { key: string; value: string | number }[] = []): { key: string; value: string | number }[] {
  if (typeof value === 'string' || typeof value === 'number') out.push({ key, value });
  else if (Array.isArray(value)) for (const v of value) leaves(v, key, out);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, k, out);
  return out;
}

/** The addresses written in a text, as the picture's numbers (x64 kernel addresses without their sign extension). */
function addressesIn(text: string): number[] {
  return [...text.matchAll(/\b([0-9a-f]{8})`?([0-9a-f]{8})?\b/gi)].map((m) => Number(BigInt(`0x${m[1]}${m[2] ?? ''}`) & 0xffff_ffff_ffffn));
}

export function findingTargets(finding: Finding, map: MemoryMap): FindingTargets {
  const pages = new Set<string>();
  const frames = new Set<number>();
  const addresses: number[] = addressesIn(finding.message);
  for (const { key, value } of leaves(finding.details)) {
    if (typeof value === 'string') addresses.push(...addressesIn(value));
    else if (/^(pfn|frames?)$/i.test(key)) frames.add(value);
  }
  for (const p of map.processes) {
    for (const page of p.pages) {
      if (addresses.some((a) => a >= page.va && a < page.va + 4096)) {
        pages.add(`${p.pid}:${page.va}`);
        frames.add(page.pfn);
      }
    }
  }
  return { pages, frames };
}
