/**
 * The registry from a program: the Reg* routines (advapi32) over the Nt*Key
 * services — round trips of each value type, the Win32 errors of missing keys
 * and values and of short buffers, a standard user kept out of HKLM's writes,
 * and the native services' own checks at the user/kernel boundary.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import {
  ERROR_ACCESS_DENIED, ERROR_FILE_NOT_FOUND, ERROR_MORE_DATA, ERROR_NO_MORE_ITEMS, ERROR_SUCCESS, HKEY_CURRENT_USER,
  HKEY_LOCAL_MACHINE, KEY_ALL_ACCESS, KEY_QUERY_VALUE, KEY_READ, KEY_SET_VALUE, KEY_WRITE, KeyValuePartialInformation,
  REG_BINARY, REG_CREATED_NEW_KEY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_OPENED_EXISTING_KEY, REG_QWORD, REG_SZ,
  type K32,
} from 'ntshm/win32';
import { STATUS_ACCESS_DENIED, STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW, STATUS_SUCCESS } from 'ntshm/wdm';

/** Runs `main` as a program of `user`; returns what it recorded. */
async function asProgram<T>(main: (k32: K32) => T, user: 'admin' | 'user' = 'admin', machine?: Machine): Promise<T> {
  const m = machine ?? await boot();
  let out: T | undefined;
  const p = m.spawn((k32) => {
    out = main(k32);
    return 0;
  }, { user });
  const result = await m.run();
  expect(result.bugcheck).toBeUndefined();
  expect(p.exitCode).toBe(0);
  return out as T;
}

const utf16z = (s: string): Uint8Array => {
  const b = new Uint8Array((s.length + 1) * 2);
  for (let i = 0; i < s.length; i++) b[2 * i] = s.charCodeAt(i) & 0xff, b[2 * i + 1] = s.charCodeAt(i) >> 8;
  return b;
};

const valueCases: [string, number, Uint8Array][] = [
  ['REG_SZ', REG_SZ, utf16z('hello')],
  ['REG_EXPAND_SZ', REG_EXPAND_SZ, utf16z('%SystemRoot%\\x.sys')],
  ['REG_MULTI_SZ', REG_MULTI_SZ, Uint8Array.from([...utf16z('a'), ...utf16z('bc'), 0, 0])],
  ['REG_DWORD', REG_DWORD, Uint8Array.from([0x78, 0x56, 0x34, 0x12])],
  ['REG_QWORD', REG_QWORD, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])],
  ['REG_BINARY', REG_BINARY, Uint8Array.from([0, 255, 7])],
  ['REG_BINARY (empty)', REG_BINARY, new Uint8Array(0)],
];

describe('Reg* round trips', () => {
  it.each(valueCases)('a %s value set under HKLM reads back with its type and bytes', async (_name, type, data) => {
    const r = await asProgram((k32) => {
      const created = k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Ntshm\\Values', 0, null, 0, KEY_ALL_ACCESS);
      const set = k32.RegSetValueExW(created.hkResult, 'V', 0, type, data, data.length);
      const size = k32.RegQueryValueExW(created.hkResult, 'V', null, null, 0);
      const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const read = k32.RegQueryValueExW(created.hkResult, 'V', null, buffer, 4096);
      const bytes = [...k32.getBytes(buffer, read.cbData)];
      k32.RegCloseKey(created.hkResult);
      return { created, set, size, read, bytes };
    });
    expect(r.created.value).toBe(ERROR_SUCCESS);
    expect(r.created.dwDisposition).toBe(REG_CREATED_NEW_KEY);
    expect(r.set).toBe(ERROR_SUCCESS);
    expect(r.size).toEqual({ value: ERROR_SUCCESS, type, cbData: data.length });
    expect(r.read).toEqual({ value: ERROR_SUCCESS, type, cbData: data.length });
    expect(r.bytes).toEqual([...data]);
  });

  it('creating an existing key opens it, and a second handle sees the first one\'s values', async () => {
    const r = await asProgram((k32) => {
      const a = k32.RegCreateKeyExW(HKEY_CURRENT_USER, 'Software\\App', 0, null, 0, KEY_ALL_ACCESS);
      k32.RegSetValueExW(a.hkResult, 'Count', 0, REG_DWORD, Uint8Array.from([3, 0, 0, 0]), 4);
      const b = k32.RegCreateKeyExW(HKEY_CURRENT_USER, 'Software\\App', 0, null, 0, KEY_READ);
      const opened = k32.RegOpenKeyExW(HKEY_CURRENT_USER, 'Software\\App', 0, KEY_READ);
      const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const read = k32.RegQueryValueExW(opened.hkResult, 'count', null, buffer, 4);
      return { disposition: b.dwDisposition, opened: opened.value, read, dword: k32.getUint32(buffer) };
    });
    expect(r.disposition).toBe(REG_OPENED_EXISTING_KEY);
    expect(r.opened).toBe(ERROR_SUCCESS);
    expect(r.read.value).toBe(ERROR_SUCCESS);
    expect(r.dword).toBe(3);
  });

  it('RegEnumKeyExW lists subkeys in order, then ERROR_NO_MORE_ITEMS', async () => {
    const r = await asProgram((k32) => {
      for (const name of ['Beta', 'alpha', 'Gamma']) {
        k32.RegCloseKey(k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, `Software\\Enum\\${name}`, 0, null, 0, KEY_ALL_ACCESS).hkResult);
      }
      const key = k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Enum', 0, KEY_READ).hkResult;
      return [0, 1, 2, 3].map((i) => k32.RegEnumKeyExW(key, i, 256)).map((e) => [e.value, e.name]);
    });
    expect(r).toEqual([[ERROR_SUCCESS, 'alpha'], [ERROR_SUCCESS, 'Beta'], [ERROR_SUCCESS, 'Gamma'], [ERROR_NO_MORE_ITEMS, '']]);
  });

  it('RegDeleteValueW and RegDeleteKeyW remove what they name', async () => {
    const r = await asProgram((k32) => {
      const key = k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Gone\\Child', 0, null, 0, KEY_ALL_ACCESS).hkResult;
      k32.RegSetValueExW(key, 'X', 0, REG_DWORD, Uint8Array.from([1, 0, 0, 0]), 4);
      const deleteValue = k32.RegDeleteValueW(key, 'X');
      const afterValue = k32.RegQueryValueExW(key, 'X', null, null, 0).value;
      k32.RegCloseKey(key);
      const parentFirst = k32.RegDeleteKeyW(HKEY_LOCAL_MACHINE, 'Software\\Gone');
      const child = k32.RegDeleteKeyW(HKEY_LOCAL_MACHINE, 'Software\\Gone\\Child');
      const afterKey = k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Gone\\Child', 0, KEY_READ).value;
      return { deleteValue, afterValue, parentFirst, child, afterKey };
    });
    expect(r).toEqual({ deleteValue: ERROR_SUCCESS, afterValue: ERROR_FILE_NOT_FOUND, parentFirst: ERROR_ACCESS_DENIED, child: ERROR_SUCCESS, afterKey: ERROR_FILE_NOT_FOUND });
  });
});

describe('Win32 errors', () => {
  it.each([
    ['a missing key', (k32: K32) => k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Missing', 0, KEY_READ).value, ERROR_FILE_NOT_FOUND],
    ['a missing value', (k32: K32) => k32.RegQueryValueExW(HKEY_LOCAL_MACHINE, 'Missing', null, null, 0).value, ERROR_FILE_NOT_FOUND],
    ['deleting a missing value', (k32: K32) => k32.RegDeleteValueW(HKEY_LOCAL_MACHINE, 'Missing'), ERROR_FILE_NOT_FOUND],
    ['a closed handle', (k32: K32) => k32.RegCloseKey(0x1234), 6 /* ERROR_INVALID_HANDLE */],
  ])('%s', async (_name, call, error) => {
    expect(await asProgram((k32) => call(k32))).toBe(error);
  });

  it('a buffer too small is ERROR_MORE_DATA with the size needed, and nothing copied', async () => {
    const r = await asProgram((k32) => {
      const key = k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Short', 0, null, 0, KEY_ALL_ACCESS).hkResult;
      k32.RegSetValueExW(key, 'S', 0, REG_SZ, utf16z('twelve chars'), 26);
      const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const read = k32.RegQueryValueExW(key, 'S', null, buffer, 8);
      return { read, first: k32.getUint32(buffer) };
    });
    expect(r.read).toEqual({ value: ERROR_MORE_DATA, type: REG_SZ, cbData: 26 });
    expect(r.first).toBe(0);
  });
});

describe('a standard user', () => {
  it.each([
    ['create a key under HKLM', (k32: K32) => k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Mine', 0, null, 0, KEY_ALL_ACCESS).value],
    ['open HKLM\\Software for writing', (k32: K32) => k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'Software', 0, KEY_WRITE).value],
    ['set a value on HKLM', (k32: K32) => k32.RegSetValueExW(HKEY_LOCAL_MACHINE, 'V', 0, REG_DWORD, Uint8Array.from([1, 0, 0, 0]), 4)],
  ])('may not %s (ERROR_ACCESS_DENIED)', async (_name, call) => {
    expect(await asProgram((k32) => call(k32), 'user')).toBe(ERROR_ACCESS_DENIED);
  });

  it('may read HKLM and write its own HKCU', async () => {
    const r = await asProgram((k32) => ({
      read: k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'System\\CurrentControlSet\\Services', 0, KEY_READ).value,
      write: k32.RegCreateKeyExW(HKEY_CURRENT_USER, 'Software\\Mine', 0, null, 0, KEY_ALL_ACCESS).value,
    }), 'user');
    expect(r).toEqual({ read: ERROR_SUCCESS, write: ERROR_SUCCESS });
  });

  it('is held to a handle\'s granted access: a KEY_READ handle cannot set a value (STATUS_ACCESS_DENIED)', async () => {
    const status = await asProgram((k32) => {
      const key = k32.RegCreateKeyExW(HKEY_CURRENT_USER, 'Software\\ReadOnly', 0, null, 0, KEY_QUERY_VALUE).hkResult;
      return k32.NtSetValueKey(key, 'V', 0, REG_DWORD, 0, 0);
    }, 'user');
    expect(status).toBe(STATUS_ACCESS_DENIED);
  });
});

describe('the native services at the boundary', () => {
  it('NtQueryValueKey with a short buffer: STATUS_BUFFER_OVERFLOW, the full ResultLength, the fixed part written', async () => {
    const r = await asProgram((k32) => {
      const key = k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Native', 0, null, 0, KEY_ALL_ACCESS).hkResult;
      k32.RegSetValueExW(key, 'D', 0, REG_DWORD, Uint8Array.from([9, 0, 0, 0]), 4);
      const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const q = k32.NtQueryValueKey(key, 'D', KeyValuePartialInformation, buffer, 14);
      return { q, type: k32.getUint32(buffer + 4), length: k32.getUint32(buffer + 8) };
    });
    expect(r).toEqual({ q: { status: STATUS_BUFFER_OVERFLOW, resultLength: 16 }, type: REG_DWORD, length: 4 });
  });

  it.each([
    ['a kernel-space buffer', 0xffff_8000_0000_0000],
    ['an unmapped buffer', 0x10],
  ])('NtQueryValueKey into %s is STATUS_ACCESS_VIOLATION', async (_name, va) => {
    const status = await asProgram((k32) => {
      const key = k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Native', 0, null, 0, KEY_ALL_ACCESS).hkResult;
      k32.RegSetValueExW(key, 'D', 0, REG_DWORD, Uint8Array.from([9, 0, 0, 0]), 4);
      return k32.NtQueryValueKey(key, 'D', KeyValuePartialInformation, va, 16).status;
    });
    expect(status).toBe(STATUS_ACCESS_VIOLATION);
  });

  it('NtSetValueKey with KEY_SET_VALUE only succeeds', async () => {
    const status = await asProgram((k32) => {
      const key = k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Native', 0, null, 0, KEY_SET_VALUE).hkResult;
      return k32.NtSetValueKey(key, 'E', 0, REG_BINARY, 0, 0);
    });
    expect(status).toBe(STATUS_SUCCESS);
  });
});
