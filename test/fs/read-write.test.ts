/**
 * Using an open file of C:: share access between opens, reads and writes
 * with the file pointer, end of file, SetEndOfFile, the information
 * classes, flushing, and the FCB that every open of a file and Mm share.
 */
import { describe, expect, it } from 'vitest';
import { boot, MemoryVolumeStore } from 'ntshm';
import {
  FILE_NON_DIRECTORY_FILE, FILE_OPEN, FilePositionInformation, FileStandardInformation, STATUS_END_OF_FILE, STATUS_INVALID_INFO_CLASS,
  STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_PARAMETER, STATUS_SUCCESS,
} from 'ntshm/wdm';
import {
  CREATE_ALWAYS, ERROR_ACCESS_DENIED, ERROR_NEGATIVE_SEEK, ERROR_SHARING_VIOLATION, FILE_BEGIN, FILE_CURRENT, FILE_END,
  FILE_SHARE_READ, FILE_SHARE_WRITE, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, OPEN_EXISTING, SYNCHRONIZE,
} from 'ntshm/win32';
import { page, readText, runOnVolume, storeText, writeText } from './helpers.js';

describe('share access (IoCheckShareAccess)', () => {
  const R = GENERIC_READ;
  const W = GENERIC_WRITE;
  const RW = GENERIC_READ | GENERIC_WRITE;
  it.each([
    ['a reader that shares reading, then another reader', R, FILE_SHARE_READ, R, FILE_SHARE_READ, true],
    ['a reader that shares nothing, then another reader', R, 0, R, FILE_SHARE_READ, false],
    ['a reader that shares reading, then a writer', R, FILE_SHARE_READ, W, FILE_SHARE_READ, false],
    ['a writer that shares writing, then a writer that shares writing', W, FILE_SHARE_WRITE, W, FILE_SHARE_WRITE, true],
    ['a reader sharing all, then a writer that will not share reading', R, FILE_SHARE_READ | FILE_SHARE_WRITE, W, FILE_SHARE_WRITE, false],
    ['a reader-writer sharing both, then the same', RW, FILE_SHARE_READ | FILE_SHARE_WRITE, RW, FILE_SHARE_READ | FILE_SHARE_WRITE, true],
    ['an open for attributes only never conflicts', 0, 0, RW, 0, true],
  ])('%s', async (_name, access1, share1, access2, share2, second) => {
    const seen = { first: 0, second: 0, error: 0, afterClose: 0 };
    await runOnVolume((k32) => {
      seen.first = k32.CreateFileW('C:\\f.txt', access1, share1, null, OPEN_EXISTING, 0, null);
      seen.second = k32.CreateFileW('C:\\f.txt', access2, share2, null, OPEN_EXISTING, 0, null);
      seen.error = k32.GetLastError();
      if (seen.second !== INVALID_HANDLE_VALUE) k32.CloseHandle(seen.second);
      k32.CloseHandle(seen.first);
      // The first open's share access went with its handle.
      seen.afterClose = k32.CreateFileW('C:\\f.txt', access2, share2, null, OPEN_EXISTING, 0, null);
      return 0;
    }, new MemoryVolumeStore({ 'f.txt': 'f' }));
    expect(seen.first).not.toBe(INVALID_HANDLE_VALUE);
    expect(seen.second !== INVALID_HANDLE_VALUE).toBe(second);
    if (!second) expect(seen.error).toBe(ERROR_SHARING_VIOLATION);
    expect(seen.afterClose).not.toBe(INVALID_HANDLE_VALUE);
  });
});

describe('reading and writing', () => {
  it('writes and reads at the file pointer, which each transfer moves; a read at the end reads nothing and succeeds', async () => {
    const seen: unknown[] = [];
    const store = new MemoryVolumeStore();
    await runOnVolume((k32) => {
      const b = page(k32);
      const h = k32.CreateFileW('C:\\a.txt', GENERIC_READ | GENERIC_WRITE, 0, null, CREATE_ALWAYS, 0, null);
      seen.push(writeText(k32, h, b, 'hello '), writeText(k32, h, b, 'world'));
      seen.push(k32.SetFilePointerEx(h, 0, FILE_CURRENT), k32.GetFileSizeEx(h));
      seen.push(k32.SetFilePointerEx(h, 6, FILE_BEGIN), readText(k32, h, b, 3), readText(k32, h, b, 100), readText(k32, h, b, 100));
      seen.push(k32.SetFilePointerEx(h, -5, FILE_END), readText(k32, h, b, 2));
      seen.push(k32.SetFilePointerEx(h, -100, FILE_CURRENT), k32.GetLastError(), k32.SetFilePointerEx(h, 0, FILE_CURRENT));
      k32.CloseHandle(h);
      return 0;
    }, store);
    expect(seen).toEqual([
      { ok: true, numberOfBytesWritten: 6 }, { ok: true, numberOfBytesWritten: 5 },
      { ok: true, newFilePointer: 11n }, { ok: true, fileSize: 11n },
      { ok: true, newFilePointer: 6n }, { ok: true, text: 'wor', error: 0 }, { ok: true, text: 'ld', error: 0 }, { ok: true, text: '', error: 0 },
      { ok: true, newFilePointer: 6n }, { ok: true, text: 'wo', error: 0 },
      { ok: false, newFilePointer: 0n }, ERROR_NEGATIVE_SEEK, { ok: true, newFilePointer: 8n },
    ]);
    expect(storeText(store, 'a.txt')).toBe('hello world');
  });

  it('writes past the end leave zeros between; SetEndOfFile shrinks and grows at the file pointer', async () => {
    const store = new MemoryVolumeStore({ 'a.bin': 'abcdef' });
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      const b = page(k32);
      const h = k32.CreateFileW('C:\\a.bin', GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      k32.SetFilePointerEx(h, 8, FILE_BEGIN);
      writeText(k32, h, b, 'Z');
      k32.SetFilePointerEx(h, 3, FILE_BEGIN);
      seen.push(k32.SetEndOfFile(h), k32.GetFileSizeEx(h));
      k32.SetFilePointerEx(h, 5, FILE_BEGIN);
      seen.push(k32.SetEndOfFile(h), k32.GetFileSizeEx(h));
      k32.CloseHandle(h);
      return 0;
    }, store);
    expect(seen).toEqual([true, { ok: true, fileSize: 3n }, true, { ok: true, fileSize: 5n }]);
    expect([...store.read(['a.bin'])]).toEqual([0x61, 0x62, 0x63, 0, 0]);
  });

  it('refuses a read on a handle without read access, and a write without write access', async () => {
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      const b = page(k32);
      const w = k32.CreateFileW('C:\\a.txt', GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, 0, null);
      const r = k32.CreateFileW('C:\\a.txt', GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, 0, null);
      seen.push(k32.ReadFile(w, b, 1).ok, k32.GetLastError(), writeText(k32, r, b, 'x').ok, k32.GetLastError());
      seen.push(k32.FlushFileBuffers(r), k32.GetLastError());
      return 0;
    }, new MemoryVolumeStore({ 'a.txt': 'a' }));
    expect(seen).toEqual([false, ERROR_ACCESS_DENIED, false, ERROR_ACCESS_DENIED, false, ERROR_ACCESS_DENIED]);
  });

  it('NtReadFile at or past the end of the file is STATUS_END_OF_FILE; a file opened without FILE_SYNCHRONOUS_IO needs a ByteOffset', async () => {
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      const b = page(k32);
      const open = k32.NtCreateFile((GENERIC_READ | SYNCHRONIZE) >>> 0, { ObjectName: '\\??\\C:\\a.txt', Attributes: 0x40 }, null, 0, 0,
        FILE_OPEN, FILE_NON_DIRECTORY_FILE, 0, 0);
      const h = open.fileHandle;
      seen.push(k32.NtReadFile(h, 0, 0, 0, b, 10, null, 0).status);
      seen.push(k32.NtReadFile(h, 0, 0, 0, b, 10, 1n, 0).ioStatusBlock, k32.NtReadFile(h, 0, 0, 0, b, 10, 3n, 0).status);
      seen.push(k32.NtReadFile(h, 0, 0, 0, b, 0, 30n, 0).status);
      k32.CloseHandle(h);
      return 0;
    }, new MemoryVolumeStore({ 'a.txt': 'abc' }));
    expect(seen).toEqual([STATUS_INVALID_PARAMETER, { Status: STATUS_SUCCESS, Information: 2 }, STATUS_END_OF_FILE, STATUS_SUCCESS]);
  });

  it('NtQueryInformationFile checks the class and the length, and answers FileStandardInformation', async () => {
    const seen: unknown[] = [];
    await runOnVolume((k32) => {
      const b = page(k32);
      const h = k32.CreateFileW('C:\\a.txt', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      seen.push(k32.NtQueryInformationFile(h, b, 0x10, FileStandardInformation).status);
      seen.push(k32.NtQueryInformationFile(h, b, 0x18, 9999).status);
      const r = k32.NtQueryInformationFile(h, b, 0x18, FileStandardInformation);
      seen.push(r.status, r.ioStatusBlock.Information, k32.getBigUint64(b), k32.getBigUint64(b + 8), k32.getUint32(b + 16), k32.getUint8(b + 21));
      seen.push(k32.NtQueryInformationFile(h, b, 8, FilePositionInformation).status);
      return 0;
    }, new MemoryVolumeStore({ 'a.txt': 'abc' }));
    expect(seen).toEqual([STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_INFO_CLASS, STATUS_SUCCESS, 0x18, 4096n, 3n, 1, 0, STATUS_SUCCESS]);
  });
});

describe('one FCB per file: every open and Mm work on the same bytes', () => {
  it('two opens share the file object\'s SectionObjectPointer, and Mm\'s page writes are what ReadFile reads', async () => {
    const store = new MemoryVolumeStore({ 'a.txt': 'abcdef' });
    const seen: unknown[] = [];
    const machine = await boot({ volume: store });
    const program = machine.spawn((k32) => {
      const b = page(k32);
      const h1 = k32.CreateFileW('C:\\a.txt', GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, 0, null);
      const h2 = k32.CreateFileW('C:\\A.TXT', GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, 0, null);
      const fcbs = machine.kernel.fileSystem!.volume.openFiles;
      seen.push(fcbs.length);
      const backing = fcbs[0]!;
      // Mm reads a page: the file, then zeros.
      const pageBytes = new Uint8Array(16);
      backing.readPage(0, pageBytes);
      seen.push([...pageBytes]);
      // Mm writes a page back (trimmed to the end of the file); ReadFile through the other open sees it.
      backing.writePage(0, new TextEncoder().encode('XYZ'));
      seen.push(readText(k32, h2, b, 10).text);
      writeText(k32, h1, b, '12');
      const again = new Uint8Array(4);
      backing.readPage(0, again);
      seen.push(new TextDecoder().decode(again), backing.fileName, backing.endOfFile);
      backing.setEndOfFile(2);
      backing.flush();
      seen.push(storeText(store, 'a.txt'));
      k32.CloseHandle(h1);
      k32.CloseHandle(h2);
      return 0;
    });
    await machine.run();
    expect(program.exitCode).toBe(0);
    expect(seen).toEqual([1, [...new TextEncoder().encode('abcdef'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'XYZdef', '12Zd', '\\a.txt', 6, '12']);
    expect(machine.kernel.fileSystem!.volume.openFiles).toEqual([]);
  });
});
