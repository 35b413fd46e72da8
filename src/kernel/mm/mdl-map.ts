/**
 * Mapping an MDL's frames: into system space (system PTEs) or into the
 * current process (a VAD of kind 'mdl'), unmapping, and
 * MmProtectMdlSystemAddress. A mapping is PTEs to the frames of the PFN
 * array, never a copy. A user mapping lands in the process the CPU is in
 * *now*; unmapping must happen in that same process.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmaplockedpagesspecifycache
 */
import { MiTraceMapping } from './trace-mm.js';
import {
  PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE,
} from '../../include/memory-constants.js';
import {
  STATUS_CONFLICTING_ADDRESSES, STATUS_INVALID_ADDRESS, STATUS_INVALID_PAGE_PROTECTION, STATUS_NO_MEMORY, STATUS_NOT_MAPPED_VIEW,
  STATUS_PROCESS_IS_TERMINATING, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { DRIVER_VERIFIER_DETECTED_VIOLATION, MEMORY_MANAGEMENT, NO_MORE_SYSTEM_PTES } from '../../include/bugcodes.js';
import { NtException } from '../../include/errors.js';
import {
  KernelMode, MDL_IO_SPACE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_PARTIAL, MDL_PARTIAL_HAS_BEEN_MAPPED, MDL_SOURCE_IS_NONPAGED_POOL,
  MdlMappingNoWrite,
} from '../../include/wdm-constants.js';
import type { MmContext } from './context.js';
import { MiReportPartialPageExposure } from './mdl-exposure.js';
import { MiReportMappedLeak } from './leak-report.js';
import { mdlHeaderSize, type Mdl } from './mdl-object.js';
import { newVad } from './vad.js';

/** The 64 KB below MM_HIGHEST_USER_ADDRESS that no VAD may reach (MM_HIGHEST_VAD_ADDRESS is 64 KB lower). */
const MI_TOP_USER_GUARD = 0x10000;

/**
 * An MDL whose pages are neither locked nor nonpaged pool names frames nobody holds: mapping it is fatal.
 * With the verifier: to system space 0xC4/0xB3 (P3 the flags, P4 the flags of which one was expected), to user space 0xC4/0x85.
 */
export function MiCheckLockedForMapping(k: MmContext, mdl: Mdl, accessMode: number): void {
  const expected = MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL | MDL_IO_SPACE;
  if (mdl.MdlFlags & expected) return;
  if (k.options.verifier && accessMode === KernelMode) {
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb3, mdl.address, mdl.MdlFlags, MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL,
      'An MDL was mapped to system space whose pages are not locked.');
  }
  if (k.options.verifier) {
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x85, mdl.address, mdl.PfnArray.length, mdl.PfnArray[0] ?? 0, 'An MDL was mapped whose pages are not locked.');
  }
  // 0x1A/0x1236: P2 the MDL, P3 a pointer to the invalid PFN entry (the first of the array that follows
  // the header), P4 the PFN it holds (https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x1a--memory-management).
  k.bugCheck(MEMORY_MANAGEMENT, 0x1236, mdl.address, mdl.address + mdlHeaderSize(k.arch), mdl.PfnArray[0] ?? 0,
    'An MDL was mapped before its pages were locked or built (no MmProbeAndLockPages, no MmBuildMdlForNonPagedPool): its PFN array holds nothing valid.');
}

/** MmMapLockedPagesSpecifyCache(KernelMode): system PTEs to the MDL's frames; NULL (or 0x3F) when none are left. */
export function MiMapLockedPagesInSystemSpace(k: MmContext, mdl: Mdl, noCache: boolean, bugCheckOnFailure: boolean): number {
  const pages = mdl.PfnArray.length;
  const va = k.systemPtes.MiReserveSystemPtes(pages);
  if (va === 0) {
    // 0x3F: P1 0 (system expansion PTEs), P2 the size asked, P3 the free system PTEs, P4 all of them.
    // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x3f--no-more-system-ptes
    if (bugCheckOnFailure) {
      k.bugCheck(NO_MORE_SYSTEM_PTES, 0, pages, k.systemPtes.total - k.systemPtes.pagesInUse, k.systemPtes.total,
        `No ${pages} consecutive system PTEs were left to map an MDL (${k.systemPtes.total - k.systemPtes.pagesInUse} of ${k.systemPtes.total} free).`);
    }
    return 0;
  }
  for (let i = 0; i < pages; i++) {
    k.pageTables.MiWriteValidPte(k.systemRoot, va + i * PAGE_SIZE, mdl.PfnArray[i]!, { writable: true, executable: false, user: false, noCache }, undefined);
  }
  mdl.systemMapping = { va, pages };
  mdl.MappedSystemVa = va + mdl.ByteOffset;
  mdl.MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
  // ReactOS mdlsup.c MmMapLockedPagesSpecifyCache: a partial MDL's own mapping is marked so that MmPrepareMdlForReuse undoes it.
  if (mdl.MdlFlags & MDL_PARTIAL) mdl.MdlFlags |= MDL_PARTIAL_HAS_BEEN_MAPPED;
  if (k.trace) MiTraceMapping(k, true, 'MDL (system)', va, pages, undefined, mdl.PfnArray[0]);
  return mdl.MappedSystemVa;
}

/** Removes the MDL's own system mapping (not a parent's, which a partial MDL only borrows). */
export function MiUnmapLockedPagesInSystemSpace(k: MmContext, mdl: Mdl): void {
  const m = mdl.systemMapping;
  if (!m) return;
  for (let i = 0; i < m.pages; i++) k.pageTables.MiErasePte(k.systemRoot, m.va + i * PAGE_SIZE);
  k.systemPtes.MiReleaseSystemPtes(m.va, m.pages);
  if (k.trace) MiTraceMapping(k, false, 'MDL (system)', m.va, m.pages, undefined);
  mdl.systemMapping = null;
  mdl.MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
}

/**
 * MmMapLockedPagesSpecifyCache(UserMode): maps into the current process;
 * failure raises, as the WDK says a UserMode caller must expect. A
 * RequestedAddress must be page aligned and the mapping must end below the
 * last 64 KB of user space, else STATUS_INVALID_ADDRESS (kmtests
 * MmMapLockedPagesSpecifyCache_user.c).
 */
export function MiMapLockedPagesInUserSpace(k: MmContext, mdl: Mdl, noCache: boolean, requestedAddress: number, priority: number): number {
  const process = k.currentProcess;
  const l = k.layout;
  const size = mdl.PfnArray.length * PAGE_SIZE;
  if (process.terminating) throw new NtException(STATUS_PROCESS_IS_TERMINATING);
  let start: number;
  if (requestedAddress) {
    start = requestedAddress;
    if (start % PAGE_SIZE !== 0 || start < l.lowestUserAddress || start + size - 1 > l.highestUserAddress - MI_TOP_USER_GUARD) {
      throw new NtException(STATUS_INVALID_ADDRESS);
    }
    if (!process.VadRoot.isFree(start, start + size)) throw new NtException(STATUS_CONFLICTING_ADDRESSES);
  } else {
    start = process.VadRoot.findFree(size, l.allocationGranularity, l.lowestUserAddress, l.highestUserAddress);
    if (start < 0) throw new NtException(STATUS_NO_MEMORY);
  }
  const writable = (priority & MdlMappingNoWrite) === 0;
  const protection = writable ? PAGE_READWRITE : PAGE_READONLY;
  const vad = newVad(start, start + size, 'mdl', protection, protection, mdl);
  process.VadRoot.insert(vad);
  for (let i = 0; i < mdl.PfnArray.length; i++) {
    // User mappings of locked pages are never executable.
    const ok = k.pageTables.MiWriteValidPte(process.DirectoryTableBase, start + i * PAGE_SIZE, mdl.PfnArray[i]!, { writable, executable: false, user: true, noCache }, process.pageTableFrames);
    if (!ok) {
      k.vm.deleteVad(process, vad);
      throw new NtException(STATUS_NO_MEMORY);
    }
  }
  // The Idle process's address space is the System process's: the mapping is System's.
  const owner = process === k.idleProcess ? k.systemProcess : process;
  mdl.userMappings.push({ process: owner, va: start });
  if (k.trace) MiTraceMapping(k, true, 'MDL (user)', start, mdl.PfnArray.length, owner, mdl.PfnArray[0]);
  MiReportPartialPageExposure(k, mdl, start, owner);
  MiReportMappedLeak(k, mdl, start, owner);
  return start + mdl.ByteOffset;
}

/**
 * MmUnmapLockedPages. A user address must be unmapped in the process it
 * was mapped into; called from another process, there is no such mapping
 * there: with the verifier that is 0xC4/0xB9, without it the mapping stays
 * and a finding says so.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmunmaplockedpages
 */
export function MiUnmapLockedPages(k: MmContext, baseAddress: number, mdl: Mdl): void {
  if (baseAddress >= k.layout.systemRangeStart) {
    if (mdl.systemMapping && baseAddress === mdl.MappedSystemVa) MiUnmapLockedPagesInSystemSpace(k, mdl);
    else MiNotMapped(k, baseAddress, mdl);
    return;
  }
  const page = baseAddress - (baseAddress % PAGE_SIZE);
  const process = k.currentProcess;
  const vad = process.VadRoot.find(page);
  const mapped = mdl.userMappings.findIndex((m) => m.va === page);
  if (vad && vad.kind === 'mdl' && vad.mdl === mdl && vad.start === page) {
    if (k.trace) MiTraceMapping(k, false, 'MDL (user)', page, (vad.end - vad.start) / PAGE_SIZE, process);
    k.vm.deleteVad(process, vad);
    if (mapped >= 0) mdl.userMappings.splice(mapped, 1);
    return;
  }
  // Mapped elsewhere: in a live process, or in one that has exited since (its mapping went with it).
  const owner = mdl.userMappings[mapped]?.process;
  if (k.options.verifier) {
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb9, baseAddress, mdl.address, 0,
      `MmUnmapLockedPages was called for user address ${k.formatAddress(baseAddress)} in ${process.ImageFileName}, which is not where it was mapped${owner ? ` (${owner.ImageFileName})` : ''}.`);
  }
  const frame = k.attribution.top();
  k.report({
    kind: owner ? 'wrong-process-unmap' : 'unmap-not-mapped',
    ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
    message: owner
      ? `unmap in wrong process: ${k.formatAddress(baseAddress)} was mapped into ${owner.ImageFileName} (pid ${owner.UniqueProcessId}${owner.exited ? ', which has exited' : ''}) but MmUnmapLockedPages ran in ${process.ImageFileName} (pid ${process.UniqueProcessId})${owner.exited ? '' : '; the mapping stays'}`
      : `MmUnmapLockedPages: ${k.formatAddress(baseAddress)} is not a mapping of this MDL in ${process.ImageFileName}`,
    details: { address: k.formatAddress(baseAddress), mdl: k.formatAddress(mdl.address), currentProcess: process.UniqueProcessId, mappedIn: owner?.UniqueProcessId ?? null },
  });
}

function MiNotMapped(k: MmContext, baseAddress: number, mdl: Mdl): void {
  if (k.options.verifier) {
    // 0xC4/0xB6: P2 the MDL, P3 its flags, P4 the flag that was expected and is missing (as 0xB3 gives it).
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb6, mdl.address, mdl.MdlFlags, MDL_MAPPED_TO_SYSTEM_VA,
      `MmUnmapLockedPages was given ${k.formatAddress(baseAddress)}, which is not this MDL's system mapping.`);
  }
  const frame = k.attribution.top();
  k.report({
    kind: 'unmap-not-mapped',
    ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
    message: `MmUnmapLockedPages: ${k.formatAddress(baseAddress)} is not a system mapping of this MDL`,
    details: { address: k.formatAddress(baseAddress), mdl: k.formatAddress(mdl.address) },
  });
}

/** What each protection MmProtectMdlSystemAddress accepts makes of a PTE (null: no access, the PTE is made invalid). */
const MDL_PROTECTIONS = new Map<number, { writable: boolean; executable: boolean } | null>([
  [PAGE_NOACCESS, null],
  [PAGE_READONLY, { writable: false, executable: false }],
  [PAGE_READWRITE, { writable: true, executable: false }],
  [PAGE_EXECUTE, { writable: false, executable: true }],
  [PAGE_EXECUTE_READ, { writable: false, executable: true }],
  [PAGE_EXECUTE_READWRITE, { writable: true, executable: true }],
]);

/**
 * MmProtectMdlSystemAddress: rewrites the PTEs of the MDL's own system
 * mapping with the new protection. STATUS_INVALID_PAGE_PROTECTION for a
 * value the page does not list, STATUS_NOT_MAPPED_VIEW for an MDL not mapped
 * (nonpaged pool described in place has no mapping of its own to change).
 * PAGE_NOACCESS leaves the PTE invalid until another call restores it.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprotectmdlsystemaddress
 */
export function MiProtectMdlSystemAddress(k: MmContext, mdl: Mdl, newProtect: number): number {
  if (!MDL_PROTECTIONS.has(newProtect)) return STATUS_INVALID_PAGE_PROTECTION;
  const m = mdl.systemMapping;
  if (!(mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) || !m) return STATUS_NOT_MAPPED_VIEW;
  const attributes = MDL_PROTECTIONS.get(newProtect);
  for (let i = 0; i < m.pages; i++) {
    const va = m.va + i * PAGE_SIZE;
    k.pageTables.MiErasePte(k.systemRoot, va);
    if (attributes) k.pageTables.MiWriteValidPte(k.systemRoot, va, mdl.PfnArray[i]!, { ...attributes, user: false, noCache: false }, undefined);
  }
  k.forgetTranslations();
  return STATUS_SUCCESS;
}
