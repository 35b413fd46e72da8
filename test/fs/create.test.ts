/**
 * Opening and creating files on C:: every NtCreateFile disposition with the
 * status and IO_STATUS_BLOCK.Information Windows gives, missing directories
 * and files, directory options, and CreateFileW's dispositions with their
 * last-error values.
 */
import { describe, expect, it } from 'vitest';
import { MemoryVolumeStore } from 'ntshm';
import {
  FILE_CREATE, FILE_CREATED, FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_IF, FILE_OPENED, FILE_OVERWRITE,
  FILE_OVERWRITE_IF, FILE_OVERWRITTEN, FILE_SUPERSEDE, FILE_SUPERSEDED, FILE_SYNCHRONOUS_IO_NONALERT, STATUS_FILE_IS_A_DIRECTORY,
  STATUS_INVALID_PARAMETER, STATUS_NOT_A_DIRECTORY, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SUCCESS,
} from 'ntshm/wdm';
import {
  CREATE_ALWAYS, CREATE_NEW, ERROR_ALREADY_EXISTS, ERROR_FILE_EXISTS, ERROR_FILE_NOT_FOUND, ERROR_INVALID_NAME, ERROR_PATH_NOT_FOUND,
  ERROR_SUCCESS, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, OPEN_ALWAYS, OPEN_EXISTING, SYNCHRONIZE, TRUNCATE_EXISTING, type K32,
} from 'ntshm/win32';
import { page, readText, runOnVolume, storeText } from './helpers.js';

const ACCESS = (GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE) >>> 0;

/** NtCreateFile of `path` with a disposition and options; the handle is closed again. */
function ntCreate(k32: K32, path: string, disposition: number, options = FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT) {
  const r = k32.NtCreateFile(ACCESS, { ObjectName: path, Attributes: 0x40 }, null, 0, 0, disposition, options, 0, 0);
  if (r.status === STATUS_SUCCESS) k32.CloseHandle(r.fileHandle);
  return { status: r.status, information: r.ioStatusBlock.Information };
}

describe('NtCreateFile: each disposition on a file that exists and on one that does not', () => {
  it.each([
    ['FILE_SUPERSEDE', FILE_SUPERSEDE, { status: STATUS_SUCCESS, information: FILE_SUPERSEDED }, { status: STATUS_SUCCESS, information: FILE_CREATED }, ''],
    ['FILE_OPEN', FILE_OPEN, { status: STATUS_SUCCESS, information: FILE_OPENED }, { status: STATUS_OBJECT_NAME_NOT_FOUND, information: 0 }, 'old'],
    ['FILE_CREATE', FILE_CREATE, { status: STATUS_OBJECT_NAME_COLLISION, information: 0 }, { status: STATUS_SUCCESS, information: FILE_CREATED }, 'old'],
    ['FILE_OPEN_IF', FILE_OPEN_IF, { status: STATUS_SUCCESS, information: FILE_OPENED }, { status: STATUS_SUCCESS, information: FILE_CREATED }, 'old'],
    ['FILE_OVERWRITE', FILE_OVERWRITE, { status: STATUS_SUCCESS, information: FILE_OVERWRITTEN }, { status: STATUS_OBJECT_NAME_NOT_FOUND, information: 0 }, ''],
    ['FILE_OVERWRITE_IF', FILE_OVERWRITE_IF, { status: STATUS_SUCCESS, information: FILE_OVERWRITTEN }, { status: STATUS_SUCCESS, information: FILE_CREATED }, ''],
  ])('%s', async (_name, disposition, onExisting, onMissing, contentsAfter) => {
    const seen: unknown[] = [];
    const store = new MemoryVolumeStore({ 'old.txt': 'old' });
    await runOnVolume((k32) => {
      seen.push(ntCreate(k32, '\\??\\C:\\old.txt', disposition), ntCreate(k32, '\\??\\C:\\new.txt', disposition));
      return 0;
    }, store);
    expect(seen).toEqual([onExisting, onMissing]);
    expect(storeText(store, 'old.txt')).toBe(contentsAfter);
    expect(storeText(store, 'new.txt')).toBe(onMissing.status === STATUS_SUCCESS ? '' : undefined);
  });

  it('reaches the volume through \\Device\\HarddiskVolume1 and \\??\\C: alike, and finds names whatever their case', async () => {
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      seen.push(ntCreate(k32, '\\Device\\HarddiskVolume1\\Dir\\A.txt', FILE_OPEN), ntCreate(k32, '\\??\\c:\\DIR\\a.TXT', FILE_OPEN));
      return 0;
    }, new MemoryVolumeStore({ 'Dir\\A.txt': 'a' }));
    expect(seen).toEqual([{ status: STATUS_SUCCESS, information: FILE_OPENED }, { status: STATUS_SUCCESS, information: FILE_OPENED }]);
  });

  it('keeps the case a file was created with', async () => {
    const store = new MemoryVolumeStore({ 'Dir\\x': '' });
    await runOnVolume((k32) => (ntCreate(k32, '\\??\\C:\\dir\\MixedCase.Txt', FILE_CREATE).status === STATUS_SUCCESS ? 0 : 1), store);
    expect(store.list(['Dir'])?.map((e) => e.name).sort()).toEqual(['MixedCase.Txt', 'x']);
  });
});

describe('NtCreateFile: paths, directories and options', () => {
  it.each([
    ['a missing directory on the way', '\\??\\C:\\nodir\\a.txt', FILE_OPEN_IF, undefined, STATUS_OBJECT_PATH_NOT_FOUND],
    ['a file used as a directory', '\\??\\C:\\f.txt\\a.txt', FILE_OPEN_IF, undefined, STATUS_OBJECT_PATH_NOT_FOUND],
    ['a missing file', '\\??\\C:\\dir\\missing.txt', FILE_OPEN, undefined, STATUS_OBJECT_NAME_NOT_FOUND],
    ['a directory opened as a file', '\\??\\C:\\dir', FILE_OPEN, FILE_NON_DIRECTORY_FILE, STATUS_FILE_IS_A_DIRECTORY],
    ['a file opened as a directory', '\\??\\C:\\f.txt', FILE_OPEN, FILE_DIRECTORY_FILE, STATUS_NOT_A_DIRECTORY],
    ['a directory opened as one', '\\??\\C:\\dir', FILE_OPEN, FILE_DIRECTORY_FILE, STATUS_SUCCESS],
    ['a directory with FILE_OVERWRITE_IF', '\\??\\C:\\dir', FILE_OVERWRITE_IF, FILE_DIRECTORY_FILE, STATUS_INVALID_PARAMETER],
    ['both directory options', '\\??\\C:\\dir', FILE_OPEN, FILE_DIRECTORY_FILE | FILE_NON_DIRECTORY_FILE, STATUS_INVALID_PARAMETER],
    ['a disposition past FILE_MAXIMUM_DISPOSITION', '\\??\\C:\\f.txt', 6, undefined, STATUS_INVALID_PARAMETER],
    ['a `..` component', '\\??\\C:\\dir\\..\\f.txt', FILE_OPEN, undefined, STATUS_OBJECT_NAME_INVALID],
    ['a name with a forbidden character', '\\??\\C:\\a?.txt', FILE_OPEN_IF, undefined, STATUS_OBJECT_NAME_INVALID],
  ])('%s', async (_name, path, disposition, options, expected) => {
    let status = -1;
    await runOnVolume((k32) => {
      status = ntCreate(k32, path, disposition, options ?? FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT).status;
      return 0;
    }, new MemoryVolumeStore({ 'f.txt': 'f', 'dir\\g.txt': 'g' }));
    expect(status).toBe(expected);
  });

  it('creates a directory with FILE_DIRECTORY_FILE and FILE_CREATE, and a file in it', async () => {
    const store = new MemoryVolumeStore();
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      seen.push(ntCreate(k32, '\\??\\C:\\New', FILE_CREATE, FILE_DIRECTORY_FILE), ntCreate(k32, '\\??\\C:\\new\\a.txt', FILE_CREATE));
      return 0;
    }, store);
    expect(seen).toEqual([{ status: STATUS_SUCCESS, information: FILE_CREATED }, { status: STATUS_SUCCESS, information: FILE_CREATED }]);
    expect(store.list(['New'])).toEqual([{ name: 'a.txt', kind: 'file' }]);
  });
});

describe('CreateFileW: dispositions and last errors', () => {
  it.each([
    ['CREATE_NEW on an existing file', 'C:\\old.txt', CREATE_NEW, false, ERROR_FILE_EXISTS],
    ['CREATE_NEW on a new file', 'C:\\new.txt', CREATE_NEW, true, ERROR_SUCCESS],
    ['CREATE_ALWAYS on an existing file', 'C:\\old.txt', CREATE_ALWAYS, true, ERROR_ALREADY_EXISTS],
    ['CREATE_ALWAYS on a new file', 'C:\\new.txt', CREATE_ALWAYS, true, ERROR_SUCCESS],
    ['OPEN_EXISTING on an existing file', 'C:\\old.txt', OPEN_EXISTING, true, ERROR_SUCCESS],
    ['OPEN_EXISTING on a missing file', 'C:\\new.txt', OPEN_EXISTING, false, ERROR_FILE_NOT_FOUND],
    ['OPEN_ALWAYS on an existing file', 'C:\\old.txt', OPEN_ALWAYS, true, ERROR_ALREADY_EXISTS],
    ['OPEN_ALWAYS on a new file', 'C:\\new.txt', OPEN_ALWAYS, true, ERROR_SUCCESS],
    ['TRUNCATE_EXISTING on an existing file', 'C:\\old.txt', TRUNCATE_EXISTING, true, ERROR_SUCCESS],
    ['TRUNCATE_EXISTING on a missing file', 'C:\\new.txt', TRUNCATE_EXISTING, false, ERROR_FILE_NOT_FOUND],
    ['a missing directory', 'C:\\nodir\\a.txt', OPEN_ALWAYS, false, ERROR_PATH_NOT_FOUND],
    ['a forbidden character', 'C:\\a|b.txt', OPEN_ALWAYS, false, ERROR_INVALID_NAME],
  ])('%s', async (_name, path, disposition, succeeds, error) => {
    const seen = { handle: 0, error: -1 };
    await runOnVolume((k32) => {
      k32.SetLastError(12345);
      seen.handle = k32.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, null, disposition, 0, null);
      seen.error = k32.GetLastError();
      if (seen.handle !== INVALID_HANDLE_VALUE) k32.CloseHandle(seen.handle);
      return 0;
    }, new MemoryVolumeStore({ 'old.txt': 'old' }));
    expect(seen.handle !== INVALID_HANDLE_VALUE).toBe(succeeds);
    expect(seen.error).toBe(error);
  });

  it('resolves relative paths against C:\\ and `..` never above the root; \\\\?\\ paths are not normalized', async () => {
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      const buffer = page(k32);
      for (const path of ['dir\\a.txt', 'C:\\x\\..\\..\\..\\dir\\.\\a.txt', '/dir/a.txt', 'C:\\dir\\a.txt. ', '\\\\?\\C:\\dir\\a.txt', '\\\\.\\C:\\dir\\a.txt']) {
        const h = k32.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
        seen.push(h === INVALID_HANDLE_VALUE ? k32.GetLastError() : readText(k32, h, buffer, 10).text);
        if (h !== INVALID_HANDLE_VALUE) k32.CloseHandle(h);
      }
      const verbatim = k32.CreateFileW('\\\\?\\C:\\x\\..\\dir\\a.txt', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      seen.push(verbatim === INVALID_HANDLE_VALUE ? k32.GetLastError() : 'opened');
      return 0;
    }, new MemoryVolumeStore({ 'dir\\a.txt': 'A' }));
    expect(seen).toEqual(['A', 'A', 'A', 'A', 'A', 'A', ERROR_INVALID_NAME]);
  });
});
