/**
 * Pool freed while another mapping still shows it (a user MDL mapping of the
 * page, or of the small block): the finding `freed-pool-still-mapped`, since
 * whoever holds that mapping sees the next owner's data.
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { MmContext } from './context.js';

/**
 * Freed pool that another mapping still shows: whoever holds that mapping
 * sees the next owner's data. `block`: a small block freed on a page that
 * stays (its own address and size), or null when the page itself goes.
 */
export function MiReportFreedPoolStillMapped(k: MmContext, va: number, pfn: number, block: { address: number; bytes: number } | null): void {
  const where = (k.pageTables.mappings.get(pfn) ?? []).filter((m) => block === null || m.root >= 0 || m.va !== va).map((m) => {
    const p = m.root < 0 ? undefined : k.processByRoot(m.root);
    return `${k.formatAddress(m.va)}${p ? ` in ${p.ImageFileName} (pid ${p.UniqueProcessId})` : ''}`;
  });
  if (where.length === 0 && k.pfn.lockCount[pfn] === 0) return;
  const frame = k.attribution.top();
  const what = block ? `pool block ${k.formatAddress(block.address)} (${block.bytes} bytes, on page ${k.formatAddress(va)})` : `pool page ${k.formatAddress(va)}`;
  k.report({
    kind: 'freed-pool-still-mapped',
    ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
    message: `${what} (PFN 0x${pfn.toString(16)}) was freed while still ${where.length ? `mapped at ${where.join(', ')}` : 'locked by an MDL'}: ` +
      'a user-visible mapping of freed pool, which shows whatever the next owner writes there',
    details: { va: k.formatAddress(va), pfn, mappings: where, ...(block ? { block: k.formatAddress(block.address), bytes: block.bytes } : {}) },
  });
}

/**
 * A small block freed while a user mapping made for it (an MDL mapping
 * whose range covers the block) still shows its page. Other blocks that
 * merely share the page are the partial-page-exposed finding's, not this one's.
 */
export function MiReportSmallBlockStillMapped(k: MmContext, units: number, page: { pa: number; va: number; free: readonly (readonly [number, number])[] }, address: number, bytes: number, blocks: number): void {
  const pfn = page.pa / PAGE_SIZE;
  const list = k.pageTables.mappings.get(pfn);
  // A page mapped only by the pool costs one lookup; one this free empties is freePages' to report.
  if (!list || list.length < 2) return;
  let free = blocks;
  for (const run of page.free) free += run[1];
  if (free >= units) return;
  const sharedForIt = list.some((m) => {
    const mdl = m.root < 0 ? undefined : k.processByRoot(m.root)?.VadRoot.find(m.va)?.mdl;
    if (!mdl) return m.root >= 0;
    const start = mdl.StartVa + mdl.ByteOffset;
    return start < address + bytes && address < start + mdl.ByteCount;
  });
  if (sharedForIt) MiReportFreedPoolStillMapped(k, page.va, pfn, { address, bytes });
}
