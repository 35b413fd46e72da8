/**
 * Records every physical frame that is mapped at more than one virtual
 * address at any moment of a run, with every address that maps it, even
 * after the mappings are gone: the "shared" part of a run's summary.
 */
import type { PsContext } from './ps/context.js';
import type { Mapping } from './mm/page-tables.js';
import { pfnUseName } from './mm/pfn.js';

/** One virtual address that mapped a shared frame: its process, the address, kernel or user mode, and its protection. */
export interface SharedMappingRecord {
  process: string;
  pid: number;
  /** The address as a hex string, kd style (`fffff780\`00000000`). */
  va: string;
  /** The same address as a number (x64 kernel addresses without their sign extension). */
  address: number;
  mode: 'kernel' | 'user';
  protection: string;
  /** Whether this address still mapped the frame when the records were taken (the end of the run). */
  mappedAtEnd: boolean;
}

/** A physical frame that was mapped at two or more addresses at once, with every mapping of it seen. */
export interface SharedFrameRecord {
  pfn: number;
  /** What the frame held when it became shared: a PFN use ("NonPagedPool", "SharedUserData", ...). */
  use: string;
  /** `KUSER_SHARED_DATA` for the system's own shared page, which every run has; the section a section's page belongs to (`Section \BaseNamedObjects\X`); null otherwise. */
  label: string | null;
  mappings: SharedMappingRecord[];
}

/** What is recorded of one mapping; whether it is still there is decided when the records are read. */
type SeenMapping = Omit<SharedMappingRecord, 'mappedAtEnd'> & { root: number };

/** The Windows name of a mapping's protection. */
export function protectionName(m: Mapping): string {
  const a = m.attributes;
  if (a.executable) return a.writable ? 'PAGE_EXECUTE_READWRITE' : 'PAGE_EXECUTE_READ';
  return a.writable ? 'PAGE_READWRITE' : 'PAGE_READONLY';
}

/** Records, from the end of boot, every frame mapped at more than one address, for the run summary. */
export class SharingRecorder {
  private readonly frames = new Map<number, { use: string; label: string | null; seen: Map<string, SeenMapping> }>();
  /** Off while the machine boots; `reset` turns it on. */
  private recording = false;

  constructor(private readonly k: PsContext) {}

  /** A new mapping of `pfn`: the frame's mappings are recorded when it becomes shared, then each new one. */
  onMap(pfn: number, mapping?: Mapping): void {
    if (!this.recording) return;
    const current = this.k.pageTables.mappings.get(pfn);
    if (!current || current.length < 2) return;
    let frame = this.frames.get(pfn);
    const fresh = !frame || !mapping || current.length === 2; // (becoming shared: record every mapping)
    if (!frame) this.frames.set(pfn, (frame = { use: pfnUseName(this.k.pfn.use[pfn] ?? -1), label: this.k.segments.segmentOfFrame(pfn)?.label ?? null, seen: new Map() }));
    const seen = frame.seen;
    for (const m of fresh ? current : [mapping!]) {
      const record = this.describe(m);
      const key = `${record.pid}:${record.va}:${record.mode}`;
      if (!seen.has(key)) seen.set(key, record);
    }
  }

  /** Forgets what was recorded (a run's summary starts after boot). */
  reset(): void {
    this.recording = true;
    this.frames.clear();
    for (const [pfn, list] of this.k.pageTables.mappings) if (list.length >= 2) this.onMap(pfn);
  }

  /** Every frame shared since the last reset, in PFN order, each mapping marked as still mapped or gone. */
  records(): SharedFrameRecord[] {
    return [...this.frames.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([pfn, { use, label, seen }]) => {
        const now = this.k.pageTables.mappings.get(pfn) ?? [];
        return {
          pfn,
          use,
          label: pfn === this.k.sharedUserData.pfn ? 'KUSER_SHARED_DATA' : label,
          mappings: [...seen.values()].map(({ root, ...m }) => ({ ...m, mappedAtEnd: now.some((c) => c.root === root && c.va === m.address) })),
        };
      });
  }

  private describe(m: Mapping): SeenMapping {
    const kernelMode = m.root < 0;
    const process = kernelMode ? this.k.ps.systemProcess : this.k.ps.processByRoot(m.root);
    return {
      process: process?.ImageFileName ?? '?',
      pid: process?.UniqueProcessId ?? -1,
      va: this.k.formatAddress(m.va),
      address: m.va,
      root: m.root,
      mode: kernelMode ? 'kernel' : 'user',
      protection: protectionName(m),
    };
  }
}
