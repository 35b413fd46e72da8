/**
 * RegEnumValueW and RegQueryInfoKeyW from a program: the Win32 counts
 * (characters without the NUL where NT counts bytes), ERROR_MORE_DATA with
 * the size needed and nothing copied, ERROR_NO_MORE_ITEMS past the end, and
 * the services underneath (NtEnumerateValueKey, NtQueryKey) reached through
 * the system-call table.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, ERROR_MORE_DATA, ERROR_NO_MORE_ITEMS, ERROR_SUCCESS, HKEY_LOCAL_MACHINE,
  KEY_ALL_ACCESS, KEY_ENUMERATE_SUB_KEYS, KEY_READ, REG_BINARY, REG_DWORD, REG_SZ, type K32,
} from 'ntshm/win32';

/** Runs `main` in a program; returns what it returned, and the services its thread entered. */
async function inProgram<T>(main: (k32: K32) => T): Promise<{ out: T; services: string[] }> {
  const machine = await boot();
  const services: string[] = [];
  machine.onSystemCall((name, _args, process) => {
    if (process === 'reg.exe') services.push(name);
  });
  let out: T | undefined;
  const p = machine.spawn((k32) => {
    out = main(k32);
    return 0;
  }, { name: 'reg.exe' });
  const result = await machine.run();
  expect(result.bugcheck).toBeUndefined();
  expect(p.exitCode).toBe(0);
  return { out: out as T, services };
}

const utf16z = (s: string): Uint8Array => {
  const b = new Uint8Array((s.length + 1) * 2);
  for (let i = 0; i < s.length; i++) b[2 * i] = s.charCodeAt(i) & 0xff, b[2 * i + 1] = s.charCodeAt(i) >> 8;
  return b;
};

/** HKLM\Software\Enum with Test = "foobar" (REG_SZ, 14 bytes), Level = 7 (REG_DWORD) and an empty REG_BINARY default value. */
function makeKey(k32: K32, className: string | null = null): number {
  const key = k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Enum', 0, className, 0, KEY_ALL_ACCESS).hkResult;
  k32.RegSetValueExW(key, 'Test', 0, REG_SZ, utf16z('foobar'), 14);
  k32.RegSetValueExW(key, 'Level', 0, REG_DWORD, Uint8Array.from([7, 0, 0, 0]), 4);
  k32.RegSetValueExW(key, null, 0, REG_BINARY, new Uint8Array(0), 0);
  return key;
}

/** A buffer of `bytes` 0x55 bytes in the program's memory. */
function filled(k32: K32, bytes: number): number {
  const va = k32.VirtualAlloc(0, 4096, 0x3000, 4);
  k32.setBytes(va, new Uint8Array(bytes).fill(0x55));
  return va;
}

describe('RegEnumValueW', () => {
  it('lists the values in creation order with their names, types and data, then ERROR_NO_MORE_ITEMS', async () => {
    const { out, services } = await inProgram((k32) => {
      const key = makeKey(k32);
      const buffer = filled(k32, 64);
      return [0, 1, 2, 3].map((i) => {
        const r = k32.RegEnumValueW(key, i, 16, null, buffer, 64);
        return { ...r, data: [...k32.getBytes(buffer, r.value === ERROR_SUCCESS ? r.cbData : 0)] };
      });
    });
    expect(out).toEqual([
      { value: ERROR_SUCCESS, valueName: 'Test', cchValueName: 4, type: REG_SZ, cbData: 14, data: [...utf16z('foobar')] },
      { value: ERROR_SUCCESS, valueName: 'Level', cchValueName: 5, type: REG_DWORD, cbData: 4, data: [7, 0, 0, 0] },
      { value: ERROR_SUCCESS, valueName: '', cchValueName: 0, type: REG_BINARY, cbData: 0, data: [] },
      { value: ERROR_NO_MORE_ITEMS, valueName: '', cchValueName: 16, type: 0, cbData: 64, data: [] },
    ]);
    expect(services).toContain('NtEnumerateValueKey');
  });

  it.each([
    // [case, cchValueName, cbData, expected result, whether the data buffer changes]
    ['a name buffer one character short (no room for the NUL)', 4, 64,
      { value: ERROR_MORE_DATA, valueName: '', cchValueName: 4, type: REG_SZ, cbData: 14 }, false],
    ['a zero-size name buffer', 0, 64, { value: ERROR_MORE_DATA, valueName: '', cchValueName: 0, type: REG_SZ, cbData: 14 }, false],
    ['a data buffer too small: the name still comes back', 16, 13,
      { value: ERROR_MORE_DATA, valueName: 'Test', cchValueName: 4, type: REG_SZ, cbData: 14 }, false],
    ['both too small', 2, 2, { value: ERROR_MORE_DATA, valueName: '', cchValueName: 2, type: REG_SZ, cbData: 14 }, false],
    ['buffers that fit exactly', 5, 14, { value: ERROR_SUCCESS, valueName: 'Test', cchValueName: 4, type: REG_SZ, cbData: 14 }, true],
  ])('%s', async (_name, cch, cb, expected, copied) => {
    const { out } = await inProgram((k32) => {
      const key = makeKey(k32);
      const buffer = filled(k32, 64);
      return { r: k32.RegEnumValueW(key, 0, cch, null, buffer, cb), data: [...k32.getBytes(buffer, 14)] };
    });
    expect(out.r).toEqual(expected);
    expect(out.data).toEqual(copied ? [...utf16z('foobar')] : new Array(14).fill(0x55));
  });

  it('with lpData NULL gives the data\'s size in cbData and copies nothing', async () => {
    const { out } = await inProgram((k32) => k32.RegEnumValueW(makeKey(k32), 1, 16, null, null, null));
    expect(out).toEqual({ value: ERROR_SUCCESS, valueName: 'Level', cchValueName: 5, type: REG_DWORD, cbData: 4 });
  });

  it.each([
    ['lpcchValueName NULL', (k32: K32, key: number) => k32.RegEnumValueW(key, 0, null, null, null, null).value],
    ['lpReserved not NULL', (k32: K32, key: number) => k32.RegEnumValueW(key, 0, 16, 0x1000, null, null).value],
    ['lpData without lpcbData', (k32: K32, key: number) => k32.RegEnumValueW(key, 0, 16, null, 0x1000, null).value],
  ])('%s is ERROR_INVALID_PARAMETER', async (_name, call) => {
    const { out } = await inProgram((k32) => call(k32, makeKey(k32)));
    expect(out).toBe(ERROR_INVALID_PARAMETER);
  });

  it('needs KEY_QUERY_VALUE on the handle (ERROR_ACCESS_DENIED without)', async () => {
    const { out } = await inProgram((k32) => {
      k32.RegCloseKey(makeKey(k32));
      const key = k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Enum', 0, KEY_ENUMERATE_SUB_KEYS).hkResult;
      return k32.RegEnumValueW(key, 0, 16, null, null, null).value;
    });
    expect(out).toBe(ERROR_ACCESS_DENIED);
  });
});

describe('RegQueryInfoKeyW', () => {
  it('counts subkeys and values, gives the longest names in characters and the largest data in bytes', async () => {
    const { out, services } = await inProgram((k32) => {
      const key = makeKey(k32, 'Widget');
      k32.RegCloseKey(k32.RegCreateKeyExW(key, 'Child', 0, 'LongerClass', 0, KEY_ALL_ACCESS).hkResult);
      k32.RegCloseKey(k32.RegCreateKeyExW(key, 'A', 0, null, 0, KEY_ALL_ACCESS).hkResult);
      return k32.RegQueryInfoKeyW(key, 16, null);
    });
    expect(out).toMatchObject({
      value: ERROR_SUCCESS, class: 'Widget', cchClass: 6, cSubKeys: 2, cbMaxSubKeyLen: 5, cbMaxClassLen: 11, cValues: 3,
      cbMaxValueNameLen: 5, cbMaxValueLen: 14, cbSecurityDescriptor: 0,
    });
    expect(out.ftLastWriteTime).toBeGreaterThan(0n);
    expect(services).toContain('NtQueryKey');
  });

  it.each([
    ['a class buffer one character short: ERROR_MORE_DATA, the class\'s length, no class', 6, ERROR_MORE_DATA, '', 6],
    ['a class buffer that fits exactly', 7, ERROR_SUCCESS, 'Widget', 6],
    ['no class buffer (lpClass and lpcchClass NULL)', null, ERROR_SUCCESS, '', 0],
  ])('%s', async (_name, cch, value, className, cchOut) => {
    const { out } = await inProgram((k32) => k32.RegQueryInfoKeyW(makeKey(k32, 'Widget'), cch, null));
    expect(out).toMatchObject({ value, class: className, cchClass: cchOut, cValues: 3 });
  });

  it('works on a predefined key, and a key without a class reports 0 characters', async () => {
    const { out } = await inProgram((k32) => {
      k32.RegCloseKey(makeKey(k32));
      const hklm = k32.RegQueryInfoKeyW(HKEY_LOCAL_MACHINE, 1, null);
      const key = k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'Software\\Enum', 0, KEY_READ).hkResult;
      return { hklm, plain: k32.RegQueryInfoKeyW(key, 1, null) };
    });
    expect(out.hklm).toMatchObject({ value: ERROR_SUCCESS, class: '', cchClass: 0, cSubKeys: 2 /* SOFTWARE, SYSTEM */ });
    expect(out.plain).toMatchObject({ value: ERROR_SUCCESS, cchClass: 0, cValues: 3 });
  });
});
