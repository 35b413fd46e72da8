/**
 * A bug check record holds what Windows' registers would: the code a ULONG,
 * each parameter a ULONG_PTR of the machine, a raised status an NTSTATUS,
 * an IRQL a KIRQL (UCHAR) — whatever junk the driver handed over. The
 * record's fields are always numbers, and the report prints them.
 */
import { describe, expect, it } from 'vitest';
import { boot, reportJson, type Machine } from 'ntshm';
import type { Nt } from 'ntshm/wdm';
import { IRQL_NOT_GREATER_OR_EQUAL, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED } from '../../src/include/bugcodes.js';
import { testDriver } from '../helpers/test-driver.js';

/** Loads a driver whose DriverEntry runs `body`, and returns the machine (stopped, if the body bug-checked). */
async function entry(arch: 'x64' | 'x86', body: (nt: Nt) => void): Promise<Machine> {
  const machine = await boot({ arch });
  const driver = testDriver({ name: 'Junk', entry: (nt) => void body(nt) });
  machine.loadDriver(driver.name, driver.definition);
  return machine;
}

/** The record, and its report form, with every field checked to be a number. */
function record(machine: Machine) {
  const report = machine.report();
  const b = report.bugcheck;
  expect(b).not.toBeNull();
  expect(typeof b!.code).toBe('number');
  for (const p of b!.params) expect(Number.isInteger(p) && p >= 0).toBe(true);
  expect(() => reportJson(report)).not.toThrow();
  return b!;
}

// KeBugCheckEx's declared parameters are numbers; a driver written in JS can pass anything.
const anything = (nt: Nt) => nt.KeBugCheckEx as (...args: unknown[]) => never;

describe('KeBugCheckEx(NaN, 2 ** 70, -1, \'x\')', () => {
  it('on x64: code 0, parameters the low 64 bits (-1 is 0xffffffffffffffff), the rest 0', async () => {
    const b = record(await entry('x64', (nt) => anything(nt)(NaN, 2 ** 70, -1, 'x')));
    expect(b.code).toBe(0);
    expect(b.codeHex).toBe('0x00000000');
    expect(b.paramsHex).toEqual(['0x0000000000000000', '0xffffffffffffffff', '0x0000000000000000', '0x0000000000000000']);
    // -1 is kept as ntshm keeps every sign-extended x64 value: its low 48 bits.
    expect(b.params).toEqual([0, 2 ** 48 - 1, 0, 0]);
  });

  it('on x86: code 0, parameters the low 32 bits (-1 is 0xffffffff)', async () => {
    const b = record(await entry('x86', (nt) => anything(nt)(NaN, 2 ** 70, -1, 'x')));
    expect(b.code).toBe(0);
    expect(b.params).toEqual([0, 0xffff_ffff, 0, 0]);
    expect(b.paramsHex).toEqual(['0x00000000', '0xffffffff', '0x00000000', '0x00000000']);
  });

  it('a code past 32 bits keeps its low 32, bigints and number-like values are taken as a register holds them', async () => {
    const b = record(await entry('x64', (nt) => anything(nt)(2 ** 32 + 0xe2, -1n, 2n ** 64n + 5n, true, '0x10')));
    expect(b.code).toBe(0xe2);
    expect(b.name).toBe('MANUALLY_INITIATED_CRASH');
    expect(b.params).toEqual([2 ** 48 - 1, 5, 1, 0x10]);
    expect(b.paramsHex[0]).toBe('0xffffffffffffffff');
  });

  it('values no register could hold (a Symbol, an object whose valueOf throws) are 0', async () => {
    const hostile = { valueOf() { throw new Error('no'); } };
    const b = record(await entry('x86', (nt) => anything(nt)(0xe2, Symbol('p1'), hostile, 1.9, -0.5)));
    expect(b.code).toBe(0xe2);
    expect(b.params).toEqual([0, 0, 1, 0]);
  });
});

describe('KeRaiseIrql with an IRQL that is no KIRQL', () => {
  it('NaN at PASSIVE_LEVEL is a UCHAR 0: a raise to the same level, no bug check', async () => {
    const seen: number[] = [];
    const machine = await entry('x64', (nt) => {
      seen.push(nt.KeRaiseIrql(NaN).oldIrql, nt.KeGetCurrentIrql());
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(seen).toEqual([0, 0]);
  });

  it('NaN at DISPATCH_LEVEL is a raise to 0, which lowers: 0x9 IRQL_NOT_GREATER_OR_EQUAL (2, 0)', async () => {
    const machine = await entry('x64', (nt) => {
      nt.KeRaiseIrql(2);
      nt.KeRaiseIrql(NaN);
    });
    const b = record(machine);
    expect(b.code).toBe(IRQL_NOT_GREATER_OR_EQUAL);
    expect(b.params).toEqual([2, 0, 0, 0]);
  });

  it('0x102 is the byte 2: DISPATCH_LEVEL', async () => {
    const seen: number[] = [];
    const machine = await entry('x64', (nt) => {
      const { oldIrql } = nt.KeRaiseIrql(0x102);
      seen.push(nt.KeGetCurrentIrql());
      nt.KeLowerIrql(oldIrql);
      seen.push(nt.KeGetCurrentIrql());
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(seen).toEqual([2, 0]);
  });

  it('300 is the byte 44, above HIGH_LEVEL: 0x9 with the byte as P2', async () => {
    const b = record(await entry('x86', (nt) => void nt.KeRaiseIrql(300)));
    expect(b.code).toBe(IRQL_NOT_GREATER_OR_EQUAL);
    expect(b.params).toEqual([0, 44, 0, 0]);
  });
});

describe('a raised status is an NTSTATUS', () => {
  it('new NtException(NaN) raised out of DriverEntry: 0x7E with P1 = 0', async () => {
    const b = record(await entry('x64', (nt) => {
      throw new nt.NtException(NaN);
    }));
    expect(b.code).toBe(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED);
    expect(b.params[0]).toBe(0);
  });

  it('a status past 32 bits keeps its low 32; a negative one is its unsigned form', async () => {
    const made: number[] = [];
    const machine = await entry('x86', (nt) => {
      made.push(new nt.NtException(2 ** 40 + 0xc000_0005).status, new nt.NtException(-1073741819).status);
      throw new nt.NtException(2 ** 40 + 0xc000_0005, [-1, 2 ** 70]);
    });
    expect(made).toEqual([0xc000_0005, 0xc000_0005]);
    const b = record(machine);
    expect(b.params[0]).toBe(0xc000_0005);
  });
});
