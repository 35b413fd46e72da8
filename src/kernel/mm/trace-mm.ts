/**
 * The memory manager's trace events (ke/trace.ts): a mapping made or taken
 * away (an MDL's system or user mapping, a section's view), a fault and how
 * it ended, a page trimmed out or brought back. Each is an instant on the
 * track of the thread it happened in, naming the process whose address space
 * it is and the address.
 */
import type { MmContext, MmProcess } from './context.js';

/** A mapping made (`map`) or taken away, of `pages` pages at `va` in `process` (undefined: system space). */
export function MiTraceMapping(k: MmContext, map: boolean, what: string, va: number, pages: number, process: MmProcess | undefined,
  firstFrame?: number): void {
  k.trace!.instant(`${map ? 'map' : 'unmap'} ${what}`, 'mapping', {
    va: k.formatAddress(va), pages, space: process ? process.ImageFileName : 'system',
    ...(firstFrame === undefined ? {} : { firstPfn: `0x${firstFrame.toString(16)}` }),
  });
}

/** A fault at `va` and what became of it. */
export function MiTraceFault(k: MmContext, va: number, access: string, outcome: string): void {
  k.trace!.instant(`page fault (${outcome})`, 'fault', { va: k.formatAddress(va), access, irql: k.irql, space: k.currentProcess.ImageFileName });
}

/** A page trimmed to its transition or pagefile PTE (`out`), or brought back (`in`). */
export function MiTracePaging(k: MmContext, out: boolean, va: number, how: string): void {
  k.trace!.instant(out ? 'page-out' : 'page-in', 'paging', { va: k.formatAddress(va), how });
}
