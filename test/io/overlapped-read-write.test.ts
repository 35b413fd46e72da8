/**
 * Reads and writes on a handle opened with FILE_FLAG_OVERLAPPED: a request
 * the driver holds pending is FALSE with ERROR_IO_PENDING; the OVERLAPPED's
 * event and GetOverlappedResult tell its end; ReadFileEx's completion
 * routine runs in the caller at its next alertable wait; a read that fails at
 * once queues no routine; the offset comes from the OVERLAPPED.
 */
import { describe, expect, it } from 'vitest';
import { IO_NO_INCREMENT, STATUS_INVALID_DEVICE_REQUEST, STATUS_PENDING, STATUS_SUCCESS } from 'ntshm/wdm';
import {
  ERROR_INVALID_FUNCTION, ERROR_IO_PENDING, FILE_FLAG_OVERLAPPED, GENERIC_READ, GENERIC_WRITE, INFINITE, OPEN_EXISTING, OVERLAPPED,
  WAIT_IO_COMPLETION, WAIT_OBJECT_0, type K32,
} from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

/** Reads complete 30 ms later with `length` bytes of (offset + i) & 0xff; a read at offset 0xbad fails at once; writes complete at once. */
const driver = testDriver({
  bufferedIo: true,
  read: ({ nt, irp, stack }) => {
    const { Length, ByteOffset } = stack.Parameters.Read;
    if (ByteOffset === 0xbadn) return (irp.IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST);
    nt.IoMarkIrpPending(irp);
    const { timer } = nt.KeInitializeTimer();
    const { dpc } = nt.KeInitializeDpc(() => {
      for (let i = 0; i < Length; i++) nt.setUint8(irp.AssociatedIrp.SystemBuffer + i, (Number(ByteOffset) + i) & 0xff);
      irp.IoStatus.Status = STATUS_SUCCESS;
      irp.IoStatus.Information = Length;
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
    }, null);
    nt.KeSetTimer(timer, -30n * 10_000n, dpc);
    return STATUS_PENDING;
  },
  write: ({ irp, stack }) => {
    irp.IoStatus.Information = stack.Parameters.Write.Length;
  },
});

describe.each(['x64', 'x86'] as const)('overlapped reads and writes on %s', (arch) => {
  it('ReadFile with an OVERLAPPED: ERROR_IO_PENDING, then the event, GetOverlappedResult and the bytes at the OVERLAPPED offset', async () => {
    const machine = await bootWith([driver], { arch, seed: 4 });
    const seen: Record<string, unknown> = {};
    const routine: { error: number; bytes: number; ov: number; thread: number }[] = [];
    machine.spawn(async (k32) => {
      const o = OVERLAPPED[arch];
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
      const va = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const ov = va + 0x800;
      const event = k32.CreateEventW(null, true, false);
      k32.setPointer(ov + o.hEvent, event);
      k32.setUint32(ov + o.Offset, 0x40);
      const r = k32.ReadFile(h, va, 8, ov);
      seen.read = r;
      seen.error = k32.GetLastError();
      seen.wait = await k32.WaitForSingleObject(event, INFINITE);
      seen.result = await k32.GetOverlappedResult(h, ov, false);
      seen.bytes = [...k32.getBytes(va, 8)];
      seen.write = k32.WriteFile(h, va, 5, ov);

      const ov2 = va + 0x900;
      k32.setUint32(ov2 + o.Offset, 0x10);
      seen.ex = k32.ReadFileEx(h, va + 0x100, 4, ov2, (t: K32, error: number, bytes: number, overlapped: number) => {
        routine.push({ error, bytes, ov: overlapped, thread: t.GetCurrentThreadId() });
      });
      const ov3 = va + 0xa00;
      k32.setUint32(ov3 + o.Offset, 0xbad);
      seen.exFail = k32.ReadFileEx(h, va + 0x200, 4, ov3, () => { routine.push({ error: -1, bytes: -1, ov: -1, thread: -1 }); });
      seen.exFailError = k32.GetLastError();
      seen.sleep = await k32.SleepEx(INFINITE, true);
      seen.exBytes = [...k32.getBytes(va + 0x100, 4)];
      seen.me = k32.GetCurrentThreadId();
      seen.ov2 = ov2;
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toMatchObject({
      read: { ok: false, numberOfBytesRead: 0 }, error: ERROR_IO_PENDING, wait: WAIT_OBJECT_0, result: { ok: true, numberOfBytesTransferred: 8 },
      bytes: [0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47], write: { ok: true, numberOfBytesWritten: 5 },
      ex: true, exFail: false, exFailError: ERROR_INVALID_FUNCTION, sleep: WAIT_IO_COMPLETION, exBytes: [0x10, 0x11, 0x12, 0x13],
    });
    expect(routine).toEqual([{ error: 0, bytes: 4, ov: seen.ov2, thread: seen.me }]);
    expect(result.findings).toEqual([]);
  });

  it('a synchronous handle: a read the driver holds pending is not waited for: FALSE, ERROR_IO_PENDING, and a finding says why', async () => {
    const machine = await bootWith([driver], { arch, seed: 5 });
    const seen: Record<string, unknown> = {};
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const va = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      seen.read = k32.ReadFile(h, va, 8);
      seen.error = k32.GetLastError();
      await k32.Sleep(100);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 2 });
    expect(seen).toEqual({ read: { ok: false, numberOfBytesRead: 0 }, error: ERROR_IO_PENDING });
    expect(result.findings.map((f) => f.kind)).toContain('pending-on-synchronous-handle');
  });
});
