/**
 * What the audit of the MDL code found (issue 9, item 2), each with the test
 * that would have caught it:
 * - MmMapLockedPagesSpecifyCache(UserMode) refuses an unaligned
 *   RequestedAddress and one in the last 64 KB of user space with
 *   STATUS_INVALID_ADDRESS (kmtests MmMapLockedPagesSpecifyCache_user.c);
 * - MmGetSystemAddressForMdlSafe(NULL) faults reading Mdl->MdlFlags, as the macro does;
 * - IoAllocateMdl(SecondaryBuffer = TRUE) with no Irp->MdlAddress faults on NULL->Next (ReactOS iomdl.c);
 * - bug-check parameters as the pages give them: 0xC4/0x7F, 0xC4/0xB6,
 *   0xC4/0xB4, 0x1A/0x1236, 0x3F.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import {
  IoReadAccess, KernelMode, MDL_MAPPED_TO_SYSTEM_VA, MDL_PARTIAL, MmCached, NonPagedPool, NormalPagePriority, PagedPool, PAGE_SIZE,
  STATUS_ACCESS_VIOLATION, STATUS_INVALID_ADDRESS, UserMode, type Nt,
} from 'ntshm/wdm';
import { DRIVER_VERIFIER_DETECTED_VIOLATION, MEMORY_MANAGEMENT, NO_MORE_SYSTEM_PTES } from '../../src/include/bugcodes.js';
import { call, testDriver } from '../helpers/test-driver.js';
import { ARCHES, raised, withOps } from './mdl-helpers.js';

const STATUS_CONFLICTING_ADDRESSES = 0xc0000018;

async function inDriverEntry(arch: (typeof ARCHES)[number], verifier: boolean, body: (nt: Nt, m: Machine) => void): Promise<Machine> {
  const machine = await boot({ arch, verifier });
  const driver = testDriver({ entry: (nt) => body(nt, machine) });
  machine.loadDriver(driver.name, driver.definition);
  return machine;
}

describe.each(ARCHES)('MDL audit fixes on %s', (arch) => {
  it('MmMapLockedPagesSpecifyCache(UserMode) with a RequestedAddress: unaligned or in the top 64 KB raises STATUS_INVALID_ADDRESS', async () => {
    // kmtests MmMapLockedPagesSpecifyCache_user.c: "ask for an unaligned address" (Buffer + 2048),
    // "near MmHighestUserAddress" (HighestAddress - 15 pages: INVALID_ADDRESS) and
    // "far enough away" (HighestAddress - 16 pages: SUCCESS or CONFLICTING_ADDRESSES).
    const highest = arch === 'x64' ? 0x7fff_fffe_ffff : 0x7ffe_ffff;
    const highestPage = highest - (highest % PAGE_SIZE);
    const seen: [string, number, number][] = [];
    const { result } = await withOps(arch, {
      0x800: ({ nt }) => {
        const buffer = nt.ExAllocatePool(NonPagedPool, PAGE_SIZE);
        const mdl = nt.IoAllocateMdl(buffer, PAGE_SIZE, false, false, null)!;
        nt.MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
        const free = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
        nt.MmUnmapLockedPages(free, mdl);
        const cases: [string, number][] = [
          ['the address just freed', free], ['unaligned (+2048)', free + 2048],
          ['HighestAddress - 15 pages', highestPage - 15 * PAGE_SIZE], ['HighestAddress - 16 pages', highestPage - 16 * PAGE_SIZE],
        ];
        for (const [what, requested] of cases) {
          let va = 0;
          const status = raised(() => { va = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, requested, false, NormalPagePriority); });
          seen.push([what, status, va === 0 ? 0 : va - requested]);
          if (va) nt.MmUnmapLockedPages(va, mdl);
        }
        nt.MmUnlockPages(mdl);
        nt.IoFreeMdl(mdl);
        nt.ExFreePool(buffer);
      },
    }, async (k32, h) => {
      await call(k32, h, 0x800);
    });
    expect(result.bugcheck).toBeUndefined();
    expect(seen.slice(0, 3)).toEqual([
      ['the address just freed', 0, 0], ['unaligned (+2048)', STATUS_INVALID_ADDRESS, 0], ['HighestAddress - 15 pages', STATUS_INVALID_ADDRESS, 0],
    ]);
    expect([0, STATUS_CONFLICTING_ADDRESSES]).toContain(seen[3]![1]);
  });

  it('MmGetSystemAddressForMdlSafe(NULL) faults reading MdlFlags: catchable as STATUS_ACCESS_VIOLATION, fatal if not caught', async () => {
    const seen = { caught: 0 };
    const { result } = await withOps(arch, {
      0x800: ({ nt }) => {
        seen.caught = raised(() => nt.MmGetSystemAddressForMdlSafe(null, NormalPagePriority));
      },
      0x801: ({ nt }) => {
        nt.MmGetSystemAddressForMdlSafe(null, NormalPagePriority);
      },
    }, async (k32, h) => {
      await call(k32, h, 0x800);
      await call(k32, h, 0x801);
    });
    expect(seen.caught).toBe(STATUS_ACCESS_VIOLATION);
    expect(result.bugcheck).toBeDefined();
    expect(result.bugcheck?.params).toContain(STATUS_ACCESS_VIOLATION);
  });

  it('IoAllocateMdl(SecondaryBuffer = TRUE) chains after Irp->MdlAddress, and with none faults on NULL->Next', async () => {
    const seen = { chained: false, status: -1, primaryAfter: null as unknown };
    const { result } = await withOps(arch, {
      0x800: ({ nt, irp }) => {
        const buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
        irp.MdlAddress = null;
        seen.status = raised(() => nt.IoAllocateMdl(buffer, 0x100, true, false, irp));
        seen.primaryAfter = irp.MdlAddress;
        const primary = nt.IoAllocateMdl(buffer, 0x100, false, false, irp)!;
        const secondary = nt.IoAllocateMdl(buffer, 0x80, true, false, irp)!;
        seen.chained = (irp.MdlAddress as unknown) === primary && primary.Next === secondary;
        irp.MdlAddress = null;
        (primary as { Next: unknown }).Next = null;
        nt.IoFreeMdl(secondary);
        nt.IoFreeMdl(primary);
        nt.ExFreePool(buffer);
      },
    }, async (k32, h) => {
      await call(k32, h, 0x800);
    });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual({ chained: true, status: STATUS_ACCESS_VIOLATION, primaryAfter: null });
  });

  describe('bug-check parameters', () => {
    it('0xC4/0x7F (MmBuildMdlForNonPagedPool over paged pool): IRQL, MDL, MDL flags', async () => {
      const seen = { mdl: 0, flags: 0 };
      const m = await inDriverEntry(arch, true, (nt) => {
        const buffer = nt.ExAllocatePool(PagedPool, 0x100);
        const mdl = nt.IoAllocateMdl(buffer, 0x100, false, false, null)!;
        Object.assign(seen, { mdl: mdl.address, flags: mdl.MdlFlags });
        nt.MmBuildMdlForNonPagedPool(mdl);
      });
      expect(m.bugcheck?.code).toBe(DRIVER_VERIFIER_DETECTED_VIOLATION);
      expect(m.bugcheck?.params).toEqual([0x7f, 0, seen.mdl, seen.flags]);
    });

    it('0xC4/0xB6 (unmapping a system address that is not the MDL\'s mapping): MDL, flags, the missing MDL_MAPPED_TO_SYSTEM_VA', async () => {
      const seen = { mdl: 0, flags: 0 };
      const m = await inDriverEntry(arch, true, (nt) => {
        const buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
        const mdl = nt.IoAllocateMdl(buffer, 0x100, false, false, null)!;
        nt.MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
        Object.assign(seen, { mdl: mdl.address, flags: mdl.MdlFlags });
        nt.MmUnmapLockedPages(buffer, mdl);
      });
      expect(m.bugcheck?.params).toEqual([0xb6, seen.mdl, seen.flags, MDL_MAPPED_TO_SYSTEM_VA]);
    });

    it('0xC4/0xB4 (MmUnlockPages of a partial MDL): MDL, flags, MDL_PARTIAL', async () => {
      const seen = { mdl: 0, flags: 0 };
      const m = await inDriverEntry(arch, true, (nt) => {
        const buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
        const source = nt.IoAllocateMdl(buffer, 0x100, false, false, null)!;
        nt.MmProbeAndLockPages(source, KernelMode, IoReadAccess);
        const partial = nt.IoAllocateMdl(buffer, 0x100, false, false, null)!;
        nt.IoBuildPartialMdl(source, partial, buffer, 0x10);
        Object.assign(seen, { mdl: partial.address, flags: partial.MdlFlags });
        nt.MmUnlockPages(partial);
      });
      expect(m.bugcheck?.params).toEqual([0xb4, seen.mdl, seen.flags, MDL_PARTIAL]);
    });

    it('0x1A/0x1236 (mapping an MDL never locked): MDL, the address of its first PFN entry, the PFN it holds', async () => {
      const seen = { mdl: 0 };
      const m = await inDriverEntry(arch, false, (nt) => {
        const mdl = nt.IoAllocateMdl(0x10_0000, 0x100, false, false, null)!;
        seen.mdl = mdl.address;
        nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
      });
      expect(m.bugcheck?.code).toBe(MEMORY_MANAGEMENT);
      expect(m.bugcheck?.params).toEqual([0x1236, seen.mdl, seen.mdl + (arch === 'x64' ? 0x30 : 0x1c), 0]);
    });

    it('0x3F (no system PTEs left, BugCheckOnFailure): 0, the pages asked, the free and the total system PTEs', async () => {
      const seen = { free: 0, total: 0, left: -1 };
      const m = await inDriverEntry(arch, false, (nt, machine) => {
        const ptes = machine.kernel.systemPtes;
        const buffer = nt.ExAllocatePool(NonPagedPool, 2 * PAGE_SIZE);
        const mdl = nt.IoAllocateMdl(buffer, 2 * PAGE_SIZE, false, false, null)!;
        nt.MmBuildMdlForNonPagedPool(mdl);
        // Leave one system PTE: MmMapIoSpace takes all the others at once (frames from 1 up).
        const io = nt.MmMapIoSpace(BigInt(PAGE_SIZE), (ptes.total - ptes.pagesInUse - 1) * PAGE_SIZE, MmCached);
        seen.left = io === 0 ? -2 : ptes.total - ptes.pagesInUse;
        Object.assign(seen, { free: ptes.total - ptes.pagesInUse, total: ptes.total });
        const locked = nt.IoAllocateMdl(buffer, 2 * PAGE_SIZE, false, false, null)!;
        nt.MmProbeAndLockPages(locked, KernelMode, IoReadAccess);
        nt.MmMapLockedPages(locked, KernelMode);
      });
      expect(seen.left).toBe(1);
      expect(m.bugcheck?.code).toBe(NO_MORE_SYSTEM_PTES);
      expect(m.bugcheck?.params).toEqual([0, 2, seen.free, seen.total]);
    });
  });
});
