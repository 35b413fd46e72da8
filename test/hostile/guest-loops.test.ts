/**
 * Hostile guests, issue 7 item 3: loops that never give the CPU back. A DPC
 * or timer routine that runs past Windows' limits ends in
 * DPC_WATCHDOG_VIOLATION (0x133) with the parameters the bug check page
 * gives; a driver routine below DISPATCH_LEVEL that never returns, which
 * Windows would let run for ever, ends its caller (the program's process,
 * or the host's loadDriver) after ntshm's documented bound. None of them
 * hangs the host.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x133-dpc-watchdog-violation
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from 'ntshm';
import { defineDriver, STATUS_SUCCESS, type Nt } from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING, defineProgram, type K32 } from 'ntshm/win32';
import { bootWith, call, testDriver, type TestDriver } from '../helpers/test-driver.js';

const DPC_WATCHDOG_VIOLATION = 0x133;
const STATUS_POSSIBLE_DEADLOCK = 0xc0000194;
/** nt!KiDpcWatchdogGlobalTriageBlock, which 0x133 points to (ke/watchdog.ts). */
const TRIAGE_BLOCK = { x64: 0xf800_0260_0000 + 0x3f_b320, x86: 0x804d_7000 + 0x3f_b320 };

/** A program that opens the driver and sends it one IOCTL; its process is returned. */
function sendOneIoctl(machine: Machine, driver: TestDriver, name = 'client.exe') {
  return machine.spawn(defineProgram(async (k32: K32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    await call(k32, h, 1);
    k32.print('the IOCTL returned');
    return 0;
  }), { name });
}

/** A program that sleeps three times and prints: it completes if the machine goes on. */
const bystander = defineProgram(async (k32: K32) => {
  for (let i = 1; i <= 3; i++) {
    await k32.Sleep(100);
    k32.print(`tick ${i}`);
  }
  return 7;
});

describe('DPC and timer routines past the DPC watchdog (0x133)', () => {
  it.each(['x64', 'x86'] as const)('%s: an I/O timer routine that stalls for ever stops the machine after 0x500 ticks (20 s), P1 = 0', async (arch) => {
    const driver = testDriver({
      timer: (nt) => { for (;;) nt.KeStallExecutionProcessor(50); },
      entry: (nt, _d, device) => { nt.IoStartTimer(device); },
    });
    const machine = await bootWith([driver], { arch });
    const result = await machine.run({ seconds: 60 });
    expect(result.bugcheck?.code).toBe(DPC_WATCHDOG_VIOLATION);
    // The count that passed the allotment, the allotment, the triage block: the page's example, 0x501 against 0x500.
    expect(result.bugcheck?.params).toEqual([0, 0x501, 0x500, TRIAGE_BLOCK[arch]]);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!TimerRoutine']);
    expect(result.bugcheck?.explanation).toMatch(/^TestDrv!TimerRoutine ran 20\.0\d\d s of virtual time in one call at DISPATCH_LEVEL/);
    // The I/O timer first fires one second after boot; the stall ends 1281 ticks later.
    expect(result.virtualMs).toBeGreaterThanOrEqual(21_000);
    expect(result.virtualMs).toBeLessThan(21_100);
  });

  it('a KTIMER DPC routine that spins on memory alone stops the machine when it passes the single-DPC allotment', async () => {
    let buffer = 0;
    const driver = testDriver({
      entry: (nt) => {
        buffer = nt.ExAllocatePoolWithTag(0, 64, 'Spin');
        const { dpc } = nt.KeInitializeDpc(function SpinDpc() {
          for (let i = 0; ; i++) nt.setUint32(buffer, i);
        }, null);
        const { timer } = nt.KeInitializeTimer();
        nt.KeSetTimer(timer, -10_000n, dpc);
      },
    });
    const machine = await bootWith([driver]);
    // Windows' 20 s would cost about 25 s of host time in memory accesses: a test shortens the allotment to 8 ticks (125 ms).
    machine.kernel.ke.watchdog.DpcTimeLimit = 8;
    const result = await machine.run({ seconds: 10 });
    expect(result.bugcheck?.code).toBe(DPC_WATCHDOG_VIOLATION);
    expect(result.bugcheck?.params).toEqual([0, 9, 8, TRIAGE_BLOCK.x64]);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!SpinDpc']);
    expect(result.virtualMs).toBeLessThan(200);
  });

  it('a DPC that queues itself from its own routine never empties the DPC queue: the cumulative watchdog, P1 = 1', async () => {
    let runs = 0;
    const driver = testDriver({
      entry: (nt) => {
        const { dpc } = nt.KeInitializeDpc(function Requeue(self) {
          runs++;
          nt.KeInsertQueueDpc(self, null, null);
        }, null);
        const { timer } = nt.KeInitializeTimer();
        nt.KeSetTimer(timer, -10_000n, dpc);
      },
    });
    const machine = await bootWith([driver]);
    // Each run costs one kernel call (50 ns): Windows' 120 s would be 2.4e9 runs. 8 ticks here.
    machine.kernel.ke.watchdog.DpcWatchdogLimit = 8;
    const result = await machine.run({ seconds: 10 });
    expect(result.bugcheck?.code).toBe(DPC_WATCHDOG_VIOLATION);
    // P2 the watchdog period, P3 the triage block, P4 reserved.
    expect(result.bugcheck?.params).toEqual([1, 8, TRIAGE_BLOCK.x64, 0]);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!Requeue']);
    expect(result.bugcheck?.explanation).toMatch(/its DPC queue never emptied \(TestDrv!Requeue was running/);
    expect(runs).toBeGreaterThan(1_000_000);
  });

  it('a dispatch routine that raises the IRQL to DISPATCH_LEVEL and stalls for ever stops the machine after 0x1E00 ticks (120 s), P1 = 1', async () => {
    const driver = testDriver({
      control: ({ nt }) => {
        nt.KeRaiseIrqlToDpcLevel();
        for (;;) nt.KeStallExecutionProcessor(50);
      },
    });
    const machine = await bootWith([driver]);
    sendOneIoctl(machine, driver);
    const result = await machine.run({ seconds: 300 });
    expect(result.bugcheck?.code).toBe(DPC_WATCHDOG_VIOLATION);
    expect(result.bugcheck?.params).toEqual([1, 0x1e00, TRIAGE_BLOCK.x64, 0]);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!DispatchControl']);
    expect(result.bugcheck?.explanation).toMatch(/TestDrv!DispatchControl raised the IRQL to 2 and kept it there/);
    expect(result.virtualMs).toBeGreaterThanOrEqual(120_000);
    expect(result.virtualMs).toBeLessThan(120_100);
  });

  it('DPCs and timer routines that return in time never trip the watchdog', async () => {
    let ticks = 0;
    const driver = testDriver({
      timer: (nt) => { ticks++; nt.KeStallExecutionProcessor(50); },
      entry: (nt, _d, device) => { nt.IoStartTimer(device); },
    });
    const machine = await bootWith([driver]);
    const result = await machine.run({ seconds: 30 });
    expect(result.bugcheck).toBeUndefined();
    expect(ticks).toBe(30);
  });
});

describe('a driver routine below DISPATCH_LEVEL that never returns', () => {
  const message = (routine: string) => new RegExp(`\\[client\\.exe ended: TestDrv!${routine} ran 2\\.0\\d\\d s of virtual time at IRQL 0 without returning ` +
    '\\(on client\\.exe main thread\\): Windows has no watchdog below DISPATCH_LEVEL.*; exit code STATUS_POSSIBLE_DEADLOCK \\(0xC0000194\\)\\]');

  it.each([
    ['calls the kernel in a loop', (nt: Nt) => { for (;;) nt.KeQueryTickCount(); }],
    ['spins on memory alone', (nt: Nt) => {
      const p = nt.ExAllocatePoolWithTag(0, 16, 'Spin');
      for (;;) nt.getUint32(p);
    }],
  ])('a dispatch routine that %s ends the program\'s process after 2 virtual seconds; the machine goes on', async (_what, spin) => {
    const driver = testDriver({ control: ({ nt }) => spin(nt) });
    const machine = await bootWith([driver]);
    const client = sendOneIoctl(machine, driver);
    const other = machine.spawn(bystander, { name: 'other.exe' });
    const result = await machine.run({ seconds: 30 });
    expect(result.bugcheck).toBeUndefined();
    expect(client.exitCode).toBe(STATUS_POSSIBLE_DEADLOCK);
    expect(client.stdout).toMatch(message('DispatchControl'));
    expect(client.stdout).not.toMatch(/the IOCTL returned/);
    expect(other.stdout).toBe('tick 1\ntick 2\ntick 3\n');
    expect(other.exitCode).toBe(7);
  }, 60_000);

  it('a DriverEntry that spins makes loadDriver throw the error that names it', async () => {
    const machine = await bootWith([]);
    const spinner = defineDriver({
      name: 'Spinner',
      DriverEntry(nt) {
        for (;;) nt.KeQueryTickCount();
        return STATUS_SUCCESS;
      },
    });
    expect(() => machine.loadDriver('Spinner', spinner)).toThrow(
      expect.objectContaining({ name: 'GuestMisuse', message: expect.stringMatching(/^Spinner!DriverEntry ran 2\.0\d\d s of virtual time at IRQL 0 without returning \(on System worker\)/) }),
    );
    expect(machine.bugcheck).toBeUndefined();
  }, 60_000);
});
