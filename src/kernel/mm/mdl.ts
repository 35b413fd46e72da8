/**
 * MDL routines: allocate, build for nonpaged pool, probe and lock, map into
 * system space or into the current process, unmap, unlock, free.
 *
 * A mapping is PTEs to the frames in the PFN array, never a copy. A user
 * mapping lands in the process the CPU is in *now* and is recorded in a VAD
 * of that process; unmapping must happen in that same process.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmaplockedpagesspecifycache
 */
import { STATUS_ACCESS_VIOLATION } from '../../include/ntstatus.js';
import { ACCESS_READ } from '../../hw/mmu.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { BAD_POOL_CALLER, DRIVER_VERIFIER_DETECTED_VIOLATION, PAGE_FAULT_IN_NONPAGED_AREA } from '../../include/bugcodes.js';
import { EmulatorError, NtException } from '../../include/errors.js';
import type { MmContext, MmProcess } from './context.js';
import { KernelMode } from '../../include/wdm-constants.js';
import { MmAccessFault } from './fault.js';
import { IoSpace } from './io-space.js';
import { PAGE_ALIGN } from './layout.js';
import { ADDRESS_AND_SIZE_TO_SPAN_PAGES, Mdl, mdlHeaderSize } from './mdl-object.js';
import { MiProbeAndLockPages, MiUnlockPages } from './mdl-lock.js';
import {
  MiCheckLockedForMapping, MiMapLockedPagesInSystemSpace, MiMapLockedPagesInUserSpace, MiProtectMdlSystemAddress,
  MiUnmapLockedPages, MiUnmapLockedPagesInSystemSpace,
} from './mdl-map.js';
import { NonPagedPool } from './pool.js';
import {
  MDL_ALLOCATED_FIXED_SIZE, MDL_ALLOCATED_MUST_SUCCEED, MDL_IO_PAGE_READ, MDL_IO_SPACE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED,
  MDL_PARTIAL, MDL_PARTIAL_HAS_BEEN_MAPPED, MDL_SOURCE_IS_NONPAGED_POOL,
} from '../../include/wdm-constants.js';
export { IoModifyAccess, IoReadAccess, IoWriteAccess } from '../../include/wdm-constants.js';
/** MDLs of up to this many pages come from the I/O manager's fixed-size lookaside. */
const IOP_FIXED_SIZE_MDL_PFNS = 0x17;
const MDL_TAG = 0x206c644d; // 'Mdl '

/** The MDL routines (IoAllocateMdl, MmProbeAndLockPages, MmMapLockedPagesSpecifyCache, ...) and the live MDLs by address. */
export class MdlManager {
  /** Live MDLs by pool address, so that an address can stand for its MDL. */
  readonly live = new Map<number, Mdl>();
  /** MmMapIoSpace's mappings (io-space.ts). */
  readonly ioSpace: IoSpace;

  constructor(private readonly k: MmContext) {
    this.ioSpace = new IoSpace(k);
  }

  /**
   * An MDL argument given as the object or its address; anything else is a
   * bad pointer, and reading its field at `fieldOffset` faults as the
   * routine's first read would: at NULL or a user address an access
   * violation (raised), in system space 0x50.
   */
  resolve(mdl: Mdl | number | null, fieldOffset = 0): Mdl {
    if (mdl instanceof Mdl && this.live.has(mdl.address)) return mdl;
    const address = mdl instanceof Mdl ? mdl.address : mdl ?? 0;
    const found = typeof address === 'number' ? this.live.get(address) : undefined;
    if (found) return found;
    const va = (typeof address === 'number' ? address : 0) + fieldOffset;
    const fault = this.k.current.cpu.mmu.fault;
    Object.assign(fault, { va, access: ACCESS_READ, user: false, present: false, level: 0 });
    MmAccessFault(this.k, fault);
    throw new NtException(STATUS_ACCESS_VIOLATION, [0, va]);
  }

  /** Offset of MDL.MdlFlags (after Next and Size): 0xA on x64, 6 on x86. */
  get mdlFlagsOffset(): number {
    return this.k.layout.pointerSize + 2;
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
    if (pages <= IOP_FIXED_SIZE_MDL_PFNS) {
      mdl.MdlFlags |= MDL_ALLOCATED_FIXED_SIZE;
      mdl.pfnCapacity = IOP_FIXED_SIZE_MDL_PFNS;
    }
    this.live.set(address, mdl);
    if (irp) {
      if (!secondaryBuffer) irp.MdlAddress = mdl;
      else {
        // ReactOS iomdl.c IoAllocateMdl walks Irp->MdlAddress->Next without a check: with no
        // primary MDL that reads NULL->Next, an access violation (the new MDL stays allocated).
        let last = irp.MdlAddress ?? this.resolve(null);
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
    // ReactOS iomdl.c IoFreeMdl: MmPrepareMdlForReuse first (a partial MDL's own mapping goes).
    this.MmPrepareMdlForReuse(mdl);
    if ((mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) && !(mdl.MdlFlags & (MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL)) && this.k.options.verifier) {
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb8, mdl.address, mdl.MdlFlags, 0, 'IoFreeMdl was called on an MDL that is still mapped to system space.');
    }
    // A UserMode mapping still in a live process is a mapping too: the page stays visible to the program
    // after its pool goes (docs/fidelity.md, "0xC4/0xB8").
    const user = mdl.userMappings.find((m) => !m.process.exited);
    if (user && this.k.options.verifier) {
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb8, mdl.address, mdl.MdlFlags, 0,
        `IoFreeMdl was called on an MDL still mapped at ${this.k.formatAddress(user.va)} in ${user.process.ImageFileName} (pid ${user.process.UniqueProcessId}): unmap it (MmUnmapLockedPages, in that process) first.`);
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
    // Paged pool and user memory are both pageable: the verifier refuses either.
    if (this.k.options.verifier && (this.k.pool.isPagedPoolAddress(va) || va < this.k.layout.systemRangeStart)) {
      const what = va < this.k.layout.systemRangeStart ? `user address ${this.k.formatAddress(va)}` : 'paged pool';
      // 0xC4/0x7F: current IRQL, MDL, MDL flags (bug-check-0xc4--driver-verifier-detected-violation).
      this.k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7f, this.k.irql, mdl.address, mdl.MdlFlags, `MmBuildMdlForNonPagedPool was given an MDL that describes ${what}, which is pageable.`);
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
   * MmProbeAndLockPages (mdl-lock.ts).
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprobeandlockpages
   */
  MmProbeAndLockPages(arg: Mdl | number | null, accessMode: number, operation: number): void {
    MiProbeAndLockPages(this.k, this.resolve(arg), accessMode, operation);
  }

  /**
   * MmUnlockPages (mdl-lock.ts): a system mapping goes first, then the locks.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmunlockpages
   */
  MmUnlockPages(arg: Mdl | number | null): void {
    MiUnlockPages(this.k, this.resolve(arg), (mdl) => MiUnmapLockedPagesInSystemSpace(this.k, mdl));
  }

  /** MmMapLockedPagesSpecifyCache (mdl-map.ts). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmaplockedpagesspecifycache */
  MmMapLockedPagesSpecifyCache(arg: Mdl | number | null, accessMode: number, cacheType: number, requestedAddress: number,
    bugCheckOnFailure: boolean, priority: number): number {
    const mdl = this.resolve(arg);
    MiCheckLockedForMapping(this.k, mdl, accessMode);
    const noCache = cacheType === 0;
    if (accessMode === KernelMode) return MiMapLockedPagesInSystemSpace(this.k, mdl, noCache, bugCheckOnFailure);
    return MiMapLockedPagesInUserSpace(this.k, mdl, noCache, requestedAddress, priority);
  }

  /**
   * MmGetSystemAddressForMdlSafe, the wdm.h macro: MappedSystemVa when the MDL
   * is mapped or describes nonpaged pool, else a new mapping (NULL on failure).
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmgetsystemaddressformdlsafe
   */
  MmGetSystemAddressForMdlSafe(arg: Mdl | number | null, _priority: number): number {
    // The macro's first act is to read Mdl->MdlFlags: a NULL MDL faults there.
    const mdl = this.resolve(arg, this.mdlFlagsOffset);
    if (mdl.MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) return mdl.MappedSystemVa;
    MiCheckLockedForMapping(this.k, mdl, KernelMode);
    return MiMapLockedPagesInSystemSpace(this.k, mdl, false, false);
  }

  /** MmUnmapLockedPages (mdl-map.ts). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmunmaplockedpages */
  MmUnmapLockedPages(baseAddress: number, arg: Mdl | number | null): void {
    MiUnmapLockedPages(this.k, baseAddress, this.resolve(arg));
  }

  /** MmProtectMdlSystemAddress (mdl-map.ts). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprotectmdlsystemaddress */
  MmProtectMdlSystemAddress(arg: Mdl | number | null, newProtect: number): number {
    return MiProtectMdlSystemAddress(this.k, this.resolve(arg), newProtect);
  }

  /**
   * IoBuildPartialMdl: TargetMdl describes [VirtualAddress, +Length) of
   * SourceMdl's buffer (Length 0: to the source's end) with the source's
   * frames; it keeps only its own MDL_ALLOCATED_FIXED_SIZE and
   * MDL_ALLOCATED_MUST_SUCCEED, takes the source's MDL_IO_PAGE_READ,
   * MDL_SOURCE_IS_NONPAGED_POOL, MDL_MAPPED_TO_SYSTEM_VA and MDL_IO_SPACE, and
   * gains MDL_PARTIAL; MappedSystemVa is the source's plus the offset
   * (ReactOS ntoskrnl/io/iomgr/iomdl.c IoBuildPartialMdl). It locks nothing:
   * the source must stay locked while the partial MDL is used.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iobuildpartialmdl
   */
  IoBuildPartialMdl(sourceArg: Mdl | number | null, targetArg: Mdl | number | null, virtualAddress: number, length: number): void {
    const source = this.resolve(sourceArg);
    const target = this.resolve(targetArg);
    const offset = virtualAddress - source.StartVa - source.ByteOffset;
    if (length === 0) length = source.ByteCount - offset;
    const pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(virtualAddress, length);
    const firstPage = (PAGE_ALIGN(virtualAddress) - source.StartVa) / PAGE_SIZE;
    // The target's PFN array was sized by IoAllocateMdl: writing past it would overrun the pool block.
    if (pages > target.pfnCapacity || offset < 0 || firstPage + pages > source.PfnArray.length) {
      throw new EmulatorError(`IoBuildPartialMdl: ${this.k.formatAddress(virtualAddress)} + ${length} is not inside the source MDL or does not fit the target's PFN array`);
    }
    target.StartVa = PAGE_ALIGN(virtualAddress);
    target.ByteOffset = virtualAddress % PAGE_SIZE;
    target.ByteCount = length;
    target.Process = source.Process;
    target.MdlFlags = (target.MdlFlags & (MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_MUST_SUCCEED))
      | (source.MdlFlags & (MDL_IO_PAGE_READ | MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA | MDL_IO_SPACE)) | MDL_PARTIAL;
    target.MappedSystemVa = source.MappedSystemVa + offset;
    target.PfnArray.length = pages;
    for (let i = 0; i < pages; i++) target.PfnArray[i] = source.PfnArray[firstPage + i]!;
  }

  /**
   * MmPrepareMdlForReuse, the wdm.h macro: a partial MDL that was mapped on
   * its own (MDL_PARTIAL_HAS_BEEN_MAPPED) is unmapped; nothing else changes.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmpreparemdlforreuse
   */
  MmPrepareMdlForReuse(arg: Mdl | number | null): void {
    const mdl = this.resolve(arg);
    if (mdl.MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED) MiUnmapLockedPages(this.k, mdl.MappedSystemVa, mdl);
  }

  /** MDLs still holding pages of a process, for the 0x76 report. */
  lockedIn(process: MmProcess): Mdl[] {
    return [...this.live.values()].filter((m) => m.Process === process && (m.MdlFlags & MDL_PAGES_LOCKED));
  }
}
