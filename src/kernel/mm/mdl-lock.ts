/**
 * Probing and locking an MDL's pages, unlocking them, and the accounting
 * of locked pages at three levels, as Windows keeps it:
 *
 *   per frame    PfnDatabase.lockCount (MMPFN ReferenceCount's lock part):
 *                a locked frame is never freed or reused
 *   per MDL      MDL_PAGES_LOCKED: this MDL holds one lock on each frame
 *                of its PFN array (MmUnlockPages clears it)
 *   per process  EPROCESS.NumberOfLockedPages: pages locked in the
 *                process's address space; not zero at exit → 0x76 P1 = 0
 *
 * Because the MDL says whether it holds locks, an MDL unlocked twice is
 * caught at its second MmUnlockPages (0x76 P1 = 1 naming that MDL) and
 * never subtracts another MDL's pages from the process's count.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmunlockpages
 */
import { STATUS_ACCESS_VIOLATION } from '../../include/ntstatus.js';
import { ACCESS_READ, ACCESS_WRITE } from '../../hw/mmu.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { DRIVER_VERIFIER_DETECTED_VIOLATION, PFN_LIST_CORRUPT, PROCESS_HAS_LOCKED_PAGES } from '../../include/bugcodes.js';
import { NtException } from '../../include/errors.js';
import {
  IoReadAccess, MDL_IO_SPACE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_PARTIAL, MDL_SOURCE_IS_NONPAGED_POOL, MDL_WRITE_OPERATION,
  UserMode,
} from '../../include/wdm-constants.js';
import type { MmContext } from './context.js';
import { MmAccessFault } from './fault.js';
import type { Mdl } from './mdl-object.js';

/**
 * MmProbeAndLockPages: makes every page resident, checks the access against
 * `accessMode`, and takes one lock on each frame; raises
 * STATUS_ACCESS_VIOLATION (after undoing what it locked) when a page is not
 * accessible. Sets MDL_PAGES_LOCKED, and MDL_WRITE_OPERATION unless the
 * operation is IoReadAccess; Process is the current process for a user
 * address, NULL for a system one.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprobeandlockpages
 */
export function MiProbeAndLockPages(k: MmContext, mdl: Mdl, accessMode: number, operation: number): void {
  const user = accessMode === UserMode;
  const write = operation !== IoReadAccess;
  const first = mdl.StartVa + mdl.ByteOffset;
  if (user && (first + mdl.ByteCount > k.layout.highestUserAddress + 1 || first + mdl.ByteCount < first)) {
    throw new NtException(STATUS_ACCESS_VIOLATION, [write ? 1 : 0, first]);
  }
  const locked: number[] = [];
  try {
    for (let i = 0; i < mdl.PfnArray.length; i++) {
      const pfn = MiTranslateForLock(k, mdl.StartVa + i * PAGE_SIZE, write, user);
      k.pfn.lockCount[pfn]!++;
      locked.push(pfn);
      mdl.PfnArray[i] = pfn;
    }
  } catch (e) {
    for (const pfn of locked) k.pfn.lockCount[pfn]!--;
    throw e;
  }
  const process = first < k.layout.systemRangeStart ? k.currentProcess : null;
  mdl.Process = process;
  if (process) process.NumberOfLockedPages += locked.length;
  // ReactOS mdlsup.c MmProbeAndLockPages: MDL_WRITE_OPERATION only for a write or modify operation.
  mdl.MdlFlags = (mdl.MdlFlags & ~MDL_WRITE_OPERATION) | MDL_PAGES_LOCKED | (write ? MDL_WRITE_OPERATION : 0);
}

/** The frame behind `va` in the current address space, faulting it in (and raising) as an access would. */
function MiTranslateForLock(k: MmContext, va: number, write: boolean, user: boolean): number {
  const mmu = k.current.cpu.mmu;
  for (;;) {
    const pa = mmu.translate(va, write ? ACCESS_WRITE : ACCESS_READ, user);
    if (pa >= 0) return Math.floor(pa / PAGE_SIZE);
    MmAccessFault(k, mmu.fault);
  }
}

/**
 * MmUnlockPages. In order:
 * - with the verifier, an MDL that holds no locks is 0xC4/0x7C (0x7D when
 *   it was built by MmBuildMdlForNonPagedPool), P2 the MDL, P3 its flags;
 * - a system mapping is removed first (ReactOS mdlsup.c MmUnlockPages);
 * - without the verifier, an MDL that holds no locks but names a process
 *   (unlocked before) is 0x76 P1 = 1, P2 that MDL, P3 the process's locked
 *   count, which is left as it was; one that names no process (never locked,
 *   or built for nonpaged pool) releases a lock its first frame does not
 *   have: 0x4E PFN_LIST_CORRUPT P1 = 7, P2 the frame, P3 its share count;
 * - otherwise the process's count and each frame's lock count go down, and
 *   MDL_PAGES_LOCKED and MDL_IO_SPACE are cleared (nothing else: the MDL
 *   keeps MDL_WRITE_OPERATION and Process, as in ReactOS).
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x76--process-has-locked-pages
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x4e--pfn-list-corrupt
 */
export function MiUnlockPages(k: MmContext, mdl: Mdl, unmapSystem: (mdl: Mdl) => void): void {
  const flags = mdl.MdlFlags;
  const holdsLocks = (flags & MDL_PAGES_LOCKED) !== 0;
  // 0xC4/0xB4: a partial MDL (IoBuildPartialMdl) holds no locks of its own; P4 the unexpected flag.
  if (k.options.verifier && (flags & MDL_PARTIAL)) {
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb4, mdl.address, flags, MDL_PARTIAL, 'MmUnlockPages was called on a partial MDL (IoBuildPartialMdl): unlock the MDL it was built from.');
  }
  if (k.options.verifier && !holdsLocks) {
    const sub = flags & MDL_SOURCE_IS_NONPAGED_POOL ? 0x7d : 0x7c;
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, sub, mdl.address, flags, 0,
      flags & MDL_SOURCE_IS_NONPAGED_POOL
        ? 'MmUnlockPages was called on an MDL built by MmBuildMdlForNonPagedPool: its pages were never locked.'
        : 'MmUnlockPages was called on an MDL whose pages are not locked.');
  }
  if ((flags & MDL_MAPPED_TO_SYSTEM_VA) && !(flags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL))) unmapSystem(mdl);
  const process = mdl.Process;
  if (!holdsLocks) {
    if (process) {
      k.bugCheck(PROCESS_HAS_LOCKED_PAGES, 1, mdl.address, process.NumberOfLockedPages, 0,
        `MmUnlockPages was called on the MDL at ${k.formatAddress(mdl.address)}, whose pages in ${process.ImageFileName} are no longer locked: it was unlocked twice ` +
        `(the process still has ${process.NumberOfLockedPages} page(s) locked by other MDLs).`);
    }
    MiDropLock(k, mdl.PfnArray[0] ?? 0, mdl);
  }
  const pages = mdl.PfnArray.length;
  if (process) {
    if (process.NumberOfLockedPages < pages) {
      k.bugCheck(PROCESS_HAS_LOCKED_PAGES, 1, mdl.address, process.NumberOfLockedPages, 0,
        `MmUnlockPages was asked to unlock ${pages} page(s) of ${process.ImageFileName}, which has only ${process.NumberOfLockedPages} locked.`);
    }
    process.NumberOfLockedPages -= pages;
  }
  for (const pfn of mdl.PfnArray) MiDropLock(k, pfn, mdl);
  mdl.MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_IO_SPACE);
}

/** Releases one lock on `pfn`; a frame with none is a PFN database that no longer adds up: 0x4E P1 = 7. */
function MiDropLock(k: MmContext, pfn: number, mdl: Mdl): void {
  if (pfn < 0 || pfn >= k.pfn.total || k.pfn.lockCount[pfn] === 0) {
    const share = pfn >= 0 && pfn < k.pfn.total ? k.pfn.shareCount[pfn]! : 0;
    k.bugCheck(PFN_LIST_CORRUPT, 0x07, pfn, share, 0,
      `MmUnlockPages released a lock on frame ${pfn.toString(16)} (MDL ${k.formatAddress(mdl.address)}), which holds none: ` +
      'the MDL was never locked by MmProbeAndLockPages (an MDL built by MmBuildMdlForNonPagedPool, or one only allocated, must not be unlocked).');
  }
  k.pfn.lockCount[pfn]!--;
  k.pfn.releaseIfPending(pfn);
}
