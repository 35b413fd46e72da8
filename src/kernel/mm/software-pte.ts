/**
 * Software PTEs: what an invalid PTE holds when its page was trimmed. The
 * processor ignores every bit but P (Valid) of an invalid entry; Windows
 * keeps its own formats there, and ntshm writes two of them, bit for bit as
 * the public symbols (nt!_MMPTE_TRANSITION, nt!_MMPTE_SOFTWARE) lay them out:
 *
 *   transition (MMPTE_TRANSITION): the frame still holds the page
 *     bit 0      Valid = 0
 *     bits 1..4  Write, Owner, WriteThrough, CacheDisable (as the valid PTE had them)
 *     bits 5..9  Protection (MM_READONLY 1, MM_EXECUTE_READ 3, MM_READWRITE 4, MM_EXECUTE_READWRITE 6)
 *     bit 10     Prototype = 0
 *     bit 11     Transition = 1
 *     bits 12..  PageFrameNumber (x64: to bit 51, across the halves; x86: bits 12..31)
 *
 *   pagefile (MMPTE_SOFTWARE): the page is in the pagefile only
 *     bit 0      Valid = 0
 *     bits 1..4  PageFileLow: which pagefile (always 0: ntshm has one)
 *     bits 5..9  Protection
 *     bit 10     Prototype = 0,  bit 11 Transition = 0
 *     x64: bits 32..63 PageFileHigh (Windows 10's layout; bits 12..31 stay 0)
 *     x86: bits 12..31 PageFileHigh (the non-PAE layout)
 *
 * PageFileHigh is the page's offset in the pagefile, in pages; offset 0 is
 * never handed out, so a software PTE with PageFileHigh 0 stays what it is
 * on Windows, a demand-zero PTE (ntshm writes none: an untouched page's PTE
 * is simply zero).
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-pte (the !pte extension decodes both)
 */
import type { PhysicalMemory } from '../../hw/physical-memory.js';
import {
  PTE_CACHE_DISABLE, PTE_HIGH_FRAME_MASK, PTE_OWNER, PTE_SW_PROTECTION_MASK, PTE_SW_PROTECTION_SHIFT, PTE_SW_PROTOTYPE,
  PTE_SW_TRANSITION, PTE_VALID, PTE_WRITE, PTE_WRITE_THROUGH, type PagingFormat,
} from '../../hw/pte.js';
import type { PteAttributes } from './page-tables.js';

/** MM_* protection codes of the software PTE's 5-bit Protection field. */
export const MM_READONLY = 1;
export const MM_EXECUTE_READ = 3;
export const MM_READWRITE = 4;
export const MM_EXECUTE_READWRITE = 6;

/** What an invalid PTE says, decoded. */
export type SoftwarePte =
  | { kind: 'none' }
  | { kind: 'transition'; pfn: number; protection: number }
  | { kind: 'pagefile'; offset: number; protection: number }
  | { kind: 'other' };

/** The MM_ protection of a mapping's attributes. */
export function MiProtectionOf(a: PteAttributes): number {
  if (a.writable) return a.executable ? MM_EXECUTE_READWRITE : MM_READWRITE;
  return a.executable ? MM_EXECUTE_READ : MM_READONLY;
}

/** The attributes a page faulted back in gets from its software PTE's protection. */
export function MiAttributesOf(protection: number, user: boolean): PteAttributes {
  return {
    writable: protection === MM_READWRITE || protection === MM_EXECUTE_READWRITE,
    executable: protection === MM_EXECUTE_READ || protection === MM_EXECUTE_READWRITE,
    user,
  };
}

/** Writes and reads the two software formats at a PTE's physical address. */
export class SoftwarePtes {
  private readonly is64: boolean;

  constructor(private readonly memory: PhysicalMemory, format: PagingFormat) {
    this.is64 = format.entryBytes === 8;
  }

  /** MMPTE_TRANSITION: the page's frame, kept while it waits on the transition (modified) list. */
  writeTransition(ptePa: number, pfn: number, a: PteAttributes): void {
    let low = PTE_SW_TRANSITION | (MiProtectionOf(a) << PTE_SW_PROTECTION_SHIFT);
    if (a.writable) low |= PTE_WRITE;
    if (a.user) low |= PTE_OWNER;
    if (a.noCache) low |= PTE_CACHE_DISABLE | PTE_WRITE_THROUGH;
    this.memory.write32(ptePa, ((pfn % 2 ** 20) * 4096 + low) >>> 0);
    if (this.is64) this.memory.write32(ptePa + 4, Math.floor(pfn / 2 ** 20) >>> 0);
  }

  /** MMPTE_SOFTWARE naming a pagefile offset (PageFileLow 0: the one pagefile). */
  writePagefile(ptePa: number, offset: number, protection: number): void {
    const low = protection << PTE_SW_PROTECTION_SHIFT;
    if (this.is64) {
      this.memory.write32(ptePa, low);
      this.memory.write32(ptePa + 4, offset >>> 0);
    } else {
      this.memory.write32(ptePa, ((offset << 12) | low) >>> 0);
    }
  }

  clear(ptePa: number): void {
    this.memory.write32(ptePa, 0);
    if (this.is64) this.memory.write32(ptePa + 4, 0);
  }

  /** Decodes an invalid PTE ('none' for zero; 'other' for a format ntshm does not write). */
  read(ptePa: number): SoftwarePte {
    const low = this.memory.read32(ptePa);
    const high = this.is64 ? this.memory.read32(ptePa + 4) : 0;
    if (low === 0 && high === 0) return { kind: 'none' };
    if (low & (PTE_VALID | PTE_SW_PROTOTYPE)) return { kind: 'other' };
    const protection = (low & PTE_SW_PROTECTION_MASK) >>> PTE_SW_PROTECTION_SHIFT;
    if (low & PTE_SW_TRANSITION) {
      return { kind: 'transition', pfn: (high & PTE_HIGH_FRAME_MASK) * 2 ** 20 + (low >>> 12), protection };
    }
    const offset = this.is64 ? high : low >>> 12;
    return offset === 0 || (low & 0x1e) !== 0 ? { kind: 'other' } : { kind: 'pagefile', offset, protection };
  }
}
