/**
 * Driver Verifier's low resources simulations: a driver's allocations fail on
 * purpose (randomized: seeded, so repeatable; systematic: each call site once),
 * the log says which, !verifier's counters count them, and every sample ends
 * as Windows would with them on: its right driver copes, nothing throws on
 * the host.
 */
import { describe, expect, it } from 'vitest';
import { boot, runScenario } from 'ntshm';
import { NonPagedPool } from 'ntshm/wdm';
import { samples } from '../../samples/registry.js';
import { commandDriver, runInDriver } from '../mm/harness.js';

async function machineWith(verifier: { [option: string]: boolean }, seed = 1) {
  const machine = await boot({ memoryMiB: 16, verifier, seed });
  const driver = commandDriver();
  expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
  return { machine, driver };
}

describe('low resources simulation', () => {
  it('systematic: each call of a routine fails the first time its site is seen, and succeeds after', async () => {
    const { machine, driver } = await machineWith({ systematicLowResourcesSimulation: true });
    const run = () => runInDriver(machine, driver, (nt) => {
      const got = [nt.ExAllocatePoolWithTag(NonPagedPool, 32, 'Lrs1'), nt.ExAllocatePoolWithTag(NonPagedPool, 32, 'Lrs2'), nt.IoAllocateMdl(0x10000, 4096, false, false, null)];
      for (const p of got.slice(0, 2)) if (p !== 0) nt.ExFreePool(p as number);
      if (got[2]) nt.IoFreeMdl(got[2] as never);
      return got.map((p) => p !== 0 && p !== null);
    });
    expect((await run()).value).toEqual([false, false, false]);
    expect((await run()).value).toEqual([true, true, true]);
    const said = machine.kernel.log.filter((e) => e.source === 'verifier').map((e) => e.text);
    expect(said).toHaveLength(3);
    expect(said[0]).toMatch(/failed ExAllocatePoolWithTag called by NtshmTest!\w+ on purpose \(systematic/);
    expect(said[2]).toMatch(/failed IoAllocateMdl/);
    expect(machine.kernel.verifierStatistics!.counters).toMatchObject({ AllocationsFailedDeliberately: 3, AllocationsAttempted: 4, AllocationsSucceeded: 2 });
  });

  it('randomized: about 6% of a driver\'s allocations fail, the same ones for the same seed', async () => {
    const pattern = async (seed: number) => {
      const { machine, driver } = await machineWith({ lowResourcesSimulation: true }, seed);
      const { value } = await runInDriver(machine, driver, (nt) => {
        const failed: number[] = [];
        for (let i = 0; i < 1000; i++) {
          const p = nt.ExAllocatePoolWithTag(NonPagedPool, 16, 'Rand');
          if (p === 0) failed.push(i);
          else nt.ExFreePool(p);
        }
        return failed;
      });
      return value!;
    };
    const a = await pattern(7);
    expect(a.length).toBeGreaterThan(30);
    expect(a.length).toBeLessThan(100);
    expect(await pattern(7)).toEqual(a);
    expect(await pattern(8)).not.toEqual(a);
  });

  it('the kernel\'s own allocations are never failed on purpose', async () => {
    const { machine } = await machineWith({ systematicLowResourcesSimulation: true, lowResourcesSimulation: true });
    expect(machine.kernel.pool.allocate(NonPagedPool, 64, 0x4b4b4b4b)).not.toBe(0);
  });

  describe.each(['lowResourcesSimulation', 'systematicLowResourcesSimulation'])('every sample with %s', (option) => {
    it.each(samples.map((s) => s.name))('%s ends without a bug check', async (name) => {
      const result = await runScenario(samples.find((s) => s.name === name)!, { seconds: 3, verifier: { [option]: true } });
      expect(result.bugcheck).toBeNull();
    });
  });
});
