/**
 * Property test of pending requests, events and waits: random programs send
 * overlapped requests (each with its own event) and synchronous ones to a
 * driver that holds them in a cancel-safe queue and serves one per timer
 * tick, cancel some (CancelIoEx), wait on some with random timeouts, sleep,
 * and exit at random points with requests still pending (the exit cancels
 * them). Whatever the sequence: the machine never stops, no finding is
 * made, every request the driver received ends exactly once (served or
 * cancelled), every OVERLAPPED a program saw end holds STATUS_SUCCESS or
 * STATUS_CANCELLED, and once every process has exited, pool, handles and
 * processes are back to their values after boot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, METHOD_BUFFERED, NonPagedPool, STATUS_CANCELLED, STATUS_PENDING,
  STATUS_SUCCESS, type IoCsq, type Irp, type Nt,
} from 'ntshm/wdm';
import { FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, OVERLAPPED, type K32 } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const IOCTL_QUEUE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x930, METHOD_BUFFERED, FILE_ANY_ACCESS);

type Action =
  | { kind: 'send' }
  | { kind: 'syncSend' }
  | { kind: 'cancel'; pick: number }
  | { kind: 'wait'; pick: number; ms: number }
  | { kind: 'sleep'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'send' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'syncSend' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat({ max: 100 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), pick: fc.nat({ max: 100 }), ms: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 200 }) }) },
);
/** A program: its threads' action lists (the first is the main thread's). */
const program = fc.array(fc.array(action, { maxLength: 8 }), { minLength: 1, maxLength: 3 });

/** The queueing driver; `counts` records what became of every request it received. */
function queueDriver(counts: { received: number; served: number; cancelled: number }) {
  const queue: Irp[] = [];
  let csq: IoCsq | undefined;
  let nt: Nt | undefined;
  return testDriver({
    entry: (n) => {
      nt = n;
      const lock = n.ExAllocatePoolWithTag(NonPagedPool, 8, 'Lock');
      n.KeInitializeSpinLock(lock);
      csq = {} as IoCsq;
      n.IoCsqInitialize(csq,
        (_c, irp) => { queue.push(irp); },
        (_c, irp) => { queue.splice(queue.indexOf(irp), 1); },
        (_c, irp, file) => queue.slice(irp === null ? 0 : queue.indexOf(irp) + 1).find((q) => file === null || n.IoGetCurrentIrpStackLocation(q).FileObject === file) ?? null,
        () => n.KeAcquireSpinLock(lock).oldIrql,
        (_c, irql) => n.KeReleaseSpinLock(lock, irql),
        (_c, irp) => {
          counts.cancelled++;
          irp.IoStatus.Status = STATUS_CANCELLED;
          n.IoCompleteRequest(irp, IO_NO_INCREMENT);
        });
      const { timer } = n.KeInitializeTimerEx(0);
      const { dpc } = n.KeInitializeDpc(() => {
        const irp = n.IoCsqRemoveNextIrp(csq!, null);
        if (!irp) return;
        counts.served++;
        irp.IoStatus.Status = STATUS_SUCCESS;
        n.IoCompleteRequest(irp, IO_NO_INCREMENT);
      }, null);
      n.KeSetTimerEx(timer, -500_000n, 50, dpc);
    },
    control: ({ irp }) => {
      counts.received++;
      nt!.IoCsqInsertIrp(csq!, irp, null);
      return STATUS_PENDING;
    },
    // The standard cleanup: whatever of this file is still queued is cancelled.
    cleanup: ({ stack }) => {
      for (let irp = nt!.IoCsqRemoveNextIrp(csq!, stack.FileObject); irp; irp = nt!.IoCsqRemoveNextIrp(csq!, stack.FileObject)) {
        counts.cancelled++;
        irp.IoStatus.Status = STATUS_CANCELLED;
        nt!.IoCompleteRequest(irp, IO_NO_INCREMENT);
      }
    },
  });
}

/** Runs one thread's actions; `ended` collects the final Internal of each OVERLAPPED seen to end. */
async function runActions(k32: K32, arch: 'x64' | 'x86', path: string, actions: readonly Action[], ended: number[]): Promise<void> {
  const h = k32.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
  const page = k32.VirtualAlloc(0, 4096, 0x3000, 4);
  const outstanding: { ov: number; event: number }[] = [];
  let next = 0;
  const finish = (i: number): void => {
    const [o] = outstanding.splice(i, 1);
    ended.push(k32.getUint32(o!.ov + OVERLAPPED[arch].Internal));
    k32.CloseHandle(o!.event);
  };
  for (const a of actions) {
    if (a.kind === 'send' && next < 60) {
      const ov = page + (next++) * 64;
      const event = k32.CreateEventW(null, true, false, null);
      k32.setPointer(ov + OVERLAPPED[arch].hEvent, event);
      await k32.DeviceIoControl(h, IOCTL_QUEUE, 0, 0, 0, 0, ov);
      outstanding.push({ ov, event });
    } else if (a.kind === 'syncSend') {
      const sync = k32.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(sync, IOCTL_QUEUE, 0, 0, 0, 0);
      k32.CloseHandle(sync);
    } else if (a.kind === 'cancel' && outstanding.length > 0) {
      k32.CancelIoEx(h, outstanding[a.pick % outstanding.length]!.ov);
    } else if (a.kind === 'wait' && outstanding.length > 0) {
      const i = a.pick % outstanding.length;
      if (await k32.WaitForSingleObject(outstanding[i]!.event, a.ms) === 0) finish(i);
    } else if (a.kind === 'sleep') {
      await k32.Sleep(a.ms);
    }
  }
  for (let i = outstanding.length - 1; i >= 0; i--) if (k32.HasOverlappedIoCompleted(outstanding[i]!.ov)) finish(i);
}

describe.each(['x64', 'x86'] as const)('pending requests, events and waits, at random, on %s', (arch) => {
  it('end every request exactly once and leave nothing behind', async () => {
    await fc.assert(fc.asyncProperty(fc.array(program, { minLength: 1, maxLength: 3 }), fc.nat({ max: 1000 }), async (programs, seed) => {
      const counts = { received: 0, served: 0, cancelled: 0 };
      const driver = queueDriver(counts);
      const machine = await bootWith([driver], { arch, seed });
      const before = machine.stats();
      const ended: number[] = [];
      for (const threads of programs) {
        machine.spawn(async (k32) => {
          for (const actions of threads.slice(1)) {
            k32.CreateThread(null, 0, async (t) => {
              await runActions(t, arch, driver.path, actions, ended);
              return 0;
            }, 0, 0);
          }
          await runActions(k32, arch, driver.path, threads[0]!, ended);
          return 0;
        });
      }
      const result = await machine.run({ seconds: 60 });
      expect(result.bugcheck).toBeUndefined();
      expect(result.findings).toEqual([]);
      expect(machine.stats().processes).toBe(before.processes);
      expect(counts.served + counts.cancelled).toBe(counts.received);
      for (const status of ended) expect([STATUS_SUCCESS, STATUS_CANCELLED]).toContain(status);
      const after = machine.stats();
      expect(after.handles).toBe(before.handles);
      expect(after.pool).toEqual(before.pool);
    }), { numRuns: 25, seed: 7 });
  });
});
