/**
 * Every MDL routine with the flags and fields the WDK documents:
 * IoAllocateMdl, MmBuildMdlForNonPagedPool, MmProbeAndLockPages,
 * MmMapLockedPagesSpecifyCache / MmMapLockedPages (KernelMode and UserMode),
 * MmGetSystemAddressForMdlSafe, MmUnmapLockedPages, MmUnlockPages, IoFreeMdl,
 * and the macros over an MDL. This file: allocating, building, mapping to user mode and unmapping.
 *
 * The routines run where a driver runs them (DriverEntry, a dispatch routine
 * in the caller's context); what they produce is recorded there and checked
 * after the run, and the page tables are read to prove that a mapping is an
 * alias of the same frame, not a copy.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  ADDRESS_AND_SIZE_TO_SPAN_PAGES, MDL_ALLOCATED_FIXED_SIZE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED,
  MDL_SOURCE_IS_NONPAGED_POOL, MdlMappingNoWrite, MmCached, MmGetMdlByteCount, MmGetMdlByteOffset, MmGetMdlPfnArray,
  MmGetMdlVirtualAddress, NonPagedPool, NormalPagePriority, NtException, PAGE_SIZE, STATUS_ACCESS_VIOLATION,
  STATUS_CONFLICTING_ADDRESSES, UserMode, type EProcess, type Mdl,
} from 'ntshm/wdm';
import { ACCESS_EXECUTE, ACCESS_READ, ACCESS_WRITE } from '../../src/hw/mmu.js';
import { PTE_HIGH_NO_EXECUTE, PTE_OWNER, PTE_WRITE } from '../../src/hw/pte.js';
import { bootWith, call, eprocessOf, load, pointerControl, testDriver, type PointerOp } from '../helpers/test-driver.js';
import { ARCHES, commit, mmuAllows, open, pte, raised, withOps } from './mdl-helpers.js';

describe.each(ARCHES)('MDLs on %s', (arch) => {
  describe('IoAllocateMdl', () => {
    it('describes an address with a page offset: StartVa page-aligned, ByteOffset, ByteCount, one PFN per spanned page', async () => {
      const seen: Record<string, number> = {};
      let poolVa = 0;
      const length = PAGE_SIZE + 0x100;
      const machine = await boot({ arch });
      const driver = testDriver({
        entry: (nt) => {
          poolVa = nt.ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, 'Test');
          const before = machine.stats().pool.nonPagedBytes;
          const mdl = nt.IoAllocateMdl(poolVa + 0x10, length, false, false, null)!;
          Object.assign(seen, {
            StartVa: mdl.StartVa, ByteOffset: MmGetMdlByteOffset(mdl), ByteCount: MmGetMdlByteCount(mdl),
            VirtualAddress: MmGetMdlVirtualAddress(mdl), pfns: MmGetMdlPfnArray(mdl).length, flags: mdl.MdlFlags, Size: mdl.Size,
            address: mdl.address, charged: machine.stats().pool.nonPagedBytes - before,
            inPool: machine.kernel.pool.allocations.has(mdl.address) ? 1 : 0,
          });
          nt.IoFreeMdl(mdl);
          seen.afterFree = machine.stats().pool.nonPagedBytes - before;
          nt.ExFreePool(poolVa);
        },
      });
      load(machine, driver);
      const ptr = arch === 'x64' ? 8 : 4;
      expect(poolVa % PAGE_SIZE).toBe(0);
      expect(seen.StartVa).toBe(poolVa);
      expect(seen.ByteOffset).toBe(0x10);
      expect(seen.ByteCount).toBe(length);
      expect(seen.VirtualAddress).toBe(poolVa + 0x10);
      expect(seen.pfns).toBe(ADDRESS_AND_SIZE_TO_SPAN_PAGES(poolVa + 0x10, length));
      expect(seen.pfns).toBe(2);
      // A small MDL comes from the fixed-size lookaside; nothing else is set yet.
      expect(seen.flags).toBe(MDL_ALLOCATED_FIXED_SIZE);
      // Size: the MDL header and its PFN array (sizeof(MDL) is 0x30 on x64, 0x1c on x86).
      expect(seen.Size).toBe((arch === 'x64' ? 0x30 : 0x1c) + 2 * ptr);
      // The MDL lives in nonpaged pool, and IoFreeMdl gives it all back.
      expect(seen.address).toBeGreaterThanOrEqual(machine.kernel.layout.systemRangeStart);
      expect(seen.inPool).toBe(1);
      expect(seen.charged).toBeGreaterThan(0);
      expect(seen.afterFree).toBe(0);
    });

    it('splits the article\'s example address 0xAC004010 into StartVa 0xAC004000 and ByteOffset 0x10', async () => {
      let mdl: Mdl | null = null;
      const driver = testDriver({
        entry: (nt) => {
          mdl = nt.IoAllocateMdl(0xac00_4010, 0x20, false, false, null);
        },
      });
      await bootWith([driver], { arch });
      const m = mdl as Mdl | null;
      expect(m).not.toBeNull();
      expect(m!.StartVa).toBe(0xac00_4000);
      expect(m!.ByteOffset).toBe(0x10);
      expect(MmGetMdlVirtualAddress(m!)).toBe(0xac00_4010);
      expect(MmGetMdlPfnArray(m!).length).toBe(1);
    });

    it.each([
      [1, true],
      [0x17, true], // the largest MDL the I/O manager's fixed-size lookaside holds
      [0x18, false],
      [0x100, false],
    ])('an MDL spanning %i pages has MDL_ALLOCATED_FIXED_SIZE: %s', async (pages, fixed) => {
      const seen = { flags: -1, pfns: -1 };
      const driver = testDriver({
        entry: (nt) => {
          const mdl = nt.IoAllocateMdl(0x10_0000, pages * PAGE_SIZE, false, false, null)!;
          seen.flags = mdl.MdlFlags;
          seen.pfns = MmGetMdlPfnArray(mdl).length;
          nt.IoFreeMdl(mdl);
        },
      });
      await bootWith([driver], { arch });
      expect(seen.pfns).toBe(pages);
      expect((seen.flags & MDL_ALLOCATED_FIXED_SIZE) !== 0).toBe(fixed);
    });

    it('returns NULL for a length of 4 GB (more than one MDL can describe)', async () => {
      let result: Mdl | null | undefined;
      const driver = testDriver({ entry: (nt) => void (result = nt.IoAllocateMdl(0x10_0000, 2 ** 32, false, false, null)) });
      await bootWith([driver], { arch });
      expect(result).toBeNull();
    });

    it('with an IRP, becomes Irp->MdlAddress, and a secondary buffer is chained after it', async () => {
      const seen = { first: false, second: false, nextOk: false };
      await withOps(arch, {
        0x800: ({ nt, irp }) => {
          const a = nt.IoAllocateMdl(0x10_0000, 0x10, false, false, irp)!;
          const b = nt.IoAllocateMdl(0x20_0000, 0x10, true, false, irp)!;
          seen.first = irp.MdlAddress === a;
          seen.nextOk = a.Next === b;
          seen.second = b.Next === null;
          // Never locked: take them back off the IRP before it completes, and free them.
          irp.MdlAddress = null;
          nt.IoFreeMdl(a);
          nt.IoFreeMdl(b);
        },
      }, async (k32, h) => void (await call(k32, h, 0x800)));
      expect(seen).toEqual({ first: true, second: true, nextOk: true });
    });
  });

  describe('MmBuildMdlForNonPagedPool', () => {
    it('fills the PFN array with the frames behind the pool, sets MDL_SOURCE_IS_NONPAGED_POOL and MappedSystemVa, not MDL_PAGES_LOCKED', async () => {
      const seen = { flags: 0, mapped: 0, process: undefined as EProcess | null | undefined, pfns: [] as number[], safe: 0, frames: [] as number[], poolVa: 0 };
      const machine = await boot({ arch });
      const driver = testDriver({
        entry: (nt) => {
          const poolVa = nt.ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, 'Test');
          const mdl = nt.IoAllocateMdl(poolVa + 0x10, 2 * PAGE_SIZE, false, false, null)!;
          nt.MmBuildMdlForNonPagedPool(mdl);
          const k = machine.kernel;
          Object.assign(seen, {
            poolVa, flags: mdl.MdlFlags, mapped: mdl.MappedSystemVa, process: mdl.Process, pfns: [...MmGetMdlPfnArray(mdl)],
            safe: nt.MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority),
            frames: [0, 1, 2].map((i) => k.pageTables.frameAt(k.systemRoot, poolVa + i * PAGE_SIZE)),
          });
          nt.IoFreeMdl(mdl);
          nt.ExFreePool(poolVa);
        },
      });
      load(machine, driver);
      expect(seen.flags & MDL_SOURCE_IS_NONPAGED_POOL).toBe(MDL_SOURCE_IS_NONPAGED_POOL);
      expect(seen.flags & MDL_PAGES_LOCKED).toBe(0);
      expect(seen.flags & MDL_MAPPED_TO_SYSTEM_VA).toBe(0);
      expect(seen.process).toBeNull();
      expect(seen.mapped).toBe(seen.poolVa + 0x10);
      // MmGetSystemAddressForMdlSafe gives the pool address back: no new mapping.
      expect(seen.safe).toBe(seen.poolVa + 0x10);
      // 0x10 + 2 pages spans three pages: the frames of all three, in order.
      expect(seen.pfns).toHaveLength(3);
      expect(seen.frames.every((f) => f >= 0)).toBe(true);
      expect(seen.pfns).toEqual(seen.frames);
    });
  });

  describe('MmMapLockedPagesSpecifyCache(UserMode)', () => {
    /** Driver state shared by the operations below: one nonpaged page at pool + 0x10, described by an MDL. */
    function poolPageOps(options: { priority?: number } = {}) {
      const state = { poolVa: 0, mdl: null as Mdl | null, userVa: 0, pid: 0, flagsAfterMap: 0, caught: 0, pfn: -1 };
      const ops: Record<number, PointerOp> = {
        // MAP(requestedAddress) → [user address]
        0x800: ({ nt }, [requested = 0]) => {
          state.poolVa = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'Test');
          state.mdl = nt.IoAllocateMdl(state.poolVa, PAGE_SIZE, false, false, null)!;
          nt.MmBuildMdlForNonPagedPool(state.mdl);
          nt.setUint32(state.poolVa, 0xcafe_babe);
          state.pfn = MmGetMdlPfnArray(state.mdl)[0]!;
          state.userVa = nt.MmMapLockedPagesSpecifyCache(state.mdl, UserMode, MmCached, requested, false, options.priority ?? NormalPagePriority);
          state.pid = nt.PsGetCurrentProcessId();
          state.flagsAfterMap = state.mdl.MdlFlags;
          return [state.userVa];
        },
        // READ(offset) → [the ULONG at pool + offset, through the kernel address]
        0x801: ({ nt }, [offset = 0]) => [nt.getUint32(state.poolVa + offset)],
        // WRITE(offset, value) through the kernel address
        0x802: ({ nt }, [offset = 0, value = 0]) => void nt.setUint32(state.poolVa + offset, value),
        // MAP_AGAIN(requestedAddress): a second mapping of the same MDL, inside try/except → [status]
        0x803: ({ nt }, [requested = 0]) => {
          state.caught = raised(() => nt.MmMapLockedPagesSpecifyCache(state.mdl, UserMode, MmCached, requested, false, NormalPagePriority));
          return [state.caught];
        },
        // UNMAP and free
        0x804: ({ nt }) => {
          nt.MmUnmapLockedPages(state.userVa, state.mdl);
          nt.IoFreeMdl(state.mdl);
          nt.ExFreePool(state.poolVa);
          state.mdl = null;
        },
      };
      return { state, ops };
    }

    it('maps the same frame into the calling process: writes through either address show through the other', async () => {
      const { state, ops } = poolPageOps();
      const out = { userVa: 0, readByProgram: 0, readByDriver: 0, userFrame: -2, kernelFrame: -2, systemFrame: -2, afterUnmapFrame: -2 };
      const { process, result, machine } = await withOps(arch, ops, async (k32, h, m) => {
        const [userVa = 0] = await call(k32, h, 0x800);
        out.userVa = userVa;
        // Kernel wrote 0xCAFEBABE through the pool address; the program reads it through its own.
        out.readByProgram = k32.getUint32(userVa);
        // The program writes through its address; the driver reads it through the pool address.
        k32.setUint32(userVa + 8, 0x1234_5678);
        [out.readByDriver = 0] = await call(k32, h, 0x801, 8);
        await call(k32, h, 0x802, 12, 0xfeed_f00d);
        const root = eprocessOf(m, k32.GetCurrentProcessId()).DirectoryTableBase;
        out.userFrame = m.kernel.pageTables.frameAt(root, userVa);
        out.kernelFrame = m.kernel.pageTables.frameAt(m.kernel.systemRoot, state.poolVa);
        out.systemFrame = m.kernel.pageTables.frameAt(m.kernel.systemRoot, userVa);
        if (k32.getUint32(userVa + 12) !== 0xfeed_f00d) throw new Error('the driver\'s write did not show through the user address');
        await call(k32, h, 0x804);
        out.afterUnmapFrame = m.kernel.pageTables.frameAt(root, userVa);
      });
      expect(result.bugcheck).toBeUndefined();
      expect(process.exitCode).toBe(0);
      expect(state.pid).toBe(process.pid);
      expect(out.userVa).toBeGreaterThanOrEqual(machine.kernel.layout.lowestUserAddress);
      expect(out.userVa).toBeLessThan(machine.kernel.layout.systemRangeStart);
      expect(out.readByProgram).toBe(0xcafe_babe);
      expect(out.readByDriver).toBe(0x1234_5678);
      // One physical frame, two virtual addresses: the MDL's PFN.
      expect(out.userFrame).toBe(state.pfn);
      expect(out.kernelFrame).toBe(state.pfn);
      // The user mapping is in the caller's address space only, not the System process's.
      expect(out.systemFrame).toBe(-1);
      expect(out.afterUnmapFrame).toBe(-1);
      // A user mapping does not make the MDL "mapped to system VA".
      expect(state.flagsAfterMap & MDL_MAPPED_TO_SYSTEM_VA).toBe(0);
    });

    it('keeps the byte offset: an MDL at pool + 0x10 maps to a user address ending in 0x010', async () => {
      const seen = { userVa: 0, value: 0 };
      await withOps(arch, {
        0x800: ({ nt }) => {
          const poolVa = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'Test');
          const mdl = nt.IoAllocateMdl(poolVa + 0x10, 0x20, false, false, null)!;
          nt.MmBuildMdlForNonPagedPool(mdl);
          nt.setUint32(poolVa + 0x10, 0x0bad_cafe);
          const userVa = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
          seen.userVa = userVa;
          return [userVa];
        },
      }, async (k32, h) => {
        const [userVa = 0] = await call(k32, h, 0x800);
        seen.value = k32.getUint32(userVa);
      });
      expect(seen.userVa % PAGE_SIZE).toBe(0x10);
      expect(seen.value).toBe(0x0bad_cafe);
    });

    it('is user-accessible and writable by default, and never executable', async () => {
      const { ops } = poolPageOps();
      const out = { low: 0, high: 0, read: false, write: false, exec: true };
      await withOps(arch, ops, async (k32, h, m) => {
        const [userVa = 0] = await call(k32, h, 0x800);
        const root = eprocessOf(m, k32.GetCurrentProcessId()).DirectoryTableBase;
        Object.assign(out, pte(m, root, userVa));
        out.read = mmuAllows(m, root, userVa, ACCESS_READ, true);
        out.write = mmuAllows(m, root, userVa, ACCESS_WRITE, true);
        out.exec = mmuAllows(m, root, userVa, ACCESS_EXECUTE, true);
        await call(k32, h, 0x804);
      });
      expect(out.low & PTE_OWNER).toBe(PTE_OWNER);
      expect(out.low & PTE_WRITE).toBe(PTE_WRITE);
      expect(out.read).toBe(true);
      expect(out.write).toBe(true);
      if (arch === 'x64') {
        // x86 without PAE has no NX bit; on x64 the PTE carries it.
        expect((out.high & PTE_HIGH_NO_EXECUTE) !== 0).toBe(true);
        expect(out.exec).toBe(false);
      }
    });

    it('with MdlMappingNoWrite is read-only to the program, while the kernel keeps writing through its address', async () => {
      const { ops } = poolPageOps({ priority: NormalPagePriority | MdlMappingNoWrite });
      const out = { low: 0, writeStatus: 0, read: 0, afterKernelWrite: 0 };
      const { result, process } = await withOps(arch, ops, async (k32, h, m) => {
        const [userVa = 0] = await call(k32, h, 0x800);
        const root = eprocessOf(m, k32.GetCurrentProcessId()).DirectoryTableBase;
        out.low = pte(m, root, userVa).low;
        out.read = k32.getUint32(userVa);
        try {
          k32.setUint32(userVa, 1);
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
          out.writeStatus = e.status;
        }
        await call(k32, h, 0x802, 0, 0x600d_f00d);
        out.afterKernelWrite = k32.getUint32(userVa);
        await call(k32, h, 0x804);
      });
      expect(result.bugcheck).toBeUndefined();
      expect(process.exitCode).toBe(0);
      expect(out.low & PTE_WRITE).toBe(0);
      expect(out.read).toBe(0xcafe_babe);
      expect(out.writeStatus >>> 0).toBe(STATUS_ACCESS_VIOLATION);
      expect(out.afterKernelWrite).toBe(0x600d_f00d);
    });

    it('maps at a free RequestedAddress, and raises STATUS_CONFLICTING_ADDRESSES (catchable) at an occupied one', async () => {
      const { state, ops } = poolPageOps();
      const out = { requested: 0x3000_0000, got: 0, taken: 0, caught: 0, vadsBefore: 0, vadsAfter: 0 };
      const { result } = await withOps(arch, ops, async (k32, h, m) => {
        [out.got = 0] = await call(k32, h, 0x800, out.requested);
        out.taken = commit(k32, 0x1000);
        const process = eprocessOf(m, k32.GetCurrentProcessId());
        out.vadsBefore = process.VadRoot.vads.length;
        [out.caught = 0] = await call(k32, h, 0x803, out.taken);
        out.vadsAfter = process.VadRoot.vads.length;
        // The driver caught it and went on: its first mapping still works.
        if (k32.getUint32(out.got) !== 0xcafe_babe) throw new Error('first mapping lost');
        await call(k32, h, 0x804);
      });
      expect(result.bugcheck).toBeUndefined();
      expect(out.got).toBe(out.requested);
      expect(state.caught >>> 0).toBe(STATUS_CONFLICTING_ADDRESSES);
      expect(out.caught >>> 0).toBe(STATUS_CONFLICTING_ADDRESSES);
      // The failed mapping left nothing behind.
      expect(out.vadsAfter).toBe(out.vadsBefore);
    });

    it('maps into the process the thread is attached to (KeStackAttachProcess), not the one that sent the IRP', async () => {
      const state = { target: null as EProcess | null, poolVa: 0, mdl: null as Mdl | null, userVa: 0, mappedFromPid: 0 };
      const driver = testDriver({
        control: pointerControl({
          // REMEMBER_ME: the driver keeps a reference to the caller's EPROCESS.
          0x800: ({ nt }) => {
            state.target = nt.PsGetCurrentProcess();
            nt.ObReferenceObject(state.target);
          },
          // MAP_INTO_THAT_PROCESS → [user address there]
          0x801: ({ nt }) => {
            state.poolVa = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'Test');
            state.mdl = nt.IoAllocateMdl(state.poolVa, PAGE_SIZE, false, false, null)!;
            nt.MmBuildMdlForNonPagedPool(state.mdl);
            nt.setUint32(state.poolVa, 0x0a77_ac4e);
            state.mappedFromPid = nt.PsGetCurrentProcessId();
            const { apcState } = nt.KeStackAttachProcess(state.target!);
            state.userVa = nt.MmMapLockedPagesSpecifyCache(state.mdl, UserMode, MmCached, 0, false, NormalPagePriority);
            nt.KeUnstackDetachProcess(apcState);
            return [state.userVa];
          },
          // UNMAP (from the target itself) and free
          0x802: ({ nt }) => {
            nt.MmUnmapLockedPages(state.userVa, state.mdl);
            nt.IoFreeMdl(state.mdl);
            nt.ExFreePool(state.poolVa);
            nt.ObDereferenceObject(state.target!);
          },
        }),
      });
      const machine = await bootWith([driver], { arch });
      const out = { targetRead: 0, targetFrame: -2, senderFrame: -2, senderRead: 0 };
      const target = machine.spawn(async (k32) => {
        const h = open(k32, driver.path);
        await call(k32, h, 0x800);
        await k32.Sleep(2000);
        out.targetRead = k32.getUint32(state.userVa);
        out.targetFrame = machine.kernel.pageTables.frameAt(eprocessOf(machine, k32.GetCurrentProcessId()).DirectoryTableBase, state.userVa);
        await call(k32, h, 0x802);
        k32.CloseHandle(h);
        return 0;
      }, { name: 'target.exe' });
      const sender = machine.spawn(async (k32) => {
        await k32.Sleep(1000);
        const h = open(k32, driver.path);
        const [userVa = 0] = await call(k32, h, 0x801);
        out.senderFrame = machine.kernel.pageTables.frameAt(eprocessOf(machine, k32.GetCurrentProcessId()).DirectoryTableBase, userVa);
        try {
          out.senderRead = k32.getUint32(userVa);
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
          out.senderRead = e.status;
        }
        k32.CloseHandle(h);
        return 0;
      }, { name: 'sender.exe' });
      const result = await machine.run();
      expect(result.bugcheck).toBeUndefined();
      expect([target.exitCode, sender.exitCode]).toEqual([0, 0]);
      expect(state.mappedFromPid).toBe(sender.pid);
      expect(out.targetRead).toBe(0x0a77_ac4e);
      expect(out.targetFrame).toBeGreaterThanOrEqual(0);
      expect(out.senderFrame).toBe(-1);
      expect(out.senderRead >>> 0).toBe(STATUS_ACCESS_VIOLATION);
      expect(result.findings.filter((f) => f.kind === 'wrong-process-unmap')).toEqual([]);
    });

    it('MmMapLockedPages(UserMode) maps the same way', async () => {
      const seen = { frameUser: -2, frameKernel: -1, value: 0 };
      await withOps(arch, {
        0x800: ({ nt }) => {
          const poolVa = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'Test');
          const mdl = nt.IoAllocateMdl(poolVa, PAGE_SIZE, false, false, null)!;
          nt.MmBuildMdlForNonPagedPool(mdl);
          nt.setUint32(poolVa, 77);
          const userVa = nt.MmMapLockedPages(mdl, UserMode);
          seen.frameKernel = MmGetMdlPfnArray(mdl)[0]!;
          return [userVa, poolVa, mdl.address];
        },
        0x801: ({ nt }, [userVa = 0, poolVa = 0, mdlAddress = 0]) => {
          nt.MmUnmapLockedPages(userVa, mdlAddress);
          nt.IoFreeMdl(mdlAddress);
          nt.ExFreePool(poolVa);
        },
      }, async (k32, h, m) => {
        const r = await call(k32, h, 0x800);
        const userVa = r[0] ?? 0;
        seen.value = k32.getUint32(userVa);
        seen.frameUser = m.kernel.pageTables.frameAt(eprocessOf(m, k32.GetCurrentProcessId()).DirectoryTableBase, userVa);
        await call(k32, h, 0x801, ...r);
      });
      expect(seen.value).toBe(77);
      expect(seen.frameUser).toBe(seen.frameKernel);
    });
  });

  describe('MmUnmapLockedPages', () => {
    it('from another process leaves the mapping in place and records a wrong-process-unmap finding', async () => {
      const state = { poolVa: 0, mdl: null as Mdl | null, userVa: 0, mappedIn: 0, unmappedIn: [] as number[] };
      const driver = testDriver({
        control: pointerControl({
          0x800: ({ nt }) => {
            state.poolVa = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'Test');
            state.mdl = nt.IoAllocateMdl(state.poolVa, PAGE_SIZE, false, false, null)!;
            nt.MmBuildMdlForNonPagedPool(state.mdl);
            nt.setUint32(state.poolVa, 0x5a5a_5a5a);
            state.userVa = nt.MmMapLockedPagesSpecifyCache(state.mdl, UserMode, MmCached, 0, false, NormalPagePriority);
            state.mappedIn = nt.PsGetCurrentProcessId();
            return [state.userVa];
          },
          0x801: ({ nt }) => {
            state.unmappedIn.push(nt.PsGetCurrentProcessId());
            nt.MmUnmapLockedPages(state.userVa, state.mdl);
          },
          0x802: ({ nt }) => {
            nt.IoFreeMdl(state.mdl);
            nt.ExFreePool(state.poolVa);
          },
        }),
      });
      const machine = await bootWith([driver], { arch });
      const out = { afterWrongUnmap: 0, frameAfterWrong: -2, frameAfterRight: -2, readAfterRight: 0 };
      const owner = machine.spawn(async (k32) => {
        const h = open(k32, driver.path);
        const [userVa = 0] = await call(k32, h, 0x800);
        await k32.Sleep(2000); // the other program tries to unmap meanwhile
        const root = eprocessOf(machine, k32.GetCurrentProcessId()).DirectoryTableBase;
        out.afterWrongUnmap = k32.getUint32(userVa);
        out.frameAfterWrong = machine.kernel.pageTables.frameAt(root, userVa);
        await call(k32, h, 0x801); // the right process this time
        out.frameAfterRight = machine.kernel.pageTables.frameAt(root, userVa);
        try {
          out.readAfterRight = k32.getUint32(userVa);
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
          out.readAfterRight = e.status;
        }
        await call(k32, h, 0x802);
        k32.CloseHandle(h);
        return 0;
      }, { name: 'owner.exe' });
      const other = machine.spawn(async (k32) => {
        await k32.Sleep(1000);
        const h = open(k32, driver.path);
        await call(k32, h, 0x801);
        k32.CloseHandle(h);
        return 0;
      }, { name: 'other.exe' });
      const result = await machine.run();
      expect(result.bugcheck).toBeUndefined();
      expect([owner.exitCode, other.exitCode]).toEqual([0, 0]);
      expect(state.mappedIn).toBe(owner.pid);
      expect(state.unmappedIn).toEqual([other.pid, owner.pid]);
      const findings = result.findings.filter((f) => f.kind === 'wrong-process-unmap');
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ driver: driver.name, routine: 'DispatchControl' });
      // The mapping survived the wrong-process unmap, and went with the right one.
      expect(out.afterWrongUnmap).toBe(0x5a5a_5a5a);
      expect(out.frameAfterWrong).toBeGreaterThanOrEqual(0);
      expect(out.frameAfterRight).toBe(-1);
      expect(out.readAfterRight >>> 0).toBe(STATUS_ACCESS_VIOLATION);
    });
  });
});
