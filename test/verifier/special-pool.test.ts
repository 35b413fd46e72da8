/**
 * Driver Verifier's special pool: a driver's block on a page of its own,
 * ending at the page's end before a guard page; what it catches (a touch past
 * the end, a touch after the free, a write into the page's pattern) and what
 * keeps working (pool queries, the free of an intact block).
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { NonPagedPool, PagedPool } from 'ntshm/wdm';
import { commandDriver, runInDriver } from '../mm/harness.js';

async function verified(arch: 'x64' | 'x86', verifier: boolean | { specialPool: boolean } = { specialPool: true }) {
  const machine = await boot({ arch, memoryMiB: 16, verifier });
  const driver = commandDriver();
  expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
  return { machine, driver };
}

describe.each([{ arch: 'x64', unit: 16 }, { arch: 'x86', unit: 8 }] as const)('special pool on $arch', ({ arch, unit }) => {
  it('places a driver\'s block at the end of a page of its own, aligned as pool blocks are, still paged or nonpaged pool by address', async () => {
    const { machine, driver } = await verified(arch);
    const k = machine.kernel;
    const { value, result } = await runInDriver(machine, driver, (nt) => {
      const a = nt.ExAllocatePoolWithTag(NonPagedPool, 100, 'Spcl');
      const b = nt.ExAllocatePoolWithTag(PagedPool, 64, 'Spcl');
      const big = nt.ExAllocatePoolWithTag(NonPagedPool, 5000, 'Big ');
      const out = { a, b, big, aPaged: k.pool.isPagedPoolAddress(a), bPaged: k.pool.isPagedPoolAddress(b), aRecord: k.pool.allocations.get(a) };
      nt.ExFreePoolWithTag(a, 'Spcl');
      nt.ExFreePoolWithTag(b, 'Spcl');
      nt.ExFreePool(big);
      return out;
    });
    expect(result.bugcheck).toBeUndefined();
    const v = value!;
    const roundedUp = Math.ceil(100 / unit) * unit;
    expect(v.a % 4096).toBe(4096 - roundedUp);
    expect(v.b % 4096).toBe(4096 - 64);
    expect(k.pool.special!.contains(v.a) && k.pool.special!.contains(v.b)).toBe(true);
    // Bigger than a page: normal pool, as on Windows.
    expect(k.pool.special!.contains(v.big)).toBe(false);
    expect([v.aPaged, v.bPaged]).toEqual([false, true]);
    expect(v.aRecord).toMatchObject({ numberOfBytes: 100, special: true, owner: 'NtshmTest' });
    expect(k.pool.allocations.get(v.a)).toBeUndefined();
    // !verifier's counters: three granted, two of them in special pool.
    expect(k.verifierStatistics!.counters).toMatchObject({ AllocationsSucceeded: 3, AllocationsSucceededSpecialPool: 2 });
  });

  it('the kernel\'s own blocks stay in normal pool', async () => {
    const { machine } = await verified(arch);
    const k = machine.kernel;
    const address = k.pool.allocate(NonPagedPool, 100, 0x41414141);
    expect(k.pool.special!.contains(address)).toBe(false);
  });

  it.each([
    ['write', 0xd6, 1], ['read', 0xd6, 0],
  ] as const)('a %s of the first byte past the block stops the machine with 0x%s', async (how, code, p2) => {
    const { machine, driver } = await verified(arch);
    let address = 0;
    const { result } = await runInDriver(machine, driver, (nt) => {
      address = nt.ExAllocatePoolWithTag(NonPagedPool, 4096 - unit, 'Ovr ');
      if (how === 'write') nt.setUint8(address + 4096 - unit, 1);
      else nt.getUint8(address + 4096 - unit);
    });
    expect(result.bugcheck?.code).toBe(code);
    expect(Number(result.bugcheck?.params[0])).toBe(address + 4096 - unit);
    expect(Number(result.bugcheck?.params[1])).toBe(p2);
    expect(Number(result.bugcheck?.params[2])).not.toBe(0);
  });

  it('a touch of a freed block stops the machine with 0xD5', async () => {
    const { machine, driver } = await verified(arch);
    const { result } = await runInDriver(machine, driver, (nt) => {
      const a = nt.ExAllocatePoolWithTag(PagedPool, 40, 'Free');
      nt.ExFreePoolWithTag(a, 'Free');
      nt.getUint32(a);
    });
    expect(result.bugcheck?.code).toBe(0xd5);
    expect(Number(result.bugcheck?.params[1])).toBe(0);
  });

  it.each([
    ['past the end, in the slop to the alignment', 0x24, (a: number, n: number) => a + n],
    ['before the start, in the pattern', 0x23, (a: number) => a - 1],
  ] as const)('a write %s is found at the free: 0xC1 / 0x%s', async (_what, p4, where) => {
    const { machine, driver } = await verified(arch);
    let corrupted = 0;
    let address = 0;
    const { result } = await runInDriver(machine, driver, (nt) => {
      address = nt.ExAllocatePoolWithTag(NonPagedPool, unit + 3, 'Slop');
      corrupted = where(address, unit + 3);
      nt.setUint8(corrupted, nt.getUint8(corrupted) ^ 0xff);
      nt.ExFreePool(address);
    });
    expect(result.bugcheck?.code).toBe(0xc1);
    expect(result.bugcheck?.params.map(Number)).toEqual([address, corrupted, 0, p4]);
  });

  it('a second free of a special pool block is 0xC1 / 0x20', async () => {
    const { machine, driver } = await verified(arch);
    const { result } = await runInDriver(machine, driver, (nt) => {
      const a = nt.ExAllocatePoolWithTag(NonPagedPool, 32, 'Twce');
      nt.ExFreePool(a);
      nt.ExFreePool(a);
    });
    expect(result.bugcheck?.code).toBe(0xc1);
    expect(Number(result.bugcheck?.params[3])).toBe(0x20);
  });

  it('verifier: true (the standard settings) includes special pool; verifier off does not', async () => {
    expect((await verified(arch, true)).machine.kernel.pool.special).not.toBeNull();
    expect((await boot({ arch, memoryMiB: 16 })).kernel.pool.special).toBeNull();
  });
});
