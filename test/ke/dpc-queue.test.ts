/**
 * DPCs for drivers: KeInsertQueueDpc's answer for a DPC already queued,
 * KeRemoveQueueDpc, the system arguments, and KeSetTargetProcessorDpc's CPU.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { DISPATCH_LEVEL, STATUS_SUCCESS, defineDriver, type Nt } from 'ntshm/wdm';

const arches = ['x64', 'x86'] as const;

async function inDriver(arch: 'x64' | 'x86', body: (nt: Nt) => void, cpus = 2) {
  const machine = await boot({ arch, cpus });
  machine.loadDriver('Dpcs', defineDriver({
    name: 'Dpcs',
    DriverEntry(nt, driverObject) {
      driverObject.DriverUnload = () => {};
      body(nt);
      return STATUS_SUCCESS;
    },
  }));
  return machine;
}

describe.each(arches)('driver DPCs on %s', (arch) => {
  it('KeInsertQueueDpc: TRUE, then FALSE while queued; the routine gets the context and the system arguments once, at DISPATCH_LEVEL', async () => {
    const seen: unknown[] = [];
    const calls: unknown[] = [];
    const machine = await inDriver(arch, (nt) => {
      const { dpc } = nt.KeInitializeDpc(function Dpc(_d, ctx, a1, a2) { calls.push([ctx, a1, a2, nt.KeGetCurrentIrql()]); }, 'ctx');
      const old = nt.KeRaiseIrqlToDpcLevel();
      seen.push(nt.KeInsertQueueDpc(dpc, 1, 2), nt.KeInsertQueueDpc(dpc, 3, 4), calls.length);
      nt.KeLowerIrql(old);
      seen.push(calls.length);
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(seen).toEqual([true, false, 0, 1]);
    expect(calls).toEqual([['ctx', 1, 2, DISPATCH_LEVEL]]);
  });

  it('KeRemoveQueueDpc: TRUE for a queued DPC, which then never runs; FALSE for one not queued', async () => {
    const seen: unknown[] = [];
    let ran = 0;
    const machine = await inDriver(arch, (nt) => {
      const { dpc } = nt.KeInitializeDpc(function Dpc() { ran++; }, null);
      const old = nt.KeRaiseIrqlToDpcLevel();
      nt.KeInsertQueueDpc(dpc, null, null);
      seen.push(nt.KeRemoveQueueDpc(dpc), nt.KeRemoveQueueDpc(dpc));
      nt.KeLowerIrql(old);
    });
    await machine.run({ seconds: 0.1 });
    expect(machine.bugcheck).toBeUndefined();
    expect(seen).toEqual([true, false]);
    expect(ran).toBe(0);
  });

  it.each([0, 1, 3])('KeSetTargetProcessorDpc(%i) runs the DPC on that CPU of four', async (target) => {
    let ranOn = -1;
    const machine = await inDriver(arch, (nt) => {
      const { dpc } = nt.KeInitializeDpc(function Dpc() { ranOn = nt.KeGetCurrentProcessorNumber(); }, null);
      nt.KeSetTargetProcessorDpc(dpc, target);
      nt.KeInsertQueueDpc(dpc, null, null);
    }, 4);
    await machine.run({ seconds: 0.1 });
    expect(machine.bugcheck).toBeUndefined();
    expect(ranOn).toBe(target);
  });
});
