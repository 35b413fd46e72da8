/**
 * The User-mode Accessors on `nt` (usermode_accessors.h): a driver reads and
 * writes a program's buffer through them, in the program's context; a kernel
 * address or an unmapped user page raises STATUS_ACCESS_VIOLATION, which the
 * driver catches; the *FromMode forms with KernelMode take a kernel address.
 */
import { describe, expect, it } from 'vitest';
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, KernelMode, METHOD_BUFFERED, NonPagedPool, NtException, UserMode, type Nt } from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const IOCTL_TOUCH = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x950, METHOD_BUFFERED, FILE_ANY_ACCESS);
const STATUS_ACCESS_VIOLATION = 0xc0000005;

/** What happened to a call: its value, or the status it raised. */
function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    if (e instanceof NtException) return { raised: e.status };
    throw e;
  }
}

describe.each(['x64', 'x86'] as const)('user-mode accessors on %s', (arch) => {
  it('read, write, copy, fill and lock a program\'s buffer; refuse kernel and unmapped addresses', async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      control: ({ nt, irp }) => {
        const user = nt.getPointer(irp.AssociatedIrp.SystemBuffer);
        const n: Nt = nt;
        const pool = n.ExAllocatePoolWithTag(NonPagedPool, 64, 'Uma ');
        seen.ulong = outcome(() => n.ReadULongFromUser(user));
        seen.long = outcome(() => n.ReadLongFromUser(user));
        seen.uchar = outcome(() => n.ReadUCharFromUserAcquire(user + 3));
        seen.u64 = outcome(() => n.ReadULong64FromUser(user));
        seen.pointer = outcome(() => n.ReadPointerFromUser(user + 8));
        outcome(() => n.WriteUShortToUser(user + 16, 0xbeef));
        outcome(() => n.WriteLong64ToUserRelease(user + 24, -2n));
        outcome(() => n.CopyFromUser(pool, user, 8));
        seen.copied = [...n.getBytes(pool, 8)];
        n.setUint32(pool + 8, 0x11223344);
        outcome(() => n.CopyToUser(user + 32, pool + 8, 4));
        outcome(() => n.FillUserMemory(user + 40, 4, 0xab));
        seen.cmpxchg = outcome(() => n.InterlockedCompareExchangeToUser(user + 48, 7, 0));
        seen.or = outcome(() => n.InterlockedOrToUser(user + 48, 0x10));
        seen.kernelAddress = outcome(() => n.ReadULongFromUser(pool));
        seen.kernelCopy = outcome(() => n.CopyFromUser(pool, pool + 8, 4));
        seen.unmapped = outcome(() => n.ReadULongFromUser(0x10));
        seen.straddle = outcome(() => n.ReadULongFromUser(0x7fff_fffe));
        seen.kernelMode = outcome(() => n.ReadULongFromMode(pool + 8, KernelMode));
        seen.userModeOnKernel = outcome(() => n.ReadULongFromMode(pool + 8, UserMode));
        n.ExFreePoolWithTag(pool, 'Uma ');
      },
    });
    const machine = await bootWith([driver], { arch });
    const out: Record<string, unknown> = {};
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      k32.setUint32(buffer, 0xfffffffe);
      k32.setUint32(buffer + 4, 0x00000001);
      k32.setPointer(buffer + 8, 0x1234_5678);
      const input = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      k32.setPointer(input, buffer);
      await k32.DeviceIoControl(h, IOCTL_TOUCH, input, arch === 'x64' ? 8 : 4, 0, 0);
      out.ushort = k32.getUint16(buffer + 16);
      out.long64 = k32.getBigUint64(buffer + 24);
      out.copiedOut = k32.getUint32(buffer + 32);
      out.filled = k32.getUint32(buffer + 40);
      out.locked = k32.getUint32(buffer + 48);
      return 0;
    });
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual({
      ulong: 0xfffffffe, long: -2, uchar: 0xff, u64: 0x1_ffff_fffen, pointer: 0x1234_5678,
      copied: [0xfe, 0xff, 0xff, 0xff, 1, 0, 0, 0],
      cmpxchg: 0, or: 7,
      kernelAddress: { raised: STATUS_ACCESS_VIOLATION }, kernelCopy: { raised: STATUS_ACCESS_VIOLATION },
      unmapped: { raised: STATUS_ACCESS_VIOLATION }, straddle: { raised: STATUS_ACCESS_VIOLATION },
      kernelMode: 0x11223344, userModeOnKernel: { raised: STATUS_ACCESS_VIOLATION },
    });
    expect(out).toEqual({ ushort: 0xbeef, long64: 0xffff_ffff_ffff_fffen, copiedOut: 0x11223344, filled: 0xabababab, locked: 0x17 });
  });
});
