/**
 * The machine's memory as a picture sees it: each process with its VADs and
 * the pages its page tables map (from the page tables' reverse map), the
 * frames those pages name with their share and lock counts, and what kd's
 * `!pte` and `!pfn` would print for one page or frame. Plain data, so that
 * it crosses a worker's postMessage as it is (the web page's front end).
 */
import type { Kernel } from '../kernel/kernel.js';
import { pfnUseName } from '../kernel/mm/pfn.js';
import { tableIndex } from '../hw/pte.js';
import { PAGE_SIZE } from '../include/page.js';

/** One mapped page: its address, the frame it maps and how. */
export interface MemoryMapPage {
  va: number;
  /** kd's spelling of `va` (`fffff780\`00000000`). */
  vaText: string;
  pfn: number;
  writable: boolean;
  executable: boolean;
  /** Mapped with the PTE's Owner bit (user mode); kernel pages are listed under the System process. */
  user: boolean;
}

/** One VAD of a process (MMVAD): a range of its user space and what it is. */
export interface MemoryMapVad {
  start: number;
  end: number;
  kind: 'private' | 'mdl' | 'shared-user-data' | 'mapped';
  /** The PAGE_* protection it was reserved with. */
  protection: number;
}

/** A process as the picture draws it: one column. */
export interface MemoryMapProcess {
  pid: number;
  name: string;
  /** The System process: its column holds the kernel range's pages, which every address space shares. */
  system: boolean;
  vads: MemoryMapVad[];
  pages: MemoryMapPage[];
}

/** A frame that some page maps or some MDL locks: the PFN database's record of it. */
export interface MemoryMapFrame {
  pfn: number;
  /** PFN use: NonPagedPool, Private, Section, SharedUserData, ... */
  use: string;
  /** Valid PTEs that map it (MMPFN ShareCount). */
  shareCount: number;
  /** MDL locks (MmProbeAndLockPages) held on it. */
  lockCount: number;
  /** KUSER_SHARED_DATA, or the section it belongs to; null otherwise. */
  label: string | null;
}

/** A snapshot of who maps which frame (Machine.memoryMap()). */
export interface MemoryMap {
  arch: 'x64' | 'x86';
  virtualNs: number;
  frameCount: number;
  freeFrames: number;
  highestUserAddress: number;
  systemRangeStart: number;
  processes: MemoryMapProcess[];
  /** Every frame mapped or locked now, in PFN order. */
  frames: MemoryMapFrame[];
}

/** One level of a page-table walk, as `!pte` prints it. */
export interface PteLevel {
  /** PXE, PPE, PDE, PTE (x64) or PDE, PTE (x86). */
  name: string;
  /** The entry's own virtual address, through the self-map. */
  entryVa: string;
  /** Its contents in hex, as `contains` shows them. */
  contains: string;
  valid: boolean;
  pfn: number;
  /** kd's flags: C G L D A N T U/K W/R E V, a dash for each bit clear. */
  flags: string;
}

/** What `!pte va` shows for a page of a process. */
export interface PteWalk {
  va: string;
  levels: PteLevel[];
}

/** The PTE's flags in kd's order (C G L D A N T U W E V); https://learn.microsoft.com/windows-hardware/drivers/debuggercmds/-pte */
export function pteFlags(low: number, high: number, x64: boolean): string {
  const bit = (mask: number, on: string, off = '-') => ((low & mask) !== 0 ? on : off);
  const executable = !x64 || (high & 0x8000_0000) === 0;
  return bit(0x200, 'C') + bit(0x100, 'G') + bit(0x80, 'L') + bit(0x40, 'D') + bit(0x20, 'A') + bit(0x10, 'N') + bit(0x8, 'T')
    + bit(0x4, 'U', 'K') + bit(0x2, 'W', 'R') + (executable ? 'E' : '-') + bit(0x1, 'V');
}

/** The picture's snapshot of `k`: every live process but Idle, its VADs and mapped pages, and the frames they name. */
export function MiMemoryMap(k: Kernel): MemoryMap {
  const system = k.ps.systemProcess;
  const columns = new Map<number, MemoryMapProcess>();
  for (const p of k.ps.processes) {
    if (p === k.ps.idleProcess) continue;
    columns.set(p.DirectoryTableBase, {
      pid: p.UniqueProcessId, name: p.ImageFileName, system: p === system,
      vads: p === system ? [] : p.VadRoot.vads.map((v) => ({ start: v.start, end: v.end, kind: v.kind, protection: v.protection })),
      pages: [],
    });
  }
  const systemColumn = columns.get(system.DirectoryTableBase);
  const frames = new Set<number>();
  for (const [pfn, list] of k.pageTables.mappings) {
    for (const m of list) {
      const column = m.root < 0 ? systemColumn : columns.get(m.root);
      if (!column) continue;
      column.pages.push({ va: m.va, vaText: k.formatAddress(m.va), pfn, writable: m.attributes.writable, executable: m.attributes.executable, user: m.root >= 0 });
      frames.add(pfn);
    }
  }
  const locks = k.pfn.lockCount;
  for (let pfn = 0; pfn < locks.length; pfn++) if (locks[pfn]! > 0) frames.add(pfn);
  for (const c of columns.values()) c.pages.sort((a, b) => a.va - b.va);
  return {
    arch: k.options.arch,
    virtualNs: k.clock.nowNs,
    frameCount: k.pfn.total,
    freeFrames: k.pfn.freeCount,
    highestUserAddress: k.layout.highestUserAddress,
    systemRangeStart: k.layout.systemRangeStart,
    processes: [...columns.values()],
    frames: [...frames].sort((a, b) => a - b).map((pfn) => MiDescribeFrame(k, pfn)),
  };
}

/** What the PFN database says of a frame (`!pfn`'s share count, its lock count, its use). */
export function MiDescribeFrame(k: Kernel, pfn: number): MemoryMapFrame {
  const label = pfn === k.sharedUserData.pfn ? 'KUSER_SHARED_DATA' : k.segments.segmentOfFrame(pfn)?.label ?? null;
  return { pfn, use: pfnUseName(k.pfn.use[pfn] ?? -1), shareCount: k.pfn.shareCount[pfn] ?? 0, lockCount: k.pfn.lockCount[pfn] ?? 0, label };
}

/**
 * `!pte va` in the address space of process `pid` (a kernel address: any):
 * each level's entry, its contents and flags, down to the first that is not valid.
 * https://learn.microsoft.com/windows-hardware/drivers/debuggercmds/-pte
 */
export function MiWalkPte(k: Kernel, pid: number, va: number): PteWalk | undefined {
  const process = k.ps.processes.find((p) => p.UniqueProcessId === pid);
  if (!process) return undefined;
  const format = k.pageTables.format;
  const x64 = format.entryBytes === 8;
  const names = x64 ? ['PXE', 'PPE', 'PDE', 'PTE'] : ['PDE', 'PTE'];
  const levels: PteLevel[] = [];
  let table = process.DirectoryTableBase;
  for (let level = 0; level < format.levels; level++) {
    const entryPa = table + tableIndex(format, va, level) * format.entryBytes;
    const low = k.memory.read32(entryPa);
    const high = x64 ? k.memory.read32(entryPa + 4) : 0;
    const valid = (low & 1) !== 0;
    const pfn = k.pageTables.entryFrame(entryPa);
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0').toUpperCase();
    levels.push({
      name: names[level]!, entryVa: k.formatAddress(k.pageTables.MiEntryAddress(va, level)), contains: x64 ? hex(high) + hex(low) : hex(low),
      valid, pfn, flags: valid ? pteFlags(low, high, x64) : 'not valid',
    });
    if (!valid) break;
    table = pfn * PAGE_SIZE;
  }
  return { va: k.formatAddress(va), levels };
}
