/**
 * Cancelling pending requests: CancelIoEx and CancelIo call the driver's
 * cancel routine (the request ends STATUS_CANCELLED, ERROR_OPERATION_ABORTED);
 * a thread's exit cancels its requests and waits for them, five virtual
 * minutes for a driver that never completes them (findings
 * irp-pending-at-rundown, then irp-cancel-timeout); completing an IRP after
 * its cancel routine did is 0x44; a cancel-safe queue keeps all of this
 * right for the driver.
 */
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, METHOD_BUFFERED, STATUS_CANCELLED, STATUS_PENDING, STATUS_SUCCESS,
  type DeviceObject, type IoCsq, type Irp, type Nt,
} from 'ntshm/wdm';
import { ERROR_OPERATION_ABORTED, FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, OVERLAPPED, type K32 } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const IOCTL_HOLD = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x920, METHOD_BUFFERED, FILE_ANY_ACCESS);
const MULTIPLE_IRP_COMPLETE_REQUESTS = 0x44;
const ARCHES = ['x64', 'x86'] as const;

/** How the holding driver treats a request. */
interface HoldOptions {
  /** Set a cancel routine that completes the IRP with STATUS_CANCELLED. */
  cancelRoutine: boolean;
  /** Complete it from a timer's DPC this many ms later (none: never). */
  completeAfterMs?: number;
  /** The DPC clears the cancel routine first and leaves the IRP alone if cancellation took it (the right way). */
  checkCancel?: boolean;
}

function holdingDriver(options: HoldOptions, log: string[]) {
  return testDriver({
    control: ({ nt, irp }) => {
      nt.IoMarkIrpPending(irp);
      if (options.cancelRoutine) {
        nt.IoSetCancelRoutine(irp, function CancelRoutine(_device: DeviceObject, cancelled: Irp): void {
          nt.IoReleaseCancelSpinLock(cancelled.CancelIrql);
          log.push('cancel routine');
          cancelled.IoStatus.Status = STATUS_CANCELLED;
          cancelled.IoStatus.Information = 0;
          nt.IoCompleteRequest(cancelled, IO_NO_INCREMENT);
        });
      }
      if (options.completeAfterMs !== undefined) {
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => {
          if (options.checkCancel && nt.IoSetCancelRoutine(irp, null) === null) {
            log.push('dpc: cancel owns it');
            return;
          }
          log.push('dpc completes');
          irp.IoStatus.Status = STATUS_SUCCESS;
          nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        }, null);
        nt.KeSetTimer(timer, BigInt(-options.completeAfterMs) * 10_000n, dpc);
      }
      return STATUS_PENDING;
    },
  });
}

const open = (k32: K32, path: string, overlapped: boolean): number =>
  k32.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, overlapped ? FILE_FLAG_OVERLAPPED : 0, null);

describe.each(ARCHES)('cancelling pending requests on %s', (arch) => {
  it('CancelIoEx calls the cancel routine: the request ends ERROR_OPERATION_ABORTED and the DPC finds it taken', async () => {
    const log: string[] = [];
    const driver = holdingDriver({ cancelRoutine: true, completeAfterMs: 200, checkCancel: true }, log);
    const machine = await bootWith([driver], { arch });
    const before = machine.stats();
    const seen: Record<string, unknown> = {};
    machine.spawn(async (k32) => {
      const h = open(k32, driver.path, true);
      const ov = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      await k32.DeviceIoControl(h, IOCTL_HOLD, 0, 0, 0, 0, ov);
      seen.cancel = k32.CancelIoEx(h, ov);
      const r = await k32.GetOverlappedResult(h, ov, true);
      seen.result = { ...r, error: k32.GetLastError() };
      seen.again = { ok: k32.CancelIoEx(h, ov), error: k32.GetLastError() };
      await k32.Sleep(300);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen.cancel).toBe(true);
    expect(seen.result).toEqual({ ok: false, numberOfBytesTransferred: 0, error: ERROR_OPERATION_ABORTED });
    expect(seen.again).toEqual({ ok: false, error: 1168 }); // ERROR_NOT_FOUND: nothing left to cancel
    expect(log).toEqual(['cancel routine', 'dpc: cancel owns it']);
    expect(machine.stats().pool).toEqual(before.pool);
  });

  it('a process that exits while another of its threads waits on a synchronous request: the request is cancelled, the exit goes on', async () => {
    const log: string[] = [];
    const driver = holdingDriver({ cancelRoutine: true }, log);
    const machine = await bootWith([driver], { arch });
    const before = machine.stats();
    const p = machine.spawn(async (k32) => {
      const h = open(k32, driver.path, false);
      k32.CreateThread(null, 0, async (t) => {
        await t.DeviceIoControl(h, IOCTL_HOLD, 0, 0, 0, 0);
        return 0;
      }, 0, 0);
      await k32.Sleep(50);
      // The main thread returns: the process exits, and its threads' requests are cancelled first.
      return 3;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(p.exitCode).toBe(3);
    expect(log).toEqual(['cancel routine']);
    expect(result.findings).toEqual([]);
    expect(machine.stats().pool).toEqual(before.pool);
  });

  it('a process that exits with a request its driver never completes waits 3000 times 100 ms, reported, then goes on', async () => {
    const log: string[] = [];
    const driver = holdingDriver({ cancelRoutine: false, completeAfterMs: 500_000 }, log);
    const machine = await bootWith([driver], { arch });
    const before = machine.stats();
    const p = machine.spawn(async (k32) => {
      const h = open(k32, driver.path, true);
      const ov = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      await k32.DeviceIoControl(h, IOCTL_HOLD, 0, 0, 0, 0, ov);
      return 0;
    });
    const first = await machine.run({ seconds: 10 });
    expect(p.exitCode).toBeUndefined();
    expect(first.findings.map((f) => f.kind)).toEqual(['irp-pending-at-rundown']);
    expect(first.findings[0]!.driver).toBe(driver.name);
    // 3000 waits of 100 ms, each ending at a clock tick (every 15.625 ms): about 328 s.
    const second = await machine.run({ seconds: 340 });
    expect(p.exitCode).toBe(0);
    expect(second.findings.map((f) => f.kind)).toEqual(['irp-pending-at-rundown', 'irp-cancel-timeout']);
    expect(second.virtualMs).toBeGreaterThanOrEqual(300_000);
    // The driver completes it at last: it is freed, nothing is written for a thread that is gone.
    const third = await machine.run({ seconds: 200 });
    expect(third.bugcheck).toBeUndefined();
    expect(log).toEqual(['dpc completes']);
    expect(machine.stats().pool).toEqual(before.pool);
  });

  it('a handle closed with a request pending that the driver\'s cleanup leaves alone is reported; the exit cancels it', async () => {
    const log: string[] = [];
    const driver = holdingDriver({ cancelRoutine: true }, log);
    const machine = await bootWith([driver], { arch });
    const p = machine.spawn(async (k32) => {
      const h = open(k32, driver.path, true);
      const ov = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      await k32.DeviceIoControl(h, IOCTL_HOLD, 0, 0, 0, 0, ov);
      k32.CloseHandle(h);
      await k32.Sleep(100);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(p.exitCode).toBe(0);
    expect(result.findings.map((f) => [f.kind, f.routine])).toEqual([['irp-pending-after-cleanup', 'DispatchCleanup']]);
    expect(log).toEqual(['cancel routine']);
  });

  it('completing an IRP after its cancel routine completed it is bug check 0x44', async () => {
    const log: string[] = [];
    const driver = holdingDriver({ cancelRoutine: true, completeAfterMs: 100, checkCancel: false }, log);
    const machine = await bootWith([driver], { arch });
    machine.spawn(async (k32) => {
      const h = open(k32, driver.path, true);
      const ov = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      await k32.DeviceIoControl(h, IOCTL_HOLD, 0, 0, 0, 0, ov);
      k32.CancelIoEx(h, null);
      await k32.Sleep(500);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(log).toEqual(['cancel routine', 'dpc completes']);
    expect(result.bugcheck?.code).toBe(MULTIPLE_IRP_COMPLETE_REQUESTS);
  });
});

/** A driver that queues requests in a cancel-safe queue and completes one per timer tick (every 100 ms). */
function csqDriver(log: string[]) {
  const queue: Irp[] = [];
  let csq: IoCsq | undefined;
  let ntRef: Nt | undefined;
  return testDriver({
    entry: (nt) => {
      ntRef = nt;
      const lock = nt.ExAllocatePoolWithTag(0, 8, 0x71737343);
      nt.KeInitializeSpinLock(lock);
      csq = {} as IoCsq;
      nt.IoCsqInitialize(csq,
        (_c, irp) => { queue.push(irp); },
        (_c, irp) => { queue.splice(queue.indexOf(irp), 1); },
        (_c, irp) => (irp === null ? queue[0] ?? null : queue[queue.indexOf(irp) + 1] ?? null),
        () => nt.KeAcquireSpinLock(lock).oldIrql,
        (_c, irql) => nt.KeReleaseSpinLock(lock, irql),
        (_c, irp) => {
          log.push('cancelled');
          irp.IoStatus.Status = STATUS_CANCELLED;
          nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        });
      const { timer } = nt.KeInitializeTimerEx(0);
      const { dpc } = nt.KeInitializeDpc(() => {
        const irp = nt.IoCsqRemoveNextIrp(csq!, null);
        if (!irp) return;
        log.push('served');
        irp.IoStatus.Status = STATUS_SUCCESS;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      }, null);
      nt.KeSetTimerEx(timer, -1_000_000n, 100, dpc);
    },
    control: ({ irp }) => {
      ntRef!.IoCsqInsertIrp(csq!, irp, null);
      return STATUS_PENDING;
    },
  });
}

describe.each(ARCHES)('a cancel-safe queue on %s', (arch) => {
  it('serves queued requests from a DPC, cancels one on CancelIoEx and the rest at exit', async () => {
    const log: string[] = [];
    const driver = csqDriver(log);
    const machine = await bootWith([driver], { arch });
    const seen: number[] = [];
    machine.spawn(async (k32) => {
      const h = open(k32, driver.path, true);
      const page = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const ovs = [0, 1, 2, 3, 4].map((i) => page + i * 64);
      // Each its own event: the file handle's is set by whichever request ends first.
      for (const ov of ovs) k32.setPointer(ov + OVERLAPPED[arch].hEvent, k32.CreateEventW(null, true, false, null));
      for (const ov of ovs) await k32.DeviceIoControl(h, IOCTL_HOLD, 0, 0, 0, 0, ov);
      k32.CancelIoEx(h, ovs[4]!);
      await k32.GetOverlappedResult(h, ovs[0]!, true);
      await k32.GetOverlappedResult(h, ovs[1]!, true);
      for (const ov of ovs) seen.push(k32.HasOverlappedIoCompleted(ov) ? k32.getUint32(ov) : -1);
      return 0;
    });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(result.findings).toEqual([]);
    expect(seen).toEqual([0, 0, -1, -1, STATUS_CANCELLED]);
    expect(log).toEqual(['cancelled', 'served', 'served', 'cancelled', 'cancelled']);
  });
});
