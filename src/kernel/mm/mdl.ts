/**
 * MDL routines: allocate, build for nonpaged pool, probe and lock, map into
 * system space or into the current process, unmap, unlock, free.
 *
 * A mapping is PTEs to the frames in the PFN array, never a copy. A user
 * mapping lands in the process the CPU is in *now* and is recorded in a VAD
 * of that process; unmapping must happen in that same process.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmaplockedpagesspecifycache
 */
import { PAGE_READONLY, PAGE_READWRITE } from '../../include/memory-constants.js';
import {
  STATUS_ACCESS_VIOLATION, STATUS_CONFLICTING_ADDRESSES, STATUS_INVALID_ADDRESS, STATUS_NO_MEMORY,
  STATUS_PROCESS_IS_TERMINATING,
} from '../../include/ntstatus.js';
import { ACCESS_READ, ACCESS_WRITE } from '../../hw/mmu.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import {
  BAD_POOL_CALLER, DRIVER_VERIFIER_DETECTED_VIOLATION, MEMORY_MANAGEMENT, NO_MORE_SYSTEM_PTES, PAGE_FAULT_IN_NONPAGED_AREA, PROCESS_HAS_LOCKED_PAGES,
} from '../../include/bugcodes.js';
import { NtException } from '../../include/errors.js';
import type { MmContext, MmProcess } from './context.js';
import { KernelMode, UserMode } from '../../include/wdm-constants.js';
import { MmAccessFault } from './fault.js';
import { PAGE_ALIGN } from './layout.js';
import { ADDRESS_AND_SIZE_TO_SPAN_PAGES, Mdl, mdlHeaderSize } from './mdl-object.js';
import { MiReportPartialPageExposure } from './mdl-exposure.js';
import { NonPagedPool } from './pool.js';
import { newVad } from './vad.js';

import {
  IoReadAccess, IoWriteAccess, MDL_ALLOCATED_FIXED_SIZE, MDL_IO_SPACE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_PARTIAL,
  MDL_SOURCE_IS_NONPAGED_POOL, MDL_WRITE_OPERATION, MdlMappingNoWrite,
} from '../../include/wdm-constants.js';
export { IoModifyAccess, IoReadAccess, IoWriteAccess } from '../../include/wdm-constants.js';
/** MDLs of up to this many pages come from the I/O manager's fixed-size lookaside. */
const IOP_FIXED_SIZE_MDL_PFNS = 0x17;
const MDL_TAG = 0x206c644d; // 'Mdl '

/** The MDL routines (IoAllocateMdl, MmProbeAndLockPages, MmMapLockedPagesSpecifyCache, ...) and the live MDLs by address. */
export class MdlManager {
  /** Live MDLs by pool address, so that an address can stand for its MDL. */
  readonly live = new Map<number, Mdl>();

  constructor(private readonly k: MmContext) {}

  /** An MDL argument given as the object or its address; anything else is a bad pointer. */
  resolve(mdl: Mdl | number | null): Mdl {
    if (mdl instanceof Mdl && this.live.has(mdl.address)) return mdl;
    const address = mdl instanceof Mdl ? mdl.address : mdl ?? 0;
    const found = typeof address === 'number' ? this.live.get(address) : undefined;
    if (found) return found;
    // Dereferencing it would fault: at NULL or a user address, an access violation; in system space, 0x50.
    const fault = this.k.current.cpu.mmu.fault;
    Object.assign(fault, { va: typeof address === 'number' ? address : 0, access: ACCESS_READ, user: false, present: false, level: 0 });
    MmAccessFault(this.k, fault);
    throw new NtException(STATUS_ACCESS_VIOLATION, [0, typeof address === 'number' ? address : 0]);
  }

  /**
   * IoAllocateMdl. The limit on Length follows the profile: NT4 allows
   * (65535 - sizeof(MDL)) / sizeof(ULONG_PTR) pages, Windows 7 and later 4 GB - PAGE_SIZE.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioallocatemdl
   */
  IoAllocateMdl(virtualAddress: number, length: number, secondaryBuffer: boolean, _chargeQuota: boolean, irp: { MdlAddress: Mdl | null } | null): Mdl | null {
    if (!Number.isInteger(length) || length < 0 || !Number.isInteger(virtualAddress)) return null;
    const ptr = this.k.layout.pointerSize;
    const limit = this.k.options.profile === 'nt4'
      ? Math.floor((65535 - mdlHeaderSize(this.k.arch)) / ptr) * PAGE_SIZE
      : 4 * 1024 ** 3 - PAGE_SIZE;
    if (length > limit) return null;
    const pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(virtualAddress, length);
    const size = mdlHeaderSize(this.k.arch) + Math.max(pages, pages <= IOP_FIXED_SIZE_MDL_PFNS ? IOP_FIXED_SIZE_MDL_PFNS : pages) * ptr;
    const address = this.k.pool.allocate(NonPagedPool, size, MDL_TAG);
    if (address === 0) return null;
    const mdl = new Mdl(virtualAddress, length, pages, mdlHeaderSize(this.k.arch) + pages * ptr);
    mdl.address = address;
    mdl.owner = this.k.attribution.top()?.driver;
    if (pages <= IOP_FIXED_SIZE_MDL_PFNS) mdl.MdlFlags |= MDL_ALLOCATED_FIXED_SIZE;
    this.live.set(address, mdl);
    if (irp) {
      if (!secondaryBuffer || !irp.MdlAddress) irp.MdlAddress = mdl;
      else {
        let last = irp.MdlAddress;
        while (last.Next) last = last.Next;
        last.Next = mdl;
      }
    }
    return mdl;
  }

  /** IoFreeMdl: the MDL's pool goes; a system mapping left behind stays mapped (a leak of system PTEs). */
  IoFreeMdl(arg: Mdl | number | null): void {
    const address = arg instanceof Mdl ? arg.address : arg;
    const pool = this.k.pool;
    if (typeof address === 'number' && !this.live.has(address) && pool.isPoolAddress(address) && !pool.allocations.has(address)) {
      this.freedTwice(address);
    }
    const mdl = this.resolve(arg);
    if ((mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) && !(mdl.MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL) && this.k.options.verifier) {
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb8, mdl.address, mdl.MdlFlags, 0, 'IoFreeMdl was called on an MDL that is still mapped to system space.');
    }
    this.live.delete(mdl.address);
    this.k.pool.free(mdl.address);
  }

  /**
   * An MDL is a block of nonpaged pool (IoAllocateMdl takes it from the pool
   * or a lookaside over it), so a second IoFreeMdl frees pool already freed:
   * 0xC2 BAD_POOL_CALLER, P1 = 7, P3 the pool header's first ULONG, P4 the block.
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc2--bad-pool-caller
   */
  private freedTwice(address: number): never {
    const k = this.k;
    const headerVa = address - (k.arch === 'x64' ? 16 : 8);
    const headerPfn = k.pageTables.frameAt(k.systemRoot, headerVa);
    const header = headerPfn < 0 ? 0 : k.memory.read32(headerPfn * PAGE_SIZE + (headerVa % PAGE_SIZE));
    return k.bugCheck(BAD_POOL_CALLER, 0x07, 0, header, address,
      `IoFreeMdl was given the MDL at ${k.formatAddress(address)}, which was already freed: an MDL is a block of nonpaged pool, and this frees it a second time.`);
  }

  /**
   * MmBuildMdlForNonPagedPool: fills the PFN array from the kernel mapping,
   * sets MDL_SOURCE_IS_NONPAGED_POOL and MappedSystemVa; Process stays NULL
   * and MDL_PAGES_LOCKED is not set.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmbuildmdlfornonpagedpool
   */
  MmBuildMdlForNonPagedPool(arg: Mdl | number | null): void {
    const mdl = this.resolve(arg);
    const va = mdl.StartVa + mdl.ByteOffset;
    if (this.k.options.verifier && this.k.pool.isPagedPoolAddress(va)) {
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7f, mdl.address, 0, 0, 'MmBuildMdlForNonPagedPool was given an MDL that describes paged pool.');
    }
    // The routine reads the PTEs of a buffer it trusts to be resident: one that is not (freed
    // pool, an untouched user page) is a fault in nonpaged space it cannot resolve.
    const root = this.k.currentProcess.DirectoryTableBase;
    for (let i = 0; i < mdl.PfnArray.length; i++) {
      const page = mdl.StartVa + i * PAGE_SIZE;
      const pfn = this.k.pageTables.frameAt(root, page);
      if (pfn < 0) {
        const frame = this.k.attribution.top();
        this.k.bugCheck(PAGE_FAULT_IN_NONPAGED_AREA, page, 0, frame?.address ?? 0, 0,
          `MmBuildMdlForNonPagedPool found no resident page behind ${this.k.formatAddress(page)}: the MDL must describe nonpaged memory that is mapped.`);
      }
      mdl.PfnArray[i] = pfn;
    }
    mdl.MappedSystemVa = va;
    mdl.MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
    mdl.Process = null;
  }

  /**
   * MmProbeAndLockPages: makes every page resident and checks the access
   * against `accessMode`; raises STATUS_ACCESS_VIOLATION (after undoing
   * what it locked) when a page is not accessible.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprobeandlockpages
   */
  MmProbeAndLockPages(arg: Mdl | number | null, accessMode: number, operation: number): void {
    const mdl = this.resolve(arg);
    const user = accessMode === UserMode;
    const write = operation !== IoReadAccess;
    const first = mdl.StartVa + mdl.ByteOffset;
    if (user && (first + mdl.ByteCount > this.k.layout.highestUserAddress + 1 || first + mdl.ByteCount < first)) {
      throw new NtException(STATUS_ACCESS_VIOLATION, [write ? 1 : 0, first]);
    }
    const locked: number[] = [];
    try {
      for (let i = 0; i < mdl.PfnArray.length; i++) {
        const va = mdl.StartVa + i * PAGE_SIZE;
        const pfn = this.translate(va, write, user);
        this.k.pfn.lockCount[pfn]!++;
        locked.push(pfn);
        mdl.PfnArray[i] = pfn;
      }
    } catch (e) {
      for (const pfn of locked) this.k.pfn.lockCount[pfn]!--;
      throw e;
    }
    const process = first < this.k.layout.systemRangeStart ? this.k.currentProcess : null;
    mdl.Process = process;
    if (process) process.NumberOfLockedPages += locked.length;
    mdl.MdlFlags |= MDL_PAGES_LOCKED | (write ? MDL_WRITE_OPERATION : 0);
  }

  /** The frame behind `va` in the current address space, faulting it in (and raising) as an access would. */
  private translate(va: number, write: boolean, user: boolean): number {
    const mmu = this.k.current.cpu.mmu;
    for (;;) {
      const pa = mmu.translate(va, write ? ACCESS_WRITE : ACCESS_READ, user);
      if (pa >= 0) return Math.floor(pa / PAGE_SIZE);
      MmAccessFault(this.k, mmu.fault);
    }
  }

  /**
   * MmUnlockPages: removes a system mapping first, then the locks. Unlocking
   * more pages than the process has locked is bug check 0x76 with P1 = 1.
   */
  MmUnlockPages(arg: Mdl | number | null): void {
    const mdl = this.resolve(arg);
    if (this.k.options.verifier && !(mdl.MdlFlags & MDL_PAGES_LOCKED)) {
      const sub = mdl.MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL ? 0x7d : 0x7c;
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, sub, mdl.address, mdl.MdlFlags, 0, 'MmUnlockPages was called on an MDL whose pages are not locked.');
    }
    if (mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) this.unmapSystem(mdl);
    const pages = mdl.PfnArray.length;
    const process = mdl.Process;
    if (process) {
      if (process.NumberOfLockedPages < pages) {
        this.k.bugCheck(PROCESS_HAS_LOCKED_PAGES, 1, mdl.address, process.NumberOfLockedPages, 0,
          `MmUnlockPages was asked to unlock ${pages} page(s) of ${process.ImageFileName}, which has only ${process.NumberOfLockedPages} locked: the MDL was unlocked twice or never locked.`);
      }
      process.NumberOfLockedPages -= pages;
    }
    if (mdl.MdlFlags & MDL_PAGES_LOCKED) {
      for (const pfn of mdl.PfnArray) {
        if (this.k.pfn.lockCount[pfn]! > 0) this.k.pfn.lockCount[pfn]!--;
        this.k.pfn.releaseIfPending(pfn);
      }
    }
    mdl.MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
  }

  /** MmMapLockedPagesSpecifyCache. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmaplockedpagesspecifycache */
  MmMapLockedPagesSpecifyCache(arg: Mdl | number | null, accessMode: number, cacheType: number, requestedAddress: number,
    bugCheckOnFailure: boolean, priority: number): number {
    const mdl = this.resolve(arg);
    this.checkLocked(mdl);
    const noCache = cacheType === 0;
    if (accessMode === KernelMode) return this.mapSystem(mdl, noCache, bugCheckOnFailure);
    return this.mapUser(mdl, noCache, requestedAddress, priority);
  }

  /** MmGetSystemAddressForMdlSafe: the existing system address, or a new mapping (NULL on failure). */
  MmGetSystemAddressForMdlSafe(arg: Mdl | number | null, _priority: number): number {
    const mdl = this.resolve(arg);
    if (mdl.MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) return mdl.MappedSystemVa;
    this.checkLocked(mdl);
    return this.mapSystem(mdl, false, false);
  }

  /** An MDL whose pages are neither locked nor nonpaged pool names frames nobody holds: mapping it is fatal. */
  private checkLocked(mdl: Mdl): void {
    if (mdl.MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL | MDL_IO_SPACE)) return;
    if (this.k.options.verifier) {
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x85, mdl.address, mdl.PfnArray.length, mdl.PfnArray[0] ?? 0, 'An MDL was mapped whose pages are not locked.');
    }
    this.k.bugCheck(MEMORY_MANAGEMENT, 0x1236, mdl.address, mdl.StartVa, mdl.PfnArray[0] ?? 0,
      'An MDL was mapped before its pages were locked or built (no MmProbeAndLockPages, no MmBuildMdlForNonPagedPool): its PFN array holds nothing valid.');
  }

  private mapSystem(mdl: Mdl, noCache: boolean, bugCheckOnFailure: boolean): number {
    const pages = mdl.PfnArray.length;
    const va = this.k.systemPtes.MiReserveSystemPtes(pages);
    if (va === 0) {
      if (bugCheckOnFailure) this.k.bugCheck(NO_MORE_SYSTEM_PTES, 0, pages, 0, 0, `No ${pages} system PTEs were left to map an MDL.`);
      return 0;
    }
    for (let i = 0; i < pages; i++) {
      this.k.pageTables.MiWriteValidPte(this.k.systemRoot, va + i * PAGE_SIZE, mdl.PfnArray[i]!, { writable: true, executable: false, user: false, noCache }, undefined);
    }
    mdl.systemMapping = { va, pages };
    mdl.MappedSystemVa = va + mdl.ByteOffset;
    mdl.MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
    return mdl.MappedSystemVa;
  }

  private unmapSystem(mdl: Mdl): void {
    const m = mdl.systemMapping;
    if (!m) return;
    for (let i = 0; i < m.pages; i++) this.k.pageTables.MiErasePte(this.k.systemRoot, m.va + i * PAGE_SIZE);
    this.k.systemPtes.MiReleaseSystemPtes(m.va, m.pages);
    mdl.systemMapping = null;
    mdl.MdlFlags &= ~MDL_MAPPED_TO_SYSTEM_VA;
  }

  /** Maps into the current process; failure raises, as the WDK says a UserMode caller must expect. */
  private mapUser(mdl: Mdl, noCache: boolean, requestedAddress: number, priority: number): number {
    const process = this.k.currentProcess;
    const l = this.k.layout;
    const size = mdl.PfnArray.length * PAGE_SIZE;
    if (process.terminating) throw new NtException(STATUS_PROCESS_IS_TERMINATING);
    let start: number;
    if (requestedAddress) {
      start = PAGE_ALIGN(requestedAddress);
      if (start < l.lowestUserAddress || start + size - 1 > l.highestUserAddress) throw new NtException(STATUS_INVALID_ADDRESS);
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
      const ok = this.k.pageTables.MiWriteValidPte(process.DirectoryTableBase, start + i * PAGE_SIZE, mdl.PfnArray[i]!, { writable, executable: false, user: true, noCache }, process.pageTableFrames);
      if (!ok) {
        this.k.vm.deleteVad(process, vad);
        throw new NtException(STATUS_NO_MEMORY);
      }
    }
    // The Idle process's address space is the System process's: the mapping is System's.
    const owner = process === this.k.idleProcess ? this.k.systemProcess : process;
    mdl.userMappings.push({ process: owner, va: start });
    MiReportPartialPageExposure(this.k, mdl, start, owner);
    return start + mdl.ByteOffset;
  }

  /**
   * MmUnmapLockedPages. A user address must be unmapped in the process it
   * was mapped into; called from another process, there is no such mapping
   * there: with the verifier that is 0xC4/0xB9, without it the mapping stays
   * and a finding says so.
   */
  MmUnmapLockedPages(baseAddress: number, arg: Mdl | number | null): void {
    const mdl = this.resolve(arg);
    if (baseAddress >= this.k.layout.systemRangeStart) {
      if (mdl.systemMapping && baseAddress === mdl.MappedSystemVa) this.unmapSystem(mdl);
      else this.notMapped(baseAddress, mdl);
      return;
    }
    const process = this.k.currentProcess;
    const vad = process.VadRoot.find(PAGE_ALIGN(baseAddress));
    const mapped = mdl.userMappings.findIndex((m) => m.va === PAGE_ALIGN(baseAddress));
    if (vad && vad.kind === 'mdl' && vad.mdl === mdl && vad.start === PAGE_ALIGN(baseAddress)) {
      this.k.vm.deleteVad(process, vad);
      if (mapped >= 0) mdl.userMappings.splice(mapped, 1);
      return;
    }
    // Mapped elsewhere: in a live process, or in one that has exited since (its mapping went with it).
    const owner = mdl.userMappings[mapped]?.process;
    if (this.k.options.verifier) {
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb9, baseAddress, mdl.address, 0,
        `MmUnmapLockedPages was called for user address ${this.k.formatAddress(baseAddress)} in ${process.ImageFileName}, which is not where it was mapped${owner ? ` (${owner.ImageFileName})` : ''}.`);
    }
    const frame = this.k.attribution.top();
    this.k.report({
      kind: owner ? 'wrong-process-unmap' : 'unmap-not-mapped',
      ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
      message: owner
        ? `unmap in wrong process: ${this.k.formatAddress(baseAddress)} was mapped into ${owner.ImageFileName} (pid ${owner.UniqueProcessId}${owner.exited ? ', which has exited' : ''}) but MmUnmapLockedPages ran in ${process.ImageFileName} (pid ${process.UniqueProcessId})${owner.exited ? '' : '; the mapping stays'}`
        : `MmUnmapLockedPages: ${this.k.formatAddress(baseAddress)} is not a mapping of this MDL in ${process.ImageFileName}`,
      details: { address: this.k.formatAddress(baseAddress), mdl: this.k.formatAddress(mdl.address), currentProcess: process.UniqueProcessId, mappedIn: owner?.UniqueProcessId ?? null },
    });
  }

  private notMapped(baseAddress: number, mdl: Mdl): void {
    if (this.k.options.verifier) {
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb6, mdl.address, 0, 0, `MmUnmapLockedPages was given ${this.k.formatAddress(baseAddress)}, which is not this MDL's system mapping.`);
    }
    const frame = this.k.attribution.top();
    this.k.report({
      kind: 'unmap-not-mapped',
      ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
      message: `MmUnmapLockedPages: ${this.k.formatAddress(baseAddress)} is not a system mapping of this MDL`,
      details: { address: this.k.formatAddress(baseAddress), mdl: this.k.formatAddress(mdl.address) },
    });
  }

  /** MDLs still holding pages of a process, for the 0x76 report. */
  lockedIn(process: MmProcess): Mdl[] {
    return [...this.live.values()].filter((m) => m.Process === process && (m.MdlFlags & MDL_PAGES_LOCKED));
  }
}
