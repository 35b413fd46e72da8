/**
 * Page tables as kd reads them: from physical memory, from a process's
 * DirectoryTableBase down, exactly as the processor would walk them. The
 * same code serves a live machine and a loaded dump, since both are frames
 * of memory. The entries' virtual addresses are the self-map's
 * (MiGetPteAddress: PTE_BASE + (VA >> 12) * sizeof(MMPTE)), which ntshm's
 * kernel really maps (mm/page-tables.ts).
 */
import { PAGE_SIZE, type PhysicalMemory } from '../hw/physical-memory.js';
import { PTE_HIGH_FRAME_MASK, PTE_LARGE_PAGE, PTE_VALID, pagingFormat, tableIndex, type PagingFormat } from '../hw/pte.js';
import { addressLayout } from '../kernel/mm/layout.js';

/** One level's entry on the way to a page. */
export interface PteLevel {
  /** PXE, PPE, PDE, PTE (x64); PDE, PTE (x86). */
  name: string;
  /** The entry's own virtual address (through the self-map) and physical address. */
  va: number;
  pa: number;
  /** The entry as the processor reads it (64 bits on x64). */
  value: bigint;
  valid: boolean;
}

const NAMES: Readonly<Record<'x64' | 'x86', readonly string[]>> = { x64: ['PXE', 'PPE', 'PDE', 'PTE'], x86: ['PDE', 'PTE'] };

/** Reads one entry at a physical address: 8 bytes on x64 (two halves), 4 on x86. */
export function readEntry(memory: PhysicalMemory, format: PagingFormat, pa: number): bigint {
  if (pa + format.entryBytes > memory.sizeBytes) return 0n;
  const low = BigInt(memory.read32(pa));
  return format.entryBytes === 8 ? low | (BigInt(memory.read32(pa + 4)) << 32n) : low;
}

/** The frame an entry names: bits 12..51 on x64, 12..31 on x86. */
export function entryFrame(format: PagingFormat, value: bigint): number {
  const low = Number(value & 0xffff_ffffn) >>> 12;
  if (format.entryBytes === 4) return low;
  return low + (Number((value >> 32n) & BigInt(PTE_HIGH_FRAME_MASK)) * 2 ** 20);
}

/** The self-map address of the entry at `level` for `va` (level 0 = the root's entry). */
function selfMapAddress(arch: 'x64' | 'x86', va: number, level: number, levels: number): number {
  const layout = addressLayout(arch, PAGE_SIZE);
  const bits = arch === 'x64' ? 48 : 32;
  const entry = arch === 'x64' ? 8 : 4;
  // Each level up is the PTE address of the level below's address.
  let a = va;
  for (let i = levels - 1; i >= level; i--) {
    const mask = 2 ** bits;
    a = layout.pteBase + Math.floor((a % mask) / PAGE_SIZE) * entry;
  }
  return a;
}

/** Every level's entry for `va` under the root at `directoryTableBase`, as far as the walk goes (it stops at an invalid entry or a large page). */
export function walk(memory: PhysicalMemory, arch: 'x64' | 'x86', directoryTableBase: number, va: number): PteLevel[] {
  const format = pagingFormat(arch);
  const out: PteLevel[] = [];
  let table = directoryTableBase;
  for (let level = 0; level < format.levels; level++) {
    const pa = table + tableIndex(format, va, level) * format.entryBytes;
    const value = readEntry(memory, format, pa);
    const valid = (value & BigInt(PTE_VALID)) !== 0n;
    out.push({ name: NAMES[arch][level] ?? `L${level}`, va: selfMapAddress(arch, va, level, format.levels), pa, value, valid });
    if (!valid || (level < format.levels - 1 && (value & BigInt(PTE_LARGE_PAGE)) !== 0n)) break;
    table = entryFrame(format, value) * PAGE_SIZE;
  }
  return out;
}

/** The physical address `va` translates to under `directoryTableBase`, or undefined when it is not valid. */
export function translate(memory: PhysicalMemory, arch: 'x64' | 'x86', directoryTableBase: number, va: number): number | undefined {
  const levels = walk(memory, arch, directoryTableBase, va);
  const last = levels[levels.length - 1];
  if (!last?.valid || levels.length !== pagingFormat(arch).levels) return undefined;
  return entryFrame(pagingFormat(arch), last.value) * PAGE_SIZE + (va % PAGE_SIZE);
}

/** A valid leaf PTE found by a whole-table walk: the page's VA and the frame it maps. */
export interface Mapping {
  va: number;
  pfn: number;
  pte: bigint;
}

/**
 * Every valid mapping under a root, in address order; `half` picks the user
 * or the kernel half (the self-map's own entry is skipped, as it maps the
 * tables, not pages).
 */
export function mappings(memory: PhysicalMemory, arch: 'x64' | 'x86', directoryTableBase: number, half: 'user' | 'kernel'): Mapping[] {
  const format = pagingFormat(arch);
  const layout = addressLayout(arch, PAGE_SIZE);
  const bitsPerLevel = arch === 'x64' ? 9 : 10;
  const out: Mapping[] = [];
  const rootEntries = format.entriesPerTable;
  const visit = (table: number, level: number, base: number): void => {
    const span = 2 ** (12 + bitsPerLevel * (format.levels - 1 - level));
    const [from, to] = level === 0 ? (half === 'user' ? [0, rootEntries / 2] : [rootEntries / 2, rootEntries]) : [0, format.entriesPerTable];
    for (let i = from; i < to; i++) {
      if (level === 0 && i === layout.selfMapIndex) continue;
      const value = readEntry(memory, format, table + i * format.entryBytes);
      if ((value & BigInt(PTE_VALID)) === 0n) continue;
      const va = base + i * span;
      const frame = entryFrame(format, value);
      if (level === format.levels - 1) out.push({ va, pfn: frame, pte: value });
      else if ((value & BigInt(PTE_LARGE_PAGE)) === 0n && frame * PAGE_SIZE < memory.sizeBytes) visit(frame * PAGE_SIZE, level + 1, va);
    }
  };
  visit(directoryTableBase, 0, 0);
  return out;
}
