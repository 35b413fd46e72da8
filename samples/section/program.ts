/**
 * SecTest.exe, ported from the KB Q194945 sample's test application (seed
 * 000): it creates a named memory-mapped file backed by the paging file
 * (CreateFileMapping), maps a view of it (MapViewOfFile), writes a message
 * there, and makes an IOCTL call to the driver; the driver reads the message
 * through its own view and writes its reply in the same place, which the
 * program prints.
 */
import {
  defineProgram, FILE_MAP_ALL_ACCESS, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE,
  type K32,
} from 'ntshm/win32';
import { IOCTL_SECTION_MESSAGE, MESSAGE, SECTION_NAME, SECTION_SIZE } from './ioctl.js';
import { beforeMessage } from './variants/program-steps.js';

/** How a variant of the program differs (variants.ts). */
export interface SecTestVariant {
  /** The name given to CreateFileMapping (session-namespace: `Local\SectionTest` or `Global\SectionTest`). */
  sectionName?: string;
  /** user-handle: send the section's handle in the IOCTL's input buffer. */
  passHandle?: boolean;
  /**
   * wrong-context and no-try: before IOCTL_SECTION_MESSAGE, ask the driver to map its view
   * (IOCTL_SECTION_MAP_VIEW) and look at the address it returns (variants/program-steps.ts).
   */
  keptView?: 'wrong-context' | 'no-try';
}

export function secTestProgram(variant: SecTestVariant = {}) {
  return defineProgram(async (k32: K32) => {
    const name = variant.sectionName ?? SECTION_NAME;
    // wrong-context, no-try: the requests' buffer, allocated first (variants/program-steps.ts says why).
    const ioBuffer = variant.keptView ? k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE) : 0;
    const hSection = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, SECTION_SIZE, name);
    if (hSection === 0) {
      k32.print(`CreateFileMapping failed (error ${k32.GetLastError()})`);
      return k32.ExitProcess(1);
    }
    const pView = k32.MapViewOfFile(hSection, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    if (pView === 0) {
      k32.print(`MapViewOfFile failed (error ${k32.GetLastError()})`);
      k32.CloseHandle(hSection);
      return k32.ExitProcess(1);
    }
    k32.setString(pView, MESSAGE, 'utf-16le');
    k32.print(`Message written at ${pView.toString(16)}: ${MESSAGE}`);

    let exitCode = 0;
    const hDevice = k32.CreateFileW('\\\\.\\Section', GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    if (hDevice === INVALID_HANDLE_VALUE) {
      k32.print(`Can't open the device (error ${k32.GetLastError()})`);
      exitCode = 1;
    } else {
      let input = 0;
      if (variant.passHandle) {
        input = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        k32.setPointer(input, hSection);
      }
      if (variant.keptView) input = await beforeMessage(k32, hDevice, pView, ioBuffer, variant.keptView);
      const { ok } = await k32.DeviceIoControl(hDevice, IOCTL_SECTION_MESSAGE, input, input ? k32.sizeofPointer : 0, 0, 0);
      if (ok) {
        // The driver wrote its reply through its own view: the same page, another address.
        k32.print(`Reply: ${k32.getString(pView, 'utf-16le', SECTION_SIZE / 2)}`);
      } else {
        k32.print(`DeviceIoControl failed (error ${k32.GetLastError()})`);
        exitCode = 1;
      }
      k32.CloseHandle(hDevice);
    }
    k32.UnmapViewOfFile(pView);
    k32.CloseHandle(hSection);
    return k32.ExitProcess(exitCode);
  }, 'SecTest.exe');
}
