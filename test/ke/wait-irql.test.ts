/**
 * The IRQL rule of KeWaitForSingleObject / KeWaitForMultipleObjects: only a
 * zero timeout at DISPATCH_LEVEL, nothing above it. With Driver Verifier the
 * check is at the call (0xC4 subcodes 0x120, 0x121, 0x122, whether or not
 * the object is signalled); without it, only a wait that must block stops
 * the machine (0xB8 from a DPC routine, 0xA elsewhere: docs/fidelity.md).
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { DISPATCH_LEVEL, STATUS_SUCCESS, STATUS_TIMEOUT, type Nt } from 'ntshm/wdm';
import { testDriver } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const HIGH_LEVEL = { x64: 15, x86: 31 } as const;

type Where = 'thread' | 'dpc';
interface Case {
  name: string;
  verifier: boolean;
  where: Where;
  /** The IRQL raised to first (in thread context); a DPC runs at DISPATCH_LEVEL. */
  irql: number | 'high';
  timeout: bigint | null;
  signalled: boolean;
  /** The bug check's code and P1, or the wait's status when there is none. */
  code?: number;
  p1?: number;
  status?: number;
}

const CASES: Case[] = [
  { name: 'no verifier, DISPATCH_LEVEL, zero timeout, not signalled', verifier: false, where: 'thread', irql: DISPATCH_LEVEL, timeout: 0n, signalled: false, status: STATUS_TIMEOUT },
  { name: 'no verifier, DISPATCH_LEVEL, no timeout, signalled', verifier: false, where: 'thread', irql: DISPATCH_LEVEL, timeout: null, signalled: true, status: STATUS_SUCCESS },
  { name: 'no verifier, DISPATCH_LEVEL, 10 ms, not signalled', verifier: false, where: 'thread', irql: DISPATCH_LEVEL, timeout: -100_000n, signalled: false, code: 0xa },
  { name: 'no verifier, DPC, no timeout, not signalled', verifier: false, where: 'dpc', irql: DISPATCH_LEVEL, timeout: null, signalled: false, code: 0xb8 },
  { name: 'verifier, DISPATCH_LEVEL, zero timeout', verifier: true, where: 'thread', irql: DISPATCH_LEVEL, timeout: 0n, signalled: false, status: STATUS_TIMEOUT },
  { name: 'verifier, DISPATCH_LEVEL, no timeout, signalled', verifier: true, where: 'thread', irql: DISPATCH_LEVEL, timeout: null, signalled: true, code: 0xc4, p1: 0x121 },
  { name: 'verifier, DISPATCH_LEVEL, 10 ms, signalled', verifier: true, where: 'thread', irql: DISPATCH_LEVEL, timeout: -100_000n, signalled: true, code: 0xc4, p1: 0x122 },
  { name: 'verifier, DPC, 10 ms, not signalled', verifier: true, where: 'dpc', irql: DISPATCH_LEVEL, timeout: -100_000n, signalled: false, code: 0xc4, p1: 0x122 },
  { name: 'verifier, HIGH_LEVEL, zero timeout', verifier: true, where: 'thread', irql: 'high', timeout: 0n, signalled: true, code: 0xc4, p1: 0x120 },
];

describe.each(ARCHES)('the IRQL rule of a wait on %s', (arch) => {
  it.each(CASES)('$name', async (c) => {
    const seen: { status?: number; event?: number } = {};
    const wait = (nt: Nt, event: number): void => {
      seen.status = nt.KeWaitForSingleObject(event, 0, 0, false, c.timeout) as number;
    };
    const driver = testDriver({
      name: 'WaitIrql',
      entry: (nt) => {
        const event = nt.ExAllocatePoolWithTag(0, 0x20, 'Wait');
        seen.event = event;
        nt.KeInitializeEvent(event, 0, c.signalled);
        if (c.where === 'dpc') {
          const { dpc } = nt.KeInitializeDpc(() => wait(nt, event), null);
          const { oldIrql } = nt.KeRaiseIrql(DISPATCH_LEVEL);
          nt.KeInsertQueueDpc(dpc, null, null);
          nt.KeLowerIrql(oldIrql);
        } else {
          const { oldIrql } = nt.KeRaiseIrql(c.irql === 'high' ? HIGH_LEVEL[arch] : c.irql);
          wait(nt, event);
          nt.KeLowerIrql(oldIrql);
        }
      },
    });
    const machine = await boot({ seed: 4, arch, verifier: c.verifier });
    machine.loadDriver(driver.name, driver.definition);
    if (c.code === undefined) {
      expect(machine.bugcheck).toBeUndefined();
      expect(seen.status).toBe(c.status);
      return;
    }
    expect(machine.bugcheck?.code).toBe(c.code);
    const irql = c.irql === 'high' ? HIGH_LEVEL[arch] : DISPATCH_LEVEL;
    if (c.code === 0xc4) expect(machine.bugcheck?.params).toEqual([c.p1, irql, seen.event, 0]);
    if (c.code === 0xa) expect(machine.bugcheck?.params.slice(0, 3)).toEqual([seen.event, irql, 0]);
    expect(machine.bugcheck?.explanation).toMatch(/KeWaitForSingleObject/);
  });
});
