/**
 * Page-table entry bits, as the processor defines them.
 *
 *   x64 (4 levels, 64-bit entries, read as two 32-bit halves):
 *
 *    63  62..52   51........12  11..9  8  7  6  5  4   3   2  1  0
 *   +--+--------+--------------+-----+--+--+--+--+---+---+--+--+--+
 *   |NX|software| frame number | sw  |G |PS|D |A |PCD|PWT|US|RW|P |
 *   +--+--------+--------------+-----+--+--+--+--+---+---+--+--+--+
 *
 *   x86 (2 levels, 32-bit entries): the same low twelve bits, frame number in
 *   bits 31..12, no NX.
 *
 * When P is clear the processor ignores every other bit, and Windows keeps its
 * own formats there (MMPTE_SOFTWARE): protection in bits 9..5, Prototype in
 * bit 10, Transition in bit 11, the pagefile offset in the high bits. ntshm
 * writes two of those formats for trimmed pages, transition and pagefile
 * (kernel/mm/software-pte.ts); an untouched page's PTE is simply zero.
 */
import type { Arch } from '../include/structures.js';
export const PTE_VALID = 0x001; // P
export const PTE_WRITE = 0x002; // RW
export const PTE_OWNER = 0x004; // US: user-accessible
export const PTE_WRITE_THROUGH = 0x008;
export const PTE_CACHE_DISABLE = 0x010;
export const PTE_ACCESSED = 0x020;
export const PTE_DIRTY = 0x040;
export const PTE_LARGE_PAGE = 0x080;
export const PTE_GLOBAL = 0x100;
/** NX is bit 63: bit 31 of the high half. */
export const PTE_HIGH_NO_EXECUTE = 0x8000_0000;
/** Frame-number bits 51..32, in the high half. */
export const PTE_HIGH_FRAME_MASK = 0x000f_ffff;

/** Software (invalid) PTE fields, Windows' MMPTE_SOFTWARE layout. */
export const PTE_SW_PROTECTION_SHIFT = 5;
export const PTE_SW_PROTECTION_MASK = 0x1f << PTE_SW_PROTECTION_SHIFT;
export const PTE_SW_PROTOTYPE = 0x400;
export const PTE_SW_TRANSITION = 0x800;

/** The two paging formats ntshm models (the architectures, from the headers). */
export type { Arch };

/** Geometry of a paging format; addresses are plain numbers (x64: 48 bits). */
export interface PagingFormat {
  readonly arch: Arch;
  /** Levels from the root: 4 on x64 (PML4, PDPT, PD, PT), 2 on x86 (PD, PT). */
  readonly levels: number;
  readonly entryBytes: 4 | 8;
  readonly entriesPerTable: number;
  /** One past the highest virtual address (2^48 or 2^32). */
  readonly addressLimit: number;
  /** First kernel-space address: the upper half. */
  readonly kernelBase: number;
}

export const X64_PAGING: PagingFormat = {
  arch: 'x64', levels: 4, entryBytes: 8, entriesPerTable: 512, addressLimit: 2 ** 48, kernelBase: 2 ** 47,
};
export const X86_PAGING: PagingFormat = {
  arch: 'x86', levels: 2, entryBytes: 4, entriesPerTable: 1024, addressLimit: 2 ** 32, kernelBase: 2 ** 31,
};

/** The paging format of an architecture: four levels of 8-byte entries on x64, two of 4-byte entries on x86. */
export function pagingFormat(arch: Arch): PagingFormat {
  return arch === 'x64' ? X64_PAGING : X86_PAGING;
}

/**
 * Index of the entry for `va` in the table at `level` (0 = root).
 * x64: 9 bits per level above the 12-bit offset; x86: 10 bits per level.
 */
export function tableIndex(format: PagingFormat, va: number, level: number): number {
  const bitsPerLevel = format.arch === 'x64' ? 9 : 10;
  const shift = 12 + bitsPerLevel * (format.levels - 1 - level);
  // The quotient can pass 2^31 on x64; `&` keeps its low bits exactly (2^32 is a multiple of the
  // table size), where `%` on a double would call fmod.
  return Math.floor(va / 2 ** shift) & (format.entriesPerTable - 1);
}
