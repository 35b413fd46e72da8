/**
 * The POOL_HEADERs the pool keeps in guest memory are Windows' own: free
 * blocks have one too (PoolType 0), and every PreviousSize is the BlockSize
 * of the block before, through splits and merges — which is what lets a free
 * find a neighbour's header written over (test/hostile/pool-integrity.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { NonPagedPool, PagedPool } from 'ntshm/wdm';
import { commandDriver, poolHeaderProblems, runInDriver } from './harness.js';

describe.each([{ arch: 'x64', unit: 16 }, { arch: 'x86', unit: 8 }] as const)('POOL_HEADER chains on $arch', ({ arch, unit }) => {
  it('stay consistent through a random run of allocations and frees of both pools', async () => {
    const machine = await boot({ arch, memoryMiB: 16 });
    const driver = commandDriver();
    expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
    const k = machine.kernel;
    const { value, result } = await runInDriver(machine, driver, (nt) => {
      const live: number[] = [];
      const problems: string[] = [];
      let seed = 99;
      const rnd = (m: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % m;
      for (let i = 0; i < 600; i++) {
        if (live.length > 0 && rnd(5) < 2) nt.ExFreePool(live.splice(rnd(live.length), 1)[0]!);
        else live.push(nt.ExAllocatePoolWithTag(rnd(2) ? NonPagedPool : PagedPool, 1 + rnd(i % 7 === 0 ? 3000 : 200), 'Chn '));
        if (i % 50 === 0) problems.push(...poolHeaderProblems(k));
      }
      problems.push(...poolHeaderProblems(k));
      for (const p of live) nt.ExFreePool(p);
      return problems;
    });
    expect(result.bugcheck).toBeUndefined();
    expect(value).toEqual([]);
    expect(poolHeaderProblems(k)).toEqual([]);
  });

  it('a freed block\'s header says free (PoolType 0) and its size, and the merged block\'s size after its neighbour goes', async () => {
    const machine = await boot({ arch, memoryMiB: 16 });
    const driver = commandDriver();
    expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
    const { value } = await runInDriver(machine, driver, (nt) => {
      // Three adjacent 48-byte blocks (retry past holes), each 48 / unit + 1 units.
      for (;;) {
        const [a, b, c] = [0, 1, 2].map(() => nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Adj '));
        const step = 48 + unit;
        if (b !== a! + step || c !== b! + step || Math.floor(a! / 4096) !== Math.floor(c! / 4096)) continue;
        const word = (p: number) => nt.getUint32(p - unit);
        nt.ExFreePool(b!);
        const afterB = { b: word(b!), c: word(c!) };
        nt.ExFreePool(a!);
        const afterA = { a: word(a!), c: word(c!) };
        nt.ExFreePool(c!);
        return { afterB, afterA };
      }
    });
    const blocks = 48 / unit + 1;
    const size = (w: number) => (arch === 'x64' ? (w >>> 16) & 0xff : (w >>> 16) & 0x1ff);
    const type = (w: number) => (arch === 'x64' ? w >>> 24 : w >>> 25);
    const previous = (w: number) => (arch === 'x64' ? w & 0xff : w & 0x1ff);
    expect(type(value!.afterB.b)).toBe(0);
    expect(size(value!.afterB.b)).toBe(blocks);
    expect(previous(value!.afterB.c)).toBe(blocks);
    // A merged with the free B: one free block of both sizes, and C's PreviousSize says so.
    expect(type(value!.afterA.a)).toBe(0);
    expect(size(value!.afterA.a)).toBe(2 * blocks);
    expect(previous(value!.afterA.c)).toBe(2 * blocks);
  });
});
