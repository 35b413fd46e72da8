/**
 * A KTIMER is a dispatcher object: its DISPATCHER_HEADER is in guest memory
 * (the driver's storage, or pool ntshm supplies for `KeInitializeTimer()`),
 * KeWaitForSingleObject on it returns once it has expired, a notification
 * timer stays signalled until it is set again, a synchronization timer is
 * reset by the wait it satisfies.
 */
import { describe, expect, it } from 'vitest';
import { STATUS_SUCCESS, STATUS_TIMEOUT, type Nt } from 'ntshm/wdm';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const NotificationTimer = 0;
const SynchronizationTimer = 1;
const ms = (nt: Nt): number => Number(nt.KeQueryInterruptTime() / 10_000n);

describe.each(ARCHES)('KTIMER as a dispatcher object on %s', (arch) => {
  it.each([
    { type: NotificationTimer, headerType: 8, againAfterWait: STATUS_SUCCESS, stateAfterWait: true },
    { type: SynchronizationTimer, headerType: 9, againAfterWait: STATUS_TIMEOUT, stateAfterWait: false },
  ])('a timer of type $type in the driver\'s storage: header Type $headerType, waits return at expiry', async ({ type, headerType, againAfterWait, stateAfterWait }) => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      entry: (nt) => {
        const storage = nt.ExAllocatePoolWithTag(0, 0x40, 'Tmr ');
        nt.RtlFillMemory(storage, 0x40, 0xcc);
        nt.KeInitializeTimerEx(storage, type);
        seen.header = [nt.getUint8(storage), nt.getUint8(storage + 2), nt.getUint32(storage + 4)];
        seen.initialState = nt.KeReadStateTimer(storage);
        seen.notYet = nt.KeWaitForSingleObject(storage, 0, 0, false, 0n);
        nt.KeSetTimer(storage, -30n * 10_000n, null);
        const t0 = ms(nt);
        seen.wait = nt.KeWaitForSingleObject(storage, 0, 0, false, null);
        seen.waitedMs = ms(nt) - t0;
        seen.stateAfterWait = nt.KeReadStateTimer(storage);
        seen.again = nt.KeWaitForSingleObject(storage, 0, 0, false, 0n);
        // Setting it again clears its state.
        nt.KeSetTimer(storage, -30n * 10_000n, null);
        seen.stateAfterSet = nt.KeReadStateTimer(storage);
        seen.cancelled = nt.KeCancelTimer(storage);
        nt.ExFreePoolWithTag(storage, 'Tmr ');
      },
    });
    const machine = await bootWith([driver], { seed: 2, arch });
    const result = await machine.run({ seconds: 1 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toMatchObject({
      // Size in LONGs: sizeof(KTIMER) 0x40 (x64) or 0x28 (x86).
      header: [headerType, arch === 'x64' ? 0x10 : 0xa, 0],
      initialState: false, notYet: STATUS_TIMEOUT, wait: STATUS_SUCCESS, stateAfterWait, again: againAfterWait,
      stateAfterSet: false, cancelled: true,
    });
    expect(seen.waitedMs).toBeGreaterThanOrEqual(30);
    expect(seen.waitedMs).toBeLessThanOrEqual(30 + 15.625 * 2);
  });

  it('a timer of KeInitializeTimer() with no storage is waitable too; its DPC still runs', async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      entry: (nt) => {
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => { seen.dpcState = nt.KeReadStateTimer(timer); }, null);
        nt.KeSetTimer(timer, -20n * 10_000n, dpc);
        seen.wait = nt.KeWaitForSingleObject(timer, 0, 0, false, -100n * 10_000n);
        seen.state = nt.KeReadStateTimer(timer);
        // The same timer given by the address of its KTIMER.
        seen.byAddress = nt.KeReadStateTimer(timer.address);
        seen.type = nt.getUint8(timer.address);
      },
    });
    const machine = await bootWith([driver], { seed: 2, arch });
    const result = await machine.run({ seconds: 1 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual({ wait: STATUS_SUCCESS, state: true, byAddress: true, type: 8, dpcState: true });
  });

  it('a periodic synchronization timer satisfies one wait per period', async () => {
    const seen: number[] = [];
    const driver = testDriver({
      entry: (nt) => {
        const { timer } = nt.KeInitializeTimerEx(SynchronizationTimer);
        nt.KeSetTimerEx(timer, -50n * 10_000n, 50, null);
        const t0 = ms(nt);
        for (let i = 0; i < 3; i++) {
          nt.KeWaitForSingleObject(timer, 0, 0, false, null);
          seen.push(Math.round(ms(nt) - t0));
        }
        nt.KeCancelTimer(timer);
      },
    });
    const machine = await bootWith([driver], { seed: 2, arch });
    await machine.run({ seconds: 1 });
    expect(seen).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(Math.abs(seen[i]! - 50 * (i + 1))).toBeLessThanOrEqual(16);
  });
});
