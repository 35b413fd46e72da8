/**
 * Dispatcher objects from the driver's side: a program passes its event's
 * handle in an IOCTL, the driver references it (*ExEventObjectType) and sets
 * it from a timer's DPC, waking the program; events, semaphores and mutexes
 * in a device extension; waits that need not block; a wait that would block
 * at DISPATCH_LEVEL stops the machine; a wait in a dispatch routine below
 * DISPATCH_LEVEL passes virtual time until a DPC signals it.
 */
import { DISPATCH_LEVEL, SynchronizationEvent, UserMode, EVENT_MODIFY_STATE, STATUS_MUTANT_NOT_OWNED, STATUS_SEMAPHORE_LIMIT_EXCEEDED, STATUS_TIMEOUT } from 'ntshm/wdm';
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED, STATUS_SUCCESS, type Nt,
} from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, defineProgram } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const IOCTL_ARM = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_RUN = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS);
const ATTEMPTED_SWITCH_FROM_DPC = 0xb8;
const IRQL_NOT_LESS_OR_EQUAL = 0xa;

const ARCHES = ['x64', 'x86'] as const;

/** A program that opens the driver and sends one IOCTL with `input` (4 bytes) and returns what `after` returns. */
function client(path: string, code: number, before: (k32: import('ntshm/win32').K32) => number, after: (k32: import('ntshm/win32').K32, value: number) => Promise<void>) {
  return defineProgram(async (k32) => {
    const h = k32.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    const value = before(k32);
    const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
    k32.setUint32(buffer, value);
    await k32.DeviceIoControl(h, code, buffer, 4, 0, 0);
    await after(k32, value);
    return 0;
  });
}

describe.each(ARCHES)('driver-side dispatcher objects on %s', (arch) => {
  it("a timer's DPC sets the program's event, referenced from the handle passed in an IOCTL; the program wakes then", async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      control: ({ nt, irp }) => {
        const handle = nt.getUint32(irp.AssociatedIrp.SystemBuffer);
        const ref = nt.ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, nt.ExEventObjectType, UserMode);
        seen.refStatus = ref.status;
        const event = ref.object!;
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => {
          seen.dpcIrql = nt.KeGetCurrentIrql();
          seen.previous = nt.KeSetEvent(event, 0, false);
          seen.setMs = Number(nt.KeQueryInterruptTime() / 10_000n);
          nt.ObDereferenceObject(event);
        }, null);
        nt.KeSetTimer(timer, -50n * 10_000n, dpc);
      },
    });
    const machine = await bootWith([driver], { seed: 3, arch });
    machine.spawn(client(driver.path, IOCTL_ARM, (k32) => k32.CreateEventW(null, false, false), async (k32, h) => {
      seen.before = k32.GetTickCount();
      seen.status = await k32.WaitForSingleObject(h, 0xffffffff);
      seen.after = k32.GetTickCount();
    }));
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toMatchObject({ refStatus: STATUS_SUCCESS, dpcIrql: DISPATCH_LEVEL, previous: 0, status: 0 });
    expect((seen.after as number) - (seen.before as number)).toBeGreaterThanOrEqual(46);
  });

  it('events, semaphores and mutexes in a device extension: states, limits, ownership, waits that need not block', async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      entry: (nt: Nt) => {
        const base = nt.ExAllocatePoolWithTag(0, 0x100, 'Wait');
        const [event, sem, mutex] = [base, base + 0x40, base + 0x80];
        nt.KeInitializeEvent(event, SynchronizationEvent, false);
        seen.eventTimeout = nt.KeWaitForSingleObject(event, 0, 0, false, 0n);
        seen.eventSet = nt.KeSetEvent(event, 0, false);
        seen.eventState = nt.KeReadStateEvent(event);
        seen.eventWait = nt.KeWaitForSingleObject(event, 0, 0, false, null);
        seen.eventAfter = nt.KeReadStateEvent(event);
        nt.KeInitializeSemaphore(sem, 1, 2);
        seen.semRelease = nt.KeReleaseSemaphore(sem, 0, 1, false);
        try {
          nt.KeReleaseSemaphore(sem, 0, 1, false);
        } catch (e) {
          seen.semOver = (e as { status: number }).status;
        }
        seen.semState = nt.KeReadStateSemaphore(sem);
        nt.KeInitializeMutex(mutex, 0);
        try {
          nt.KeReleaseMutex(mutex, false);
        } catch (e) {
          seen.mutexNotOwned = (e as { status: number }).status;
        }
        seen.mutexWaits = [nt.KeWaitForSingleObject(mutex, 0, 0, false, null), nt.KeWaitForMutexObject(mutex, 0, 0, false, null)];
        seen.mutexState = nt.KeReadStateMutex(mutex);
        seen.mutexReleases = [nt.KeReleaseMutex(mutex, false), nt.KeReleaseMutex(mutex, false)];
        seen.any = nt.KeWaitForMultipleObjects(2, [event, sem], 1 /* WaitAny */, 0, 0, false, 0n, null);
        seen.all = nt.KeWaitForMultipleObjects(2, [event, sem], 0 /* WaitAll */, 0, 0, false, 0n, null);
        seen.header = [nt.getUint8(event), nt.getUint8(event + 2), nt.getUint8(sem), nt.getUint8(mutex)];
        nt.ExFreePoolWithTag(base, 'Wait');
      },
    });
    const machine = await bootWith([driver], { seed: 1, arch });
    await machine.run({ seconds: 1 });
    expect(seen).toEqual({
      eventTimeout: STATUS_TIMEOUT, eventSet: 0, eventState: 1, eventWait: 0, eventAfter: 0,
      semRelease: 1, semOver: STATUS_SEMAPHORE_LIMIT_EXCEEDED, semState: 2,
      mutexNotOwned: STATUS_MUTANT_NOT_OWNED, mutexWaits: [0, 0], mutexState: -1, mutexReleases: [-1, 0],
      any: 1, all: STATUS_TIMEOUT,
      // Type EventSynchronizationObject (1), Size in LONGs (KEVENT 0x18 or 0x10), SemaphoreObject (5), MutantObject (2).
      header: [1, arch === 'x64' ? 6 : 4, 5, 2],
    });
  });

  it('a dispatch routine waits below DISPATCH_LEVEL while virtual time passes; a timer DPC sets the event; a timeout ends at a tick', async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      control: ({ nt }) => {
        const event = nt.ExAllocatePoolWithTag(0, 0x20, 'Wait');
        nt.KeInitializeEvent(event, 0, false);
        const t0 = Number(nt.KeQueryInterruptTime() / 10_000n);
        seen.timedOut = nt.KeWaitForSingleObject(event, 0, 0, false, -20n * 10_000n);
        seen.timeoutMs = Number(nt.KeQueryInterruptTime() / 10_000n) - t0;
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => nt.KeSetEvent(event, 0, false), null);
        nt.KeSetTimer(timer, -40n * 10_000n, dpc);
        const t1 = Number(nt.KeQueryInterruptTime() / 10_000n);
        seen.signalled = nt.KeWaitForSingleObject(event, 0, 0, false, null);
        seen.signalMs = Number(nt.KeQueryInterruptTime() / 10_000n) - t1;
        nt.ExFreePoolWithTag(event, 'Wait');
      },
    });
    const machine = await bootWith([driver], { seed: 1, arch });
    machine.spawn(client(driver.path, IOCTL_RUN, () => 0, async () => {}));
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen.timedOut).toBe(STATUS_TIMEOUT);
    expect(seen.timeoutMs).toBeGreaterThanOrEqual(15);
    expect(seen.timeoutMs).toBeLessThanOrEqual(20 + 15.625 * 2);
    expect(seen.signalled).toBe(0);
    expect(seen.signalMs).toBeGreaterThanOrEqual(30);
    expect(seen.signalMs).toBeLessThanOrEqual(40 + 15.625 * 2);
  });

  it.each([
    { where: 'in a DPC routine', code: ATTEMPTED_SWITCH_FROM_DPC, timeout: null as bigint | null },
    { where: 'at DISPATCH_LEVEL in a dispatch routine', code: IRQL_NOT_LESS_OR_EQUAL, timeout: -10n * 10_000n },
  ])('a wait that must block $where stops the machine with $code', async ({ where, code, timeout }) => {
    const driver = testDriver({
      control: ({ nt }) => {
        const event = nt.ExAllocatePoolWithTag(0, 0x20, 'Wait');
        nt.KeInitializeEvent(event, 0, false);
        // A zero timeout is allowed at DISPATCH_LEVEL.
        const old = nt.KeRaiseIrql(DISPATCH_LEVEL).oldIrql;
        nt.KeWaitForSingleObject(event, 0, 0, false, 0n);
        nt.KeLowerIrql(old);
        if (where.startsWith('in a DPC')) {
          const { dpc } = nt.KeInitializeDpc(() => nt.KeWaitForSingleObject(event, 0, 0, false, timeout), null);
          nt.KeInsertQueueDpc(dpc, null, null);
        } else {
          nt.KeRaiseIrql(DISPATCH_LEVEL);
          nt.KeWaitForSingleObject(event, 0, 0, false, timeout);
        }
      },
    });
    const machine = await bootWith([driver], { seed: 1, arch });
    machine.spawn(client(driver.path, IOCTL_RUN, () => 0, async () => {}));
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck?.code).toBe(code);
    expect(result.bugcheck?.explanation).toMatch(/KeWaitForSingleObject/);
  });

  it('KeSetEvent above DISPATCH_LEVEL with the verifier is 0xC4/0x80 naming the event', async () => {
    let event = 0;
    const driver = testDriver({
      control: ({ nt }) => {
        event = nt.ExAllocatePoolWithTag(0, 0x20, 'Wait');
        nt.KeInitializeEvent(event, 0, false);
        nt.KeRaiseIrql(DISPATCH_LEVEL + 1);
        nt.KeSetEvent(event, 0, false);
      },
    });
    const machine = await bootWith([driver], { seed: 1, arch, verifier: true });
    machine.spawn(client(driver.path, IOCTL_RUN, () => 0, async () => {}));
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck?.code).toBe(0xc4);
    expect(result.bugcheck?.params).toEqual([0x80, DISPATCH_LEVEL + 1, event, 0]);
  });
});

describe.each(ARCHES)('work items on %s', (arch) => {
  it('a DPC queues a work item; it runs at PASSIVE_LEVEL in the System process and sets the program\'s event', async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      control: ({ nt, irp, device }) => {
        const handle = nt.getUint32(irp.AssociatedIrp.SystemBuffer);
        const event = nt.ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, nt.ExEventObjectType, UserMode).object!;
        const item = nt.IoAllocateWorkItem(device)!;
        const { dpc } = nt.KeInitializeDpc(() => {
          nt.IoQueueWorkItem(item, (dev, context) => {
            seen.irql = nt.KeGetCurrentIrql();
            seen.pid = nt.PsGetCurrentProcessId();
            seen.sameDevice = dev === device;
            seen.context = context;
            nt.KeSetEvent(event, 0, false);
            nt.ObDereferenceObject(event);
            nt.IoFreeWorkItem(item);
          }, 1 /* DelayedWorkQueue */, 'ctx');
          seen.queuedAt = nt.KeGetCurrentIrql();
        }, null);
        const { timer } = nt.KeInitializeTimer();
        nt.KeSetTimer(timer, -20n * 10_000n, dpc);
      },
    });
    const machine = await bootWith([driver], { seed: 5, arch });
    machine.spawn(client(driver.path, IOCTL_ARM, (k32) => k32.CreateEventW(null, true, false), async (k32, h) => {
      seen.status = await k32.WaitForSingleObject(h, 5000);
    }));
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual({ queuedAt: DISPATCH_LEVEL, irql: 0, pid: 4, sameDevice: true, context: 'ctx', status: 0 });
  });

  it('a work item that returns at DISPATCH_LEVEL is bug check 0xE1 naming IopProcessWorkItem', async () => {
    const driver = testDriver({
      control: ({ nt, device }) => {
        const item = nt.IoAllocateWorkItem(device)!;
        nt.IoQueueWorkItem(item, () => {
          nt.KeRaiseIrql(DISPATCH_LEVEL);
        }, 1, null);
      },
    });
    const machine = await bootWith([driver], { seed: 1, arch });
    machine.spawn(client(driver.path, IOCTL_RUN, () => 0, async (k32) => { await k32.Sleep(50); }));
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck?.code).toBe(0xe1);
    expect(result.bugcheck?.params[1]).toBe(DISPATCH_LEVEL);
  });
});
