/**
 * What a failed or partly failed IOCTL leaves the caller (issue 9, item 2, the
 * I/O part): an error completion writes no IO_STATUS_BLOCK and leaves
 * DeviceIoControl's bytes returned alone (ReactOS irp.c IopCompleteRequest,
 * kernel32 deviceio.c DeviceIoControl); a warning (STATUS_BUFFER_OVERFLOW) is
 * FALSE with ERROR_MORE_DATA and the bytes that fit copied and counted.
 * IoStartTimer / IoStopTimer on a device without IoInitializeTimer read
 * Timer->TimerFlag through NULL at DISPATCH_LEVEL: 0x0A.
 */
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, DISPATCH_LEVEL, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED, STATUS_BUFFER_OVERFLOW,
  STATUS_INVALID_DEVICE_REQUEST,
} from 'ntshm/wdm';
import { ERROR_INVALID_FUNCTION, ERROR_MORE_DATA, GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE } from 'ntshm/win32';
import { IRQL_NOT_LESS_OR_EQUAL } from '../../src/include/bugcodes.js';
import { KiRoutineAddress } from '../../src/kernel/ke/nt-image.js';
import { bootWith, bytes, runProgram, testDriver } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x810, METHOD_BUFFERED, FILE_ANY_ACCESS);

describe.each(ARCHES)('how a request that fails ends for the caller, on %s', (arch) => {
  const table: [string, number, { ok: boolean; error: number; bytesReturned: number; output: number[]; iosb: { Status: number; Information: number } }][] = [
    ['an error status: no IO_STATUS_BLOCK written, no bytes returned, nothing copied back', STATUS_INVALID_DEVICE_REQUEST,
      { ok: false, error: ERROR_INVALID_FUNCTION, bytesReturned: 0, output: [0, 0, 0, 0], iosb: { Status: 0, Information: 0 } }],
    ['STATUS_BUFFER_OVERFLOW (a warning): FALSE with ERROR_MORE_DATA, and the Information bytes copied back and returned', STATUS_BUFFER_OVERFLOW,
      { ok: false, error: ERROR_MORE_DATA, bytesReturned: 4, output: [9, 9, 9, 9], iosb: { Status: STATUS_BUFFER_OVERFLOW, Information: 4 } }],
  ];
  it.each(table)('%s', async (_name, status, expected) => {
    const driver = testDriver({
      control: ({ nt, irp }) => {
        nt.setBytes(irp.AssociatedIrp.SystemBuffer, [9, 9, 9, 9]);
        irp.IoStatus.Information = 4;
        irp.IoStatus.Status = status;
      },
    });
    const machine = await bootWith([driver], { arch });
    const out: Record<string, unknown> = {};
    await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const va = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const r = await k32.DeviceIoControl(h, IOCTL, 0, 0, va, 4);
      Object.assign(out, { ok: r.ok, error: k32.GetLastError(), bytesReturned: r.bytesReturned, output: bytes(k32.getBytes(va, 4)) });
      const native = await k32.NtDeviceIoControlFile(h, 0, 0, 0, IOCTL, 0, 0, va + 0x100, 4);
      out.iosb = { Status: native.ioStatusBlock.Status >>> 0, Information: native.ioStatusBlock.Information };
      k32.CloseHandle(h);
      return 0;
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(out).toEqual(expected);
  });
});

describe.each(ARCHES)('an I/O timer that was never initialized, on %s', (arch) => {
  it.each(['IoStartTimer', 'IoStopTimer'] as const)('%s reads Timer->TimerFlag through NULL at DISPATCH_LEVEL: 0x0A, P1 = 2, P4 in nt', async (routine) => {
    const driver = testDriver({ entry: (nt, _driverObject, device) => void nt[routine](device) });
    const machine = await bootWith([], { arch });
    machine.loadDriver(driver.name, driver.definition);
    expect(machine.bugcheck).toMatchObject({
      code: IRQL_NOT_LESS_OR_EQUAL, params: [2, DISPATCH_LEVEL, 0, KiRoutineAddress(arch, routine)],
    });
  });
});
