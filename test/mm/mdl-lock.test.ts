/**
 * Every MDL routine with the flags and fields the WDK documents:
 * IoAllocateMdl, MmBuildMdlForNonPagedPool, MmProbeAndLockPages,
 * MmMapLockedPagesSpecifyCache / MmMapLockedPages (KernelMode and UserMode),
 * MmGetSystemAddressForMdlSafe, MmUnmapLockedPages, MmUnlockPages, IoFreeMdl,
 * and the macros over an MDL. This file: probing and locking, mapping to system space, unlocking and freeing.
 *
 * The routines run where a driver runs them (DriverEntry, a dispatch routine
 * in the caller's context); what they produce is recorded there and checked
 * after the run, and the page tables are read to prove that a mapping is an
 * alias of the same frame, not a copy.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import {
  IoReadAccess, IoWriteAccess, KernelMode, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_SOURCE_IS_NONPAGED_POOL,
  MDL_WRITE_OPERATION, MmCached, MmGetMdlPfnArray, NormalPagePriority, PAGE_SIZE, STATUS_ACCESS_VIOLATION, UserMode,
  type EProcess,
} from 'ntshm/wdm';
import { MEM_COMMIT, MEM_RESERVE, PAGE_READONLY, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { PROCESS_HAS_LOCKED_PAGES } from '../../src/include/bugcodes.js';
import { call, eprocessOf, load, testDriver, type PointerOp } from '../helpers/test-driver.js';
import { ARCHES, commit, raised, withOps } from './mdl-helpers.js';

describe.each(ARCHES)('MDLs on %s', (arch) => {
  describe('MmProbeAndLockPages', () => {
    /** Probes and locks [va, va + length) of the caller with `operation`; records what it saw, then unlocks. */
    function lockOps() {
      const seen = {
        status: -1, flags: 0, process: null as { UniqueProcessId: number } | null, current: null as EProcess | null, pfns: [] as number[],
        lockedDuring: 0, lockedBefore: 0, lockedAfter: 0, flagsAfterUnlock: 0,
      };
      const ops: Record<number, PointerOp> = {
        0x800: ({ nt }, [va = 0, length = 0, operation = 0]) => {
          const mdl = nt.IoAllocateMdl(va, length, false, false, null)!;
          const current = nt.PsGetCurrentProcess();
          seen.current = current;
          seen.lockedBefore = current.NumberOfLockedPages;
          seen.status = raised(() => nt.MmProbeAndLockPages(mdl, UserMode, operation));
          seen.flags = mdl.MdlFlags;
          seen.process = mdl.Process;
          seen.pfns = [...MmGetMdlPfnArray(mdl)];
          seen.lockedDuring = current.NumberOfLockedPages;
          if (seen.status === 0) nt.MmUnlockPages(mdl);
          seen.flagsAfterUnlock = mdl.MdlFlags;
          seen.lockedAfter = current.NumberOfLockedPages;
          nt.IoFreeMdl(mdl);
        },
      };
      return { seen, ops };
    }

    it.each([
      ['IoReadAccess', IoReadAccess, 0],
      ['IoWriteAccess', IoWriteAccess, MDL_WRITE_OPERATION],
    ])('(UserMode, %s) on a program buffer locks its frames for the caller', async (_name, operation, writeFlag) => {
      const { seen, ops } = lockOps();
      const out = { frames: [] as number[] };
      const { process, result } = await withOps(arch, ops, async (k32, h, m) => {
        const va = commit(k32, 3 * PAGE_SIZE); // never touched: the probe makes the pages resident
        await call(k32, h, 0x800, va + 0x10, 2 * PAGE_SIZE, operation);
        const root = eprocessOf(m, k32.GetCurrentProcessId()).DirectoryTableBase;
        out.frames = [0, 1, 2].map((i) => m.kernel.pageTables.frameAt(root, va + i * PAGE_SIZE));
      });
      expect(result.bugcheck).toBeUndefined();
      expect(seen.status).toBe(0);
      expect(seen.flags & MDL_PAGES_LOCKED).toBe(MDL_PAGES_LOCKED);
      expect(seen.flags & MDL_WRITE_OPERATION).toBe(writeFlag);
      expect(seen.flags & MDL_SOURCE_IS_NONPAGED_POOL).toBe(0);
      // Process is the caller (the EPROCESS of the program), and its locked-page count went up by the pages spanned.
      expect(seen.process).toBe(seen.current);
      expect(seen.process?.UniqueProcessId).toBe(process.pid);
      expect(seen.lockedDuring - seen.lockedBefore).toBe(3);
      expect(seen.lockedAfter).toBe(seen.lockedBefore);
      // MmUnlockPages clears MDL_PAGES_LOCKED only; MDL_WRITE_OPERATION stays (ReactOS mdlsup.c MmUnlockPages).
      expect(seen.flagsAfterUnlock & (MDL_PAGES_LOCKED | MDL_WRITE_OPERATION)).toBe(writeFlag);
      expect(out.frames.every((f) => f >= 0)).toBe(true);
      expect(seen.pfns).toEqual(out.frames);
    });

    type Range = (k32: K32, m: Machine) => { va: number; length: number; operation: number };
    it.each<[string, Range]>([
      ['a kernel address', (_k32, m) => ({ va: m.kernel.layout.kernelSharedData, length: 0x10, operation: IoReadAccess })],
      ['an unmapped range', () => ({ va: 0x5000_0000, length: 0x10, operation: IoReadAccess })],
      ['a range whose second page is reserved but not committed', (k32) => {
        const va = k32.VirtualAlloc(0, 2 * PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
        k32.VirtualAlloc(va, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
        return { va, length: 2 * PAGE_SIZE, operation: IoReadAccess };
      }],
      ['a read-only page probed for IoWriteAccess', (k32) => ({ va: commit(k32, PAGE_SIZE, PAGE_READONLY), length: 0x10, operation: IoWriteAccess })],
      ['a range running past the top of user space', (_k32, m) => ({ va: m.kernel.layout.highestUserAddress - 0xf, length: 0x20, operation: IoReadAccess })],
    ])('(UserMode) raises STATUS_ACCESS_VIOLATION for %s and locks nothing', async (_name, range) => {
      const { seen, ops } = lockOps();
      const { result } = await withOps(arch, ops, async (k32, h, m) => {
        const r = range(k32, m);
        await call(k32, h, 0x800, r.va, r.length, r.operation);
      });
      expect(result.bugcheck).toBeUndefined();
      expect(seen.status >>> 0).toBe(STATUS_ACCESS_VIOLATION);
      expect(seen.flags & MDL_PAGES_LOCKED).toBe(0);
      expect(seen.lockedDuring).toBe(seen.lockedBefore);
    });

    it('undoes the locks it took on the first pages when a later page fails', async () => {
      const seen = { status: 0, lockCount: -1, pfn: -1 };
      await withOps(arch, {
        0x800: ({ nt }, [va = 0]) => {
          const mdl = nt.IoAllocateMdl(va, 2 * PAGE_SIZE, false, false, null)!;
          seen.status = raised(() => nt.MmProbeAndLockPages(mdl, UserMode, IoReadAccess));
          nt.IoFreeMdl(mdl);
        },
      }, async (k32, h, m) => {
        const va = k32.VirtualAlloc(0, 2 * PAGE_SIZE, MEM_RESERVE, PAGE_READWRITE);
        k32.VirtualAlloc(va, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
        k32.setUint32(va, 1); // resident
        await call(k32, h, 0x800, va);
        seen.pfn = m.kernel.pageTables.frameAt(eprocessOf(m, k32.GetCurrentProcessId()).DirectoryTableBase, va);
        seen.lockCount = m.kernel.pfn.lockCount[seen.pfn] ?? -1;
      });
      expect(seen.status >>> 0).toBe(STATUS_ACCESS_VIOLATION);
      expect(seen.pfn).toBeGreaterThanOrEqual(0);
      expect(seen.lockCount).toBe(0);
    });
  });

  describe('MmMapLockedPagesSpecifyCache(KernelMode) and MmGetSystemAddressForMdlSafe', () => {
    it('map a locked user buffer into system space as an alias; MmUnlockPages removes that mapping', async () => {
      const seen = {
        kva: 0, safe: 0, safeAgain: 0, flags: 0, mapped: 0, readThroughKva: 0, kvaFrames: [] as number[], pfns: [] as number[],
        flagsAfterUnlock: 0, kvaFrameAfterUnlock: -2, poolBefore: 0, poolAfter: 0,
      };
      let machineRef: Machine | undefined;
      const { result, process } = await withOps(arch, {
        0x800: ({ nt }, [va = 0, length = 0]) => {
          const k = machineRef!.kernel;
          seen.poolBefore = k.pool.nonPagedBytes;
          const mdl = nt.IoAllocateMdl(va, length, false, false, null)!;
          nt.MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
          seen.kva = nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
          seen.flags = mdl.MdlFlags;
          seen.mapped = mdl.MappedSystemVa;
          seen.safe = nt.MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
          seen.readThroughKva = nt.getUint32(seen.kva);
          nt.setUint32(seen.kva + 4, 0xabad_1dea);
          seen.pfns = [...MmGetMdlPfnArray(mdl)];
          seen.kvaFrames = seen.pfns.map((_, i) => k.pageTables.frameAt(k.systemRoot, seen.kva - (seen.kva % PAGE_SIZE) + i * PAGE_SIZE));
          nt.MmUnlockPages(mdl);
          seen.flagsAfterUnlock = mdl.MdlFlags;
          seen.kvaFrameAfterUnlock = k.pageTables.frameAt(k.systemRoot, seen.kva);
          nt.IoFreeMdl(mdl);
          seen.poolAfter = k.pool.nonPagedBytes;
        },
      }, async (k32, h, m) => {
        machineRef = m;
        const va = commit(k32, 2 * PAGE_SIZE);
        k32.setUint32(va + 0x10, 0x7777_0001);
        await call(k32, h, 0x800, va + 0x10, PAGE_SIZE);
        if (k32.getUint32(va + 0x14) !== 0xabad_1dea) throw new Error('the write through the system address did not reach the program');
      });
      expect(result.bugcheck).toBeUndefined();
      expect(process.exitCode).toBe(0);
      expect(seen.kva).toBeGreaterThanOrEqual(machineRef!.kernel.layout.systemRangeStart);
      expect(seen.kva % PAGE_SIZE).toBe(0x10);
      expect(seen.flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED)).toBe(MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED);
      expect(seen.mapped).toBe(seen.kva);
      expect(seen.safe).toBe(seen.kva);
      expect(seen.readThroughKva).toBe(0x7777_0001);
      expect(seen.pfns).toHaveLength(2);
      expect(seen.kvaFrames).toEqual(seen.pfns);
      // MmUnlockPages unmapped the system address first, then unlocked.
      expect(seen.flagsAfterUnlock & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED)).toBe(0);
      expect(seen.kvaFrameAfterUnlock).toBe(-1);
      // The MDL and its system PTEs are gone; pool is back where it was.
      expect(seen.poolAfter).toBe(seen.poolBefore);
    });

    it('MmGetSystemAddressForMdlSafe maps a locked MDL that has no system address yet, once', async () => {
      const seen = { flagsBefore: 0, safe: 0, again: 0, flags: 0 };
      await withOps(arch, {
        0x800: ({ nt }, [va = 0]) => {
          const mdl = nt.IoAllocateMdl(va, 0x100, false, false, null)!;
          nt.MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
          seen.flagsBefore = mdl.MdlFlags;
          seen.safe = nt.MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
          seen.again = nt.MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
          seen.flags = mdl.MdlFlags;
          nt.MmUnlockPages(mdl);
          nt.IoFreeMdl(mdl);
        },
      }, async (k32, h) => {
        const va = commit(k32, PAGE_SIZE);
        await call(k32, h, 0x800, va);
      });
      expect(seen.flagsBefore & MDL_MAPPED_TO_SYSTEM_VA).toBe(0);
      expect(seen.safe).not.toBe(0);
      expect(seen.again).toBe(seen.safe);
      expect(seen.flags & MDL_MAPPED_TO_SYSTEM_VA).toBe(MDL_MAPPED_TO_SYSTEM_VA);
    });
  });

  describe('MmUnlockPages', () => {
    it('twice on the same MDL is bug check 0x76 PROCESS_HAS_LOCKED_PAGES with P1 = 1, P2 = the MDL, P3 = the locked count', async () => {
      const seen = { mdl: 0 };
      const { result, machine } = await withOps(arch, {
        0x800: ({ nt }, [va = 0]) => {
          const mdl = nt.IoAllocateMdl(va, 0x100, false, false, null)!;
          seen.mdl = mdl.address;
          nt.MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
          nt.MmUnlockPages(mdl);
          nt.MmUnlockPages(mdl);
        },
      }, async (k32, h) => {
        await call(k32, h, 0x800, commit(k32, PAGE_SIZE));
      });
      expect(result.bugcheck?.code).toBe(PROCESS_HAS_LOCKED_PAGES);
      expect(result.bugcheck?.params).toEqual([1, seen.mdl, 0, 0]);
      expect(result.bugcheck?.stack[0]).toBe('TestDrv!DispatchControl');
      expect(machine.bugcheck).toBe(result.bugcheck);
    });
  });

  describe('IoFreeMdl', () => {
    it('gives back the MDL\'s pool: nonpaged bytes return to the baseline', async () => {
      const seen = { baseline: 0, during: 0, after: 0 };
      const machine = await boot({ arch });
      const driver = testDriver({
        entry: (nt) => {
          const k = machine.kernel;
          seen.baseline = k.pool.nonPagedBytes;
          const mdls = [1, 0x17, 0x18, 0x40].map((pages) => nt.IoAllocateMdl(0x10_0000, pages * PAGE_SIZE, false, false, null)!);
          seen.during = k.pool.nonPagedBytes;
          for (const m of mdls) nt.IoFreeMdl(m);
          seen.after = k.pool.nonPagedBytes;
        },
      });
      load(machine, driver);
      expect(seen.during).toBeGreaterThan(seen.baseline);
      expect(seen.after).toBe(seen.baseline);
    });
  });
});
