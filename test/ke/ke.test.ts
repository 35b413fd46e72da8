/**
 * The kernel's core: IRQL rules, DPCs and timers, attaching to a process,
 * time, and what a driver that leaves a timer behind at unload does.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  DISPATCH_LEVEL, MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, PASSIVE_LEVEL, STATUS_SUCCESS, defineDriver, type Nt,
} from 'ntshm/wdm';
import { defineProgram } from 'ntshm/win32';

/** Loads a driver whose DriverEntry runs `body` and returns STATUS_SUCCESS. */
async function withDriver(body: (nt: Nt) => void, options: Parameters<typeof boot>[0] = {}) {
  const machine = await boot(options);
  let captured: Nt | undefined;
  const status = machine.loadDriver('KeTest', defineDriver({
    name: 'KeTest',
    DriverEntry(nt, DriverObject) {
      captured = nt;
      DriverObject.DriverUnload = () => {};
      body(nt);
      return STATUS_SUCCESS;
    },
  }));
  return { machine, status, nt: captured! };
}

describe('IRQL', () => {
  it('raises and lowers, and returns the old IRQL', async () => {
    const seen: number[] = [];
    await withDriver((nt) => {
      seen.push(nt.KeGetCurrentIrql());
      const { oldIrql } = nt.KeRaiseIrql(DISPATCH_LEVEL);
      seen.push(oldIrql, nt.KeGetCurrentIrql());
      nt.KeLowerIrql(oldIrql);
      seen.push(nt.KeGetCurrentIrql());
    });
    expect(seen).toEqual([PASSIVE_LEVEL, PASSIVE_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL]);
  });

  it('stops the machine with IRQL_NOT_GREATER_OR_EQUAL when KeRaiseIrql would lower', async () => {
    const { machine } = await withDriver((nt) => {
      nt.KeRaiseIrql(DISPATCH_LEVEL);
      nt.KeRaiseIrql(PASSIVE_LEVEL);
    });
    expect(machine.bugcheck?.code).toBe(0x09);
    expect(machine.bugcheck?.params.slice(0, 2)).toEqual([DISPATCH_LEVEL, PASSIVE_LEVEL]);
    expect(machine.bugcheck?.stack).toEqual(['KeTest!DriverEntry']);
  });

  it('runs a DPC queued at PASSIVE_LEVEL at once, at DISPATCH_LEVEL; one queued at DISPATCH_LEVEL when the IRQL drops', async () => {
    const order: string[] = [];
    await withDriver((nt) => {
      const { dpc } = nt.KeInitializeDpc(function Dpc() { order.push(`dpc at ${nt.KeGetCurrentIrql()}`); }, null);
      nt.KeInsertQueueDpc(dpc, null, null);
      order.push('after first insert');
      const { oldIrql } = nt.KeRaiseIrql(DISPATCH_LEVEL);
      expect(nt.KeInsertQueueDpc(dpc, null, null)).toBe(true);
      expect(nt.KeInsertQueueDpc(dpc, null, null)).toBe(false); // already queued
      order.push('queued at dispatch');
      nt.KeLowerIrql(oldIrql);
      order.push('lowered');
    });
    expect(order).toEqual(['dpc at 2', 'after first insert', 'queued at dispatch', 'dpc at 2', 'lowered']);
  });
});

describe('timers', () => {
  it('fires a periodic KTIMER once per period, at clock-tick granularity, in some CPU\'s current context', async () => {
    const fired: number[] = [];
    const { machine } = await withDriver((nt) => {
      const { timer } = nt.KeInitializeTimer();
      const { dpc } = nt.KeInitializeDpc(function Tick() { fired.push(Number(nt.KeQueryInterruptTime() / 10_000n)); }, null);
      nt.KeSetTimerEx(timer, -500n * 10_000n, 500, dpc);
    });
    await machine.run({ seconds: 2.1 });
    // Set a little after boot, each expiry is noticed by the first clock tick after it (15.625 ms apart).
    expect(fired).toEqual([515, 1015, 1515, 2015]);
  });

  it('stops the machine with 0xCE when a timer fires after its driver unloaded', async () => {
    const { machine } = await withDriver((nt) => {
      const { timer } = nt.KeInitializeTimer();
      const { dpc } = nt.KeInitializeDpc(function LeftBehind() {}, null);
      nt.KeSetTimer(timer, -1_000_000n, dpc);
    });
    expect(machine.unloadDriver('KeTest')).toBe(STATUS_SUCCESS);
    const result = await machine.run({ seconds: 1 });
    expect(result.bugcheck?.code).toBe(0xce);
    expect(result.bugcheck?.stack).toEqual([]);
    expect(result.bugcheck?.explanation).toMatch(/KeTest!LeftBehind was called after KeTest unloaded/);
  });
});

describe('time', () => {
  it('KeQuerySystemTime follows the virtual clock and ExSystemTimeToLocalTime applies the bias', async () => {
    const { nt, machine } = await withDriver(() => {}, { startTime: '2026-03-01T10:00:00Z', timeZoneBiasMinutes: -180 });
    const boot0 = nt.KeQuerySystemTime().currentTime;
    await machine.run({ seconds: 2 });
    const later = nt.KeQuerySystemTime().currentTime;
    expect(later - boot0).toBe(20_000_000n);
    const { localTime } = nt.ExSystemTimeToLocalTime(later);
    expect(localTime - later).toBe(180n * 60n * 10_000_000n);
    const ms = Number(localTime / 10_000n) - 11_644_473_600_000;
    expect(new Date(ms).toISOString()).toBe('2026-03-01T13:00:02.000Z');
  });
});

describe('KeStackAttachProcess', () => {
  it('lets a driver read a program\'s memory in its address space, and only while attached', async () => {
    const machine = await boot();
    let nt!: Nt;
    machine.loadDriver('Attach', defineDriver({ name: 'Attach', DriverEntry(n) { nt = n; return STATUS_SUCCESS; } }));
    let va = 0;
    const program = machine.spawn(defineProgram(async (k32) => {
      va = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setUint32(va, 0xfeedf00d);
      await k32.Sleep(100_000);
      return 0;
    }), { name: 'Victim.exe' });
    await machine.run({ seconds: 1 });
    const eprocess = machine.kernel.ps.processes.find((p) => p.UniqueProcessId === program.pid)!;
    const { apcState } = nt.KeStackAttachProcess(eprocess);
    expect(nt.PsGetCurrentProcessId()).toBe(program.pid);
    expect(nt.getUint32(va)).toBe(0xfeedf00d);
    nt.KeUnstackDetachProcess(apcState);
    expect(nt.PsGetCurrentProcessId()).toBe(0); // back in the idle thread's context
    expect(() => nt.getUint32(va)).toThrow(expect.objectContaining({ name: 'NtException', status: 0xc0000005 }));
  });
});

describe('InitializeObjectAttributes', () => {
  for (const [arch, size] of [['x64', 0x30], ['x86', 0x18]] as const) {
    it(`fills OBJECT_ATTRIBUTES with sizeof = 0x${size.toString(16)} on ${arch}`, async () => {
      const { nt } = await withDriver(() => {}, { arch });
      expect(nt.InitializeObjectAttributes('\\BaseNamedObjects\\X', 0x240, null, null)).toEqual({
        Length: size, ObjectName: '\\BaseNamedObjects\\X', Attributes: 0x240, RootDirectory: 0, SecurityDescriptor: null,
      });
    });
  }
});

describe('the log', () => {
  it('says of every line the CPU, IRQL and thread it was written on', async () => {
    const where: { cpu: number; irql: number; thread: number }[] = [];
    const { machine } = await withDriver((nt) => {
      const here = () => where.push({ cpu: nt.KeGetCurrentProcessorNumber(), irql: nt.KeGetCurrentIrql(), thread: nt.PsGetCurrentThreadId() });
      nt.DbgPrint('KeTest: in DriverEntry\n');
      here();
      const { dpc } = nt.KeInitializeDpc(function Dpc() {
        nt.DbgPrint('KeTest: in a DPC\n');
        here();
      }, null);
      nt.KeInsertQueueDpc(dpc, null, null);
    });
    let tid = 0;
    machine.spawn(defineProgram(async (k32) => {
      tid = k32.GetCurrentThreadId();
      k32.print('hello');
      return 0;
    }), { name: 'hello.exe' });
    await machine.run();
    const lines = machine.log.filter((e) => e.text.startsWith('KeTest:') || e.text === 'hello');
    expect(where.map((w) => w.irql)).toEqual([PASSIVE_LEVEL, DISPATCH_LEVEL]);
    expect(tid).not.toBe(0);
    expect(lines).toEqual([
      { t: expect.any(Number), source: 'dbgprint', process: 'System', text: 'KeTest: in DriverEntry', ...where[0] },
      { t: expect.any(Number), source: 'dbgprint', process: 'System', text: 'KeTest: in a DPC', ...where[1] },
      { t: expect.any(Number), source: 'stdout', process: 'hello.exe', text: 'hello', cpu: expect.any(Number), irql: PASSIVE_LEVEL, thread: tid },
    ]);
    expect(lines[2]!.cpu).toBeLessThan(2);
  });
});
