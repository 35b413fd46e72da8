import { describe, expect, it } from 'vitest';
import {
  STATUS_CANNOT_DELETE, STATUS_CHILD_MUST_BE_VOLATILE, STATUS_INVALID_PARAMETER, STATUS_KEY_DELETED,
  STATUS_NOT_SUPPORTED, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_OBJECT_PATH_SYNTAX_BAD, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS, ntStatusName,
} from '../../src/include/ntstatus.js';
import {
  REG_CREATED_NEW_KEY, REG_OPENED_EXISTING_KEY, REG_OPTION_CREATE_LINK, REG_OPTION_NON_VOLATILE, REG_OPTION_VOLATILE,
} from '../../src/include/registry-constants.js';
import { CmCreateKey, CmDeleteKey, CmOpenKey } from '../../src/kernel/cm/key-ops.js';
import { CM_SERVICES_KEY_PATH, CmRegistry } from '../../src/kernel/cm/registry.js';
import { CmQueryValueDword, CmSetValueDword } from '../../src/kernel/cm/value-helpers.js';
import { BOOT, LATER, withTestKey } from './helpers.js';

describe('a new registry', () => {
  it.each([
    '\\Registry', '\\Registry\\Machine', '\\Registry\\Machine\\Software', '\\Registry\\User',
    '\\Registry\\Machine\\System\\CurrentControlSet\\Services', CM_SERVICES_KEY_PATH,
  ])('has %s', (path) => {
    expect(ntStatusName(CmOpenKey(new CmRegistry(BOOT), null, path).status)).toBe('STATUS_SUCCESS');
  });

  it('gives each key its full name in Windows spelling', () => {
    const { key } = CmOpenKey(new CmRegistry(BOOT), null, '\\registry\\machine\\system\\currentcontrolset\\services');
    expect(key?.fullName()).toBe('\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services');
  });
});

describe('creating and opening keys', () => {
  it('creates a missing key, then opens it, with the matching dispositions', () => {
    const registry = new CmRegistry(BOOT);
    const created = CmCreateKey(registry, null, '\\Registry\\Machine\\Software\\Vendor', REG_OPTION_NON_VOLATILE, LATER);
    expect(created.status).toBe(STATUS_SUCCESS);
    expect(created.disposition).toBe(REG_CREATED_NEW_KEY);
    const again = CmCreateKey(registry, null, '\\Registry\\Machine\\Software\\Vendor', REG_OPTION_NON_VOLATILE, LATER);
    expect(again.disposition).toBe(REG_OPENED_EXISTING_KEY);
    expect(again.key).toBe(created.key);
  });

  it('creates relative to a parent key, and the parent records the time', () => {
    const { registry, key } = withTestKey();
    const child = CmCreateKey(registry, key, 'Child', 0, LATER);
    expect(child.key?.parent).toBe(key);
    expect(key.lastWriteTime).toBe(LATER);
    expect(child.key?.lastWriteTime).toBe(LATER);
  });

  it('finds names whatever their case, and keeps the case they were created with', () => {
    const { registry, key } = withTestKey();
    CmCreateKey(registry, key, 'MixedCase', 0, LATER);
    const opened = CmOpenKey(registry, null, '\\REGISTRY\\machine\\SOFTWARE\\test\\mixedcase');
    expect(opened.status).toBe(STATUS_SUCCESS);
    expect(opened.key?.name).toBe('MixedCase');
    expect(CmCreateKey(registry, key, 'MIXEDCASE', 0, LATER).disposition).toBe(REG_OPENED_EXISTING_KEY);
  });

  it('opens the key itself for an empty name relative to it', () => {
    const { registry, key } = withTestKey();
    expect(CmOpenKey(registry, key, '').key).toBe(key);
    expect(CmCreateKey(registry, key, '', 0, LATER).disposition).toBe(REG_OPENED_EXISTING_KEY);
  });

  it('accepts one trailing backslash', () => {
    const { registry, key } = withTestKey();
    expect(CmOpenKey(registry, null, '\\Registry\\').key).toBe(registry.root);
    expect(CmCreateKey(registry, key, 'Trailing\\', 0, LATER).disposition).toBe(REG_CREATED_NEW_KEY);
  });

  it('does not create missing intermediate keys, as NtCreateKey does not', () => {
    const { registry, key } = withTestKey();
    expect(CmCreateKey(registry, key, 'a\\b\\c', 0, LATER).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
    expect(CmCreateKey(registry, key, 'a\\b\\', 0, LATER).status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
    expect(key.subkeys.size).toBe(0);
  });

  it('refuses a non-volatile key under a volatile one, and allows a volatile one', () => {
    const { registry, key } = withTestKey();
    const volatileKey = CmCreateKey(registry, key, 'Volatile', REG_OPTION_VOLATILE, LATER).key!;
    expect(volatileKey.volatile).toBe(true);
    expect(CmCreateKey(registry, volatileKey, 'Stable', 0, LATER).status).toBe(STATUS_CHILD_MUST_BE_VOLATILE);
    expect(CmCreateKey(registry, volatileKey, 'AlsoVolatile', REG_OPTION_VOLATILE, LATER).status).toBe(STATUS_SUCCESS);
  });

  it('opens an existing non-volatile key under a volatile parent request without complaint', () => {
    const { registry, key } = withTestKey();
    CmCreateKey(registry, key, 'Stable', 0, LATER);
    expect(CmCreateKey(registry, key, 'Stable', REG_OPTION_VOLATILE, LATER).key?.volatile).toBe(false);
  });

  it.each([
    ['an unknown option bit', 0x10, STATUS_INVALID_PARAMETER],
    ['a symbolic link (not modelled)', REG_OPTION_CREATE_LINK, STATUS_NOT_SUPPORTED],
  ])('rejects %s', (_name, options, status) => {
    const { registry, key } = withTestKey();
    expect(CmCreateKey(registry, key, 'X', options, LATER).status).toBe(status);
  });
});

describe('bad names get the status Windows gives', () => {
  it.each([
    ['an empty absolute name', '', STATUS_OBJECT_PATH_SYNTAX_BAD],
    ['a name without a leading backslash', 'Registry\\Machine', STATUS_OBJECT_PATH_SYNTAX_BAD],
    ['the object root', '\\', STATUS_OBJECT_TYPE_MISMATCH],
    ['an empty first component', '\\\\Registry', STATUS_OBJECT_NAME_INVALID],
    ['a missing object directory entry', '\\Foobar', STATUS_OBJECT_NAME_NOT_FOUND],
    ['a path through a missing object', '\\Foobar\\Machine', STATUS_OBJECT_PATH_NOT_FOUND],
    ['a path missing \\Registry', '\\Machine\\Software', STATUS_OBJECT_PATH_NOT_FOUND],
    ['a missing key', '\\Registry\\Machine\\Nothing', STATUS_OBJECT_NAME_NOT_FOUND],
    ['a missing intermediate key', '\\Registry\\Machine\\Nothing\\Below', STATUS_OBJECT_NAME_NOT_FOUND],
    ['an empty component inside the registry', '\\Registry\\Machine\\\\Software', STATUS_INVALID_PARAMETER],
    ['two trailing backslashes', '\\Registry\\Machine\\\\', STATUS_INVALID_PARAMETER],
    ['a component over 512 bytes', `\\Registry\\Machine\\${'k'.repeat(257)}`, STATUS_INVALID_PARAMETER],
  ])('%s', (_name, path, status) => {
    const registry = new CmRegistry(BOOT);
    expect(ntStatusName(CmOpenKey(registry, null, path).status)).toBe(ntStatusName(status));
  });

  it('accepts a component of exactly 256 characters', () => {
    const registry = new CmRegistry(BOOT);
    expect(CmCreateKey(registry, registry.machine, 'k'.repeat(256), 0, LATER).status).toBe(STATUS_SUCCESS);
  });

  it('rejects a leading backslash in a name relative to a key', () => {
    const { registry, key } = withTestKey();
    expect(CmOpenKey(registry, key, '\\Child').status).toBe(STATUS_OBJECT_PATH_SYNTAX_BAD);
  });
});

describe('deleting keys', () => {
  it('deletes a key without subkeys; a reference kept to it answers STATUS_KEY_DELETED', () => {
    const { registry, key } = withTestKey();
    expect(CmDeleteKey(key, LATER).status).toBe(STATUS_SUCCESS);
    expect(CmOpenKey(registry, null, '\\Registry\\Machine\\Software\\Test').status).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
    expect(registry.machine.subkey('Software')!.lastWriteTime).toBe(LATER);
    expect(CmSetValueDword(key, 'Start', 3, LATER).status).toBe(STATUS_KEY_DELETED);
    expect(CmQueryValueDword(key, 'Start').status).toBe(STATUS_KEY_DELETED);
    expect(CmCreateKey(registry, key, 'Child', 0, LATER).status).toBe(STATUS_KEY_DELETED);
    expect(CmDeleteKey(key, LATER).status).toBe(STATUS_KEY_DELETED);
  });

  it('refuses a key that has subkeys', () => {
    const { registry, key } = withTestKey();
    CmCreateKey(registry, key, 'Child', 0, LATER);
    expect(CmDeleteKey(key, LATER).status).toBe(STATUS_CANNOT_DELETE);
    expect(key.deleted).toBe(false);
  });

  it.each(['\\Registry', '\\Registry\\Machine', '\\Registry\\User', '\\Registry\\Machine\\Software', '\\Registry\\Machine\\System'])(
    'refuses the hive root %s', (path) => {
      const registry = new CmRegistry(BOOT);
      const { key } = CmOpenKey(registry, null, path);
      for (const child of [...key!.subkeys.values()]) child.subkeys.clear();
      key!.subkeys.clear();
      expect(CmDeleteKey(key!, LATER).status).toBe(STATUS_CANNOT_DELETE);
    });

  it('lets a deleted name be created again as a new key', () => {
    const { registry, key } = withTestKey();
    CmDeleteKey(key, LATER);
    const again = CmCreateKey(registry, null, '\\Registry\\Machine\\Software\\Test', 0, LATER);
    expect(again.disposition).toBe(REG_CREATED_NEW_KEY);
    expect(again.key).not.toBe(key);
  });
});
