/**
 * PsCreateSystemThread: a driver's StartRoutine runs as a scheduled thread
 * of the System process at PASSIVE_LEVEL; in its own code the waits and
 * KeDelayExecutionThread return a Promise and `await` blocks the thread
 * while other threads (a program) run. Its object is signalled when it ends
 * (return, PsTerminateSystemThread); an exception out of it is 0x7E; a
 * driver that unloads under it meets 0xCE when the thread runs again.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  KernelMode, OBJ_KERNEL_HANDLE, PASSIVE_LEVEL, STATUS_INVALID_PARAMETER, STATUS_SUCCESS, STATUS_TIMEOUT, SYNCHRONIZE, type Nt,
} from 'ntshm/wdm';
import { CTL_CODE, EVENT_MODIFY_STATE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED, UserMode } from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const THREAD_ALL_ACCESS = 0x1f_ffff;
const ms = (nt: Nt): number => Number(nt.KeQueryInterruptTime() / 10_000n);
const kernelHandle = (nt: Nt) => nt.InitializeObjectAttributes(null, OBJ_KERNEL_HANDLE);

describe.each(ARCHES)('System threads on %s', (arch) => {
  it('an async StartRoutine runs in the System process at PASSIVE_LEVEL; its delays block it while a program runs', async () => {
    const log: string[] = [];
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      entry: (nt) => {
        const r = nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), null, async function Worker(context) {
          seen.context = context;
          seen.pid = nt.PsGetCurrentProcessId();
          seen.tid = nt.PsGetCurrentThreadId();
          seen.irql = nt.KeGetCurrentIrql();
          for (let i = 0; i < 4; i++) {
            seen.delay = await nt.KeDelayExecutionThread(KernelMode, false, -20n * 10_000n);
            log.push('thread');
          }
        }, 'ctx');
        seen.status = r.status;
        seen.clientId = r.clientId;
        seen.kernelHandle = r.threadHandle < 0;
        seen.close = nt.ZwClose(r.threadHandle);
      },
    });
    const machine = await bootWith([driver], { seed: 5, arch });
    machine.spawn(async (k32) => {
      for (let i = 0; i < 4; i++) {
        await k32.Sleep(20);
        log.push('program');
      }
      return 0;
    });
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toMatchObject({ status: STATUS_SUCCESS, kernelHandle: true, close: STATUS_SUCCESS, context: 'ctx', pid: 4, irql: PASSIVE_LEVEL, delay: STATUS_SUCCESS });
    expect(seen.clientId).toEqual({ UniqueProcess: 4, UniqueThread: seen.tid });
    expect(log.filter((l) => l === 'thread')).toHaveLength(4);
    // The two interleave: the thread's delays let the program run.
    expect(log.slice(0, 4)).toContain('program');
    expect(log.slice(0, 4)).toContain('thread');
  });

  it('waits block the thread until a timer DPC sets the event; another thread waits on its object until it ends', async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      entry: (nt) => {
        const event = nt.ExAllocatePoolWithTag(0, 0x20, 'Thrd');
        nt.KeInitializeEvent(event, 0, false);
        const r = nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), null, async function Worker() {
          const t0 = ms(nt);
          seen.timedOut = await nt.KeWaitForSingleObject(event, 0, KernelMode, false, -10n * 10_000n);
          seen.signalled = await nt.KeWaitForSingleObject(event, 0, KernelMode, false, null);
          seen.waitedMs = ms(nt) - t0;
          seen.workerEnd = ms(nt);
        }, null);
        const ref = nt.ObReferenceObjectByHandle(r.threadHandle, SYNCHRONIZE, nt.PsThreadType, KernelMode);
        seen.ref = ref.status;
        nt.ZwClose(r.threadHandle);
        const worker = ref.object!;
        seen.stateBefore = nt.getUint32(worker.address + 4);
        nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), null, async function Stopper() {
          seen.joined = await nt.KeWaitForSingleObject(worker, 0, KernelMode, false, null);
          seen.joinedAt = ms(nt);
          seen.stateAfter = nt.getUint32(worker.address + 4);
          nt.ObDereferenceObject(worker);
        }, null);
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => nt.KeSetEvent(event, 0, false), null);
        nt.KeSetTimer(timer, -60n * 10_000n, dpc);
      },
    });
    const machine = await bootWith([driver], { seed: 6, arch });
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toMatchObject({ ref: STATUS_SUCCESS, timedOut: STATUS_TIMEOUT, signalled: STATUS_SUCCESS, joined: STATUS_SUCCESS, stateBefore: 0, stateAfter: 1 });
    expect(seen.waitedMs).toBeGreaterThanOrEqual(60);
    expect(seen.joinedAt).toBeGreaterThanOrEqual(seen.workerEnd as number);
  });

  it('PsTerminateSystemThread ends the thread that calls it, with its status; from any other thread it is STATUS_INVALID_PARAMETER', async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      entry: (nt) => {
        seen.fromDriverEntry = nt.PsTerminateSystemThread(STATUS_SUCCESS);
        const r = nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), null, async () => {
          await nt.KeDelayExecutionThread(KernelMode, false, -10n * 10_000n);
          nt.PsTerminateSystemThread(0x1234);
          seen.after = true;
        }, null);
        const ref = nt.ObReferenceObjectByHandle(r.threadHandle, SYNCHRONIZE, nt.PsThreadType, KernelMode);
        nt.ZwClose(r.threadHandle);
        seen.thread = ref.object;
      },
    });
    const machine = await bootWith([driver], { seed: 7, arch });
    const result = await machine.run({ seconds: 1 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen.fromDriverEntry).toBe(STATUS_INVALID_PARAMETER);
    expect(seen.after).toBeUndefined();
    const thread = seen.thread as { ExitStatus: number; terminated: boolean };
    expect(thread.terminated).toBe(true);
    expect(thread.ExitStatus).toBe(0x1234);
  });

  it.each([
    { when: 'raised before its first wait', async: false, sync: false, status: 0xc000_0001 },
    { when: 'raised after a wait', async: true, sync: false, status: 0xc000_0001 },
    { when: 'of a synchronous routine (a NULL dereference)', async: false, sync: true, status: 0xc000_0005 },
  ])('an exception out of the StartRoutine $when is 0x7E naming it', async ({ async, sync, status }) => {
    const driver = testDriver({
      name: 'Thrower',
      entry: (nt) => {
        const Worker = sync
          ? function Worker(context: unknown) { (context as { field: number }).field = 1; }
          : async function Worker() {
            if (async) await nt.KeDelayExecutionThread(KernelMode, false, -10n * 10_000n);
            nt.ExRaiseStatus(0xc000_0001);
          };
        nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), null, Worker, null);
      },
    });
    const machine = await bootWith([driver], { seed: 8, arch });
    const result = await machine.run({ seconds: 1 });
    expect(result.bugcheck?.code).toBe(0x7e);
    expect(result.bugcheck?.params[0]).toBe(status);
    expect(result.bugcheck?.stack).toEqual(['Thrower!Worker']);
  });

  it('a driver that unloads while its thread waits: 0xCE when the thread runs again', async () => {
    const driver = testDriver({
      name: 'Leaver',
      entry: (nt) => {
        nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), null, async function Worker() {
          await nt.KeDelayExecutionThread(KernelMode, false, -50n * 10_000n);
          nt.KeGetCurrentIrql();
        }, null);
      },
    });
    const machine = await boot({ seed: 9, arch });
    machine.loadDriver(driver.name, driver.definition);
    // The thread runs up to its delay, then the driver goes.
    await machine.run({ seconds: 0.01 });
    expect(machine.unloadDriver(driver.name)).toBe(STATUS_SUCCESS);
    const result = await machine.run({ seconds: 1 });
    expect(result.bugcheck?.code).toBe(0xce);
    expect(result.bugcheck?.explanation).toMatch(/Leaver!Worker/);
  });

  it.each([false, true])('stopping the worker at unload (verifier %s): an async DriverUnload sets the stop event and awaits the thread object', async (verifier) => {
    const seen: Record<string, unknown> = { rounds: 0 };
    const driver = testDriver({
      name: 'Stopper',
      entry: (nt, driverObject, device) => {
        const stop = nt.ExAllocatePoolWithTag(0, 0x20, 'Stop');
        nt.KeInitializeEvent(stop, 0, false);
        const r = nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), null, async function Worker() {
          while (await nt.KeWaitForSingleObject(stop, 0, KernelMode, false, -10n * 10_000n) === STATUS_TIMEOUT) seen.rounds = (seen.rounds as number) + 1;
          seen.workerEnded = ms(nt);
        }, null);
        const worker = nt.ObReferenceObjectByHandle(r.threadHandle, SYNCHRONIZE, nt.PsThreadType, KernelMode).object!;
        nt.ZwClose(r.threadHandle);
        driverObject.DriverUnload = async function DriverUnload() {
          nt.KeSetEvent(stop, 0, false);
          seen.joined = await nt.KeWaitForSingleObject(worker, 0, KernelMode, false, null);
          seen.joinedAt = ms(nt);
          nt.ObDereferenceObject(worker);
          nt.ExFreePoolWithTag(stop, 'Stop');
          nt.IoDeleteSymbolicLink('\\DosDevices\\Stopper');
          nt.IoDeleteDevice(device);
        };
      },
    });
    const machine = await bootWith([driver], { seed: 10, arch, verifier });
    await machine.run({ seconds: 0.1 });
    expect(machine.unloadDriver(driver.name)).toBe(STATUS_SUCCESS);
    // The unload runs in a System thread: the driver is still there, stopping.
    expect(machine.kernel.io.drivers.has('STOPPER')).toBe(true);
    const result = await machine.run({ seconds: 1 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen.joined).toBe(STATUS_SUCCESS);
    expect(seen.rounds).toBeGreaterThanOrEqual(5);
    expect(seen.joinedAt).toBeGreaterThanOrEqual(seen.workerEnded as number);
    expect(machine.kernel.io.drivers.has('STOPPER')).toBe(false);
  });

  it("a program's events, handed over in an IOCTL: the program sets one, the System thread wakes and answers on the other", async () => {
    const seen: Record<string, unknown> = { rounds: 0 };
    const IOCTL_EVENTS = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
    const driver = testDriver({
      name: 'PingPong',
      control: ({ nt, irp }) => {
        const sb = irp.AssociatedIrp.SystemBuffer;
        const access = SYNCHRONIZE | EVENT_MODIFY_STATE;
        const ping = nt.ObReferenceObjectByHandle(nt.getUint32(sb), access, nt.ExEventObjectType, UserMode).object!;
        const pong = nt.ObReferenceObjectByHandle(nt.getUint32(sb + 4), access, nt.ExEventObjectType, UserMode).object!;
        const r = nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), null, async function Answerer() {
          for (let i = 0; i < 3; i++) {
            await nt.KeWaitForSingleObject(ping, 0, KernelMode, false, null);
            seen.rounds = (seen.rounds as number) + 1;
            nt.KeSetEvent(pong, 0, false);
          }
          nt.ObDereferenceObject(ping);
          nt.ObDereferenceObject(pong);
        }, null);
        nt.ZwClose(r.threadHandle);
      },
    });
    const machine = await bootWith([driver], { seed: 11, arch });
    const statuses: number[] = [];
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const ping = k32.CreateEventW(null, false, false, null);
      const pong = k32.CreateEventW(null, false, false, null);
      const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      k32.setUint32(buffer, ping);
      k32.setUint32(buffer + 4, pong);
      await k32.DeviceIoControl(h, IOCTL_EVENTS, buffer, 8, 0, 0);
      for (let i = 0; i < 3; i++) {
        k32.SetEvent(ping);
        statuses.push(await k32.WaitForSingleObject(pong, 1000));
      }
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(statuses).toEqual([0, 0, 0]);
    expect(seen.rounds).toBe(3);
  });
});
