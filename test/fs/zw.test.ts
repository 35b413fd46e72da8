/**
 * A driver's file routines (ZwCreateFile, ZwWriteFile, ZwReadFile,
 * ZwQueryInformationFile, ZwFlushBuffersFile) on the volume, from
 * DriverEntry in the System process, with a kernel handle and pool buffers.
 */
import { describe, expect, it } from 'vitest';
import { MemoryVolumeStore } from 'ntshm';
import {
  FILE_CREATED, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, FileStandardInformation, GENERIC_READ, GENERIC_WRITE, NonPagedPool,
  OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, STATUS_END_OF_FILE, SYNCHRONIZE,
} from 'ntshm/wdm';
import { bootWith, testDriver } from '../helpers/test-driver.js';
import { storeText } from './helpers.js';

describe('Zw file routines', () => {
  it('a driver creates, writes, reads back, sizes and flushes a file of C:', async () => {
    const store = new MemoryVolumeStore();
    const seen: unknown[] = [];
    const driver = testDriver({
      name: 'FileUser',
      entry: (nt) => {
        const oa = nt.InitializeObjectAttributes('\\??\\C:\\driver.log', OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, null, null);
        const created = nt.ZwCreateFile((GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE) >>> 0, oa, null, 0, 0, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT);
        seen.push(created.status, created.ioStatusBlock.Information, created.fileHandle < 0);
        const buffer = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Test');
        nt.setBytes(buffer, new TextEncoder().encode('from the driver'));
        seen.push(nt.ZwWriteFile(created.fileHandle, null, null, null, buffer, 15, 0).ioStatusBlock);
        nt.RtlZeroMemory(buffer, 64);
        const read = nt.ZwReadFile(created.fileHandle, null, null, null, buffer, 64, 5);
        seen.push(read.ioStatusBlock, new TextDecoder().decode(nt.getBytes(buffer, read.ioStatusBlock.Information)));
        seen.push(nt.ZwReadFile(created.fileHandle, null, null, null, buffer, 64, 15).status);
        seen.push(nt.ZwQueryInformationFile(created.fileHandle, buffer, 0x18, FileStandardInformation).status, nt.getUint32(buffer + 8));
        seen.push(nt.ZwFlushBuffersFile(created.fileHandle).status);
        nt.ExFreePoolWithTag(buffer, 'Test');
        nt.ZwClose(created.fileHandle);
      },
    });
    const machine = await bootWith([driver], { volume: store });
    expect(machine.bugcheck).toBeUndefined();
    expect(seen).toEqual([0, FILE_CREATED, true, { Status: 0, Information: 15 }, { Status: 0, Information: 10 }, 'the driver',
      STATUS_END_OF_FILE, 0, 15, 0]);
    expect(storeText(store, 'driver.log')).toBe('from the driver');
  });
});
