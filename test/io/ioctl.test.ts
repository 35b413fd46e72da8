/**
 * IRPs and IOCTLs through the I/O manager: METHOD_BUFFERED copy in and out,
 * the access-bit check, bad input stopped before the driver (boundary cases
 * 1–3 of reference/boundary-cases.md), opening, and the order of
 * IRP_MJ_CREATE / CLEANUP / CLOSE.
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from 'ntshm';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, FILE_READ_ACCESS, FILE_WRITE_ACCESS, IRP_BUFFERED_IO, IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED, STATUS_ACCESS_DENIED, STATUS_ACCESS_VIOLATION,
  STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH,
} from 'ntshm/wdm';
import {
  ERROR_ACCESS_DENIED, ERROR_FILE_NOT_FOUND, ERROR_INVALID_FUNCTION, ERROR_INVALID_HANDLE, ERROR_NOACCESS, ERROR_SUCCESS,
  GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READONLY, PAGE_READWRITE,
  SC_MANAGER_CONNECT, type K32,
} from 'ntshm/win32';
import { bootWith, bytes, eprocessOf, runProgram, testDriver, type TestDriver, type TestDriverOptions } from '../helpers/test-driver.js';

const IOCTL_ANY = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_READ = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_READ_ACCESS);
const IOCTL_WRITE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_WRITE_ACCESS);
const IOCTL_READ_WRITE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS);

const open = (k32: K32, path: string, access = GENERIC_READ | GENERIC_WRITE) =>
  k32.CreateFileW(path, access, 0, null, OPEN_EXISTING, 0, null);

const commit = (k32: K32, size: number, protect = PAGE_READWRITE) => k32.VirtualAlloc(0, size, MEM_COMMIT | MEM_RESERVE, protect);

/**
 * A machine with one test driver; `main` runs as a program. Handlers can use
 * `ctx.machine` once the machine is up. Fails the test on any bug check.
 */
async function withDriver(options: TestDriverOptions,
  main: (k32: K32, path: string, machine: Machine, driver: TestDriver) => Promise<number> | number) {
  const driver = testDriver(options);
  const machine = await bootWith([driver]);
  const { process, result } = await runProgram(machine, (k32) => main(k32, driver.path, machine, driver));
  expect(result.bugcheck).toBeUndefined();
  expect(process.exitCode).toBe(0);
  return { driver, machine, process, result };
}

describe('METHOD_BUFFERED', () => {
  it('copies the input into the SystemBuffer and exactly Information bytes back to the output buffer', async () => {
    const seen: { input?: number[]; inLen?: number; outLen?: number } = {};
    const out = { ok: false, bytesReturned: -1, output: [] as number[], error: -1 };
    const { driver } = await withDriver({
      control: ({ nt, irp, stack }) => {
        const p = stack.Parameters.DeviceIoControl;
        const sb = irp.AssociatedIrp.SystemBuffer;
        seen.inLen = p.InputBufferLength;
        seen.outLen = p.OutputBufferLength;
        seen.input = bytes(nt.getBytes(sb, p.InputBufferLength));
        // 16 bytes written into the SystemBuffer, 12 declared.
        nt.setBytes(sb, Array.from({ length: 16 }, (_, i) => 0xa0 + i));
        irp.IoStatus.Information = 12;
      },
    }, async (k32, path) => {
      const h = open(k32, path);
      const inVa = commit(k32, 0x1000);
      const outVa = inVa + 0x800;
      k32.setBytes(inVa, [1, 2, 3, 4, 5, 6, 7, 8]);
      k32.setBytes(outVa, new Array<number>(24).fill(0xee));
      const r = await k32.DeviceIoControl(h, IOCTL_ANY, inVa, 8, outVa, 24);
      out.ok = r.ok;
      out.bytesReturned = r.bytesReturned;
      out.error = k32.GetLastError();
      out.output = bytes(k32.getBytes(outVa, 24));
      k32.CloseHandle(h);
      return 0;
    });
    expect(driver.count(IRP_MJ_DEVICE_CONTROL)).toBe(1);
    expect(seen).toEqual({ inLen: 8, outLen: 24, input: [1, 2, 3, 4, 5, 6, 7, 8] });
    expect(out.ok).toBe(true);
    expect(out.error).toBe(ERROR_SUCCESS);
    expect(out.bytesReturned).toBe(12);
    // Exactly Information bytes reach the caller; the rest of its buffer is untouched.
    expect(out.output).toEqual([...Array.from({ length: 12 }, (_, i) => 0xa0 + i), ...new Array<number>(12).fill(0xee)]);
  });

  it('uses one kernel SystemBuffer of max(in, out) bytes, a copy of which only Information bytes go back, freed with the IRP', async () => {
    let machine: Machine | undefined;
    const seen = { systemBuffer: 0, flags: 0, userBuffer: 0, outputAfter: [] as number[] };
    const pool = { before: 0, after: 0 };
    let outVa = 0;
    const cases: [inLen: number, outLen: number][] = [[100, 300], [300, 100], [64, 0], [0, 64]];
    const sizes: number[] = [];
    await withDriver({
      control: ({ nt, irp }) => {
        const m = machine!;
        seen.systemBuffer = irp.AssociatedIrp.SystemBuffer;
        sizes.push(m.kernel.pool.allocations.get(seen.systemBuffer)?.numberOfBytes ?? -1);
        seen.flags = irp.Flags;
        seen.userBuffer = irp.UserBuffer;
        // The driver writes the SystemBuffer but declares nothing written.
        nt.setUint32(seen.systemBuffer, 0x11223344);
        irp.IoStatus.Information = 0;
      },
    }, async (k32, path, m) => {
      machine = m;
      const h = open(k32, path);
      const va = commit(k32, 0x1000);
      outVa = va + 0x400;
      pool.before = m.stats().pool.nonPagedBytes;
      for (const [inLen, outLen] of cases) await k32.DeviceIoControl(h, IOCTL_ANY, va, inLen, outVa, outLen);
      pool.after = m.stats().pool.nonPagedBytes;
      seen.outputAfter = bytes(k32.getBytes(outVa, 4));
      k32.CloseHandle(h);
      return 0;
    });
    expect(sizes).toEqual(cases.map(([i, o]) => Math.max(i, o)));
    expect(seen.systemBuffer).toBeGreaterThanOrEqual(machine!.kernel.layout.systemRangeStart);
    expect(seen.flags & IRP_BUFFERED_IO).toBe(IRP_BUFFERED_IO);
    expect(seen.userBuffer).toBe(outVa);
    // Information was 0: nothing went back, although the driver wrote the SystemBuffer.
    expect(seen.outputAfter).toEqual([0, 0, 0, 0]);
    expect(machine!.kernel.pool.allocations.has(seen.systemBuffer)).toBe(false);
    expect(pool.after).toBe(pool.before);
  });

  it('copies nothing back when the driver fails the request, and GetLastError has the status as a Win32 error', async () => {
    const out = { ok: true, error: -1, output: [] as number[] };
    await withDriver({
      control: ({ nt, irp }) => {
        nt.setBytes(irp.AssociatedIrp.SystemBuffer, [9, 9, 9, 9]);
        irp.IoStatus.Information = 4;
        irp.IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
      },
    }, async (k32, path) => {
      const h = open(k32, path);
      const va = commit(k32, 0x1000);
      const r = await k32.DeviceIoControl(h, IOCTL_ANY, 0, 0, va, 4);
      out.ok = r.ok;
      out.error = k32.GetLastError();
      out.output = bytes(k32.getBytes(va, 4));
      k32.CloseHandle(h);
      return 0;
    });
    expect(out).toEqual({ ok: false, error: ERROR_INVALID_FUNCTION, output: [0, 0, 0, 0] });
  });
});

describe('the access bits of an IOCTL code against the handle (boundary case 2)', () => {
  const table: [name: string, handleAccess: number, code: number, allowed: boolean][] = [
    ['FILE_ANY_ACCESS on a GENERIC_READ handle', GENERIC_READ, IOCTL_ANY, true],
    ['FILE_READ_ACCESS on a GENERIC_READ handle', GENERIC_READ, IOCTL_READ, true],
    ['FILE_WRITE_ACCESS on a GENERIC_READ handle', GENERIC_READ, IOCTL_WRITE, false],
    ['FILE_READ_ACCESS | FILE_WRITE_ACCESS on a GENERIC_READ handle', GENERIC_READ, IOCTL_READ_WRITE, false],
    ['FILE_READ_ACCESS on a GENERIC_WRITE handle', GENERIC_WRITE, IOCTL_READ, false],
    ['FILE_WRITE_ACCESS on a GENERIC_WRITE handle', GENERIC_WRITE, IOCTL_WRITE, true],
    ['FILE_READ_ACCESS | FILE_WRITE_ACCESS on a read-write handle', GENERIC_READ | GENERIC_WRITE, IOCTL_READ_WRITE, true],
  ];
  it.each(table)('%s', async (_name, handleAccess, code, allowed) => {
    const out = { ok: !allowed, error: -1, status: -1 };
    const { driver } = await withDriver({}, async (k32, path, m) => {
      const h = open(k32, path, handleAccess);
      const r = await k32.DeviceIoControl(h, code, 0, 0, 0, 0);
      out.ok = r.ok;
      out.error = k32.GetLastError();
      out.status = (await k32.NtDeviceIoControlFile(h, 0, 0, 0, code, 0, 0, 0, 0)).status;
      k32.CloseHandle(h);
      return 0;
    });
    expect(out.ok).toBe(allowed);
    expect(out.error).toBe(allowed ? ERROR_SUCCESS : ERROR_ACCESS_DENIED);
    expect(out.status >>> 0).toBe(allowed ? 0 : STATUS_ACCESS_DENIED);
    // A denied request never becomes an IRP: the dispatch routine is not called.
    expect(driver.count(IRP_MJ_DEVICE_CONTROL)).toBe(allowed ? 2 : 0);
  });
});

describe('bad buffers stop in the I/O manager (boundary case 1)', () => {
  type Buffers = (k32: K32, m: Machine) => { inVa: number; inLen: number; outVa: number; outLen: number };
  const table: [name: string, buffers: Buffers][] = [
    ['an unmapped input pointer', () => ({ inVa: 0x5000_0000, inLen: 16, outVa: 0, outLen: 0 })],
    // A NULL input pointer with a length is no bad buffer: the request reaches the driver with length 0
    // (iofunc.c, IopDeviceFsIoControl); test/io/transfer-methods.test.ts.
    ['a reserved but uncommitted input buffer', (k32) => ({ inVa: k32.VirtualAlloc(0, 0x1000, MEM_RESERVE, PAGE_READWRITE), inLen: 16, outVa: 0, outLen: 0 })],
    // KUSER_SHARED_DATA's kernel address is mapped and readable by the kernel: only the probe stops it.
    ['a kernel-space input pointer (mapped)', (_k32, m) => ({ inVa: m.kernel.layout.kernelSharedData, inLen: 16, outVa: 0, outLen: 0 })],
    ['an input range that runs past the top of user space', (_k32, m) => ({ inVa: m.kernel.layout.highestUserAddress - 7, inLen: 16, outVa: 0, outLen: 0 })],
    ['a kernel-space output pointer', (k32, m) => ({ inVa: commit(k32, 0x1000), inLen: 16, outVa: m.kernel.layout.kernelSharedData, outLen: 16 })],
    ['an output buffer on a read-only page', (k32) => ({ inVa: 0, inLen: 0, outVa: commit(k32, 0x1000, PAGE_READONLY), outLen: 16 })],
  ];
  it.each(table)('%s: ERROR_NOACCESS from STATUS_ACCESS_VIOLATION, no IRP, nothing leaked', async (_name, buffers) => {
    const out = { ok: true, error: -1, status: -1, poolBefore: 0, poolAfter: -1 };
    const { driver } = await withDriver({}, async (k32, path, m) => {
      const h = open(k32, path);
      const b = buffers(k32, m);
      out.poolBefore = m.stats().pool.nonPagedBytes;
      const r = await k32.DeviceIoControl(h, IOCTL_ANY, b.inVa, b.inLen, b.outVa, b.outLen);
      out.ok = r.ok;
      out.error = k32.GetLastError();
      out.status = (await k32.NtDeviceIoControlFile(h, 0, 0, 0, IOCTL_ANY, b.inVa, b.inLen, b.outVa, b.outLen)).status;
      out.poolAfter = m.stats().pool.nonPagedBytes;
      k32.CloseHandle(h);
      return 0;
    });
    expect(out.ok).toBe(false);
    expect(out.error).toBe(ERROR_NOACCESS);
    expect(out.status >>> 0).toBe(STATUS_ACCESS_VIOLATION);
    expect(driver.count(IRP_MJ_DEVICE_CONTROL)).toBe(0);
    // The SystemBuffer and IRP made before the probe failed are freed again.
    expect(out.poolAfter).toBe(out.poolBefore);
  });
});

describe('bad handles (boundary case 3)', () => {
  type Handle = (k32: K32, path: string, m: Machine, pid: number, driver: TestDriver) => number;
  const table: [name: string, handle: Handle, status: number][] = [
    ['a closed handle', (k32, path) => {
      const h = open(k32, path);
      k32.CloseHandle(h);
      return h;
    }, STATUS_INVALID_HANDLE],
    ['a made-up handle', () => 0x1234, STATUS_INVALID_HANDLE],
    ['a NULL handle', () => 0, STATUS_INVALID_HANDLE],
    ['a kernel handle value from user mode', () => -(2 ** 31) + 4, STATUS_INVALID_HANDLE],
    ['an SC_HANDLE (an RPC handle of services.exe, not a kernel handle)', (k32) => k32.OpenSCManagerW(null, null, SC_MANAGER_CONNECT), STATUS_INVALID_HANDLE],
    // NtCurrentProcess() is INVALID_HANDLE_VALUE: a handle to the process, not a file.
    ['INVALID_HANDLE_VALUE, which is NtCurrentProcess()', () => INVALID_HANDLE_VALUE, STATUS_OBJECT_TYPE_MISMATCH],
    ['NtCurrentThread()', () => -2, STATUS_OBJECT_TYPE_MISMATCH],
    // No Win32 call yet opens a non-file object, so the test puts a handle to the device object itself in the table.
    ['a handle to an object of another type (the device object)', (_k32, _path, m, pid, driver) =>
      m.kernel.ob.createHandle(eprocessOf(m, pid), driver.device, 0x001f01ff, 0), STATUS_OBJECT_TYPE_MISMATCH],
  ];
  it.each(table)('%s', async (_name, handle, status) => {
    const out = { ok: true, error: -1, status: -1 };
    const { driver } = await withDriver({}, async (k32, path, m, d) => {
      const h = handle(k32, path, m, k32.GetCurrentProcessId(), d);
      const r = await k32.DeviceIoControl(h, IOCTL_ANY, 0, 0, 0, 0);
      out.ok = r.ok;
      out.error = k32.GetLastError();
      out.status = (await k32.NtDeviceIoControlFile(h, 0, 0, 0, IOCTL_ANY, 0, 0, 0, 0)).status;
      return 0;
    });
    expect(out.ok).toBe(false);
    expect(out.status >>> 0).toBe(status);
    expect(out.error).toBe(ERROR_INVALID_HANDLE);
    expect(driver.count(IRP_MJ_DEVICE_CONTROL)).toBe(0);
  });
});

describe('opening a device', () => {
  it('fails with ERROR_FILE_NOT_FOUND for a device that does not exist', async () => {
    const out = { handle: 0, error: -1 };
    const { driver } = await withDriver({}, (k32) => {
      out.handle = open(k32, '\\\\.\\NoSuchDevice');
      out.error = k32.GetLastError();
      return 0;
    });
    expect(out).toEqual({ handle: INVALID_HANDLE_VALUE, error: ERROR_FILE_NOT_FOUND });
    expect(driver.irps).toEqual([]);
  });

  it('refuses a second open of an exclusive device with ERROR_ACCESS_DENIED, and allows it again once closed', async () => {
    const out = { first: 0, second: 0, error: -1, third: 0 };
    const { driver } = await withDriver({ exclusive: true }, (k32, path) => {
      out.first = open(k32, path);
      out.second = open(k32, path);
      out.error = k32.GetLastError();
      k32.CloseHandle(out.first);
      out.third = open(k32, path);
      k32.CloseHandle(out.third);
      return 0;
    });
    expect(out.first).not.toBe(INVALID_HANDLE_VALUE);
    expect(out.second).toBe(INVALID_HANDLE_VALUE);
    expect(out.error).toBe(ERROR_ACCESS_DENIED);
    expect(out.third).not.toBe(INVALID_HANDLE_VALUE);
    // The refused open never reached the driver.
    expect(driver.count(IRP_MJ_CREATE)).toBe(2);
  });

  it('lets a non-exclusive device be opened twice; each file object gets its own CLEANUP and CLOSE', async () => {
    const { driver } = await withDriver({}, (k32, path) => {
      const a = open(k32, path);
      const b = open(k32, path);
      k32.CloseHandle(a);
      k32.CloseHandle(b);
      return 0;
    });
    expect(driver.irps.map((r) => r.major)).toEqual([IRP_MJ_CREATE, IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE]);
  });
});

describe('IRP_MJ_CREATE, CLEANUP and CLOSE', () => {
  const endings: [how: string, end: (k32: K32, h: number) => number][] = [
    ['CloseHandle', (k32, h) => {
      k32.CloseHandle(h);
      return 0;
    }],
    ['the program returning without CloseHandle', () => 0],
    ['ExitProcess without CloseHandle', (k32) => k32.ExitProcess(0)],
    ['an unhandled access violation', (k32) => k32.getUint32(0x10)],
  ];
  it.each(endings)('come in order, in the program\'s own process at PASSIVE_LEVEL, on %s', async (_how, end) => {
    const driver = testDriver();
    const machine = await bootWith([driver]);
    const { process, result } = await runProgram(machine, async (k32) => {
      const h = open(k32, driver.path);
      await k32.DeviceIoControl(h, IOCTL_ANY, 0, 0, 0, 0);
      return end(k32, h);
    });
    expect(result.bugcheck).toBeUndefined();
    expect(driver.irps.map((r) => r.major)).toEqual([IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_CLEANUP, IRP_MJ_CLOSE]);
    // Cleanup runs in the closing process's context (PsGetCurrentProcessId() is the program), never in System.
    for (const r of driver.irps) expect(r).toEqual({ major: r.major, pid: process.pid, irql: 0 });
    expect(process.pid).not.toBe(4);
    expect(machine.stats().handles).toBe(0);
  });

  it('an unhandled access violation ends the program with exit code 0xC0000005, not the machine', async () => {
    const driver = testDriver();
    const machine = await bootWith([driver]);
    const { process, result } = await runProgram(machine, (k32) => k32.getUint32(0x10));
    expect(result.bugcheck).toBeUndefined();
    expect(machine.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(await process.wait()).toBe(0xc000_0005);
  });
});
