/**
 * Requests a driver holds pending: a dispatch routine that returns
 * STATUS_PENDING keeps the IRP and completes it later from a timer's DPC.
 * On a synchronous handle the program's DeviceIoControl waits for that; on
 * an overlapped one it is FALSE with ERROR_IO_PENDING, and the OVERLAPPED's
 * event and GetOverlappedResult tell the end. Requests on one synchronous
 * handle are serialised. Nothing is left over.
 */
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, METHOD_BUFFERED, STATUS_PENDING, type Irp, type Nt,
} from 'ntshm/wdm';
import {
  ERROR_IO_INCOMPLETE, ERROR_IO_PENDING, FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, OVERLAPPED, type K32,
} from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const IOCTL_LATER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x910, METHOD_BUFFERED, FILE_ANY_ACCESS);
const ARCHES = ['x64', 'x86'] as const;

/**
 * A driver that holds each request and completes it `delayMs` later from a timer's DPC, writing the
 * request's 4-byte input plus 1000 into its output. `log` gets what happened, in order.
 */
function laterDriver(delayMs: number, log: string[]) {
  return testDriver({
    control: ({ nt, irp }) => {
      const input = nt.getUint32(irp.AssociatedIrp.SystemBuffer);
      nt.IoMarkIrpPending(irp);
      const { timer } = nt.KeInitializeTimer();
      const { dpc } = nt.KeInitializeDpc(() => complete(nt, irp, input, log), null);
      nt.KeSetTimer(timer, BigInt(-delayMs) * 10_000n, dpc);
      log.push(`pending ${input}`);
      return STATUS_PENDING;
    },
  });
}

function complete(nt: Nt, irp: Irp, input: number, log: string[]): void {
  nt.setUint32(irp.AssociatedIrp.SystemBuffer, input + 1000);
  irp.IoStatus.Status = 0;
  irp.IoStatus.Information = 4;
  log.push(`complete ${input}`);
  nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
}

/** Allocates a 4-byte in/out buffer holding `value`. */
function buffer(k32: K32, value: number): number {
  const va = k32.VirtualAlloc(0, 4096, 0x3000, 4);
  k32.setUint32(va, value);
  return va;
}

describe.each(ARCHES)('pending requests on %s', (arch) => {
  it('a synchronous handle: DeviceIoControl waits until the DPC completes the request, then has its output', async () => {
    const log: string[] = [];
    const driver = laterDriver(100, log);
    const machine = await bootWith([driver], { arch, seed: 2 });
    const before = machine.stats();
    const seen: Record<string, unknown> = {};
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const va = buffer(k32, 7);
      const t0 = k32.GetTickCount();
      const r = await k32.DeviceIoControl(h, IOCTL_LATER, va, 4, va, 4);
      seen.waitedMs = k32.GetTickCount() - t0;
      seen.result = r;
      seen.output = k32.getUint32(va);
      log.push('returned');
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(log).toEqual(['pending 7', 'complete 7', 'returned']);
    expect(seen.result).toEqual({ ok: true, bytesReturned: 4 });
    expect(seen.output).toBe(1007);
    expect(seen.waitedMs as number).toBeGreaterThanOrEqual(93);
    expect(result.findings).toEqual([]);
    const after = machine.stats();
    expect(after.pool).toEqual(before.pool);
    expect(after.frames.free).toBe(before.frames.free);
  });

  it('an overlapped handle: ERROR_IO_PENDING, ERROR_IO_INCOMPLETE until the event is set, then GetOverlappedResult has the bytes', async () => {
    const log: string[] = [];
    const driver = laterDriver(50, log);
    const machine = await bootWith([driver], { arch, seed: 2 });
    const seen: Record<string, unknown> = {};
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
      const va = buffer(k32, 5);
      const ov = va + 64;
      const event = k32.CreateEventW(null, true, false, null);
      k32.setPointer(ov + OVERLAPPED[arch].hEvent, event);
      const r = await k32.DeviceIoControl(h, IOCTL_LATER, va, 4, va, 4, ov);
      seen.first = { ...r, error: k32.GetLastError() };
      const early = await k32.GetOverlappedResult(h, ov, false);
      seen.early = { ...early, error: k32.GetLastError(), completed: k32.HasOverlappedIoCompleted(ov) };
      seen.wait = await k32.WaitForSingleObject(event, 1000);
      seen.final = await k32.GetOverlappedResult(h, ov, false);
      seen.output = k32.getUint32(va);
      k32.CloseHandle(event);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen.first).toEqual({ ok: false, bytesReturned: 0, error: ERROR_IO_PENDING });
    expect(seen.early).toEqual({ ok: false, numberOfBytesTransferred: 0, error: ERROR_IO_INCOMPLETE, completed: false });
    expect(seen.wait).toBe(0);
    expect(seen.final).toEqual({ ok: true, numberOfBytesTransferred: 4 });
    expect(seen.output).toBe(1005);
  });

  it('GetOverlappedResult with bWait waits on the file handle when the OVERLAPPED has no event', async () => {
    const log: string[] = [];
    const driver = laterDriver(30, log);
    const machine = await bootWith([driver], { arch, seed: 2 });
    const seen: Record<string, unknown> = {};
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
      const va = buffer(k32, 9);
      const ov = va + 64;
      await k32.DeviceIoControl(h, IOCTL_LATER, va, 4, va, 4, ov);
      seen.final = await k32.GetOverlappedResult(h, ov, true);
      seen.output = k32.getUint32(va);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen.final).toEqual({ ok: true, numberOfBytesTransferred: 4 });
    expect(seen.output).toBe(1009);
  });

  it('two threads on one synchronous handle: the second request starts only when the first has finished', async () => {
    const log: string[] = [];
    const driver = laterDriver(40, log);
    const machine = await bootWith([driver], { arch, seed: 4 });
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const second = k32.CreateThread(null, 0, async (t) => {
        await t.DeviceIoControl(h, IOCTL_LATER, buffer(t, 2), 4, 0, 0);
        return 0;
      }, 0, 0);
      await k32.DeviceIoControl(h, IOCTL_LATER, buffer(k32, 1), 4, 0, 0);
      await k32.WaitForSingleObject(second.value, 0xffffffff);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    // Whichever thread asks first, its request ends before the other's begins.
    expect(log.map((l) => l.split(' ')[0])).toEqual(['pending', 'complete', 'pending', 'complete']);
    expect(log[0]!.split(' ')[1]).toBe(log[1]!.split(' ')[1]);
  });

  it('on an overlapped handle the same two requests are in progress together', async () => {
    const log: string[] = [];
    const driver = laterDriver(40, log);
    const machine = await bootWith([driver], { arch, seed: 4 });
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
      const a = buffer(k32, 1);
      const b = buffer(k32, 2);
      await k32.DeviceIoControl(h, IOCTL_LATER, a, 4, a, 4, a + 64);
      await k32.DeviceIoControl(h, IOCTL_LATER, b, 4, b, 4, b + 64);
      await k32.GetOverlappedResult(h, a + 64, true);
      await k32.GetOverlappedResult(h, b + 64, true);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(log).toEqual(['pending 1', 'pending 2', 'complete 1', 'complete 2']);
  });
});

describe.each(ARCHES)('a driver waiting for an IRP it built, on %s', (arch) => {
  it('IoBuildDeviceIoControlRequest\'s Event is set when the lower driver completes the request it held pending', async () => {
    const log: string[] = [];
    const lower = laterDriver(50, log);
    const seen: Record<string, unknown> = {};
    const upper = testDriver({
      name: 'Upper',
      control: ({ nt }) => {
        const target = nt.IoGetDeviceObjectPointer(`\\Device\\${lower.name}`, 0x1);
        const event = nt.ExAllocatePoolWithTag(0, 64, 'Evnt');
        const buffer = nt.ExAllocatePoolWithTag(0, 8, 'Buff');
        nt.setUint32(buffer, 21);
        nt.KeInitializeEvent(event, 0, false);
        const iosb = { Status: 0, Information: 0 };
        const irp = nt.IoBuildDeviceIoControlRequest(IOCTL_LATER, target.deviceObject!, buffer, 4, buffer, 4, false, event, iosb);
        seen.called = nt.IoCallDriver(target.deviceObject!, irp!);
        seen.wait = nt.KeWaitForSingleObject(event, 0, 0, false, null);
        seen.iosb = { ...iosb };
        seen.output = nt.getUint32(buffer);
        nt.ExFreePoolWithTag(event, 'Evnt');
        nt.ExFreePoolWithTag(buffer, 'Buff');
        nt.ObDereferenceObject(target.fileObject!);
      },
    });
    const machine = await bootWith([lower, upper], { arch });
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(upper.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(h, IOCTL_LATER, 0, 0, 0, 0);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual({ called: STATUS_PENDING, wait: 0, iosb: { Status: 0, Information: 4 }, output: 1021 });
  });
});
