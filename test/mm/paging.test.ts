/**
 * Paging: paged pool and private user pages are trimmed (transition PTE),
 * written to the pagefile (pagefile PTE, frame freed) and faulted back in
 * (soft from transition, hard from the pagefile) with their contents; locked
 * and nonpaged pages never are; a fault on a trimmed page at DISPATCH_LEVEL
 * is 0xD1 (a driver's code) or 0x0A (the kernel's), with the parameters the
 * bug check pages give. Both architectures.
 */
import { runProgramChecked } from '../helpers/in-program.js';
import { describe, expect, it } from 'vitest';
import { boot, MachineHalted, type Machine } from 'ntshm';
import { defineDriver, KernelMode, IoWriteAccess, NonPagedPool, PagedPool, PAGE_SIZE, STATUS_SUCCESS, type Nt } from 'ntshm/wdm';
import { MEM_COMMIT, MEM_DECOMMIT, MEM_RESERVE, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { DRIVER_IRQL_NOT_LESS_OR_EQUAL, IRQL_NOT_LESS_OR_EQUAL } from '../../src/include/bugcodes.js';
import { PfnUse } from '../../src/kernel/mm/pfn.js';
import type { Kernel } from '../../src/kernel/kernel.js';

const TAG = 0x6e676150; // 'Pagn'

/** The PTE of a kernel address, as its two halves (high is 0 on x86). */
function pteOf(k: Kernel, va: number): { low: number; high: number } {
  const pa = k.pageTables.ptePa(k.systemRoot, va, false, undefined);
  return { low: k.memory.read32(pa), high: k.arch === 'x64' ? k.memory.read32(pa + 4) : 0 };
}

/** A page of paged pool holding a known word at +0x123 & ~3. */
function pagedPage(k: Kernel): { va: number; pfn: number } {
  const va = k.pool.allocate(PagedPool, PAGE_SIZE, TAG);
  k.kernelMemory.setUint32(va + 0x120, 0xfeedf00d);
  return { va, pfn: k.pageTables.frameAt(k.systemRoot, va) };
}

describe.each(['x64', 'x86'] as const)('paging on %s', (arch) => {
  const fresh = () => boot({ arch, memoryMiB: 16 });

  it('a trimmed paged pool page is a transition PTE naming its frame, and a touch brings the same frame back (soft fault)', async () => {
    const k = (await fresh()).kernel;
    const { va, pfn } = pagedPage(k);
    expect(k.workingSets.MiTrimPage(k.systemRoot, va)).toBe(true);
    expect(k.pageTables.frameAt(k.systemRoot, va)).toBe(-1);
    const pte = pteOf(k, va);
    expect(pte.low & 1).toBe(0); // Valid
    expect(pte.low & 0x800).toBe(0x800); // Transition
    expect((pte.low >>> 5) & 0x1f).toBe(4); // MM_READWRITE
    expect(pte.high * 2 ** 20 + (pte.low >>> 12)).toBe(pfn);
    expect(k.kernelMemory.getUint32(va + 0x120)).toBe(0xfeedf00d);
    expect(k.pageTables.frameAt(k.systemRoot, va)).toBe(pfn);
    expect(k.workingSets.snapshot).toMatchObject({ trims: 1, softPageIns: 1, hardPageIns: 0, pageOuts: 0 });
  });

  it('a page left in transition is written to the pagefile, its frame freed, and read back into a new frame (hard fault)', async () => {
    const k = (await fresh()).kernel;
    const { va, pfn } = pagedPage(k);
    k.workingSets.MiTrimPage(k.systemRoot, va);
    k.workingSets.MiWriteModifiedPages();
    expect(k.pfn.use[pfn]).toBe(PfnUse.Free);
    const pte = pteOf(k, va);
    expect(pte.low & 0x801).toBe(0); // neither Valid nor Transition: MMPTE_SOFTWARE
    expect((pte.low >>> 5) & 0x1f).toBe(4);
    expect(arch === 'x64' ? pte.high : pte.low >>> 12).toBeGreaterThan(0); // PageFileHigh
    expect(k.workingSets.snapshot).toMatchObject({ pageOuts: 1, pagefilePagesInUse: 1 });
    // The freed frame is reused: the page's bytes survive only in the pagefile.
    k.memory.u8.fill(0xcc, pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE);
    expect(k.kernelMemory.getUint32(va + 0x120)).toBe(0xfeedf00d);
    expect(k.workingSets.snapshot).toMatchObject({ hardPageIns: 1, pagefilePagesInUse: 0 });
    expect(k.pfn.check()).toEqual([]);
  });

  it('small paged pool blocks on a paged-out page can still be allocated and freed (the pool faults its page back in)', async () => {
    const k = (await fresh()).kernel;
    const a = k.pool.allocate(PagedPool, 0x40, TAG);
    k.kernelMemory.setUint32(a, 0x11223344);
    k.workingSets.MiTrimPagedPool();
    k.workingSets.MiWriteModifiedPages();
    const b = k.pool.allocate(PagedPool, 0x40, TAG);
    expect(b).toBeGreaterThan(a);
    k.workingSets.MiTrimPagedPool();
    k.workingSets.MiWriteModifiedPages();
    k.pool.free(a, TAG);
    k.pool.free(b, TAG);
    expect(k.bugcheck).toBeUndefined();
    expect(k.workingSets.snapshot.pagefilePagesInUse).toBe(0);
  });

  it('freeing a paged-out block releases its pagefile page', async () => {
    const k = (await fresh()).kernel;
    const { va } = pagedPage(k);
    k.workingSets.MiTrimPage(k.systemRoot, va);
    k.workingSets.MiWriteModifiedPages();
    const free = k.pfn.freeCount;
    k.pool.free(va, TAG);
    expect(k.workingSets.snapshot.pagefilePagesInUse).toBe(0);
    expect(k.pfn.freeCount).toBe(free);
    expect(k.pfn.check()).toEqual([]);
  });

  it.each<[string, (k: Kernel) => number]>([
    ['nonpaged pool', (k) => k.pool.allocate(NonPagedPool, PAGE_SIZE, TAG)],
    ['KUSER_SHARED_DATA', (k) => k.layout.kernelSharedData],
    ['a page table (through the self-map)', (k) => k.pageTables.MiEntryAddress(k.layout.pagedPool.base, k.format.levels - 1)],
  ])('%s is never trimmed', async (_what, page) => {
    const k = (await fresh()).kernel;
    const va = page(k);
    const before = k.pageTables.frameAt(k.systemRoot, va);
    expect(k.workingSets.MiTrimPage(k.systemRoot, va)).toBe(false);
    k.workingSets.MmWorkingSetManager();
    expect(k.pageTables.frameAt(k.systemRoot, va)).toBe(before);
  });

  it('a paged pool page locked by an MDL is never trimmed, and is trimmed again once unlocked', async () => {
    const k = (await fresh()).kernel;
    const { va, pfn } = pagedPage(k);
    const mdl = k.mdl.IoAllocateMdl(va, PAGE_SIZE, false, false, null)!;
    k.mdl.MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess);
    k.workingSets.MmWorkingSetManager();
    expect(k.pageTables.frameAt(k.systemRoot, va)).toBe(pfn);
    k.mdl.MmUnlockPages(mdl);
    k.mdl.IoFreeMdl(mdl);
    k.workingSets.MmWorkingSetManager();
    expect(k.pageTables.frameAt(k.systemRoot, va)).toBe(-1);
  });

  it('a trimmed paged pool page touched by the kernel at DISPATCH_LEVEL is 0x0A (address, IRQL 2, write 1, instruction)', async () => {
    const k = (await fresh()).kernel;
    const { va } = pagedPage(k);
    k.workingSets.MiTrimPage(k.systemRoot, va);
    k.ke.KeRaiseIrql(2);
    expect(() => k.kernelMemory.setUint32(va + 8, 1)).toThrow(MachineHalted);
    expect(k.bugcheck?.code).toBe(IRQL_NOT_LESS_OR_EQUAL);
    expect(k.bugcheck?.params).toEqual([va + 8, 2, 1, 0]);
    expect(k.bugcheck?.explanation).toMatch(/trimmed \(its PTE is a transition PTE\)/);
  });

  it('with the verifier, a raise to DISPATCH_LEVEL trims paged pool: a driver reading it there is 0xD1 (address, 2, 0, its code)', async () => {
    const machine = await boot({ arch, memoryMiB: 16, verifier: true });
    let va = 0;
    const status = machine.loadDriver('PagedTouch', defineDriver({
      name: 'PagedTouch',
      DriverEntry(nt: Nt): number {
        va = nt.ExAllocatePoolWithTag(PagedPool, 0x100, 'Pagd');
        nt.setUint32(va, 7);
        nt.KeRaiseIrql(2);
        nt.getUint32(va + 4);
        return STATUS_SUCCESS;
      },
    }));
    expect(status).not.toBe(STATUS_SUCCESS);
    const b = machine.bugcheck;
    expect(b?.code).toBe(DRIVER_IRQL_NOT_LESS_OR_EQUAL);
    expect(b?.params.slice(0, 3)).toEqual([va + 4, 2, 0]);
    const d = machine.kernel.io.drivers.get('PAGEDTOUCH')!;
    expect(b!.params[3]).toBeGreaterThanOrEqual(d.DriverStart);
    expect(b!.params[3]).toBeLessThan(d.DriverStart + d.DriverSize);
    expect(b?.stack[0]).toBe('PagedTouch!DriverEntry');
  });

  it('memoryPressure low trims only once free frames fall under an eighth of memory', async () => {
    const k = (await boot({ arch, memoryMiB: 16, memoryPressure: 'low' })).kernel;
    const { va } = pagedPage(k);
    k.workingSets.onTick('low');
    expect(k.pageTables.frameAt(k.systemRoot, va)).toBeGreaterThan(0);
    const filler: number[] = [];
    while (k.pfn.freeCount >= k.pfn.total / 8) filler.push(k.pool.allocate(NonPagedPool, PAGE_SIZE, TAG));
    k.workingSets.onTick('low');
    expect(k.pageTables.frameAt(k.systemRoot, va)).toBe(-1);
    expect(k.kernelMemory.getUint32(va + 0x120)).toBe(0xfeedf00d);
  });

  it('boot refuses a memoryPressure it does not know', async () => {
    await expect(boot({ arch, memoryPressure: 'extreme' as 'high' })).rejects.toThrow(/memoryPressure must be 'none', 'low' or 'high'/);
  });

  describe('private user pages', () => {
    const runProgram = (machine: Machine, main: (k32: K32) => Promise<void> | void) => runProgramChecked(machine, main, 'paging-test.exe');

    it('under high memory pressure are paged out and back in with their contents, and freed with the process', async () => {
      const machine = await boot({ arch, memoryMiB: 16, memoryPressure: 'high' });
      const seen: number[] = [];
      await runProgram(machine, async (k32) => {
        const base = k32.VirtualAlloc(0, 4 * PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        for (let i = 0; i < 4; i++) k32.setUint32(base + i * PAGE_SIZE, 0x1000 + i);
        // Each wake-up is a clock tick (idle ticks are coalesced): the first trims, the next writes out.
        for (let i = 0; i < 4; i++) await k32.Sleep(50);
        for (let i = 0; i < 4; i++) seen.push(k32.getUint32(base + i * PAGE_SIZE));
      });
      expect(seen).toEqual([0x1000, 0x1001, 0x1002, 0x1003]);
      const paging = machine.report().paging;
      expect(paging.pageOuts).toBeGreaterThanOrEqual(4);
      expect(paging.hardPageIns).toBeGreaterThanOrEqual(4);
      expect(machine.kernel.pfn.check()).toEqual([]);
    });

    it('a decommitted trimmed page loses its contents: committed again, it is demand-zero', async () => {
      const machine = await boot({ arch, memoryMiB: 16 });
      const k = machine.kernel;
      let value = -1;
      await runProgram(machine, async (k32) => {
        const base = k32.VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        k32.setUint32(base, 0xabcdef);
        k.workingSets.MiTrimProcess(k.currentProcess);
        k.workingSets.MiWriteModifiedPages();
        const root = k.currentProcess.DirectoryTableBase;
        expect(k.workingSets.MiTrimmedState(root, base)).toBe('pagefile');
        k32.VirtualFree(base, PAGE_SIZE, MEM_DECOMMIT);
        expect(k.workingSets.MiTrimmedState(root, base)).toBeUndefined();
        k32.VirtualAlloc(base, PAGE_SIZE, MEM_COMMIT, PAGE_READWRITE);
        value = k32.getUint32(base);
      });
      expect(value).toBe(0);
    });
  });
});
