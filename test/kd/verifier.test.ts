/**
 * !verifier with the verifier's counters: the shape of WinDbg's output (the
 * global counters under the flags, each driver's pool now and at its peak),
 * the same on the live machine and on its dump; an older dump without the
 * counters still loads and prints the rest.
 */
import { describe, expect, it } from 'vitest';
import { boot, loadDump } from 'ntshm';
import { sharingMemory } from '../../samples/registry.js';
import { decodeDump, encodeDump } from '../../src/kd/dump-format.js';
import { NonPagedPool } from 'ntshm/wdm';
import { commandDriver, runInDriver } from '../mm/harness.js';

describe('!verifier', () => {
  it('prints the counters and each driver\'s pool, current and peak, on the live machine and its dump', async () => {
    const m = await boot({ verifier: true });
    await sharingMemory.setup(m, { seconds: 5, variant: undefined });
    await m.run({ seconds: 2 });
    const text = m.kd('!verifier');
    expect(text).toMatch(/^Verify Flags Level 0x000209bb\n\n {2}RaiseIrqls {31}0x[0-9a-f]+\n {2}AcquireSpinLocks {25}0x[0-9a-f]+\n/);
    for (const counter of ['Synch Executions', 'Trims', 'Pool Allocations Attempted', 'Pool Allocations Succeeded', 'Pool Allocations Succeeded SpecialPool',
      'Pool Allocations With NO TAG', 'Pool Allocations Failed', 'Resource Allocations Failed Deliberately']) {
      expect(text).toMatch(new RegExp(`\\n  ${counter} +0x[0-9a-f]+\\n`));
    }
    const attempted = Number(/Pool Allocations Attempted +0x([0-9a-f]+)/.exec(text)![1]!.replace(/^/, '0x'));
    expect(attempted).toBeGreaterThan(0);
    expect(text).toMatch(/MODULE: SharingMemory\.sys \(loaded\)\n.*\n {4}Current paged pool allocations {9}0x[0-9a-f]+ for [0-9a-f]{8} bytes\n {4}Peak paged pool allocations/);
    const stats = m.kernel.verifierStatistics!;
    expect(stats.counters.AllocationsSucceeded).toBeGreaterThan(0);
    expect(stats.counters.AllocationsSucceededSpecialPool).toBeLessThanOrEqual(stats.counters.AllocationsSucceeded);
    expect(loadDump(m.dump()).kd('!verifier')).toBe(text);
  });

  it('an older dump without the counters prints the flags and drivers alone', async () => {
    const m = await boot({ verifier: true });
    await sharingMemory.setup(m, { seconds: 5, variant: undefined });
    await m.run({ seconds: 1 });
    const { snapshot, memory } = decodeDump(m.dump());
    expect(snapshot.verifierStatistics).toBeDefined();
    delete snapshot.verifierStatistics;
    const text = loadDump(encodeDump(snapshot, memory)).kd('!verifier');
    expect(text).toMatch(/^Verify Flags Level 0x000209bb\n\n {2}STANDARD FLAGS:/);
    expect(text).toMatch(/MODULE: SharingMemory\.sys/);
    expect(text).not.toMatch(/RaiseIrqls/);
  });

  it('!pool on a special pool block names the special pool', async () => {
    const m = await boot({ verifier: { specialPool: true } });
    const driver = commandDriver();
    expect(m.loadDriver('NtshmTest', driver.definition)).toBe(0);
    const { value } = await runInDriver(m, driver, (nt) => nt.ExAllocatePoolWithTag(NonPagedPool, 100, 'Spkd'));
    const text = m.kd(`!pool ${value!.toString(16)}`);
    expect(text).toMatch(/region is Special pool \(nonpaged\)/);
    expect(text).toMatch(/\*Spkd/);
    expect(loadDump(m.dump()).kd(`!pool ${value!.toString(16)}`)).toBe(text);
  });
});
