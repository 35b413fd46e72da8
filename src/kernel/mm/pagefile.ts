/**
 * The emulated pagefile (\??\C:\pagefile.sys, PageFileLow 0): page-sized
 * slots outside guest memory, written when a trimmed page leaves its frame
 * and read back on a hard fault. Offset 0 is never handed out (a software
 * PTE with PageFileHigh 0 is a demand-zero PTE, software-pte.ts). It grows
 * as needed: ntshm does not model a pagefile size limit (docs/fidelity.md).
 * https://learn.microsoft.com/windows/client-management/introduction-page-file
 */
import { PAGE_SIZE, type PhysicalMemory } from '../../hw/physical-memory.js';
import { EmulatorError } from '../../include/errors.js';

/** The pagefile: its slots, the free ones, and the page-in/page-out counters the report shows. */
export class PageFile {
  private readonly slots = new Map<number, Uint8Array>();
  private readonly free: number[] = [];
  private nextOffset = 1;

  constructor(private readonly memory: PhysicalMemory) {}

  /** Slots holding a page now. */
  get pagesInUse(): number {
    return this.slots.size;
  }

  /** Copies frame `pfn` into a new slot; returns its offset (PageFileHigh). */
  MiWritePage(pfn: number): number {
    const offset = this.free.pop() ?? this.nextOffset++;
    const start = pfn * PAGE_SIZE;
    this.slots.set(offset, this.memory.u8.slice(start, start + PAGE_SIZE));
    return offset;
  }

  /** Copies the slot at `offset` into frame `pfn` (a hard fault's read); the slot stays until released. */
  MiReadPage(offset: number, pfn: number): void {
    const page = this.slots.get(offset);
    if (!page) throw new EmulatorError(`pagefile offset ${offset} holds no page`);
    this.memory.u8.set(page, pfn * PAGE_SIZE);
  }

  /** Frees a slot (its page was faulted back in, or its owner freed the memory). */
  MiReleaseSlot(offset: number): void {
    if (!this.slots.delete(offset)) throw new EmulatorError(`pagefile offset ${offset} released twice`);
    this.free.push(offset);
  }
}
