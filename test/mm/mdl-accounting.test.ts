/**
 * Locked pages are counted per frame, per MDL and per process
 * (mm/mdl-lock.ts): an MDL that holds no locks never subtracts from its
 * process's count, so the bug check names the MDL actually at fault.
 *
 *   0x76 P1 = 1: https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x76--process-has-locked-pages
 *   0x4E P1 = 7: https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x4e--pfn-list-corrupt
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { IoReadAccess, IoWriteAccess, KernelMode, MDL_SOURCE_IS_NONPAGED_POOL, NonPagedPool, PAGE_SIZE, UserMode, type Nt } from 'ntshm/wdm';
import { DRIVER_VERIFIER_DETECTED_VIOLATION, PFN_LIST_CORRUPT, PROCESS_HAS_LOCKED_PAGES } from '../../src/include/bugcodes.js';
import { call, eprocessOf, testDriver } from '../helpers/test-driver.js';
import { ARCHES, commit, withOps } from './mdl-helpers.js';

/** Runs `body` in DriverEntry of a fresh machine; returns the machine (its bug check, if any). */
async function inDriverEntry(arch: (typeof ARCHES)[number], verifier: boolean, body: (nt: Nt, m: Machine) => void): Promise<Machine> {
  const machine = await boot({ arch, verifier });
  const driver = testDriver({ entry: (nt) => body(nt, machine) });
  machine.loadDriver(driver.name, driver.definition);
  return machine;
}

describe.each(ARCHES)('locked-page accounting on %s', (arch) => {
  it('MDL A locks page 1, MDL B page 2, A is unlocked twice: 0x76 P1 = 1 names A, and P3 is B\'s page still locked', async () => {
    const seen = { a: 0, b: 0 };
    const { result } = await withOps(arch, {
      0x800: ({ nt }, [va = 0]) => {
        const a = nt.IoAllocateMdl(va, PAGE_SIZE, false, false, null)!;
        const b = nt.IoAllocateMdl(va + PAGE_SIZE, PAGE_SIZE, false, false, null)!;
        seen.a = a.address;
        seen.b = b.address;
        nt.MmProbeAndLockPages(a, UserMode, IoReadAccess);
        nt.MmProbeAndLockPages(b, UserMode, IoReadAccess);
        nt.MmUnlockPages(a);
        nt.MmUnlockPages(a);
      },
    }, async (k32, h) => {
      await call(k32, h, 0x800, commit(k32, 2 * PAGE_SIZE));
    });
    expect(result.bugcheck?.code).toBe(PROCESS_HAS_LOCKED_PAGES);
    expect(result.bugcheck?.params).toEqual([1, seen.a, 1, 0]);
  });

  it('B left locked while A is unlocked once: the process exits with 0x76 P1 = 0, P2 the process, P3 = 1 page', async () => {
    const seen = { process: 0 };
    const { result } = await withOps(arch, {
      0x800: ({ nt }, [va = 0]) => {
        const a = nt.IoAllocateMdl(va, PAGE_SIZE, false, false, null)!;
        const b = nt.IoAllocateMdl(va + PAGE_SIZE, PAGE_SIZE, false, false, null)!;
        nt.MmProbeAndLockPages(a, UserMode, IoReadAccess);
        nt.MmProbeAndLockPages(b, UserMode, IoReadAccess);
        nt.MmUnlockPages(a);
        seen.process = nt.PsGetCurrentProcess().address;
      },
    }, async (k32, h) => {
      await call(k32, h, 0x800, commit(k32, 2 * PAGE_SIZE));
    });
    expect(result.bugcheck?.code).toBe(PROCESS_HAS_LOCKED_PAGES);
    expect(result.bugcheck?.params).toEqual([0, seen.process, 1, 0]);
  });

  it('two MDLs locking the same page hold two locks on its frame; unlocking one leaves it locked', async () => {
    const seen = { during: 0, afterOne: 0, afterBoth: 0, processAfterOne: 0, processAfterBoth: 0 };
    let machine: Machine | undefined;
    const { result } = await withOps(arch, {
      0x800: ({ nt }, [va = 0]) => {
        const a = nt.IoAllocateMdl(va, 0x10, false, false, null)!;
        const b = nt.IoAllocateMdl(va + 0x20, 0x10, false, false, null)!;
        nt.MmProbeAndLockPages(a, UserMode, IoWriteAccess);
        nt.MmProbeAndLockPages(b, UserMode, IoReadAccess);
        const k = nt.PsGetCurrentProcess();
        const pfn = a.PfnArray[0]!;
        const lockCount = () => machine!.kernel.pfn.lockCount[pfn]!;
        seen.during = lockCount();
        nt.MmUnlockPages(a);
        seen.afterOne = lockCount();
        seen.processAfterOne = k.NumberOfLockedPages;
        nt.MmUnlockPages(b);
        seen.afterBoth = lockCount();
        seen.processAfterBoth = k.NumberOfLockedPages;
        nt.IoFreeMdl(a);
        nt.IoFreeMdl(b);
      },
    }, async (k32, h, m) => {
      machine = m;
      await call(k32, h, 0x800, commit(k32, PAGE_SIZE));
      expect(eprocessOf(m, k32.GetCurrentProcessId()).NumberOfLockedPages).toBe(0);
    });
    expect(result.bugcheck).toBeUndefined();
    expect([seen.during, seen.afterOne, seen.afterBoth]).toEqual([2, 1, 0]);
    expect([seen.processAfterOne, seen.processAfterBoth]).toEqual([1, 0]);
  });

  describe('MmUnlockPages of an MDL that holds no locks', () => {
    type Case = [name: string, verifier: boolean, build: 'never-locked' | 'nonpaged-pool', code: number, p1: number];
    it.each<Case>([
      ['a never-locked MDL, without the verifier: 0x4E PFN_LIST_CORRUPT P1 = 7', false, 'never-locked', PFN_LIST_CORRUPT, 7],
      ['a MmBuildMdlForNonPagedPool MDL, without the verifier: 0x4E P1 = 7', false, 'nonpaged-pool', PFN_LIST_CORRUPT, 7],
      ['a never-locked MDL, with the verifier: 0xC4/0x7C', true, 'never-locked', DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7c],
      ['a MmBuildMdlForNonPagedPool MDL, with the verifier: 0xC4/0x7D', true, 'nonpaged-pool', DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7d],
    ])('%s', async (_name, verifier, build, code, p1) => {
      const seen = { mdl: 0, flags: 0, pfn: 0 };
      const m = await inDriverEntry(arch, verifier, (nt) => {
        const buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
        const mdl = nt.IoAllocateMdl(buffer, 0x100, false, false, null)!;
        if (build === 'nonpaged-pool') nt.MmBuildMdlForNonPagedPool(mdl);
        Object.assign(seen, { mdl: mdl.address, flags: mdl.MdlFlags, pfn: mdl.PfnArray[0] });
        nt.MmUnlockPages(mdl);
      });
      expect(m.bugcheck?.code).toBe(code);
      if (code === PFN_LIST_CORRUPT) {
        // P2 the frame, P3 its share count (one valid PTE for a pool page, none for frame 0), P4 = 0.
        const share = m.kernel.pfn.shareCount[seen.pfn]!;
        expect(m.bugcheck?.params).toEqual([7, seen.pfn, share, 0]);
        expect(share).toBe(build === 'nonpaged-pool' ? 1 : 0);
      } else {
        expect(m.bugcheck?.params).toEqual([p1, seen.mdl, seen.flags, 0]);
        expect(seen.flags & MDL_SOURCE_IS_NONPAGED_POOL).toBe(build === 'nonpaged-pool' ? MDL_SOURCE_IS_NONPAGED_POOL : 0);
      }
    });
  });

  it('a kernel-mode lock of nonpaged pool counts no process pages and unlocks cleanly', async () => {
    const seen = { process: null as unknown, locked: -1, after: -1 };
    const m = await inDriverEntry(arch, false, (nt) => {
      const buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
      const mdl = nt.IoAllocateMdl(buffer, 0x100, false, false, null)!;
      const process = nt.PsGetCurrentProcess();
      const before = process.NumberOfLockedPages;
      nt.MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess);
      seen.process = mdl.Process;
      seen.locked = process.NumberOfLockedPages - before;
      nt.MmUnlockPages(mdl);
      seen.after = process.NumberOfLockedPages - before;
      nt.IoFreeMdl(mdl);
      nt.ExFreePool(buffer);
    });
    expect(m.bugcheck).toBeUndefined();
    expect(seen).toEqual({ process: null, locked: 0, after: 0 });
  });
});
