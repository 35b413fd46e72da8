/**
 * MmAllocatePagesForMdl, MmAllocatePagesForMdlEx and MmFreePagesFromMdl for
 * drivers, spread into `nt` (kernel/mm/mdl-pages.ts does the work). A
 * PHYSICAL_ADDRESS is a number or a bigint (-1 or -1n: the top of memory).
 * The MDL returned is freed with ExFreePool (or IoFreeMdl) after
 * MmFreePagesFromMdl, as the WDK says.
 */
import { DISPATCH_LEVEL, MmCached } from '../include/wdm-constants.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Mdl } from '../kernel/mm/mdl-object.js';
import { MmAllocatePagesForMdlEx, MmFreePagesFromMdl } from '../kernel/mm/mdl-pages.js';
import { sizeArgument, ulongArgument } from './driver-arguments.js';

/** A PHYSICAL_ADDRESS (LARGE_INTEGER) argument. */
export type PhysicalAddress = number | bigint;

/** The routines of one driver's `nt`; `enter` is nt's single entry (time, and the verifier's IRQL check with its 0xC4 subcode). */
export function makeNtMdlPages(k: Kernel, enter: (name: string, maxIrql: number, violation?: readonly [number, number, number]) => void) {
  // Windows Server 2008 and later allow DISPATCH_LEVEL; above it the verifier stops with 0xC4/0x7E (P2 the IRQL, P3 DISPATCH_LEVEL).
  const irqlCheck = [0x7e, DISPATCH_LEVEL, 0] as const;
  return {
    /**
     * MmAllocatePagesForMdl: zero-filled frames, possibly fewer than asked
     * (MmGetMdlByteCount says how many), or NULL.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmallocatepagesformdl
     */
    MmAllocatePagesForMdl(lowAddress: PhysicalAddress, highAddress: PhysicalAddress, skipBytes: PhysicalAddress, totalBytes: number): Mdl | null {
      enter('MmAllocatePagesForMdl', DISPATCH_LEVEL, irqlCheck);
      if (k.lowResources.active && k.lowResources.VfFailAllocation('MmAllocatePagesForMdl')) return null;
      return MmAllocatePagesForMdlEx(k, lowAddress, highAddress, skipBytes, sizeArgument(k.arch, totalBytes), MmCached, 0);
    },
    /**
     * MmAllocatePagesForMdlEx with MEMORY_CACHING_TYPE and MM_ALLOCATE_* flags.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmallocatepagesformdlex
     */
    MmAllocatePagesForMdlEx(lowAddress: PhysicalAddress, highAddress: PhysicalAddress, skipBytes: PhysicalAddress, totalBytes: number,
      cacheType: number, flags: number): Mdl | null {
      enter('MmAllocatePagesForMdlEx', DISPATCH_LEVEL, irqlCheck);
      if (k.lowResources.active && k.lowResources.VfFailAllocation('MmAllocatePagesForMdlEx')) return null;
      return MmAllocatePagesForMdlEx(k, lowAddress, highAddress, skipBytes, sizeArgument(k.arch, totalBytes), cacheType, ulongArgument(k.arch, flags));
    },
    /**
     * MmFreePagesFromMdl: frees the frames (not the MDL).
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmfreepagesfrommdl
     */
    MmFreePagesFromMdl(mdl: Mdl | number | null): void {
      enter('MmFreePagesFromMdl', DISPATCH_LEVEL, irqlCheck);
      MmFreePagesFromMdl(k, mdl);
    },
  };
}
