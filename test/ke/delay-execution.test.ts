/**
 * KeDelayExecutionThread from a driver's synchronous code: below
 * DISPATCH_LEVEL the CPU passes the interval in place (timers and DPCs run);
 * at DISPATCH_LEVEL or above it is the bug check of a wait that must block.
 * (In a System thread it blocks the thread: system-threads.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { DISPATCH_LEVEL, KernelMode, STATUS_SUCCESS, type Nt } from 'ntshm/wdm';
import { testDriver } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const ms = (nt: Nt): number => Number(nt.KeQueryInterruptTime() / 10_000n);

describe.each(ARCHES)('KeDelayExecutionThread on %s', (arch) => {
  it.each([
    { interval: -30n * 10_000n, atLeast: 30, atMost: 30 + 15.625 * 2 },
    { interval: 0n, atLeast: 0, atMost: 1 },
  ])('below DISPATCH_LEVEL, interval $interval passes in place while a timer DPC runs', async ({ interval, atLeast, atMost }) => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      entry: (nt) => {
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => { seen.dpc = true; }, null);
        nt.KeSetTimer(timer, -10n * 10_000n, dpc);
        const t0 = ms(nt);
        seen.status = nt.KeDelayExecutionThread(KernelMode, false, interval);
        seen.elapsed = ms(nt) - t0;
        nt.KeCancelTimer(timer);
      },
    });
    const machine = await boot({ seed: 3, arch });
    machine.loadDriver(driver.name, driver.definition);
    expect(machine.bugcheck).toBeUndefined();
    expect(seen.status).toBe(STATUS_SUCCESS);
    expect(seen.elapsed).toBeGreaterThanOrEqual(atLeast);
    expect(seen.elapsed).toBeLessThanOrEqual(atMost);
    expect(seen.dpc).toBe(interval === 0n ? undefined : true);
  });

  it.each([
    { where: 'at DISPATCH_LEVEL', code: 0xa },
    { where: 'in a DPC routine', code: 0xb8 },
  ])('$where it stops the machine with $code', async ({ where, code }) => {
    const driver = testDriver({
      entry: (nt) => {
        const delay = (): void => { nt.KeDelayExecutionThread(KernelMode, false, -10n * 10_000n); };
        const { oldIrql } = nt.KeRaiseIrql(DISPATCH_LEVEL);
        if (where === 'in a DPC routine') nt.KeInsertQueueDpc(nt.KeInitializeDpc(delay, null).dpc, null, null);
        else delay();
        nt.KeLowerIrql(oldIrql);
      },
    });
    const machine = await boot({ seed: 3, arch });
    machine.loadDriver(driver.name, driver.definition);
    expect(machine.bugcheck?.code).toBe(code);
    if (code === 0xa) expect(machine.bugcheck?.params.slice(0, 3)).toEqual([0, DISPATCH_LEVEL, 0]);
    expect(machine.bugcheck?.explanation).toMatch(/KeDelayExecutionThread/);
  });
});
