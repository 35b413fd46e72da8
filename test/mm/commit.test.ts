/**
 * The system commit (mm/commit.ts) and who charges it: the limit and the
 * reserve only the kernel may use, the page tables charged with the memory
 * they will map, and the invariant that makes a demand-zero fault on
 * committed memory unable to fail — every frame in use is charged.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { IoWriteAccess, NonPagedPool, PAGE_SIZE, UserMode, type Mdl } from 'ntshm/wdm';
import { MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_READWRITE } from 'ntshm/win32';
import { X64_PAGING, X86_PAGING } from '../../src/hw/pte.js';
import { MmCommitment } from '../../src/kernel/mm/commit.js';
import { commandDriver, commitProblems } from './harness.js';

describe('MmCommitment', () => {
  it('keeps MmSystemCommitReserve (0x500 pages, or an eighth of a small machine) from processes, not from the kernel', () => {
    const c = new MmCommitment(16384);
    expect([c.limit, c.systemReserve]).toEqual([16384, 0x500]);
    expect(new MmCommitment(2047).systemReserve).toBe(255);
    expect(c.MiChargeCommitment(16384 - 0x500, true)).toBe(true);
    expect(c.MiChargeCommitment(1, true)).toBe(false);
    expect(c.availableToProcesses).toBe(0);
    expect(c.MiChargeCommitment(0x500, false)).toBe(true);
    expect(c.MiChargeCommitment(1, false)).toBe(false);
    c.MiReturnCommitment(10);
    expect([c.total, c.peak]).toEqual([16374, 16384]);
  });

  it('refuses a charge that is not a count of pages', () => {
    const c = new MmCommitment(100);
    expect(c.MiChargeCommitment(Number.NaN, false)).toBe(false);
    expect(c.MiChargeCommitment(-1, false)).toBe(false);
    expect(c.total).toBe(0);
  });

  it.each([
    ['x64, one page: a PDPT, a PD and a PT', X64_PAGING, 0x10000, 0x11000, 3],
    ['x64, 4 MiB across two PTs', X64_PAGING, 0x40_0000, 0x80_0000, 4],
    ['x64, across a 1 GiB boundary: two PDs', X64_PAGING, 0x3fff_f000, 0x4000_1000, 5],
    ['x86, one page: one PT', X86_PAGING, 0x10000, 0x11000, 1],
    ['x86, 8 MiB: two PTs', X86_PAGING, 0x40_0000, 0xc0_0000, 2],
  ] as const)('charges the page tables a range will need once per address space (%s)', (_name, format, start, end, tables) => {
    const c = new MmCommitment(1000);
    const keys = c.MiPageTablesToCharge(0x1000, format, start, end);
    expect(keys).toHaveLength(tables);
    expect(c.MiChargeCommitment(keys.length, true)).toBe(true);
    c.MiCommitPageTables(0x1000, keys);
    expect(c.MiPageTablesToCharge(0x1000, format, start, end)).toEqual([]);
    expect(c.MiPageTablesToCharge(0x2000, format, start, end)).toHaveLength(tables); // another address space
    // A table made for this range later costs nothing more; one outside it is charged then.
    expect(c.MiChargePageTable(0x1000, format, format.levels - 1, start)).toBe(true);
    expect(c.total).toBe(tables);
    expect(c.MiChargePageTable(0x1000, format, format.levels - 1, 0x7000_0000)).toBe(true);
    expect(c.total).toBe(tables + 1);
    // The address space's page tables go: all of their charge comes back.
    c.MiReturnPageTables(0x1000);
    expect(c.total).toBe(0);
  });
});

describe.each(['x64', 'x86'] as const)('commit charge on %s', (arch) => {
  it('charges the kernel\'s frames as it takes them: pool pages, and returns them when freed', async () => {
    const machine = await boot({ arch, memoryMiB: 16 });
    const driver = commandDriver();
    expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
    const k = machine.kernel;
    const before = machine.stats().commit.charged;
    let during = 0;
    const program = machine.spawn(async (k32) => {
      const h = driver.open(k32);
      await driver.call(k32, h, (nt) => {
        const base = machine.stats().commit.charged;
        const p = nt.ExAllocatePoolWithTag(NonPagedPool, 16 * PAGE_SIZE, 'Chrg');
        during = machine.stats().commit.charged - base;
        nt.ExFreePool(p);
      });
      k32.CloseHandle(h);
      return 0;
    });
    await machine.run();
    expect(program.exitCode).toBe(0);
    expect(during).toBe(16);
    expect(machine.stats().commit.charged).toBe(before);
    expect(commitProblems(k)).toEqual([]);
  });

  it('a page a driver keeps locked after the program released it stays charged until it is unlocked', async () => {
    const machine = await boot({ arch, memoryMiB: 16 });
    const driver = commandDriver();
    expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
    const k = machine.kernel;
    const before = machine.stats().commit.charged;
    const checks: string[][] = [];
    const program = machine.spawn(async (k32) => {
      const h = driver.open(k32);
      const va = k32.VirtualAlloc(0, PAGE_SIZE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setUint32(va, 1);
      const mdl = await driver.call(k32, h, (nt): Mdl => {
        const m = nt.IoAllocateMdl(va, PAGE_SIZE, false, false, null)!;
        nt.MmProbeAndLockPages(m, UserMode, IoWriteAccess);
        return m;
      });
      k32.VirtualFree(va, 0, MEM_RELEASE); // the frame stays: the MDL holds it
      checks.push(commitProblems(k));
      await driver.call(k32, h, (nt) => {
        nt.MmUnlockPages(mdl);
        nt.IoFreeMdl(mdl);
      });
      checks.push(commitProblems(k));
      k32.CloseHandle(h);
      return 0;
    });
    await machine.run();
    expect(program.exitCode).toBe(0);
    expect(checks).toEqual([[], []]);
    expect(machine.stats().commit.charged).toBe(before);
  });

  it('every frame in use stays charged through a program\'s random commits, touches, decommits and releases', async () => {
    const machine = await boot({ arch, memoryMiB: 16 });
    const k = machine.kernel;
    const before = machine.stats();
    const problems: string[] = [];
    const program = machine.spawn((k32) => {
      const live: number[] = [];
      let seed = 5;
      const rnd = (m: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % m;
      for (let i = 0; i < 300; i++) {
        if (live.length > 0 && rnd(3) === 0) k32.VirtualFree(live.splice(rnd(live.length), 1)[0]!, 0, MEM_RELEASE);
        else {
          const size = (1 + rnd(64)) * PAGE_SIZE;
          const p = k32.VirtualAlloc(0, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
          if (p === 0) continue; // the limit: refused, never a failed touch
          live.push(p);
          for (let off = 0; off < size; off += PAGE_SIZE * (1 + rnd(3))) k32.setUint32(p + off, i);
        }
        problems.push(...commitProblems(k));
      }
      return 0;
    });
    await machine.run();
    expect(program.exitCode).toBe(0);
    expect(problems).toEqual([]);
    expect(machine.stats().commit).toEqual(before.commit);
    expect(machine.stats().frames.free).toBe(before.frames.free);
  });
});
