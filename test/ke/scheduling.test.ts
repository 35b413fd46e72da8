/**
 * Scheduling: programs take turns. Sleep(0) hands the CPU to the next ready
 * program at once; a program that keeps calling the kernel without blocking
 * keeps it for one quantum (two clock ticks, 31.25 ms) and then lets the
 * others run; a program that spins on memory alone, which JS cannot
 * preempt, is ended after 2 virtual seconds without a system call.
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from 'ntshm';
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED } from 'ntshm/wdm';
import {
  GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, defineProgram, type K32,
} from 'ntshm/win32';
import { THREAD_QUANTUM_NS } from '../../src/kernel/ke/cost.js';
import { KiSystemServiceStub } from '../../src/kernel/ke/system-call.js';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const IOCTL_NOTHING = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
const QUANTUM_MS = 31.25;
const STATUS_POSSIBLE_DEADLOCK = 0xc0000194;

/** The programs' console lines, in virtual-time order, as "t ms name: text". */
const stdout = (machine: Machine) =>
  machine.log.filter((e) => e.source === 'stdout').map((e) => ({ t: e.t, line: `${e.process}: ${e.text}` }));

/**
 * Two programs that each make `iterations` DeviceIoControl calls that
 * complete at once; each prints "runs" when it gets the CPU back from the
 * other, and "done" at the end.
 */
async function twoIoctlLoops(iterations: number, via: 'DeviceIoControl' | 'NtDeviceIoControlFile' = 'DeviceIoControl') {
  const driver = testDriver();
  const machine = await bootWith([driver]);
  let last = '';
  const loop = (name: string) => defineProgram(async (k32: K32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    for (let i = 0; i < iterations; i++) {
      if (last !== name) {
        last = name;
        k32.print('runs');
      }
      if (via === 'DeviceIoControl') await k32.DeviceIoControl(h, IOCTL_NOTHING, 0, 0, 0, 0);
      else await k32.NtDeviceIoControlFile(h, 0, 0, 0, IOCTL_NOTHING, 0, 0, 0, 0);
    }
    k32.print('done');
    return 0;
  });
  machine.spawn(loop('A'), { name: 'a.exe' });
  machine.spawn(loop('B'), { name: 'b.exe' });
  await machine.run();
  return stdout(machine);
}

/** A program that reads one of its own pages for ever, without a system call. */
function spinner(onCaught?: (e: unknown) => void) {
  return defineProgram(async (k32: K32) => {
    const va = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (onCaught) {
      try {
        for (;;) k32.getUint32(va);
      } catch (e) {
        onCaught(e);
      }
    }
    for (;;) k32.getUint32(va);
  });
}

describe('taking turns', () => {
  it('two programs that call Sleep(0) between GetTickCount calls alternate, one iteration each', async () => {
    const machine = await bootWith([]);
    const order: string[] = [];
    const loop = (name: string) => defineProgram(async (k32: K32) => {
      for (let i = 0; i < 5; i++) {
        k32.GetTickCount();
        order.push(name);
        await k32.Sleep(0);
      }
      return 0;
    });
    const a = machine.spawn(loop('A'), { name: 'a.exe' });
    const b = machine.spawn(loop('B'), { name: 'b.exe' });
    await machine.run();
    expect(order.join('')).toBe('ABABABABAB');
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
  });

  it('a program whose DeviceIoControl loop fits in one quantum runs to completion before the other starts', async () => {
    const lines = await twoIoctlLoops(100);
    expect(lines.map((l) => l.line)).toEqual(['a.exe: runs', 'a.exe: done', 'b.exe: runs', 'b.exe: done']);
    expect(lines[3]!.t).toBeLessThan(QUANTUM_MS);
  });

  it('programs whose DeviceIoControl loops outlast a quantum take turns every 31.25 ms of virtual time', async () => {
    const lines = await twoIoctlLoops(200_000);
    const turns = lines.filter((l) => l.line.endsWith('runs'));
    // Several turns each, alternating, before either is done.
    expect(turns.length).toBeGreaterThanOrEqual(6);
    expect(turns.map((l) => l.line[0]).join('')).toMatch(/^(ab)+a?$/);
    expect(lines.findIndex((l) => l.line.endsWith('done'))).toBeGreaterThan(5);
    // Until one is done, each turn lasts one quantum (log times are whole milliseconds).
    const firstDone = lines.find((l) => l.line.endsWith('done'))!.t;
    const preempted = turns.filter((l) => l.t < firstDone);
    expect(preempted.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < preempted.length; i++) {
      const held = preempted[i]!.t - preempted[i - 1]!.t;
      expect(held).toBeGreaterThanOrEqual(Math.floor(QUANTUM_MS));
      expect(held).toBeLessThanOrEqual(Math.ceil(QUANTUM_MS));
    }
  });

  it('a DeviceIoControl preempted at quantum end still returns its bytes, and gives its stack back', async () => {
    // METHOD_BUFFERED echo: the input is in the SystemBuffer already; the driver says how many bytes go back.
    const driver = testDriver({ control: ({ irp, stack }) => { irp.IoStatus.Information = stack.Parameters.DeviceIoControl.InputBufferLength; } });
    const machine = await bootWith([driver]);
    // Where each call's IO_STATUS_BLOCK was (on the caller's stack): one place per program if every frame is popped.
    const iosbs: Record<string, Set<number>> = { 'a.exe': new Set(), 'b.exe': new Set() };
    machine.onSystemCall((name, args, process) => {
      if (name === 'NtDeviceIoControlFile') iosbs[process]?.add(args[4]!);
    });
    const wrong: Record<string, number> = { A: 0, B: 0 };
    let turns = 0;
    let last = '';
    const loop = (name: string) => defineProgram(async (k32: K32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const inVa = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const outVa = inVa + 2048;
      for (let i = 0; i < 60_000; i++) {
        if (last !== name) {
          last = name;
          turns++;
        }
        k32.setUint32(inVa, i);
        const { ok, bytesReturned } = await k32.DeviceIoControl(h, IOCTL_NOTHING, inVa, 8, outVa, 8);
        if (!ok || bytesReturned !== 8 || k32.getUint32(outVa) !== i) wrong[name]!++;
      }
      return 0;
    });
    const a = machine.spawn(loop('A'), { name: 'a.exe' });
    const b = machine.spawn(loop('B'), { name: 'b.exe' });
    await machine.run();
    expect(turns).toBeGreaterThanOrEqual(4);
    expect(wrong).toEqual({ A: 0, B: 0 });
    expect([iosbs['a.exe']!.size, iosbs['b.exe']!.size]).toEqual([1, 1]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
  });

  it('programs that loop on the native NtDeviceIoControlFile take turns too', async () => {
    const lines = await twoIoctlLoops(100_000, 'NtDeviceIoControlFile');
    const turns = lines.filter((l) => l.line.endsWith('runs'));
    expect(turns.length).toBeGreaterThanOrEqual(4);
    expect(turns.map((l) => l.line[0]).join('')).toMatch(/^(ab)+a?$/);
  });
});

describe('a preemptible service\'s stub', () => {
  /** Runs `body` in a.exe while b.exe is ready to run, with a stub over a service that counts its calls. */
  async function withStub(body: (stub: () => number | Promise<number>, calls: () => number, endQuantum: () => void,
    bRan: () => boolean) => Promise<void>) {
    const machine = await bootWith([]);
    const k = machine.kernel;
    let calls = 0;
    let bRan = false;
    let failure: unknown;
    machine.spawn(defineProgram(async () => {
      try {
        const thread = k.currentThread;
        const stub = KiSystemServiceStub(k, thread, 'NtTest', 0, () => ++calls, () => {}, true);
        await body(stub, () => calls, () => { thread.quantumStartNs = k.clock.nowNs - THREAD_QUANTUM_NS; }, () => bRan);
      } catch (e) {
        failure = e;
      }
      return 0;
    }), { name: 'a.exe' });
    machine.spawn(defineProgram(() => { bRan = true; return 0; }), { name: 'b.exe' });
    await machine.run();
    if (failure) throw failure;
  }

  it('returns the status itself, not a promise, while the quantum lasts', async () => {
    await withStub(async (stub, calls, _endQuantum, bRan) => {
      expect(stub()).toBe(1);
      expect(typeof stub()).toBe('number');
      expect(calls()).toBe(2);
      expect(bRan()).toBe(false);
    });
  });

  it('at quantum end returns a promise, lets the ready program run, then enters the service once', async () => {
    await withStub(async (stub, calls, endQuantum, bRan) => {
      endQuantum();
      const r = stub();
      expect(r).toBeInstanceOf(Promise);
      expect(calls()).toBe(0);
      expect(await r).toBe(1);
      expect(bRan()).toBe(true);
      // The new quantum starts when the thread gets the CPU back: the next call is immediate again.
      expect(typeof stub()).toBe('number');
    });
  });
});

describe('a program that spins on memory alone', () => {
  const message = /^\[spin\.exe ended: spin\.exe main thread ran 2\.0\d\d s of virtual time without a system call: a program that spins on memory alone cannot be preempted in ntshm's single-threaded mode \(use Sleep, Sleep\(0\) to yield, or a wait\); exit code STATUS_POSSIBLE_DEADLOCK \(0xC0000194\)\]$/m;

  it('is ended after 2 virtual seconds, with a message that says why, and the other program still completes', async () => {
    const machine = await bootWith([]);
    const spin = machine.spawn(spinner(), { name: 'spin.exe' });
    const other = machine.spawn(defineProgram(async (k32: K32) => {
      for (let i = 1; i <= 3; i++) {
        await k32.Sleep(100);
        k32.print(`tick ${i}`);
      }
      return 7;
    }), { name: 'other.exe' });
    const result = await machine.run();
    expect(spin.stdout).toMatch(message);
    expect(spin.exitCode).toBe(STATUS_POSSIBLE_DEADLOCK);
    expect(other.stdout).toBe('tick 1\ntick 2\ntick 3\n');
    expect(other.exitCode).toBe(7);
    expect(result.bugcheck).toBeUndefined();
    expect(result.virtualMs).toBeLessThan(2400);
  }, 60_000);

  it('is not ended if it polls GetTickCount for 3 seconds and calls Sleep(0) between polls', async () => {
    const machine = await bootWith([]);
    const poller = machine.spawn(defineProgram(async (k32: K32) => {
      const start = k32.GetTickCount();
      while (k32.GetTickCount() - start < 3000) {
        for (let i = 0; i < 1000; i++) k32.YieldProcessor();
        await k32.Sleep(0);
      }
      return 0;
    }), { name: 'poll.exe' });
    await machine.run();
    expect(poller.stdout).toBe('');
    expect(poller.exitCode).toBe(0);
  }, 60_000);

  it('is ended all the same if it catches the error and spins on', async () => {
    const machine = await bootWith([]);
    let caught: unknown;
    const spin = machine.spawn(spinner((e) => { caught = e; }), { name: 'spin.exe' });
    const result = await machine.run();
    expect(caught).toMatchObject({ name: 'GuestMisuse', message: expect.stringMatching(/without a system call/) });
    expect(spin.stdout).toMatch(message);
    expect(spin.exitCode).toBe(STATUS_POSSIBLE_DEADLOCK);
    // The second check comes one clock tick after the first, not another 2 seconds later.
    expect(result.virtualMs).toBeLessThan(2100);
  }, 60_000);
});
