/**
 * The user-mode side of seed 001: it opens the driver's section by name
 * (OpenFileMapping: the article's "CreateFileMapping to open a new or
 * existing file mapping object by name"), maps a view (MapViewOfFile), reads
 * what the driver wrote and writes its reply, which the driver reads through
 * its own view in the System process.
 */
import { defineProgram, FILE_MAP_ALL_ACCESS, type K32 } from 'ntshm/win32';
import { KERNEL_SECTION_NAME, REPLY, REPLY_OFFSET } from './names.js';

export const kernelSectionProgram = defineProgram((k32: K32) => {
  const hSection = k32.OpenFileMappingW(FILE_MAP_ALL_ACCESS, false, KERNEL_SECTION_NAME);
  if (hSection === 0) {
    k32.print(`OpenFileMapping failed (error ${k32.GetLastError()})`);
    return k32.ExitProcess(1);
  }
  const pView = k32.MapViewOfFile(hSection, FILE_MAP_ALL_ACCESS, 0, 0, 0);
  if (pView === 0) {
    k32.print(`MapViewOfFile failed (error ${k32.GetLastError()})`);
    k32.CloseHandle(hSection);
    return k32.ExitProcess(1);
  }
  k32.print(`The driver says: ${k32.getString(pView, 'utf-16le', 256)}`);
  k32.setString(pView + REPLY_OFFSET, REPLY, 'utf-16le');
  k32.UnmapViewOfFile(pView);
  k32.CloseHandle(hSection);
  return k32.ExitProcess(0);
}, 'KernelSectionClient.exe');
