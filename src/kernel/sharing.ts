/**
 * Records every physical frame that is mapped at more than one virtual
 * address at any moment of a run, with every address that maps it, even
 * after the mappings are gone: the "shared" part of a run's summary.
 */
import type { PsContext } from './ps/context.js';
import type { Mapping } from './mm/page-tables.js';

/** One virtual address that mapped a shared frame: its process, the address, kernel or user mode, and its protection. */
export interface SharedMappingRecord {
  process: string;
  pid: number;
  /** The address as a hex string, kd style. */
  va: string;
  mode: 'kernel' | 'user';
  protection: string;
}

/** A physical frame that was mapped at two or more addresses at once, with every mapping of it seen. */
export interface SharedFrameRecord {
  pfn: number;
  mappings: SharedMappingRecord[];
}

/** The Windows name of a mapping's protection. */
export function protectionName(m: Mapping): string {
  const a = m.attributes;
  if (a.executable) return a.writable ? 'PAGE_EXECUTE_READWRITE' : 'PAGE_EXECUTE_READ';
  return a.writable ? 'PAGE_READWRITE' : 'PAGE_READONLY';
}

/** Records, from the end of boot, every frame mapped at more than one address, for the run summary. */
export class SharingRecorder {
  private readonly frames = new Map<number, Map<string, SharedMappingRecord>>();
  /** Off while the machine boots; `reset` turns it on. */
  private recording = false;

  constructor(private readonly k: PsContext) {}

  /** A new mapping of `pfn`: the frame's mappings are recorded when it becomes shared, then each new one. */
  onMap(pfn: number, mapping?: Mapping): void {
    if (!this.recording) return;
    const current = this.k.pageTables.mappings.get(pfn);
    if (!current || current.length < 2) return;
    let seen = this.frames.get(pfn);
    const fresh = !seen || !mapping || current.length === 2; // (becoming shared: record every mapping)
    if (!seen) this.frames.set(pfn, (seen = new Map()));
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

  records(): SharedFrameRecord[] {
    return [...this.frames.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([pfn, seen]) => ({ pfn, mappings: [...seen.values()] }));
  }

  private describe(m: Mapping): SharedMappingRecord {
    const kernelMode = m.root < 0;
    const process = kernelMode ? this.k.ps.systemProcess : this.k.ps.processByRoot(m.root);
    return {
      process: process?.ImageFileName ?? '?',
      pid: process?.UniqueProcessId ?? -1,
      va: this.k.formatAddress(m.va),
      mode: kernelMode ? 'kernel' : 'user',
      protection: protectionName(m),
    };
  }
}
