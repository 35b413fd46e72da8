/**
 * A file-backed section round trip through the host folder: what a program
 * writes through a view is in the host file after FlushViewOfFile (and, for
 * what it wrote after, after the last view goes); a host file's bytes are
 * what a view shows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boot } from '../../src/index.js';
import { HostFolderStore } from '../../src/host/host-folder.js';
import {
  CREATE_ALWAYS, defineProgram, FILE_MAP_ALL_ACCESS, FILE_MAP_READ, GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, PAGE_READONLY, PAGE_READWRITE,
  type K32,
} from '../../src/api/win32.js';

let folder: string;
beforeEach(() => { folder = mkdtempSync(join(tmpdir(), 'ntshm-section-')); });
afterEach(() => rmSync(folder, { recursive: true, force: true }));

async function runProgram(main: (k32: K32) => number) {
  const machine = await boot({ seed: 1, volume: new HostFolderStore(folder) });
  const before = machine.stats();
  const process = machine.spawn(defineProgram((k32) => main(k32)));
  await machine.run({ seconds: 5 });
  return { machine, before, process };
}

describe.each(['flush', 'unmap'] as const)('a file-backed view (%s)', (how) => {
  it('writes what the program wrote through the view to the host file', async () => {
    const { machine, before } = await runProgram((k32) => {
      const hFile = k32.CreateFileW('C:\\data.bin', GENERIC_READ | GENERIC_WRITE, 0, null, CREATE_ALWAYS, 0, null);
      const hMap = k32.CreateFileMappingW(hFile, null, PAGE_READWRITE, 0, 8192, null);
      const view = k32.MapViewOfFile(hMap, FILE_MAP_ALL_ACCESS, 0, 0, 0);
      k32.setString(view, 'written through a view', 'ascii');
      k32.setUint8(view + 8191, 0x7a);
      if (how === 'flush') {
        k32.FlushViewOfFile(view, 0);
        // Read back from the host now, while the view is still mapped.
        k32.print(readFileSync(join(folder, 'data.bin')).subarray(0, 22).toString('ascii'));
      }
      k32.UnmapViewOfFile(view);
      k32.CloseHandle(hMap);
      k32.CloseHandle(hFile);
      return 0;
    });
    const bytes = readFileSync(join(folder, 'data.bin'));
    expect(bytes.length).toBe(8192);
    expect(bytes.subarray(0, 22).toString('ascii')).toBe('written through a view');
    expect(bytes[8191]).toBe(0x7a);
    if (how === 'flush') expect(machine.log.find((e) => e.source === 'stdout')?.text).toBe('written through a view');
    expect(machine.stats().frames.free).toBe(before.frames.free);
  });
});

it('maps a host file\'s bytes, read-only', async () => {
  writeFileSync(join(folder, 'in.txt'), 'from the host');
  const { machine } = await runProgram((k32) => {
    const hFile = k32.CreateFileW('C:\\in.txt', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    const hMap = k32.CreateFileMappingW(hFile, null, PAGE_READONLY, 0, 0, null);
    const view = k32.MapViewOfFile(hMap, FILE_MAP_READ, 0, 0, 0);
    k32.print(`${k32.getString(view, 'ascii', 13)}|${k32.getUint8(view + 13)}`);
    let refused = false;
    try {
      k32.setUint8(view, 1);
    } catch {
      refused = true;
    }
    k32.print(`write refused: ${refused}`);
    k32.UnmapViewOfFile(view);
    k32.CloseHandle(hMap);
    k32.CloseHandle(hFile);
    return 0;
  });
  expect(machine.log.filter((e) => e.source === 'stdout').map((e) => e.text)).toEqual(['from the host|0', 'write refused: true']);
  expect(readFileSync(join(folder, 'in.txt'), 'utf8')).toBe('from the host');
});
