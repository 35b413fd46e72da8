/**
 * The two VolumeStores on their own: the in-memory one (names keep their
 * case and are found whatever theirs), and the host folder's own checks,
 * which hold even for a caller that skips the file system's.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryVolumeStore, NtException } from 'ntshm';
import { HostFolderStore } from '../../src/host/host-folder.js';
import { STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_PATH_NOT_FOUND } from 'ntshm/wdm';

const status = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof NtException ? e.status : -1;
  }
};

describe('MemoryVolumeStore', () => {
  it('is seeded with files and their directories, lists names as created, and finds them whatever their case', () => {
    const store = new MemoryVolumeStore({ 'Dir\\Sub\\A.txt': 'a', 'b.bin': new Uint8Array([1, 2]) });
    expect(store.list([])).toEqual([{ name: 'Dir', kind: 'directory' }, { name: 'b.bin', kind: 'file' }]);
    expect(new TextDecoder().decode(store.read(['dir', 'SUB', 'a.TXT']))).toBe('a');
    store.write(['DIR', 'sub', 'a.txt'], new Uint8Array([9]));
    expect(store.list(['dir', 'sub'])).toEqual([{ name: 'A.txt', kind: 'file' }]);
    expect([...store.read(['Dir', 'Sub', 'A.txt'])]).toEqual([9]);
    expect(store.list(['nothing'])).toBeUndefined();
  });

  it('refuses a file in a missing directory, and a directory over a name that exists', () => {
    const store = new MemoryVolumeStore({ 'a.txt': '' });
    expect(status(() => store.write(['no', 'a.txt'], new Uint8Array()))).toBe(STATUS_OBJECT_PATH_NOT_FOUND);
    expect(status(() => store.createDirectory(['A.TXT']))).toBe(STATUS_OBJECT_NAME_COLLISION);
  });

  it('hands out copies: changing what read returned changes nothing stored', () => {
    const store = new MemoryVolumeStore({ 'a.txt': 'abc' });
    store.read(['a.txt']).fill(0);
    expect(new TextDecoder().decode(store.read(['a.txt']))).toBe('abc');
  });
});

describe('HostFolderStore checks every component itself', () => {
  let scratch = '';
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it.each([['..'], ['.'], ['a/b'], ['a\\b'], ['C:'], ['nul\u0000'], ['']])('refuses the component %j', (name) => {
    scratch = mkdtempSync(join(tmpdir(), 'ntshm-store-'));
    const store = new HostFolderStore(join(scratch, 'C'));
    expect(status(() => store.write([name], new Uint8Array([1])))).toBe(STATUS_OBJECT_NAME_INVALID);
    expect(status(() => store.write(['x', name], new Uint8Array([1])))).toBe(STATUS_OBJECT_PATH_NOT_FOUND);
    expect(readdirSync(scratch).flatMap((d) => [d, ...readdirSync(join(scratch, d))])).toEqual(['C']);
  });
});
