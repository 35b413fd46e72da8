/**
 * Creating and opening named objects under both tokens and both machine
 * profiles, through the real boundary (directories and symbolic links are
 * the named types a program can create today; sections go through the same
 * ObInsertObject / ObOpenObjectByName). Each program records what it saw;
 * the test asserts after the run.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import {
  DIRECTORY_ALL_ACCESS, DIRECTORY_QUERY, DIRECTORY_TRAVERSE, MAXIMUM_ALLOWED, MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, STATUS_ACCESS_DENIED,
  STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SUCCESS, SYMBOLIC_LINK_QUERY,
} from 'ntshm/wdm';
import type { K32 } from 'ntshm/win32';
import { namedObjectAttributes } from '../../src/api/named-objects.js';
import { TEB_ADDRESS } from '../../src/kernel/ps/environment.js';
import { ObjectDirectory, SymbolicLinkObject } from '../../src/kernel/ob/namespace.js';
import { SeSddlSecurityDescriptorFromSDDL } from '../../src/kernel/se/sddl.js';
import { SepMakeSelfRelative } from '../../src/kernel/se/security-descriptor.js';

type Profile = 'nt4' | 'win10';
type User = 'admin' | 'user';

/** Runs one program as `user` in `session` to its end; it must exit 0 without a bug check. */
async function runAs(machine: Machine, user: User, body: (k32: K32) => Promise<void> | void, session?: number): Promise<void> {
  const p = machine.spawn(async (k32) => {
    await body(k32);
    return 0;
  }, { user, name: `${user}.exe`, ...(session === undefined ? {} : { session }) });
  const r = await machine.run({ seconds: 5 });
  expect(r.bugcheck).toBeUndefined();
  expect(p.exitCode).toBe(0);
}

/** kernel32's OBJECT_ATTRIBUTES for a Win32 name, as the program's kernel32 builds it. */
const win32Name = (k32: K32, name: string, attributes = 0, sd = 0) =>
  namedObjectAttributes({ arch: k32.sizeofPointer === 8 ? 'x64' : 'x86', mem: k32, teb: TEB_ADDRESS }, name, attributes, sd);

/** What is at `path` in the namespace now (white-box). */
const objectAt = (m: Machine, path: string) => {
  const r = m.kernel.ob.lookup(path, true);
  return typeof r === 'number' || r.remaining !== '' ? undefined : r.object;
};

describe('the named-object directories of each profile', () => {
  it('nt4 has only \\BaseNamedObjects, with no Global or Local link', async () => {
    const m = await boot({ profile: 'nt4' });
    expect(objectAt(m, '\\BaseNamedObjects')).toBeInstanceOf(ObjectDirectory);
    expect(objectAt(m, '\\BaseNamedObjects\\Global')).toBeUndefined();
    expect(objectAt(m, '\\Sessions')).toBeUndefined();
  });

  it.each([
    ['\\BaseNamedObjects\\Global', '\\BaseNamedObjects'],
    ['\\BaseNamedObjects\\Local', '\\BaseNamedObjects'],
    ['\\BaseNamedObjects\\Session', '\\Sessions\\BNOLINKS'],
    ['\\Sessions\\1\\BaseNamedObjects\\Global', '\\BaseNamedObjects'],
    ['\\Sessions\\1\\BaseNamedObjects\\Local', '\\Sessions\\1\\BaseNamedObjects'],
    ['\\Sessions\\1\\BaseNamedObjects\\Session', '\\Sessions\\BNOLINKS'],
    ['\\Sessions\\BNOLINKS\\1', '\\Sessions\\1\\BaseNamedObjects'],
  ])('win10: %s is a link to %s', async (link, target) => {
    const m = await boot({ profile: 'win10' });
    const o = objectAt(m, link);
    expect(o).toBeInstanceOf(SymbolicLinkObject);
    expect((o as SymbolicLinkObject).LinkTarget).toBe(target);
  });

  it('win10: a program in session 2 gets \\Sessions\\2\\BaseNamedObjects when it starts', async () => {
    const m = await boot({ profile: 'win10' });
    expect(objectAt(m, '\\Sessions\\2\\BaseNamedObjects')).toBeUndefined();
    await runAs(m, 'user', () => {}, 2);
    expect(objectAt(m, '\\Sessions\\2\\BaseNamedObjects')).toBeInstanceOf(ObjectDirectory);
  });

  it('nt4 refuses a session other than 0', async () => {
    const m = await boot({ profile: 'nt4' });
    expect(() => m.spawn(() => 0, { session: 1 })).toThrow(RangeError);
  });
});

describe('where kernel32 puts a name (Global\\ and Local\\)', () => {
  // profile, user, session, Win32 name, the path it lands at (or the status it fails with)
  const table: [Profile, User, number | undefined, string, string | number][] = [
    ['win10', 'user', undefined, 'X', '\\Sessions\\1\\BaseNamedObjects\\X'],
    ['win10', 'user', undefined, 'Local\\X', '\\Sessions\\1\\BaseNamedObjects\\X'],
    ['win10', 'user', undefined, 'Global\\X', '\\BaseNamedObjects\\X'],
    ['win10', 'admin', undefined, 'Global\\X', '\\BaseNamedObjects\\X'],
    ['win10', 'admin', 0, 'X', '\\BaseNamedObjects\\X'],
    ['win10', 'user', 0, 'Local\\X', '\\BaseNamedObjects\\X'],
    ['win10', 'user', 2, 'X', '\\Sessions\\2\\BaseNamedObjects\\X'],
    ['nt4', 'user', undefined, 'X', '\\BaseNamedObjects\\X'],
    ['nt4', 'admin', undefined, 'X', '\\BaseNamedObjects\\X'],
    ['nt4', 'user', undefined, 'Global\\X', STATUS_OBJECT_PATH_NOT_FOUND],
    ['nt4', 'admin', undefined, 'Local\\X', STATUS_OBJECT_PATH_NOT_FOUND],
  ];
  it.each(table)('%s, %s in session %s: a directory named %s → %s', async (profile, user, session, name, expected) => {
    const m = await boot({ profile });
    const seen = { status: -1, there: undefined as unknown };
    await runAs(m, user, (k32) => {
      seen.status = k32.NtCreateDirectoryObject(DIRECTORY_ALL_ACCESS, win32Name(k32, name)).status;
      // While the handle is open (the name goes with the last handle).
      if (typeof expected === 'string') seen.there = objectAt(m, expected);
    }, session);
    if (typeof expected === 'number') {
      expect(seen.status >>> 0).toBe(expected);
    } else {
      expect(seen.status).toBe(STATUS_SUCCESS);
      expect(seen.there).toBeInstanceOf(ObjectDirectory);
    }
  });

  it('win10: a program in session 1 names the driver\'s Global object with Global\\ and misses it without (session-namespace)', async () => {
    const m = await boot({ profile: 'win10' });
    const dir = m.kernel.ob.ObCreateObject(new ObjectDirectory());
    m.kernel.ob.insertName('\\BaseNamedObjects\\Shared', dir, 0, true);
    const seen: number[] = [];
    await runAs(m, 'user', (k32) => {
      seen.push(k32.NtOpenDirectoryObject(DIRECTORY_QUERY, win32Name(k32, 'Shared')).status);
      seen.push(k32.NtOpenDirectoryObject(DIRECTORY_QUERY, win32Name(k32, 'Local\\Shared')).status);
      seen.push(k32.NtOpenDirectoryObject(DIRECTORY_QUERY, win32Name(k32, 'Global\\Shared')).status);
    });
    expect(seen.map((s) => s >>> 0)).toEqual([STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS]);
  });
});

describe('creating in another session\'s directory (SeCreateGlobalPrivilege)', () => {
  // A symbolic link is session-restricted as a section is; a directory is not (WRK ObpLookupObjectName).
  const table: [string, User, number | undefined, 'link' | 'directory', number][] = [
    ['a standard user in session 1, a link in Global\\', 'user', undefined, 'link', STATUS_ACCESS_DENIED],
    ['an administrator in session 1 (SeCreateGlobalPrivilege enabled), a link in Global\\', 'admin', undefined, 'link', STATUS_SUCCESS],
    ['a standard user in session 0 (no other session), a link in Global\\', 'user', 0, 'link', STATUS_SUCCESS],
    ['a standard user in session 1, a directory in Global\\ (not a restricted type)', 'user', undefined, 'directory', STATUS_SUCCESS],
  ];
  it.each(table)('%s: %s', async (_name, user, session, kind, status) => {
    const m = await boot({ profile: 'win10' });
    const seen = { status: -1, there: false };
    await runAs(m, user, (k32) => {
      const oa = win32Name(k32, 'Global\\Squat');
      seen.status = kind === 'link'
        ? k32.NtCreateSymbolicLinkObject(SYMBOLIC_LINK_QUERY, oa, '\\Device\\Null').status
        : k32.NtCreateDirectoryObject(DIRECTORY_QUERY, oa).status;
      seen.there = objectAt(m, '\\BaseNamedObjects\\Squat') !== undefined;
    }, session);
    expect(seen.status >>> 0).toBe(status);
    expect(seen.there).toBe(status === STATUS_SUCCESS);
  });

  it('nt4 has no sessions, so no such check: a standard user creates a link in \\BaseNamedObjects', async () => {
    const m = await boot({ profile: 'nt4' });
    const seen = { status: -1 };
    await runAs(m, 'user', (k32) => {
      seen.status = k32.NtCreateSymbolicLinkObject(SYMBOLIC_LINK_QUERY, win32Name(k32, 'L'), '\\Device').status;
    });
    expect(seen.status).toBe(STATUS_SUCCESS);
  });
});

describe('opening under each token: the object\'s DACL decides', () => {
  // The creator, the descriptor it gives (none: its token's default DACL), who opens, what it asks, the status.
  const table: [string, User, string | undefined, User, number, number][] = [
    ["an administrator's object (default DACL: BA, SY), opened by a standard user", 'admin', undefined, 'user', DIRECTORY_QUERY, STATUS_ACCESS_DENIED],
    ["an administrator's object, opened by another administrator program", 'admin', undefined, 'admin', DIRECTORY_QUERY, STATUS_SUCCESS],
    ["a standard user's object (default DACL: the user, SY), opened by an administrator", 'user', undefined, 'admin', DIRECTORY_QUERY, STATUS_ACCESS_DENIED],
    ["a standard user's object, opened by the same user", 'user', undefined, 'user', DIRECTORY_ALL_ACCESS, STATUS_SUCCESS],
    ['an object that allows Everyone, opened by a standard user', 'admin', 'D:(A;;GA;;;WD)', 'user', DIRECTORY_ALL_ACCESS, STATUS_SUCCESS],
    ['an object that allows Users read only, opened for all access', 'admin', 'D:(A;;GR;;;BU)(A;;GA;;;BA)', 'user', DIRECTORY_ALL_ACCESS, STATUS_ACCESS_DENIED],
    ['an object that allows Users read only, opened to read', 'admin', 'D:(A;;GR;;;BU)(A;;GA;;;BA)', 'user', DIRECTORY_QUERY | DIRECTORY_TRAVERSE, STATUS_SUCCESS],
    ['an object that denies Users before allowing Everyone', 'admin', 'D:(D;;GA;;;BU)(A;;GA;;;WD)', 'user', DIRECTORY_QUERY, STATUS_ACCESS_DENIED],
    ['a NULL DACL, opened by anyone', 'admin', 'D:NO_ACCESS_CONTROL', 'user', DIRECTORY_ALL_ACCESS, STATUS_SUCCESS],
    ['an INTERACTIVE allow ACE, opened by a standard user', 'admin', 'D:(A;;GA;;;IU)', 'user', DIRECTORY_QUERY, STATUS_SUCCESS],
    ['MAXIMUM_ALLOWED where the DACL allows something', 'admin', 'D:(A;;GR;;;WD)', 'user', MAXIMUM_ALLOWED, STATUS_SUCCESS],
    ['MAXIMUM_ALLOWED where it allows nothing', 'admin', 'D:(A;;GA;;;SY)', 'user', MAXIMUM_ALLOWED, STATUS_ACCESS_DENIED],
  ];
  for (const profile of ['nt4', 'win10'] as const) {
    it.each(table)(`${profile}: %s`, async (_name, creator, sddl, opener, access, status) => {
      const m = await boot({ profile });
      const seen = { created: -1, opened: -1, done: false };
      // Global\ on win10 (both programs see it); nothing to prefix on nt4.
      const name = profile === 'win10' ? 'Global\\Obj' : 'Obj';
      // The creator holds its handle until the opener has tried.
      const a = m.spawn(async (k32) => {
        let sd = 0;
        if (sddl !== undefined) {
          sd = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
          k32.setBytes(sd, SepMakeSelfRelative(SeSddlSecurityDescriptorFromSDDL(sddl)!));
        }
        seen.created = k32.NtCreateDirectoryObject(DIRECTORY_ALL_ACCESS, win32Name(k32, name, 0, sd)).status;
        while (!seen.done) await k32.Sleep(1);
        return 0;
      }, { user: creator, name: 'creator.exe' });
      const b = m.spawn(async (k32) => {
        await k32.Sleep(5);
        seen.opened = k32.NtOpenDirectoryObject(access, win32Name(k32, name)).status;
        seen.done = true;
        return 0;
      }, { user: opener, name: 'opener.exe' });
      const r = await m.run({ seconds: 5 });
      expect(r.bugcheck).toBeUndefined();
      expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
      expect(seen.created).toBe(STATUS_SUCCESS);
      expect(seen.opened >>> 0).toBe(status);
    });
  }
});
