/**
 * A process's user address space: reserve, commit, decommit, release,
 * protect, query (the Nt*VirtualMemory services), demand-zero faults, and
 * teardown when the process goes.
 *
 * Committing charges the system commit (commit.ts) for the pages not yet
 * committed and the page tables they will need, or fails with
 * STATUS_COMMITMENT_LIMIT; decommitting and releasing return the pages'
 * charge, the page tables' charge returns when the process's page tables go.
 * So a demand-zero fault on committed memory always finds a frame.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntallocatevirtualmemory
 */
import {
  MEM_COMMIT, MEM_DECOMMIT, MEM_FREE, MEM_MAPPED, MEM_PRIVATE, MEM_RELEASE, MEM_RESERVE, PAGE_NOACCESS,
} from '../../include/memory-constants.js';
import {
  STATUS_COMMITMENT_LIMIT, STATUS_CONFLICTING_ADDRESSES, STATUS_FREE_VM_NOT_AT_BASE, STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER,
  STATUS_INVALID_PARAMETER_2, STATUS_INVALID_PARAMETER_3, STATUS_INVALID_PARAMETER_4, STATUS_INVALID_PARAMETER_5, STATUS_MEMORY_NOT_ALLOCATED,
  STATUS_NO_MEMORY, STATUS_NOT_COMMITTED, STATUS_PROCESS_IS_TERMINATING, STATUS_SUCCESS, STATUS_UNABLE_TO_DELETE_SECTION, STATUS_UNABLE_TO_FREE_VM,
} from '../../include/ntstatus.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { EmulatorError } from '../../include/errors.js';
import type { MmContext, MmProcess } from './context.js';
import { PAGE_ALIGN } from './layout.js';
import { PfnUse } from './pfn.js';
import { attributesFor, isValidProtection, permits } from './protection.js';
import { MiProtectView, MiViewPageProtection } from './view-protect.js';
import { newVad, VadTree, type Vad } from './vad.js';

/** MEMORY_BASIC_INFORMATION, as VirtualQuery fills it. */
export interface MemoryBasicInformation {
  BaseAddress: number;
  AllocationBase: number;
  AllocationProtect: number;
  RegionSize: number;
  State: number;
  Protect: number;
  Type: number;
}

/** The Nt*VirtualMemory services over a process's VADs: allocate, free, protect and query user memory. */
export class VirtualMemory {
  constructor(private readonly k: MmContext) {}

  /** NtAllocateVirtualMemory: returns the rounded base and size actually reserved or committed. */
  NtAllocateVirtualMemory(process: MmProcess, baseAddress: number, regionSize: number, allocationType: number, protect: number):
    { status: number; baseAddress: number; regionSize: number } {
    const fail = (status: number) => ({ status, baseAddress, regionSize });
    const l = this.k.layout;
    if (process.exited) return fail(STATUS_PROCESS_IS_TERMINATING);
    if ((allocationType & (MEM_COMMIT | MEM_RESERVE)) === 0 || (allocationType & ~(MEM_COMMIT | MEM_RESERVE | 0x100000)) !== 0) {
      return fail(STATUS_INVALID_PARAMETER_5);
    }
    if (!isValidProtection(protect)) return fail(STATUS_INVALID_PAGE_PROTECTION);
    if (!Number.isInteger(regionSize) || regionSize <= 0) return fail(STATUS_INVALID_PARAMETER_4);
    if (!Number.isInteger(baseAddress) || baseAddress < 0 || baseAddress > l.highestUserAddress) return fail(STATUS_INVALID_PARAMETER_2);
    if (baseAddress + regionSize - 1 > l.highestUserAddress) return fail(STATUS_INVALID_PARAMETER_4);

    // MEM_COMMIT at a NULL address reserves and commits: only a non-NULL address must lie in a reservation.
    // https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-virtualalloc
    if ((allocationType & MEM_RESERVE) || baseAddress === 0) {
      let start: number;
      let end: number;
      if (baseAddress === 0) {
        const size = Math.ceil(regionSize / PAGE_SIZE) * PAGE_SIZE;
        start = process.VadRoot.findFree(size, l.allocationGranularity, l.lowestUserAddress, l.highestUserAddress);
        if (start < 0) return fail(STATUS_NO_MEMORY);
        end = start + size;
      } else {
        start = baseAddress - (baseAddress % l.allocationGranularity);
        end = Math.ceil((baseAddress + regionSize) / PAGE_SIZE) * PAGE_SIZE;
        if (start < l.lowestUserAddress) return fail(STATUS_INVALID_PARAMETER_2);
        if (!process.VadRoot.isFree(start, end)) return fail(STATUS_CONFLICTING_ADDRESSES);
      }
      // The charge comes first: a commit that fails reserves nothing either.
      if ((allocationType & MEM_COMMIT) && !this.MiChargeCommitment(process, start, end, (end - start) / PAGE_SIZE)) {
        return fail(STATUS_COMMITMENT_LIMIT);
      }
      const vad = newVad(start, end, 'private', protect, allocationType & MEM_COMMIT ? protect : 0);
      process.VadRoot.insert(vad);
      return { status: STATUS_SUCCESS, baseAddress: start, regionSize: end - start };
    }

    // MEM_COMMIT alone: the pages must lie in one private reservation.
    const start = PAGE_ALIGN(baseAddress);
    const end = Math.ceil((baseAddress + regionSize) / PAGE_SIZE) * PAGE_SIZE;
    const vad = process.VadRoot.find(start);
    if (vad?.kind === 'mapped' && end <= vad.end) return this.MiCommitInView(vad, start, end, protect, fail);
    if (!vad || vad.kind !== 'private' || end > vad.end) return fail(STATUS_CONFLICTING_ADDRESSES);
    // Only the pages not yet committed are charged (committing a committed page again costs nothing).
    const first = (start - vad.start) / PAGE_SIZE;
    const last = (end - vad.start) / PAGE_SIZE;
    if (!this.MiChargeCommitment(process, start, end, last - first - vad.commit.committed(first, last))) return fail(STATUS_COMMITMENT_LIMIT);
    this.setProtection(process, vad, start, end, protect);
    return { status: STATUS_SUCCESS, baseAddress: start, regionSize: end - start };
  }

  /**
   * MEM_COMMIT in a view: the pages of a SEC_RESERVE section are committed
   * (for every view of it), charged now; a view of any other section is
   * committed already. The protection must be the view's.
   */
  private MiCommitInView(vad: Vad, start: number, end: number, protect: number,
    fail: (status: number) => { status: number; baseAddress: number; regionSize: number }): { status: number; baseAddress: number; regionSize: number } {
    const view = vad.view!;
    if ((protect & 0xff) !== (view.protection & 0xff) && !((view.protection & 0xff) === 0x04 && (protect & 0xff) === 0x02)) {
      return fail(STATUS_INVALID_PAGE_PROTECTION);
    }
    const first = view.firstPage + (start - vad.start) / PAGE_SIZE;
    if (!this.k.segments.commit(view.segment, first, first + (end - start) / PAGE_SIZE)) return fail(STATUS_COMMITMENT_LIMIT);
    return { status: STATUS_SUCCESS, baseAddress: start, regionSize: end - start };
  }

  /**
   * Charges `pages` newly committed pages of [start, end), and the page
   * tables the range will need that the process was not charged for yet,
   * as the process's commit (which may not reach into the system's reserve).
   */
  MiChargeCommitment(process: MmProcess, start: number, end: number, pages: number): boolean {
    const commitment = this.k.pfn.commitment;
    // Refused before the page tables of a range of terabytes are counted.
    if (pages > commitment.availableToProcesses) return false;
    const tables = commitment.MiPageTablesToCharge(process.DirectoryTableBase, this.k.format, start, end);
    if (!commitment.MiChargeCommitment(pages + tables.length, true)) return false;
    commitment.MiCommitPageTables(process.DirectoryTableBase, tables);
    return true;
  }

  /** NtFreeVirtualMemory: MEM_RELEASE of a whole reservation, or MEM_DECOMMIT of pages. */
  NtFreeVirtualMemory(process: MmProcess, baseAddress: number, regionSize: number, freeType: number):
    { status: number; baseAddress: number; regionSize: number } {
    const fail = (status: number) => ({ status, baseAddress, regionSize });
    if (freeType !== MEM_RELEASE && freeType !== MEM_DECOMMIT) return fail(STATUS_INVALID_PARAMETER);
    if (!Number.isInteger(baseAddress) || baseAddress < 0 || baseAddress > this.k.layout.highestUserAddress) return fail(STATUS_INVALID_PARAMETER_2);
    const vad = process.VadRoot.find(baseAddress);
    if (!vad) return fail(STATUS_MEMORY_NOT_ALLOCATED);
    // A locked-pages mapping belongs to the driver that made it (bugchecks.md).
    if (vad.kind === 'mdl' || vad.kind === 'mapped') return fail(STATUS_UNABLE_TO_DELETE_SECTION);
    if (vad.kind !== 'private') return fail(STATUS_UNABLE_TO_FREE_VM);
    if (freeType === MEM_RELEASE) {
      if (regionSize === 0 && baseAddress !== vad.start) return fail(STATUS_FREE_VM_NOT_AT_BASE);
      if (regionSize !== 0 && (PAGE_ALIGN(baseAddress) !== vad.start || Math.ceil((baseAddress + regionSize) / PAGE_SIZE) * PAGE_SIZE !== vad.end)) {
        return fail(STATUS_UNABLE_TO_FREE_VM);
      }
      this.deleteVad(process, vad);
      return { status: STATUS_SUCCESS, baseAddress: vad.start, regionSize: vad.end - vad.start };
    }
    const start = PAGE_ALIGN(baseAddress);
    const end = regionSize === 0 ? vad.end : Math.ceil((baseAddress + regionSize) / PAGE_SIZE) * PAGE_SIZE;
    if (end > vad.end) return fail(STATUS_UNABLE_TO_FREE_VM);
    const released = vad.commit.committed((start - vad.start) / PAGE_SIZE, (end - vad.start) / PAGE_SIZE);
    this.setProtection(process, vad, start, end, 0);
    this.k.pfn.commitment.MiReturnCommitment(released);
    return { status: STATUS_SUCCESS, baseAddress: start, regionSize: end - start };
  }

  /** NtProtectVirtualMemory over committed private pages; returns the old protection of the first page. */
  NtProtectVirtualMemory(process: MmProcess, baseAddress: number, regionSize: number, newProtect: number):
    { status: number; baseAddress: number; regionSize: number; oldProtect: number } {
    const fail = (status: number) => ({ status, baseAddress, regionSize, oldProtect: 0 });
    if (!Number.isInteger(baseAddress) || baseAddress < 0 || baseAddress > this.k.layout.highestUserAddress) return fail(STATUS_INVALID_PARAMETER_2);
    if (!Number.isInteger(regionSize) || regionSize < 0) return fail(STATUS_INVALID_PARAMETER_3);
    const start = PAGE_ALIGN(baseAddress);
    const end = Math.ceil((baseAddress + Math.max(regionSize, 1)) / PAGE_SIZE) * PAGE_SIZE;
    if (!isValidProtection(newProtect)) return fail(STATUS_INVALID_PAGE_PROTECTION);
    const vad = process.VadRoot.find(start);
    if (vad?.kind === 'mapped' && end <= vad.end) {
      const { status, oldProtect } = MiProtectView(this.k, process, vad, start, end, newProtect);
      return status === STATUS_SUCCESS ? { status, baseAddress: start, regionSize: end - start, oldProtect } : fail(status);
    }
    if (!vad || vad.kind !== 'private' || end > vad.end) return fail(STATUS_CONFLICTING_ADDRESSES);
    const first = (start - vad.start) / PAGE_SIZE;
    const old = vad.commit.get(first);
    if (!vad.commit.every(first, (end - vad.start) / PAGE_SIZE, (p) => p !== 0)) return fail(STATUS_NOT_COMMITTED);
    this.setProtection(process, vad, start, end, newProtect);
    return { status: STATUS_SUCCESS, baseAddress: start, regionSize: end - start, oldProtect: old };
  }

  /** NtQueryVirtualMemory(MemoryBasicInformation). */
  NtQueryVirtualMemory(process: MmProcess, baseAddress: number): { status: number; buffer?: MemoryBasicInformation } {
    const l = this.k.layout;
    if (!Number.isInteger(baseAddress) || baseAddress < 0 || baseAddress > l.highestUserAddress) return { status: STATUS_INVALID_PARAMETER_2 };
    const page = PAGE_ALIGN(baseAddress);
    const vad = process.VadRoot.find(page);
    if (!vad) {
      const next = process.VadRoot.vads.find((v) => v.start > page)?.start ?? l.highestUserAddress + 1;
      return { status: STATUS_SUCCESS, buffer: { BaseAddress: page, AllocationBase: 0, AllocationProtect: 0, RegionSize: next - page, State: MEM_FREE, Protect: PAGE_NOACCESS, Type: 0 } };
    }
    if (vad.kind === 'mapped') return { status: STATUS_SUCCESS, buffer: this.MiQueryView(vad, page) };
    const run = vad.commit.runAt((page - vad.start) / PAGE_SIZE);
    const first = run.protect;
    const end = vad.start + run.end * PAGE_SIZE;
    return {
      status: STATUS_SUCCESS,
      buffer: {
        BaseAddress: page, AllocationBase: vad.start, AllocationProtect: vad.protection, RegionSize: end - page,
        State: first === 0 ? MEM_RESERVE : MEM_COMMIT, Protect: first, Type: MEM_PRIVATE,
      },
    };
  }

  /**
   * A view's region: the run of pages from `page` that are alike (committed
   * or not, in a SEC_RESERVE section), Type MEM_MAPPED.
   */
  private MiQueryView(vad: Vad, page: number): MemoryBasicInformation {
    const view = vad.view!;
    const indexOf = (va: number): number => view.firstPage + (va - vad.start) / PAGE_SIZE;
    const committed = view.segment.isCommitted(indexOf(page));
    const protection = MiViewPageProtection(vad, page);
    let end = page + PAGE_SIZE;
    while (end < vad.end && view.segment.isCommitted(indexOf(end)) === committed && MiViewPageProtection(vad, end) === protection) end += PAGE_SIZE;
    return {
      BaseAddress: page, AllocationBase: vad.start, AllocationProtect: vad.protection, RegionSize: end - page,
      State: committed ? MEM_COMMIT : MEM_RESERVE, Protect: committed ? protection : 0, Type: MEM_MAPPED,
    };
  }

  /**
   * Resolves a fault on a user address (the caller retries): a view's page
   * is brought in or copied (view.ts), a committed private page touched
   * first gets a zeroed frame. `present`: the PTE was valid (a protection
   * fault, which only a write-copy page resolves).
   */
  resolveFault(process: MmProcess, va: number, access: number, present: boolean): boolean {
    const vad = process.VadRoot.find(va);
    if (vad?.kind === 'mapped') return this.k.views.MiResolveMappedFault(process, vad, va, access, present);
    return !present && this.resolveDemandZero(process, va, access);
  }

  /** Demand-zero: a committed private page touched for the first time gets a zeroed frame. */
  resolveDemandZero(process: MmProcess, va: number, access: number): boolean {
    const vad = process.VadRoot.find(va);
    if (!vad || vad.kind !== 'private') return false;
    const page = PAGE_ALIGN(va);
    const protect = vad.commit.get((page - vad.start) / PAGE_SIZE);
    if (protect === 0 || !permits(protect, access)) return false;
    if (vad.frames.has(page)) return false; // it has a frame: this is a protection fault
    // The page and its page tables were charged when it was committed, so the frames are there.
    const pfn = this.k.pfn.removeZeroPage(PfnUse.Private);
    if (pfn < 0) throw new EmulatorError(`no frame for committed page ${this.k.formatAddress(page)}: the commit charge did not cover it`);
    if (!this.k.pageTables.MiWriteValidPte(process.DirectoryTableBase, page, pfn, attributesFor(protect, true)!, process.pageTableFrames)) {
      throw new EmulatorError(`no page table for committed page ${this.k.formatAddress(page)}: the commit charge did not cover it`);
    }
    vad.frames.set(page, pfn);
    return true;
  }

  /**
   * Sets the commit protection of [start, end) (0 decommits), then brings
   * the pages that hold a frame in line: their PTE is rewritten, dropped and
   * kept (PAGE_NOACCESS keeps the contents), or freed with the frame.
   */
  private setProtection(process: MmProcess, vad: Vad, start: number, end: number, protect: number): void {
    vad.commit.set((start - vad.start) / PAGE_SIZE, (end - vad.start) / PAGE_SIZE, protect);
    const root = process.DirectoryTableBase;
    const attributes = protect === 0 ? undefined : attributesFor(protect, true);
    // Decommitted pages that were trimmed lose their transition frame or pagefile slot (working-set.ts).
    if (protect === 0) this.k.workingSets.MiDeleteSoftwarePtes(root, start, end);
    for (const [va, pfn] of [...vad.frames]) {
      if (va < start || va >= end) continue;
      this.MiDeletePte(root, va, pfn);
      if (attributes) this.k.pageTables.MiWriteValidPte(root, va, pfn, attributes, process.pageTableFrames);
      else if (protect === 0) {
        vad.frames.delete(va);
        this.k.pfn.freePage(pfn);
      }
    }
  }

  /** Removes a VAD and its PTEs; private frames are freed, an MDL's frames stay with the MDL. */
  deleteVad(process: MmProcess, vad: Vad): void {
    const root = process.DirectoryTableBase;
    if (vad.kind === 'mapped') {
      this.k.views.MiDeleteView(process, vad);
      return;
    }
    if (vad.kind === 'private') {
      this.k.workingSets.MiDeleteSoftwarePtes(root, vad.start, vad.end);
      for (const [va, pfn] of vad.frames) {
        this.MiDeletePte(root, va, pfn);
        this.k.pfn.freePage(pfn);
      }
      vad.frames.clear();
      this.k.pfn.commitment.MiReturnCommitment(vad.commit.committed(0, VadTree.pages(vad)));
    } else {
      for (let va = vad.start; va < vad.end; va += PAGE_SIZE) this.k.pageTables.MiErasePte(root, va);
    }
    process.VadRoot.remove(vad);
  }

  /**
   * Unmaps a page of a private VAD, which holds frame `pfn` (mapped, or kept
   * without a PTE under PAGE_NOACCESS). When the PFN database says the frame
   * is mapped there and the PTE no longer maps it (erased, or pointed
   * elsewhere, through the self-map), the PTE is corrupt: bug check 0x1A
   * (corruption.ts), not a frame leaked or freed twice.
   */
  private MiDeletePte(root: number, va: number, pfn: number): void {
    const pageTables = this.k.pageTables;
    const mapped = pageTables.maps(pfn, root, va);
    if (pageTables.MiErasePte(root, va) !== pfn && mapped) pageTables.MiReportMissingPte(root, va);
  }

  /**
   * MmCleanProcessAddressSpace: every VAD and the user page tables go when
   * the process exits; the root goes with the process object
   * (MmDeleteProcessAddressSpace), which a driver may still reference.
   */
  MmCleanProcessAddressSpace(process: MmProcess): void {
    for (const vad of [...process.VadRoot.vads]) this.deleteVad(process, vad);
    this.k.pageTables.clearUserHalf(process.DirectoryTableBase, process.pageTableFrames);
    this.k.pfn.commitment.MiReturnPageTables(process.DirectoryTableBase);
    for (const p of this.k.prcbs) p.cpu.mmu.flush(false);
    this.k.forgetTranslations();
  }

  /** MmDeleteProcessAddressSpace: the root, once the process object is deleted. */
  MmDeleteProcessAddressSpace(process: MmProcess): void {
    this.k.pfn.commitment.MiReturnPageTables(process.DirectoryTableBase);
    this.k.pageTables.freeTables(process.pageTableFrames);
  }
}
