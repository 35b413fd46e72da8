import { describe, expect, it } from 'vitest';
import {
  STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_KEY_DELETED, STATUS_NO_MORE_ENTRIES, STATUS_SUCCESS,
} from '../../src/include/ntstatus.js';
import {
  KEY_ALL_ACCESS, KEY_EXECUTE, KEY_READ, KEY_WRITE, KeyBasicInformation, KeyFullInformation, KeyNodeInformation,
  REG_OPTION_VOLATILE,
} from '../../src/include/registry-constants.js';
import { CmCreateKey, CmDeleteKey, CmEnumerateKey, CmQueryKey } from '../../src/kernel/cm/key-ops.js';
import { CmSetValueDword, CmSetValueString } from '../../src/kernel/cm/value-helpers.js';
import { CmDeleteValueKey } from '../../src/kernel/cm/value-ops.js';
import { LATER, large, ulong, utf16, withTestKey } from './helpers.js';

describe('the key access masks are the documented values', () => {
  it.each([
    ['KEY_READ', KEY_READ, 0x20019], ['KEY_EXECUTE', KEY_EXECUTE, 0x20019],
    ['KEY_WRITE', KEY_WRITE, 0x20006], ['KEY_ALL_ACCESS', KEY_ALL_ACCESS, 0xf003f],
  ])('%s', (_name, actual, expected) => expect(actual).toBe(expected));
});

describe('enumerating subkeys', () => {
  /** The names NtEnumerateKey gives, index by index, until NO_MORE_ENTRIES. */
  function names(key: Parameters<typeof CmEnumerateKey>[0]): string[] {
    const out: string[] = [];
    for (let i = 0; ; i++) {
      const buffer = new Uint8Array(128);
      const { status, resultLength } = CmEnumerateKey(key, i, KeyBasicInformation, buffer);
      if (status === STATUS_NO_MORE_ENTRIES) return out;
      expect(status).toBe(STATUS_SUCCESS);
      out.push(String.fromCharCode(...new Uint16Array(buffer.slice(16, resultLength).buffer)));
    }
  }

  it('lists stable subkeys sorted without regard to case, then volatile ones', () => {
    const { registry, key } = withTestKey();
    for (const name of ['beta', 'Alpha', 'gamma']) CmCreateKey(registry, key, name, 0, LATER);
    for (const name of ['Vol2', 'aVol1']) CmCreateKey(registry, key, name, REG_OPTION_VOLATILE, LATER);
    expect(names(key)).toEqual(['Alpha', 'beta', 'gamma', 'aVol1', 'Vol2']);
  });

  it('drops a deleted subkey from the list', () => {
    const { registry, key } = withTestKey();
    const a = CmCreateKey(registry, key, 'A', 0, LATER).key!;
    CmCreateKey(registry, key, 'B', 0, LATER);
    CmDeleteKey(a, LATER);
    expect(names(key)).toEqual(['B']);
  });

  it('answers STATUS_KEY_DELETED on a deleted key', () => {
    const { key } = withTestKey();
    CmDeleteKey(key, LATER);
    expect(CmEnumerateKey(key, 0, KeyBasicInformation, new Uint8Array(64)).status).toBe(STATUS_KEY_DELETED);
    expect(CmQueryKey(key, KeyBasicInformation, new Uint8Array(64)).status).toBe(STATUS_KEY_DELETED);
  });
});

describe('key information classes, byte for byte', () => {
  it('KeyBasicInformation', () => {
    const { key } = withTestKey();
    const buffer = new Uint8Array(64).fill(0xbd);
    expect(CmQueryKey(key, KeyBasicInformation, buffer)).toEqual({ status: STATUS_SUCCESS, resultLength: 24 });
    expect([...buffer.subarray(0, 25)]).toEqual([...large(key.lastWriteTime), ...ulong(0), ...ulong(8), ...utf16('Test'), 0xbd]);
  });

  it('KeyNodeInformation with a class aligns ClassOffset to 4 bytes', () => {
    const { registry, key } = withTestKey();
    const child = CmCreateKey(registry, key, 'abc', 0, LATER, 'Cls').key!;
    const buffer = new Uint8Array(64);
    expect(CmQueryKey(child, KeyNodeInformation, buffer)).toEqual({ status: STATUS_SUCCESS, resultLength: 32 + 6 });
    expect([...buffer.subarray(0, 38)]).toEqual([
      ...large(LATER), ...ulong(0), ...ulong(32), ...ulong(6), ...ulong(6), ...utf16('abc'), 0, 0, ...utf16('Cls'),
    ]);
  });

  it('KeyNodeInformation without a class has ClassOffset 0xFFFFFFFF', () => {
    const { key } = withTestKey();
    const buffer = new Uint8Array(64);
    expect(CmQueryKey(key, KeyNodeInformation, buffer).resultLength).toBe(24 + 8);
    expect(new DataView(buffer.buffer).getUint32(12, true)).toBe(0xffffffff);
  });

  it('KeyFullInformation counts subkeys and values and keeps the high-water marks', () => {
    const { registry, key } = withTestKey();
    CmCreateKey(registry, key, 'Longer', 0, LATER);
    CmCreateKey(registry, key, 'S', 0, LATER);
    CmSetValueString(key, 'ImagePath', 'x:\\a.sys', LATER);
    CmSetValueDword(key, 'Start', 3, LATER);
    CmDeleteValueKey(key, 'ImagePath', LATER);
    const buffer = new Uint8Array(64);
    expect(CmQueryKey(key, KeyFullInformation, buffer)).toEqual({ status: STATUS_SUCCESS, resultLength: 44 });
    expect([...buffer.subarray(0, 44)]).toEqual([
      ...large(LATER), ...ulong(0), ...ulong(0xffffffff), ...ulong(0), ...ulong(2), ...ulong(12), ...ulong(0),
      ...ulong(1), ...ulong(18), ...ulong(18),
    ]);
  });

  it.each([
    ['basic below its fixed part', KeyBasicInformation, 15, STATUS_BUFFER_TOO_SMALL, 24],
    ['basic with part of the name', KeyBasicInformation, 20, STATUS_BUFFER_OVERFLOW, 24],
    ['node below its fixed part', KeyNodeInformation, 23, STATUS_BUFFER_TOO_SMALL, 32],
    ['node with part of the name', KeyNodeInformation, 24, STATUS_BUFFER_OVERFLOW, 32],
    ['full below its fixed part', KeyFullInformation, 43, STATUS_BUFFER_TOO_SMALL, 44],
    ['an unknown class', 7, 64, STATUS_INVALID_PARAMETER, 0],
  ])('%s', (_name, infoClass, length, status, resultLength) => {
    const { key } = withTestKey();
    expect(CmQueryKey(key, infoClass, new Uint8Array(length))).toEqual({ status, resultLength });
  });
});
