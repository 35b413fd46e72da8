/**
 * Paging structures a guest has corrupted. A driver can write the page
 * tables through the self-map (PTE_BASE) like any kernel memory; the memory
 * manager and the processor then meet entries that name no page table, or
 * no installed memory, or a frame the PFN database gives to something else.
 * Windows stops with MEMORY_MANAGEMENT (0x1A) when it finds that, and so
 * does ntshm — never with an error of its own.
 *
 *   the memory manager walks or deletes a corrupt entry  0x1A/0x41792: P2 the entry's address
 *     (teardown, MmCleanProcessAddressSpace)                 (through the self-map), P3/P4 its
 *                                                            low and high halves
 *   the processor meets an entry naming memory that      0x1A/0x61941: P2 the faulting address,
 *     is not installed (a reserved-bit page fault)           P3 the page-fault error code, P4 0
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x1a--memory-management
 */
import { MEMORY_MANAGEMENT } from '../../include/bugcodes.js';
import { ACCESS_EXECUTE, ACCESS_WRITE, type PageFault } from '../../hw/mmu.js';
import type { MmContext } from './context.js';
import type { CorruptEntry } from './page-tables.js';

/** "A corrupted PTE has been detected." */
const CORRUPTED_PTE = 0x41792;
/** "The paging hierarchy is corrupt" (its failure bucket is PAGE_TABLE_RESERVED_BITS_SET). */
const PAGING_HIERARCHY_CORRUPT = 0x61941;

const LEVEL_NAMES = { x64: ['PXE', 'PPE', 'PDE', 'PTE'], x86: ['PDE', 'PTE'] } as const;

/** The memory manager met a corrupt paging entry while walking or deleting: bug check 0x1A/0x41792. */
export function MiCorruptPte(k: MmContext, entry: CorruptEntry): never {
  const kind = LEVEL_NAMES[k.arch][entry.level] ?? 'entry';
  return k.bugCheck(MEMORY_MANAGEMENT, CORRUPTED_PTE, entry.entryVa, entry.low, entry.high,
    `The ${kind} at ${k.formatAddress(entry.entryVa)} (for ${k.formatAddress(entry.va)}) is corrupt: ${entry.why}. ` +
    'Something wrote the paging structures behind the memory manager\'s back (a driver writing through the self-map).');
}

/**
 * A page fault whose walk met an entry naming memory that is not installed:
 * the processor's reserved-bit fault, which Windows does not try to resolve.
 * P3 is the fault's error code: P 1, W/R 2, U/S 4, RSVD 8, I/D 0x10.
 */
export function MiReservedBitFault(k: MmContext, fault: PageFault): never {
  const errorCode = 1 | (fault.access === ACCESS_WRITE ? 2 : 0) | (fault.user ? 4 : 0) | 8 | (fault.access === ACCESS_EXECUTE ? 0x10 : 0);
  const kind = LEVEL_NAMES[k.arch][fault.level] ?? 'entry';
  return k.bugCheck(MEMORY_MANAGEMENT, PAGING_HIERARCHY_CORRUPT, fault.va, errorCode, 0,
    `A ${fault.user ? 'user-mode' : 'kernel-mode'} access to ${k.formatAddress(fault.va)} met a ${kind} naming memory that is not installed: ` +
    'the paging hierarchy is corrupt (a driver wrote the page tables through the self-map).');
}
