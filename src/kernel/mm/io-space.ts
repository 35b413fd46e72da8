/**
 * MmMapIoSpace / MmUnmapIoSpace: system PTEs straight to physical frames,
 * with no MDL and no lock; and MmGetPhysicalAddress, the other direction.
 *
 * ntshm's machine has no device memory: a physical range must lie in the
 * installed RAM (frames 1..n-1), and a range that does not gives NULL, the
 * routine's documented failure (docs/fidelity.md). Mapping RAM that
 * something else owns is allowed, as on Windows, and makes the frame shared:
 * the report's `shared` section shows both addresses.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmapiospace
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { MmContext } from './context.js';

/** One live MmMapIoSpace mapping. */
export interface IoSpaceMapping {
  /** The system address returned (the first page's base plus the byte offset). */
  va: number;
  physicalAddress: bigint;
  numberOfBytes: number;
  /** The first frame and how many follow it. */
  pfn: number;
  pages: number;
  /** The driver that mapped it. */
  owner: string | undefined;
}

/** MEMORY_CACHING_TYPE MmNonCached (wdm.h). */
const MmNonCached = 0;

/** The live MmMapIoSpace mappings, by page base. */
export class IoSpace {
  readonly mappings = new Map<number, IoSpaceMapping>();

  constructor(private readonly k: MmContext) {}

  /**
   * MmMapIoSpace(PhysicalAddress, NumberOfBytes, CacheType): the base
   * virtual address that maps PhysicalAddress, or NULL.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmapiospace
   */
  MmMapIoSpace(physicalAddress: bigint, numberOfBytes: number, cacheType: number): number {
    const k = this.k;
    if (physicalAddress < 0n || !Number.isInteger(numberOfBytes) || numberOfBytes <= 0) return 0;
    const offset = Number(physicalAddress % BigInt(PAGE_SIZE));
    const first = physicalAddress / BigInt(PAGE_SIZE);
    const pages = Math.ceil((offset + numberOfBytes) / PAGE_SIZE);
    if (first === 0n || first + BigInt(pages) > BigInt(k.pfn.total)) return 0;
    const pfn = Number(first);
    const base = k.systemPtes.MiReserveSystemPtes(pages);
    if (base === 0) return 0;
    for (let i = 0; i < pages; i++) {
      k.pageTables.MiWriteValidPte(k.systemRoot, base + i * PAGE_SIZE, pfn + i, { writable: true, executable: false, user: false, noCache: cacheType === MmNonCached }, undefined);
    }
    const va = base + offset;
    this.mappings.set(base, { va, physicalAddress, numberOfBytes, pfn, pages, owner: k.attribution.top()?.driver });
    return va;
  }

  /**
   * MmUnmapIoSpace(BaseAddress, NumberOfBytes): removes a mapping made by
   * MmMapIoSpace; the frames stay with whoever owned them. An address that
   * is no such mapping is reported (Windows would unmap whatever system
   * PTEs lie there).
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmunmapiospace
   */
  MmUnmapIoSpace(baseAddress: number, numberOfBytes: number): void {
    const k = this.k;
    const base = baseAddress - (baseAddress % PAGE_SIZE);
    const m = this.mappings.get(base);
    if (!m || m.va !== baseAddress || m.numberOfBytes !== numberOfBytes) {
      const frame = k.attribution.top();
      k.report({
        kind: 'unmap-not-mapped',
        ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
        message: `MmUnmapIoSpace: ${k.formatAddress(baseAddress)} (${numberOfBytes} bytes) is not a mapping MmMapIoSpace returned`,
        details: { address: k.formatAddress(baseAddress), numberOfBytes },
      });
      return;
    }
    for (let i = 0; i < m.pages; i++) k.pageTables.MiErasePte(k.systemRoot, base + i * PAGE_SIZE);
    k.systemPtes.MiReleaseSystemPtes(base, m.pages);
    this.mappings.delete(base);
  }
}

/**
 * MmGetPhysicalAddress: the physical address behind a valid virtual address
 * of the current address space (PHYSICAL_ADDRESS, a LARGE_INTEGER: bigint);
 * 0 when the address is not valid. It does not fault a page in.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-mmgetphysicaladdress
 */
export function MmGetPhysicalAddress(k: MmContext, baseAddress: number): bigint {
  const pfn = k.pageTables.frameAt(k.currentProcess.DirectoryTableBase, baseAddress);
  if (pfn < 0) return 0n;
  return BigInt(pfn) * BigInt(PAGE_SIZE) + BigInt(baseAddress % PAGE_SIZE);
}
