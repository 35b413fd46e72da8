/**
 * The OBJ_* attributes and what a driver meets: name squatting (boundary
 * case 15), OBJ_FORCE_ACCESS_CHECK (the no-force-access-check variant),
 * OBJ_PERMANENT, OBJ_EXCLUSIVE, OBJ_KERNEL_HANDLE from user mode, the access
 * a handle keeps, a caller's SECURITY_DESCRIPTOR, IoCreateDeviceSecure, and
 * a handle passed in an IOCTL buffer (boundary case 14).
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import {
  DIRECTORY_ALL_ACCESS, DIRECTORY_QUERY, DIRECTORY_TRAVERSE, FILE_DEVICE_UNKNOWN, KernelMode, MEM_COMMIT, MEM_RESERVE, OBJ_EXCLUSIVE,
  OBJ_FORCE_ACCESS_CHECK, OBJ_KERNEL_HANDLE, OBJ_OPENIF, OBJ_PERMANENT, PAGE_READWRITE, READ_CONTROL, STATUS_ACCESS_DENIED,
  STATUS_ACCESS_VIOLATION, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_EXISTS,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS, STATUS_UNKNOWN_REVISION, SYMBOLIC_LINK_QUERY, UserMode,
  type Nt,
} from 'ntshm/wdm';
import { ERROR_ACCESS_DENIED, GENERIC_READ, INVALID_HANDLE_VALUE, OPEN_EXISTING, type K32 } from 'ntshm/win32';
import { ObjectDirectory } from '../../src/kernel/ob/namespace.js';
import { SeSddlSecurityDescriptorFromSDDL, SeSecurityDescriptorToSDDL } from '../../src/kernel/se/sddl.js';
import { SepMakeSelfRelative } from '../../src/kernel/se/security-descriptor.js';
import { STANDARD_USER_SID } from '../../src/kernel/se/sid.js';
import { load, testDriver, type TestDriverOptions } from '../helpers/test-driver.js';

const IOCTL = 0x0022_2000;
type User = 'admin' | 'user';

/** A machine with a test driver whose IOCTL handler runs `control(nt, systemBuffer)` in the caller's context. */
async function machineWithDriver(profile: 'nt4' | 'win10', control: (nt: Nt, systemBuffer: number) => void, entry?: TestDriverOptions['entry']) {
  const driver = testDriver({
    name: 'ObTest',
    control: ({ nt, irp }) => control(nt, irp.AssociatedIrp.SystemBuffer),
    ...(entry ? { entry } : {}),
  });
  const m = await boot({ profile });
  load(m, driver);
  return { m, driver };
}

/** Runs one program as `user`; it must exit 0 without a bug check. */
async function runAs(m: Machine, user: User, body: (k32: K32) => Promise<void> | void): Promise<void> {
  const p = m.spawn(async (k32) => {
    await body(k32);
    return 0;
  }, { user, name: `${user}.exe` });
  const r = await m.run({ seconds: 5 });
  expect(r.bugcheck).toBeUndefined();
  expect(p.exitCode).toBe(0);
}

/** Sends the test IOCTL with `values` (pointer-sized) in the input buffer. */
async function ioctl(k32: K32, path: string, values: number[] = []): Promise<void> {
  const h = k32.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
  expect(h).not.toBe(INVALID_HANDLE_VALUE);
  const buffer = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  values.forEach((v, i) => k32.setPointer(buffer + i * k32.sizeofPointer, v));
  await k32.DeviceIoControl(h, IOCTL, buffer, Math.max(values.length, 1) * k32.sizeofPointer, 0, 0);
  k32.CloseHandle(h);
}

/** A permanent directory put in the namespace by the test, with the descriptor `sddl`. */
function plantDirectory(m: Machine, path: string, sddl: string): ObjectDirectory {
  const dir = m.kernel.ob.ObCreateObject(new ObjectDirectory());
  dir.header.SecurityDescriptor = SeSddlSecurityDescriptorFromSDDL(sddl);
  m.kernel.ob.insertName(path, dir, 0, true);
  return dir;
}

describe('name squatting (boundary case 15): a standard user creates the name the driver means to create', () => {
  // The driver's attributes, the status, and whether its handle is to the squatter's object.
  const table: [string, number, 'directory' | 'link', number, boolean][] = [
    ['OBJ_OPENIF: the squatter\'s object, silently', OBJ_OPENIF | OBJ_KERNEL_HANDLE, 'directory', STATUS_OBJECT_NAME_EXISTS, true],
    ['OBJ_OPENIF with OBJ_FORCE_ACCESS_CHECK: the squatter\'s object still (its DACL lets its own user in)',
      OBJ_OPENIF | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, 'directory', STATUS_OBJECT_NAME_EXISTS, true],
    ['without OBJ_OPENIF: the create fails', OBJ_KERNEL_HANDLE, 'directory', STATUS_OBJECT_NAME_COLLISION, false],
    // (On win10 a standard user may not create a link in Global\: an administrator squats it here.)
    ['OBJ_OPENIF on a name held by another type', OBJ_OPENIF | OBJ_KERNEL_HANDLE, 'link', STATUS_OBJECT_TYPE_MISMATCH, false],
  ];
  for (const profile of ['nt4', 'win10'] as const) {
    it.each(table)(`${profile}: %s`, async (_name, attributes, squatType, status, squatted) => {
      const seen = { status: -1, handle: 0, squatter: undefined as unknown, driverObject: undefined as unknown, owner: '' };
      const { m, driver } = await machineWithDriver(profile, (nt) => {
        const r = nt.ZwCreateDirectoryObject(DIRECTORY_ALL_ACCESS, nt.InitializeObjectAttributes('\\BaseNamedObjects\\Squat', attributes));
        seen.status = r.status;
        seen.handle = r.directoryHandle;
        if (r.status < 0x8000_0000) {
          const ref = nt.ObReferenceObjectByHandle(r.directoryHandle, 0, null, KernelMode);
          seen.driverObject = ref.object;
          if (ref.object) nt.ObDereferenceObject(ref.object);
          nt.ZwClose(r.directoryHandle);
        }
      });
      const squatter: User = squatType === 'link' && profile === 'win10' ? 'admin' : 'user';
      await runAs(m, squatter, async (k32) => {
        // Global\ on win10: a standard user may create directories there (links and sections need SeCreateGlobalPrivilege).
        const oa = { ObjectName: profile === 'win10' ? '\\Sessions\\1\\BaseNamedObjects\\Global\\Squat' : '\\BaseNamedObjects\\Squat', Attributes: 0 };
        const r = squatType === 'directory'
          ? k32.NtCreateDirectoryObject(DIRECTORY_ALL_ACCESS, oa)
          : k32.NtCreateSymbolicLinkObject(SYMBOLIC_LINK_QUERY, oa, '\\Device');
        expect(r.status).toBe(STATUS_SUCCESS);
        const found = m.kernel.ob.lookup('\\BaseNamedObjects\\Squat', true);
        seen.squatter = typeof found === 'number' ? undefined : found.object;
        seen.owner = (seen.squatter as ObjectDirectory | undefined)?.header.SecurityDescriptor?.Owner ?? '';
        await ioctl(k32, driver.path);
      });
      expect(seen.status >>> 0).toBe(status);
      if (squatter === 'user') expect(seen.owner).toBe(STANDARD_USER_SID);
      if (squatted) {
        expect(seen.driverObject).toBe(seen.squatter);
        expect(seen.handle).toBeLessThan(0); // a kernel handle
      }
    });
  }
});

describe('a kernel-mode open is checked only with OBJ_FORCE_ACCESS_CHECK (the no-force-access-check variant)', () => {
  const table: [string, User, number, number][] = [
    ['a standard user\'s request, without OBJ_FORCE_ACCESS_CHECK: opened though its token may not', 'user', OBJ_KERNEL_HANDLE, STATUS_SUCCESS],
    ['a standard user\'s request, with OBJ_FORCE_ACCESS_CHECK: refused as the user would be', 'user', OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, STATUS_ACCESS_DENIED],
    ['an administrator\'s request, with OBJ_FORCE_ACCESS_CHECK: allowed by the DACL', 'admin', OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, STATUS_SUCCESS],
  ];
  it.each(table)('%s', async (_name, user, attributes, status) => {
    const seen = { status: -1, userStatus: -1 };
    const { m, driver } = await machineWithDriver('win10', (nt) => {
      const r = nt.ZwOpenDirectoryObject(DIRECTORY_ALL_ACCESS, nt.InitializeObjectAttributes('\\BaseNamedObjects\\AdminOnly', attributes));
      seen.status = r.status;
      if (r.status === STATUS_SUCCESS) nt.ZwClose(r.directoryHandle);
    });
    plantDirectory(m, '\\BaseNamedObjects\\AdminOnly', 'O:BAD:(A;;GA;;;SY)(A;;GA;;;BA)');
    await runAs(m, user, async (k32) => {
      seen.userStatus = k32.NtOpenDirectoryObject(DIRECTORY_ALL_ACCESS, { ObjectName: '\\BaseNamedObjects\\AdminOnly', Attributes: 0 }).status;
      await ioctl(k32, driver.path);
    });
    expect(seen.status >>> 0).toBe(status);
    // What the program itself gets, for comparison.
    expect(seen.userStatus >>> 0).toBe(user === 'user' ? STATUS_ACCESS_DENIED : STATUS_SUCCESS);
  });
});

describe('OBJ_PERMANENT needs SeCreatePermanentPrivilege', () => {
  it('a user-mode caller, even an administrator, gets STATUS_PRIVILEGE_NOT_HELD; a driver makes one that outlives its handle', async () => {
    const seen = { user: -1, kernel: -1, afterClose: false };
    const { m, driver } = await machineWithDriver('nt4', (nt) => {
      const r = nt.ZwCreateDirectoryObject(DIRECTORY_ALL_ACCESS, nt.InitializeObjectAttributes('\\BaseNamedObjects\\Kept', OBJ_PERMANENT | OBJ_KERNEL_HANDLE));
      seen.kernel = r.status;
      nt.ZwClose(r.directoryHandle);
    });
    await runAs(m, 'admin', async (k32) => {
      seen.user = k32.NtCreateDirectoryObject(DIRECTORY_ALL_ACCESS, { ObjectName: '\\BaseNamedObjects\\Mine', Attributes: OBJ_PERMANENT }).status;
      await ioctl(k32, driver.path);
    });
    expect(seen.user >>> 0).toBe(STATUS_PRIVILEGE_NOT_HELD);
    expect(seen.kernel).toBe(STATUS_SUCCESS);
    expect(typeof m.kernel.ob.lookup('\\BaseNamedObjects\\Kept')).toBe('object');
    expect(typeof m.kernel.ob.lookup('\\BaseNamedObjects\\Mine')).toBe('number');
  });
});

describe('OBJ_EXCLUSIVE', () => {
  it('an object created exclusive takes no handle of another process, nor a non-exclusive one of its own', async () => {
    const m = await boot({ profile: 'nt4' });
    const seen = { created: -1, sameExclusive: -1, sameShared: -1, other: -1, done: false };
    const name = { ObjectName: '\\BaseNamedObjects\\Excl', Attributes: OBJ_EXCLUSIVE };
    m.spawn(async (k32) => {
      seen.created = k32.NtCreateDirectoryObject(DIRECTORY_ALL_ACCESS, name).status;
      seen.sameExclusive = k32.NtOpenDirectoryObject(DIRECTORY_QUERY, name).status;
      seen.sameShared = k32.NtOpenDirectoryObject(DIRECTORY_QUERY, { ...name, Attributes: 0 }).status;
      while (!seen.done) await k32.Sleep(1);
      return 0;
    }, { name: 'a.exe' });
    m.spawn(async (k32) => {
      await k32.Sleep(5);
      seen.other = k32.NtOpenDirectoryObject(DIRECTORY_QUERY, { ...name, Attributes: OBJ_EXCLUSIVE }).status;
      seen.done = true;
      return 0;
    }, { name: 'b.exe' });
    expect((await m.run({ seconds: 5 })).bugcheck).toBeUndefined();
    expect([seen.created, seen.sameExclusive, seen.sameShared >>> 0, seen.other >>> 0])
      .toEqual([STATUS_SUCCESS, STATUS_SUCCESS, STATUS_ACCESS_DENIED, STATUS_ACCESS_DENIED]);
  });
});

describe('handles', () => {
  it('user mode can never get a kernel handle: OBJ_KERNEL_HANDLE from a program makes a handle in its own table', async () => {
    const m = await boot();
    const seen = { status: -1, handle: 0, kernelTableBefore: 0, kernelTableAfter: 0 };
    await runAs(m, 'admin', (k32) => {
      seen.kernelTableBefore = m.kernel.systemProcess.ObjectTable.count;
      const r = k32.NtCreateDirectoryObject(DIRECTORY_ALL_ACCESS, { ObjectName: '\\BaseNamedObjects\\K', Attributes: OBJ_KERNEL_HANDLE });
      seen.kernelTableAfter = m.kernel.systemProcess.ObjectTable.count;
      [seen.status, seen.handle] = [r.status, r.directoryHandle];
    });
    expect(seen.status).toBe(STATUS_SUCCESS);
    expect(seen.handle).toBeGreaterThan(0);
    expect(seen.kernelTableAfter).toBe(seen.kernelTableBefore);
  });

  it('a handle keeps the access it was granted: a link opened for READ_CONTROL cannot be queried', async () => {
    const m = await boot();
    const seen = { denied: -1, allowed: -1, target: '' };
    await runAs(m, 'user', (k32) => {
      const us = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const p = k32.sizeofPointer;
      k32.setUint16(us, 0);
      k32.setUint16(us + 2, 0x200);
      k32.setPointer(us + (p === 8 ? 8 : 4), us + 0x100);
      const oa = { ObjectName: '\\DosDevices', Attributes: 0 };
      const weak = k32.NtOpenSymbolicLinkObject(READ_CONTROL, oa);
      seen.denied = k32.NtQuerySymbolicLinkObject(weak.linkHandle, us).status;
      const strong = k32.NtOpenSymbolicLinkObject(SYMBOLIC_LINK_QUERY, oa);
      seen.allowed = k32.NtQuerySymbolicLinkObject(strong.linkHandle, us).status;
      seen.target = k32.getString(us + 0x100, 'utf-16le', k32.getUint16(us) / 2);
    });
    expect(seen.denied >>> 0).toBe(STATUS_ACCESS_DENIED);
    expect(seen.allowed).toBe(STATUS_SUCCESS);
    expect(seen.target).toBe('\\??');
  });
});

describe('a SECURITY_DESCRIPTOR in OBJECT_ATTRIBUTES', () => {
  it('a self-relative descriptor in the program\'s memory becomes the object\'s', async () => {
    const m = await boot();
    const seen = { status: -1, sddl: '' };
    await runAs(m, 'user', (k32) => {
      const sd = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setBytes(sd, SepMakeSelfRelative(SeSddlSecurityDescriptorFromSDDL('D:(D;;GW;;;BU)(A;;GA;;;WD)')!));
      seen.status = k32.NtCreateDirectoryObject(DIRECTORY_ALL_ACCESS, { ObjectName: '\\BaseNamedObjects\\Sd', Attributes: 0, SecurityDescriptor: sd }).status;
      const found = m.kernel.ob.lookup('\\BaseNamedObjects\\Sd');
      if (typeof found !== 'number') seen.sddl = SeSecurityDescriptorToSDDL(found.object.header.SecurityDescriptor!);
    });
    expect(seen.status).toBe(STATUS_SUCCESS);
    expect(seen.sddl).toBe(`O:${STANDARD_USER_SID}G:${STANDARD_USER_SID}D:(D;;GW;;;BU)(A;;GA;;;WD)`);
  });

  it.each([
    ['an unmapped address', (_k32: K32) => 0x1000, STATUS_ACCESS_VIOLATION],
    ['a kernel address', (_k32: K32, m: Machine) => m.kernel.layout.nonPagedPool.base, STATUS_ACCESS_VIOLATION],
    ['revision 2', (k32: K32) => {
      const sd = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setBytes(sd, [2, 0, 0, 0x80]);
      return sd;
    }, STATUS_UNKNOWN_REVISION],
  ] as const)('refuses %s', async (_name, where, status) => {
    const m = await boot();
    const seen = { status: -1 };
    await runAs(m, 'user', (k32) => {
      seen.status = k32.NtCreateDirectoryObject(DIRECTORY_ALL_ACCESS, { ObjectName: '\\BaseNamedObjects\\Bad', Attributes: 0, SecurityDescriptor: where(k32, m) }).status;
    });
    expect(seen.status >>> 0).toBe(status);
    expect(typeof m.kernel.ob.lookup('\\BaseNamedObjects\\Bad')).toBe('number');
  });
});

describe('IoCreateDeviceSecure: the device\'s DACL from SDDL, checked at CreateFile', () => {
  it.each([
    ['an administrator', 'admin', true],
    ['a standard user', 'user', false],
  ] as const)('%s opening a device of D:P(A;;GA;;;SY)(A;;GA;;;BA)', async (_name, user, opens) => {
    const seen = { status: -1, bad: -1, handle: 0, error: 0 };
    const { m } = await machineWithDriver('win10', () => {}, (nt, driverObject) => {
      const r = nt.IoCreateDeviceSecure(driverObject, 0, '\\Device\\Secure', FILE_DEVICE_UNKNOWN, 0, false, 'D:P(A;;GA;;;SY)(A;;GA;;;BA)');
      seen.status = r.status;
      seen.bad = nt.IoCreateDeviceSecure(driverObject, 0, '\\Device\\Bad', FILE_DEVICE_UNKNOWN, 0, false, 'D:(Q;;;)').status;
      return nt.IoCreateSymbolicLink('\\DosDevices\\Secure', '\\Device\\Secure');
    });
    await runAs(m, user, (k32) => {
      seen.handle = k32.CreateFileW('\\\\.\\Secure', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      seen.error = k32.GetLastError();
      if (seen.handle !== INVALID_HANDLE_VALUE) k32.CloseHandle(seen.handle);
    });
    expect(seen.status).toBe(STATUS_SUCCESS);
    expect(seen.bad >>> 0).toBe(STATUS_INVALID_PARAMETER);
    expect(seen.handle !== INVALID_HANDLE_VALUE).toBe(opens);
    if (!opens) expect(seen.error).toBe(ERROR_ACCESS_DENIED);
  });
});

describe('a handle passed inside an IOCTL buffer, referenced with UserMode (boundary case 14)', () => {
  // What the program puts in the buffer, the type and access the driver asks, and the status.
  type Pick = (k32: K32) => number;
  const directory: Pick = (k32) => k32.NtCreateDirectoryObject(DIRECTORY_QUERY, { ObjectName: '\\BaseNamedObjects\\H', Attributes: 0 }).directoryHandle;
  const table: [string, Pick, 'file' | null, number, number, number][] = [
    ['a kernel handle value', () => -(2 ** 31) + 4, null, 0, UserMode, STATUS_INVALID_HANDLE],
    ['NULL', () => 0, null, 0, UserMode, STATUS_INVALID_HANDLE],
    ['a directory handle where a file is expected', directory, 'file', 0, UserMode, STATUS_OBJECT_TYPE_MISMATCH],
    ['a directory handle opened for DIRECTORY_QUERY, used for DIRECTORY_TRAVERSE', directory, null, DIRECTORY_TRAVERSE, UserMode, STATUS_ACCESS_DENIED],
    ['the same handle for the access it was granted', directory, null, DIRECTORY_QUERY, UserMode, STATUS_SUCCESS],
    ['the same handle referenced with KernelMode: the granted access is not checked', directory, null, DIRECTORY_TRAVERSE, KernelMode, STATUS_SUCCESS],
  ];
  it.each(table)('%s', async (_name, pick, type, access, mode, status) => {
    const seen = { status: -1 };
    const { m, driver } = await machineWithDriver('nt4', (nt, sb) => {
      const r = nt.ObReferenceObjectByHandle(nt.getPointer(sb), access, type === 'file' ? nt.IoFileObjectType : null, mode);
      seen.status = r.status;
      if (r.object) nt.ObDereferenceObject(r.object);
    });
    await runAs(m, 'user', async (k32) => {
      await ioctl(k32, driver.path, [pick(k32)]);
    });
    expect(seen.status >>> 0).toBe(status);
  });
});

describe('an object openable from kernel mode only (what \\Device\\PhysicalMemory is)', () => {
  it.each([
    ['an administrator program, though the DACL is NULL', 'program', 0, STATUS_ACCESS_DENIED],
    ['a driver (KernelMode)', 'driver', OBJ_KERNEL_HANDLE, STATUS_SUCCESS],
    ['a driver with OBJ_FORCE_ACCESS_CHECK (checked as user mode)', 'driver', OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, STATUS_ACCESS_DENIED],
  ] as const)('%s', async (_name, who, attributes, status) => {
    const seen = { status: -1 };
    const { m, driver } = await machineWithDriver('win10', (nt) => {
      if (who !== 'driver') return;
      const r = nt.ZwOpenDirectoryObject(DIRECTORY_QUERY, nt.InitializeObjectAttributes('\\Device\\KernelOnly', attributes));
      seen.status = r.status;
      if (r.status === STATUS_SUCCESS) nt.ZwClose(r.directoryHandle);
    });
    plantDirectory(m, '\\Device\\KernelOnly', 'D:NO_ACCESS_CONTROL').header.kernelOnly = true;
    await runAs(m, 'admin', async (k32) => {
      if (who === 'program') seen.status = k32.NtOpenDirectoryObject(DIRECTORY_QUERY, { ObjectName: '\\Device\\KernelOnly', Attributes: 0 }).status;
      else await ioctl(k32, driver.path);
    });
    expect(seen.status >>> 0).toBe(status);
  });
});
