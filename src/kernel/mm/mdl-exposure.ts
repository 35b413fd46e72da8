/**
 * A mapping maps pages, not bytes. When a driver maps an MDL of kernel
 * memory into a program and the MDL covers only part of its first or last
 * page, the rest of those pages (other pool blocks, pool headers, whatever
 * the kernel keeps there) becomes readable at the user address too:
 *
 *   page:  |..other pool..|== MDL's ByteCount ==|....other pool....|
 *          ^ StartVa       ^ StartVa+ByteOffset                    ^ page end
 *   user:  the whole page, at the mapping's base
 *
 * This is not an error Windows reports; ntshm reports it as a finding
 * because it is a kernel information leak (seed 004's 1024-byte example).
 */
import { MDL_SOURCE_IS_NONPAGED_POOL, PAGE_SIZE } from '../../include/wdm-constants.js';
import type { MmContext, MmProcess } from './context.js';
import type { Mdl } from './mdl-object.js';

/** Reports the bytes of kernel pages beyond the MDL's range that a UserMode mapping at `base` exposes. */
export function MiReportPartialPageExposure(k: MmContext, mdl: Mdl, base: number, process: MmProcess): void {
  const kernelMemory = (mdl.MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL) !== 0 || mdl.StartVa >= k.layout.systemRangeStart;
  if (!kernelMemory) return;
  const before = mdl.ByteOffset;
  const after = mdl.PfnArray.length * PAGE_SIZE - mdl.ByteOffset - mdl.ByteCount;
  if (before + after <= 0) return;
  const frame = k.attribution.top();
  k.report({
    kind: 'partial-page-exposed',
    ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
    message: `${before + after} bytes of kernel memory beyond the MDL's ${mdl.ByteCount} bytes at ${k.formatAddress(mdl.StartVa + mdl.ByteOffset)} ` +
      `are visible to ${process.ImageFileName} (pid ${process.UniqueProcessId}) at ${k.formatAddress(base)}: a UserMode mapping maps whole pages`,
    details: {
      exposedBytes: before + after, bytesBefore: before, bytesAfter: after, mdl: k.formatAddress(mdl.address),
      kernelAddress: k.formatAddress(mdl.StartVa + mdl.ByteOffset), userAddress: k.formatAddress(base), process: process.UniqueProcessId,
    },
  });
}
