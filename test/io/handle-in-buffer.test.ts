/**
 * Boundary case 14 (reference/boundary-cases.md), the part without the
 * verifier: a handle a program passes inside an IOCTL buffer, referenced by
 * the driver with UserMode as it must be, fails as the program's own use of
 * it would: NULL or made up → STATUS_INVALID_HANDLE, another object type →
 * STATUS_OBJECT_TYPE_MISMATCH, more access than the handle grants →
 * STATUS_ACCESS_DENIED.
 */
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, FILE_READ_DATA, FILE_WRITE_DATA, METHOD_BUFFERED, STATUS_ACCESS_DENIED,
  STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, UserMode,
} from 'ntshm/wdm';
import { GENERIC_READ, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { bootWith, runProgram, testDriver } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x840, METHOD_BUFFERED, FILE_ANY_ACCESS);

describe.each(ARCHES)('a handle inside an IOCTL buffer, referenced with UserMode, on %s', (arch) => {
  const table: [string, (k32: K32, device: number) => number, number, number][] = [
    ['NULL', () => 0, FILE_READ_DATA, STATUS_INVALID_HANDLE],
    ['a made-up value', () => 0x1234, FILE_READ_DATA, STATUS_INVALID_HANDLE],
    ['a handle to a section, not a file', (k32) => k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, 0x1000, null), FILE_READ_DATA, STATUS_OBJECT_TYPE_MISMATCH],
    ['the program\'s read-only handle asked for FILE_WRITE_DATA', (_k32, device) => device, FILE_WRITE_DATA, STATUS_ACCESS_DENIED],
    ['the program\'s read-only handle asked for FILE_READ_DATA', (_k32, device) => device, FILE_READ_DATA, STATUS_SUCCESS],
  ];
  it.each(table)('%s', async (_name, handle, access, expected) => {
    const statuses: number[] = [];
    const driver = testDriver({
      control: ({ nt, irp }) => {
        const sb = irp.AssociatedIrp.SystemBuffer;
        const r = nt.ObReferenceObjectByHandle(nt.getPointer(sb), nt.getUint32(sb + nt.sizeofPointer), nt.IoFileObjectType, UserMode);
        statuses.push(r.status);
        if (r.object) nt.ObDereferenceObject(r.object);
      },
    });
    const machine = await bootWith([driver], { arch });
    await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      const va = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setPointer(va, handle(k32, h));
      k32.setUint32(va + k32.sizeofPointer, access);
      await k32.DeviceIoControl(h, IOCTL, va, k32.sizeofPointer + 4, 0, 0);
      k32.CloseHandle(h);
      return 0;
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(statuses.map((s) => s >>> 0)).toEqual([expected]);
  });
});
