/**
 * Figure 8 of the performance targets (issue 10, item 7; DESIGN §9): a
 * pending IRP completed from a DPC, seen by a program waiting on an event —
 * "two kernel entries and a wait".
 *
 * The driver holds IOCTL_HOLD pending (IoMarkIrpPending, STATUS_PENDING);
 * IOCTL_RELEASE queues a DPC (KeInsertQueueDpc) whose routine completes the
 * held IRP (IoCompleteRequest at DISPATCH_LEVEL), and is itself completed at
 * once. The program sends IOCTL_HOLD on an overlapped handle with an
 * OVERLAPPED whose hEvent is an auto-reset event (FALSE, ERROR_IO_PENDING),
 * then IOCTL_RELEASE on a second, synchronous handle, then waits on the event
 * (WaitForSingleObject, INFINITE) and checks the OVERLAPPED's Internal. One
 * round trip is those three calls; the figure is host ns per round trip.
 * Beside it (a diagnostic), two DeviceIoControl calls that complete at once:
 * what the two kernel entries cost without the pending request, the DPC, the
 * APC that finishes the request in the program's thread, and the wait.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iomarkirppending
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinsertqueuedpc
 * https://learn.microsoft.com/windows/win32/api/ioapiset/nf-ioapiset-deviceiocontrol
 */
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED,
  STATUS_INVALID_DEVICE_REQUEST, STATUS_PENDING, STATUS_SUCCESS, type Irp,
} from '../src/api/wdm.js';
import {
  ERROR_IO_PENDING, FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE, INFINITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE,
  OPEN_EXISTING, OVERLAPPED, PAGE_READWRITE, WAIT_OBJECT_0,
} from '../src/api/win32.js';
import { boot } from '../src/index.js';
import { benchDriver, completeSuccess } from './device.js';
import { inProgram } from './guest.js';
import { median } from './measure.js';
import { performance } from 'node:perf_hooks';

const SERVICE = 'BenchPending';
const IOCTL_HOLD = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x920, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_RELEASE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x921, METHOD_BUFFERED, FILE_ANY_ACCESS);

/** The driver: one request held at a time; the release's DPC completes it with 4 bytes of output. */
const holdDriver = benchDriver(SERVICE, (nt) => {
  let held: Irp | null = null;
  const { dpc } = nt.KeInitializeDpc(function CompleteHeld(_dpc, _context, irp) {
    const request = irp as Irp;
    nt.setUint32(request.AssociatedIrp.SystemBuffer, 0x600d);
    request.IoStatus.Status = STATUS_SUCCESS;
    request.IoStatus.Information = 4;
    nt.IoCompleteRequest(request, IO_NO_INCREMENT);
  }, null);
  return {
    [IRP_MJ_DEVICE_CONTROL]: (_d, irp) => {
      switch (IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl.IoControlCode) {
        case IOCTL_HOLD:
          nt.IoMarkIrpPending(irp);
          held = irp;
          return STATUS_PENDING;
        case IOCTL_RELEASE:
          if (held !== null) {
            // At PASSIVE_LEVEL the DPC runs as soon as it is queued, at DISPATCH_LEVEL, on this CPU.
            nt.KeInsertQueueDpc(dpc, held, null);
            held = null;
          }
          return completeSuccess(nt, irp, 0);
        default:
          irp.IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
          nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
          return STATUS_INVALID_DEVICE_REQUEST;
      }
    },
  };
});

export interface PendingFigures {
  /** Median host ns per round trip: DeviceIoControl (pending), DeviceIoControl (the DPC completes it), WaitForSingleObject. */
  roundTripNs: number;
  /** Median host ns of two plain DeviceIoControl calls that complete at once (IOCTL_RELEASE with nothing held): the two kernel entries alone. */
  twoCallsNs: number;
  roundTrips: number;
}

export async function benchPending(quick: boolean): Promise<PendingFigures> {
  const machine = await boot({ arch: 'x64' });
  const loaded = machine.loadDriver(SERVICE, holdDriver);
  if (loaded !== STATUS_SUCCESS) throw new Error(`the pending driver did not load: 0x${(loaded >>> 0).toString(16)}`);
  const batch = 256;
  const warmupBatches = quick ? 10 : 100;
  const batches = quick ? 10 : 51;
  return inProgram(machine, 'pending.exe', async (k32) => {
    const path = `\\\\.\\${SERVICE}`;
    const hHold = k32.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
    const hRelease = k32.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    if (hHold === INVALID_HANDLE_VALUE || hRelease === INVALID_HANDLE_VALUE) throw new Error(`CreateFileW failed (error ${k32.GetLastError()})`);
    const event = k32.CreateEventW(null, false, false, null);
    const buffer = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const ov = buffer + 64;
    k32.setPointer(ov + OVERLAPPED.x64.hEvent, event);
    let failed = 0;

    const roundTrip = async (): Promise<void> => {
      const hold = await k32.DeviceIoControl(hHold, IOCTL_HOLD, buffer, 4, buffer, 4, ov);
      if (hold.ok || k32.GetLastError() !== ERROR_IO_PENDING) failed++;
      const release = await k32.DeviceIoControl(hRelease, IOCTL_RELEASE, 0, 0, 0, 0);
      if (!release.ok) failed++;
      if ((await k32.WaitForSingleObject(event, INFINITE)) !== WAIT_OBJECT_0 || k32.getUint32(ov + OVERLAPPED.x64.Internal) !== STATUS_SUCCESS) failed++;
    };

    const twoCalls = async (): Promise<void> => {
      if (!(await k32.DeviceIoControl(hRelease, IOCTL_RELEASE, 0, 0, 0, 0)).ok) failed++;
      if (!(await k32.DeviceIoControl(hRelease, IOCTL_RELEASE, 0, 0, 0, 0)).ok) failed++;
    };

    const times: number[] = [];
    const baseline: number[] = [];
    for (let b = 0; b < warmupBatches + batches; b++) {
      let t0 = performance.now();
      for (let i = 0; i < batch; i++) await roundTrip();
      const ns = ((performance.now() - t0) * 1e6) / batch;
      t0 = performance.now();
      for (let i = 0; i < batch; i++) await twoCalls();
      const twoNs = ((performance.now() - t0) * 1e6) / batch;
      if (b >= warmupBatches) {
        times.push(ns);
        baseline.push(twoNs);
      }
    }
    if (failed !== 0 || k32.getUint32(buffer) !== 0x600d) throw new Error(`${failed} round trips went wrong`);
    k32.CloseHandle(event);
    k32.CloseHandle(hRelease);
    k32.CloseHandle(hHold);
    return { roundTripNs: median(times), twoCallsNs: median(baseline), roundTrips: (warmupBatches + batches) * batch };
  });
}
