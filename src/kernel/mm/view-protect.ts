/**
 * NtProtectVirtualMemory on a view (VirtualProtect of MapViewOfFile's
 * memory): each page of a view may get its own protection, within what the
 * section allows. A page whose protection changed has its PTE erased (its
 * Dirty bit kept for the segment), so that the next access faults and is
 * mapped again with the new protection, or refused; a page the process has
 * its own copy of (write-copy) is remapped at once over the copy.
 *
 * Locked pages are not special here: a driver that locked a view's pages
 * keeps its lock and its system-space alias; only the user's PTE goes
 * (boundary case 12).
 * https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-virtualprotect
 */
import { PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_READWRITE, PAGE_WRITECOPY } from '../../include/memory-constants.js';
import { STATUS_NOT_COMMITTED, STATUS_SECTION_PROTECTION, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { MmContext, MmProcess } from './context.js';
import { attributesFor } from './protection.js';
import type { MappedView, Vad } from './vad.js';
import { MiIsProtectionCompatible } from './view.js';


/** The protection of one page of a view: its own, or the view's. */
export function MiViewPageProtection(vad: Vad, page: number): number {
  const view = vad.view!;
  return view.pageProtection?.get((page - vad.start) / PAGE_SIZE) ?? view.protection;
}

/** Whether a write to a page of a write-copy view with this protection makes the process's copy (rather than failing). */
export function MiAllowsWriteCopy(protect: number): boolean {
  const base = protect & 0xff;
  return base === PAGE_WRITECOPY || base === PAGE_EXECUTE_WRITECOPY || base === PAGE_READWRITE || base === PAGE_EXECUTE_READWRITE;
}

/** Sets the protection of [start, end) of a view; returns the status and the first page's old protection. */
export function MiProtectView(k: MmContext, process: MmProcess, vad: Vad, start: number, end: number, newProtect: number):
  { status: number; oldProtect: number } {
  const view: MappedView = vad.view!;
  const oldProtect = MiViewPageProtection(vad, start);
  if (!MiIsProtectionCompatible(view.sectionProtection, newProtect)) return { status: STATUS_SECTION_PROTECTION, oldProtect: 0 };
  const indexOf = (page: number) => view.firstPage + (page - vad.start) / PAGE_SIZE;
  for (let page = start; page < end; page += PAGE_SIZE) {
    if (view.segment.kind !== 'physical' && !view.segment.isCommitted(indexOf(page))) return { status: STATUS_NOT_COMMITTED, oldProtect: 0 };
  }
  const root = process.DirectoryTableBase;
  const pages = (view.pageProtection ??= new Map());
  for (let page = start; page < end; page += PAGE_SIZE) {
    pages.set((page - vad.start) / PAGE_SIZE, newProtect);
    if (view.segment.kind === 'file' && !vad.frames.has(page) && k.pageTables.MiTestAndClearDirty(root, page)) {
      view.segment.dirty[indexOf(page)] = 1;
    }
    k.pageTables.MiErasePte(root, page);
    // A process's own copy, or a frame of physical memory, is not found again by a fault: map it now.
    const frame = vad.frames.get(page) ?? (view.segment.kind === 'physical' ? indexOf(page) : undefined);
    const attributes = attributesFor(newProtect, true);
    if (frame !== undefined && attributes) {
      k.pageTables.MiWriteValidPte(root, page, frame, { ...attributes, noCache: attributes.noCache || view.noCache }, process.pageTableFrames);
    }
  }
  return { status: STATUS_SUCCESS, oldProtect };
}
