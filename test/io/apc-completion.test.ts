/**
 * An I/O request's ApcRoutine (NtDeviceIoControlFile): when the request ends
 * (completed at once with success, or later from a DPC on an overlapped
 * handle) a user APC (ApcContext, IoStatusBlock, 0) is queued to the calling
 * thread, and runs at its next alertable wait; a request that fails at once
 * queues none.
 */
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, METHOD_BUFFERED, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS,
} from 'ntshm/wdm';
import { FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE, INFINITE, OPEN_EXISTING, WAIT_IO_COMPLETION, type K32 } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const IOCTL_LATER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x910, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_NOW = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x911, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_FAIL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x912, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** IOCTL_LATER completes 50 ms later from a timer's DPC with 4 bytes; IOCTL_NOW at once; IOCTL_FAIL fails at once. */
const driver = testDriver({
  control: ({ nt, irp, stack }) => {
    const code = stack.Parameters.DeviceIoControl.IoControlCode;
    const finish = (status: number, information: number): number => {
      irp.IoStatus.Status = status;
      irp.IoStatus.Information = information;
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      return status;
    };
    if (code === IOCTL_NOW) return finish(STATUS_SUCCESS, 0);
    if (code === IOCTL_FAIL) return finish(STATUS_INVALID_PARAMETER, 0);
    nt.IoMarkIrpPending(irp);
    const { timer } = nt.KeInitializeTimer();
    const { dpc } = nt.KeInitializeDpc(() => finish(STATUS_SUCCESS, 4), null);
    nt.KeSetTimer(timer, -50n * 10_000n, dpc);
    return STATUS_PENDING;
  },
});

describe.each(['x64', 'x86'] as const)('ApcRoutine completion on %s', (arch) => {
  it('pending, immediate success and immediate failure: an APC for the first two, run in the caller at its alertable wait', async () => {
    const machine = await bootWith([driver], { arch, seed: 3 });
    const calls: { context: number; status: number; information: number; iosb: number; thread: number }[] = [];
    const seen: Record<string, unknown> = {};
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
      const va = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const iosbs = [va + 0x100, va + 0x200, va + 0x300];
      const apc = (t: K32, context: number, iosb: number) => {
        calls.push({ context, iosb, status: t.getUint32(iosb), information: t.getUint32(iosb + (arch === 'x64' ? 8 : 4)), thread: t.GetCurrentThreadId() });
      };
      seen.later = (await k32.NtDeviceIoControlFile(h, 0, apc, 0x11, IOCTL_LATER, va, 4, va, 4)).status;
      seen.now = (await k32.NtDeviceIoControlFile(h, 0, apc, 0x22, IOCTL_NOW, 0, 0, 0, 0)).status;
      seen.fail = (await k32.NtDeviceIoControlFile(h, 0, apc, 0x33, IOCTL_FAIL, 0, 0, 0, 0)).status;
      seen.queuedBeforeWait = calls.length;
      seen.first = await k32.SleepEx(INFINITE, true);
      seen.afterFirst = calls.length;
      seen.second = await k32.SleepEx(INFINITE, true);
      seen.me = k32.GetCurrentThreadId();
      seen.iosbs = iosbs;
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toMatchObject({ later: STATUS_PENDING, now: STATUS_SUCCESS, fail: STATUS_INVALID_PARAMETER, queuedBeforeWait: 0,
      first: WAIT_IO_COMPLETION, afterFirst: 1, second: WAIT_IO_COMPLETION });
    // The immediate success's APC was queued first; the pending request's came with its DPC, 50 ms on.
    expect(calls.map((c) => [c.context, c.status, c.information])).toEqual([[0x22, STATUS_SUCCESS, 0], [0x11, STATUS_SUCCESS, 4]]);
    expect(calls.every((c) => c.thread === seen.me)).toBe(true);
    expect(result.findings).toEqual([]);
  });
});
