/**
 * The volume in a host folder: a round trip both ways, guest paths that try
 * to leave the folder (each against a real temporary folder, checking that
 * nothing outside changed), and the durability rule: after a bug check the
 * host file holds exactly what the guest flushed.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostFolderStore } from '../../src/host/host-folder.js';
import { FILE_CREATE, FILE_NON_DIRECTORY_FILE, FILE_SYNCHRONOUS_IO_NONALERT, STATUS_SUCCESS } from 'ntshm/wdm';
import { CREATE_ALWAYS, CREATE_NEW, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, OPEN_EXISTING, SYNCHRONIZE } from 'ntshm/win32';
import { bootWith, runProgram, testDriver } from '../helpers/test-driver.js';
import { page, readText, runOnVolume, writeText } from './helpers.js';

let scratch = '';
let volume = '';
let outside = '';

/** Every file under a folder with its contents, for "nothing changed" checks. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${prefix}${e.name}/`);
      else if (e.isFile()) out[`${prefix}${e.name}`] = readFileSync(p, 'utf8');
      else out[`${prefix}${e.name}`] = '<link>';
    }
  };
  walk(dir, '');
  return out;
}

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ntshm-volume-'));
  volume = join(scratch, 'C');
  outside = join(scratch, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('a round trip through the host folder', () => {
  it('a file the guest writes is on the host; a host file is read by the guest; the folder is made on the first write', async () => {
    const store = new HostFolderStore(volume);
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      const b = page(k32);
      const h = k32.CreateFileW('C:\\From Guest.txt', GENERIC_WRITE, 0, null, CREATE_NEW, 0, null);
      writeText(k32, h, b, 'written by the guest');
      k32.CloseHandle(h);
      return 0;
    }, store);
    expect(readFileSync(join(volume, 'From Guest.txt'), 'utf8')).toBe('written by the guest');

    mkdirSync(join(volume, 'docs'));
    writeFileSync(join(volume, 'docs', 'Host.TXT'), 'written by the host');
    await runOnVolume((k32) => {
      const b = page(k32);
      const h = k32.CreateFileW('C:\\DOCS\\host.txt', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      seen.push(readText(k32, h, b, 100).text);
      k32.CloseHandle(h);
      return 0;
    }, new HostFolderStore(volume));
    expect(seen).toEqual(['written by the host']);
    expect(readdirSync(volume).sort()).toEqual(['From Guest.txt', 'docs']);
  });

  it('a machine that writes nothing leaves no folder behind', async () => {
    await runOnVolume((k32) => (k32.CreateFileW('C:\\missing.txt', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null) === INVALID_HANDLE_VALUE ? 0 : 1),
      new HostFolderStore(volume));
    expect(readdirSync(scratch)).toEqual(['outside']);
  });
});

describe('a guest path never reaches outside the volume\'s folder', () => {
  const attempts: readonly (readonly [string, string])[] = [
    ['`..` through \\\\?\\ (not normalized)', '\\\\?\\C:\\..\\outside\\secret.txt'],
    ['`..` in an NT path', '\\??\\C:\\..\\outside\\evil.txt'],
    ['`..` in the middle', '\\??\\C:\\a\\..\\..\\outside\\evil.txt'],
    ['an absolute host path after the drive', `\\??\\C:\\${outside.replace(/^\//, '')}\\evil.txt`],
    ['a host path with forward slashes', `\\??\\C:\\..${'/'}outside${'/'}evil.txt`],
    ['a second drive letter inside the path', '\\??\\C:\\D:\\evil.txt'],
    ['a NUL in a name', '\\??\\C:\\evil\u0000.txt'],
    ['a `<`', '\\??\\C:\\evil<.txt'],
    ['a `>`', '\\??\\C:\\evil>.txt'],
    ['a `:` (an alternate data stream)', '\\??\\C:\\evil.txt:stream'],
    ['a `"`', '\\??\\C:\\evil".txt'],
    ['a `|`', '\\??\\C:\\evil|.txt'],
    ['a `?`', '\\??\\C:\\evil?.txt'],
    ['a `*`', '\\??\\C:\\evil*.txt'],
    ['a control character', '\\??\\C:\\evil\u0007.txt'],
    ['a `.` component', '\\??\\C:\\.\\evil.txt'],
  ];
  it.each(attempts)('%s is refused and changes nothing', async (_name, path) => {
    writeFileSync(join(scratch, 'beside.txt'), 'beside');
    const before = snapshot(scratch);
    let status = 0;
    await runOnVolume((k32) => {
      const r = k32.NtCreateFile((GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE) >>> 0, { ObjectName: path, Attributes: 0x40 }, null, 0, 0,
        FILE_CREATE, FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, 0, 0);
      status = r.status;
      if (r.status === STATUS_SUCCESS) k32.CloseHandle(r.fileHandle);
      return 0;
    }, new HostFolderStore(volume));
    expect(status).not.toBe(STATUS_SUCCESS);
    const after = snapshot(scratch);
    // The volume's folder may have been made; nothing else may differ.
    expect(after).toEqual(before);
  });

  it('a host symbolic link inside the folder is neither followed nor replaced', async () => {
    mkdirSync(volume);
    symlinkSync(outside, join(volume, 'linkdir'));
    symlinkSync(join(outside, 'secret.txt'), join(volume, 'link.txt'));
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      const b = page(k32);
      for (const path of ['C:\\linkdir\\secret.txt', 'C:\\link.txt']) {
        const h = k32.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
        seen.push(h === INVALID_HANDLE_VALUE ? k32.GetLastError() : readText(k32, h, b, 100).text);
      }
      for (const path of ['C:\\linkdir\\new.txt', 'C:\\link.txt']) {
        const h = k32.CreateFileW(path, GENERIC_WRITE, 0, null, CREATE_ALWAYS, 0, null);
        seen.push(h === INVALID_HANDLE_VALUE ? k32.GetLastError() : 'opened');
        if (h !== INVALID_HANDLE_VALUE) k32.CloseHandle(h);
      }
      return 0;
    }, new HostFolderStore(volume));
    expect(seen.every((s) => typeof s === 'number')).toBe(true);
    expect(snapshot(outside)).toEqual({ 'secret.txt': 'secret' });
    expect(snapshot(volume)).toEqual({ linkdir: '<link>', 'link.txt': '<link>' });
  });
});

describe('a bug check never leaves a host file half-written', () => {
  it('the host file holds exactly what was flushed: not the writes after the flush, and never a temporary file', async () => {
    mkdirSync(volume);
    writeFileSync(join(volume, 'log.txt'), 'before the run');
    const driver = testDriver({ name: 'Crash', control: ({ nt }) => nt.KeBugCheckEx(0xe2, 0, 0, 0, 0) });
    const machine = await bootWith([driver], { volume: new HostFolderStore(volume) });
    const { result } = await runProgram(machine, async (k32) => {
      const b = page(k32);
      const h = k32.CreateFileW('C:\\log.txt', GENERIC_WRITE, 0, null, CREATE_ALWAYS, 0, null);
      writeText(k32, h, b, 'flushed');
      k32.FlushFileBuffers(h);
      writeText(k32, h, b, ' and then some');
      const n = k32.CreateFileW('C:\\never-flushed.txt', GENERIC_WRITE, 0, null, CREATE_NEW, 0, null);
      writeText(k32, n, b, 'lost');
      const device = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(device, 0x222000, 0, 0, 0, 0);
      return 1;
    });
    expect(result.bugcheck?.code).toBe(0xe2);
    expect(snapshot(volume)).toEqual({ 'log.txt': 'flushed' });
  });
});
