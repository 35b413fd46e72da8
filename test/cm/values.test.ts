import { describe, expect, it } from 'vitest';
import {
  STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_NO_MORE_ENTRIES,
  STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from '../../src/include/ntstatus.js';
import {
  KeyValueBasicInformation, KeyValueFullInformation, KeyValuePartialInformation,
  REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ,
} from '../../src/include/registry-constants.js';
import { SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, SERVICE_KERNEL_DRIVER } from '../../src/include/win32-constants.js';
import { CmCreateKey } from '../../src/kernel/cm/key-ops.js';
import { CM_SERVICES_KEY_PATH, CmRegistry } from '../../src/kernel/cm/registry.js';
import { CmQueryValueDword, CmQueryValueString, CmSetValueDword, CmSetValueString } from '../../src/kernel/cm/value-helpers.js';
import { CmDeleteValueKey, CmEnumerateValueKey, CmQueryValueKey, CmSetValueKey } from '../../src/kernel/cm/value-ops.js';
import { BOOT, LATER, ulong, utf16, withTestKey } from './helpers.js';

/** Queries a value's partial information with room for everything. */
function partial(key: Parameters<typeof CmQueryValueKey>[0], name: string): { type: number; data: number[] } {
  const buffer = new Uint8Array(4096);
  const { status, resultLength } = CmQueryValueKey(key, name, KeyValuePartialInformation, buffer);
  expect(status).toBe(STATUS_SUCCESS);
  const view = new DataView(buffer.buffer);
  return { type: view.getUint32(4, true), data: [...buffer.subarray(12, resultLength)] };
}

describe('values round-trip for every type', () => {
  it.each([
    ['REG_NONE', REG_NONE, []],
    ['REG_SZ', REG_SZ, [...utf16('text'), 0, 0]],
    ['REG_EXPAND_SZ', REG_EXPAND_SZ, [...utf16('%SystemRoot%'), 0, 0]],
    ['REG_BINARY', REG_BINARY, [1, 2, 3, 0xff]],
    ['REG_DWORD', REG_DWORD, ulong(0xdeadbeef)],
    ['REG_DWORD_BIG_ENDIAN', REG_DWORD_BIG_ENDIAN, [0xde, 0xad, 0xbe, 0xef]],
    ['REG_MULTI_SZ', REG_MULTI_SZ, [...utf16('a'), 0, 0, ...utf16('b'), 0, 0, 0, 0]],
    ['REG_QWORD', REG_QWORD, [1, 2, 3, 4, 5, 6, 7, 8]],
    ['REG_DWORD of 2 bytes (NT stores any length)', REG_DWORD, [1, 2]],
    ['REG_DWORD of 8 bytes', REG_DWORD, [1, 2, 3, 4, 5, 6, 7, 8]],
  ])('%s', (_name, type, bytes) => {
    const { key } = withTestKey();
    expect(CmSetValueKey(key, 'V', type, Uint8Array.from(bytes), LATER).status).toBe(STATUS_SUCCESS);
    expect(partial(key, 'V')).toEqual({ type, data: bytes });
  });

  it('copies the data, so a later change to the caller buffer does not reach the registry', () => {
    const { key } = withTestKey();
    const data = Uint8Array.from([1, 2, 3]);
    CmSetValueKey(key, 'V', REG_BINARY, data, LATER);
    data[0] = 99;
    expect(partial(key, 'v').data).toEqual([1, 2, 3]);
  });

  it('replaces a value whatever the case of its name, keeping its first spelling', () => {
    const { key } = withTestKey();
    CmSetValueDword(key, 'Start', 1, LATER);
    CmSetValueKey(key, 'START', REG_SZ, Uint8Array.from([65, 0, 0, 0]), LATER);
    expect(key.values.map((v) => [v.name, v.type])).toEqual([['Start', REG_SZ]]);
  });

  it('keeps the default value under the empty name', () => {
    const { key } = withTestKey();
    CmSetValueString(key, '', 'default', LATER);
    expect(CmQueryValueString(key, '').text).toBe('default');
    expect(CmQueryValueKey(key, 'x', KeyValueBasicInformation, new Uint8Array(64)).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
  });

  it('records the time of the last change on the key', () => {
    const { key } = withTestKey();
    expect(key.lastWriteTime).toBe(BOOT);
    CmSetValueDword(key, 'Type', 1, LATER);
    expect(key.lastWriteTime).toBe(LATER);
  });
});

describe('the service control manager writes a service key and the loader reads it back', () => {
  it('ImagePath, Type, Start and ErrorControl', () => {
    const registry = new CmRegistry(BOOT);
    const services = CmCreateKey(registry, null, CM_SERVICES_KEY_PATH, 0, BOOT).key!;
    const service = CmCreateKey(registry, services, 'Sample', 0, LATER).key!;
    CmSetValueString(service, 'ImagePath', '\\??\\C:\\drivers\\sample.sys', LATER, REG_EXPAND_SZ);
    CmSetValueDword(service, 'Type', SERVICE_KERNEL_DRIVER, LATER);
    CmSetValueDword(service, 'Start', SERVICE_DEMAND_START, LATER);
    CmSetValueDword(service, 'ErrorControl', SERVICE_ERROR_NORMAL, LATER);
    expect(CmQueryValueString(service, 'imagepath')).toEqual({ status: STATUS_SUCCESS, text: '\\??\\C:\\drivers\\sample.sys' });
    expect(service.value('ImagePath')?.type).toBe(REG_EXPAND_SZ);
    expect(CmQueryValueDword(service, 'Type')).toEqual({ status: STATUS_SUCCESS, dword: SERVICE_KERNEL_DRIVER });
    expect(CmQueryValueDword(service, 'Start').dword).toBe(SERVICE_DEMAND_START);
    expect(CmQueryValueDword(service, 'ErrorControl').dword).toBe(SERVICE_ERROR_NORMAL);
  });

  it.each([
    ['a missing value', null, STATUS_OBJECT_NAME_NOT_FOUND],
    ['a REG_SZ', [65, 0, 0, 0], STATUS_OBJECT_TYPE_MISMATCH],
    ['a REG_DWORD of 2 bytes', [1, 2], STATUS_OBJECT_TYPE_MISMATCH],
  ])('reading a number from %s fails', (name, bytes, status) => {
    const { key } = withTestKey();
    if (bytes) CmSetValueKey(key, 'V', name === 'a REG_SZ' ? REG_SZ : REG_DWORD, Uint8Array.from(bytes), LATER);
    expect(CmQueryValueDword(key, 'V').status).toBe(status);
  });

  it('reads a string up to its first NUL, and refuses a number as a string', () => {
    const { key } = withTestKey();
    CmSetValueKey(key, 'S', REG_SZ, Uint8Array.from([...utf16('ab'), 0, 0, ...utf16('cd')]), LATER);
    expect(CmQueryValueString(key, 'S').text).toBe('ab');
    CmSetValueDword(key, 'D', 1, LATER);
    expect(CmQueryValueString(key, 'D').status).toBe(STATUS_OBJECT_TYPE_MISMATCH);
  });
});

describe('deleting and enumerating values', () => {
  it('enumerates in creation order, closes the gap after a delete, and ends with NO_MORE_ENTRIES', () => {
    const { key } = withTestKey();
    for (const name of ['Zeta', 'alpha', 'Mid']) CmSetValueDword(key, name, 0, LATER);
    const names = (): string[] => {
      const out: string[] = [];
      for (let i = 0; ; i++) {
        const buffer = new Uint8Array(64);
        const { status, resultLength } = CmEnumerateValueKey(key, i, KeyValueBasicInformation, buffer);
        if (status === STATUS_NO_MORE_ENTRIES) return out;
        out.push(String.fromCharCode(...new Uint16Array(buffer.slice(12, resultLength).buffer)));
      }
    };
    expect(names()).toEqual(['Zeta', 'alpha', 'Mid']);
    expect(CmDeleteValueKey(key, 'ALPHA', LATER).status).toBe(STATUS_SUCCESS);
    expect(names()).toEqual(['Zeta', 'Mid']);
    expect(CmDeleteValueKey(key, 'alpha', LATER).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
  });
});

describe('value information classes, byte for byte', () => {
  /** A value 'deletetest' holding the DWORD 711, as Wine's NtQueryValueKey test sets up. */
  function deletetest() {
    const { key } = withTestKey();
    CmSetValueDword(key, 'deletetest', 711, LATER);
    return key;
  }
  const name = utf16('deletetest'); // 20 bytes

  it.each([
    ['KeyValueBasicInformation', KeyValueBasicInformation, [...ulong(0), ...ulong(REG_DWORD), ...ulong(20), ...name]],
    ['KeyValueFullInformation', KeyValueFullInformation,
      [...ulong(0), ...ulong(REG_DWORD), ...ulong(40), ...ulong(4), ...ulong(20), ...name, ...ulong(711)]],
    ['KeyValuePartialInformation', KeyValuePartialInformation, [...ulong(0), ...ulong(REG_DWORD), ...ulong(4), ...ulong(711)]],
  ])('%s', (_name, infoClass, expected) => {
    const buffer = new Uint8Array(100).fill(0xbd);
    const { status, resultLength } = CmQueryValueKey(deletetest(), 'deletetest', infoClass, buffer);
    expect(status).toBe(STATUS_SUCCESS);
    expect(resultLength).toBe(expected.length);
    expect([...buffer.subarray(0, resultLength)]).toEqual(expected);
    expect(buffer[resultLength]).toBe(0xbd);
  });

  it('aligns full information DataOffset to 4 bytes after an odd-length name', () => {
    const { key } = withTestKey();
    CmSetValueKey(key, 'abc', REG_BINARY, Uint8Array.from([7]), LATER); // Name ends at 20 + 6 = 26
    const buffer = new Uint8Array(64);
    const { resultLength } = CmQueryValueKey(key, 'abc', KeyValueFullInformation, buffer);
    const view = new DataView(buffer.buffer);
    expect(view.getUint32(8, true)).toBe(28);
    expect(resultLength).toBe(29);
    expect(buffer[28]).toBe(7);
  });

  it('gives full information DataOffset 0xFFFFFFFF for a value with no data', () => {
    const { key } = withTestKey();
    CmSetValueKey(key, 'empty', REG_NONE, new Uint8Array(0), LATER);
    const buffer = new Uint8Array(64);
    expect(CmQueryValueKey(key, 'empty', KeyValueFullInformation, buffer).resultLength).toBe(30);
    expect(new DataView(buffer.buffer).getUint32(8, true)).toBe(0xffffffff);
  });

  it('rejects an unknown class with STATUS_INVALID_PARAMETER', () => {
    expect(CmQueryValueKey(deletetest(), 'deletetest', 3, new Uint8Array(100)).status).toBe(STATUS_INVALID_PARAMETER);
  });
});

describe('short buffers: TOO_SMALL below the fixed part, OVERFLOW with partial data above it', () => {
  it.each([
    ['basic, no buffer', KeyValueBasicInformation, 0, STATUS_BUFFER_TOO_SMALL, 32, 0],
    ['basic, 11 bytes', KeyValueBasicInformation, 11, STATUS_BUFFER_TOO_SMALL, 32, 0],
    ['basic, the fixed part only', KeyValueBasicInformation, 12, STATUS_BUFFER_OVERFLOW, 32, 12],
    ['basic, half the name', KeyValueBasicInformation, 22, STATUS_BUFFER_OVERFLOW, 32, 22],
    ['basic, exactly', KeyValueBasicInformation, 32, STATUS_SUCCESS, 32, 32],
    ['full, 19 bytes', KeyValueFullInformation, 19, STATUS_BUFFER_TOO_SMALL, 44, 0],
    ['full, the fixed part only', KeyValueFullInformation, 20, STATUS_BUFFER_OVERFLOW, 44, 20],
    ['full, the name but not the data', KeyValueFullInformation, 40, STATUS_BUFFER_OVERFLOW, 44, 40],
    ['full, all but a byte of the data', KeyValueFullInformation, 43, STATUS_BUFFER_OVERFLOW, 44, 43],
    ['partial, no buffer', KeyValuePartialInformation, 0, STATUS_BUFFER_TOO_SMALL, 16, 0],
    ['partial, the fixed part only', KeyValuePartialInformation, 12, STATUS_BUFFER_OVERFLOW, 16, 12],
    ['partial, two bytes of data', KeyValuePartialInformation, 14, STATUS_BUFFER_OVERFLOW, 16, 14],
    ['partial, exactly', KeyValuePartialInformation, 16, STATUS_SUCCESS, 16, 16],
  ])('%s', (_name, infoClass, length, status, resultLength, written) => {
    const { key } = withTestKey();
    CmSetValueDword(key, 'deletetest', 0x04030201, LATER);
    const full = new Uint8Array(64);
    CmQueryValueKey(key, 'deletetest', infoClass, full);
    const backing = new Uint8Array(64).fill(0xbd);
    const result = CmQueryValueKey(key, 'deletetest', infoClass, backing.subarray(0, length));
    expect(result).toEqual({ status, resultLength });
    expect([...backing.subarray(0, written)]).toEqual([...full.subarray(0, written)]);
    expect(backing.subarray(written).every((b) => b === 0xbd)).toBe(true);
  });
});
