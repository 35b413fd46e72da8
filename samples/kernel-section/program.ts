/**
 * The user-mode side of seed 001: it opens the driver's section by name
 * (OpenFileMapping: the article's "CreateFileMapping to open a new or
 * existing file mapping object by name"), maps a view (MapViewOfFile), reads
 * what the driver wrote and writes its reply, which the driver reads through
 * its own view in the System process.
 */
import {
  defineProgram, FILE_MAP_ALL_ACCESS, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE,
  type K32,
} from 'ntshm/win32';
import { IOCTL_OPEN_SECTION, KERNEL_SECTION_NAME, REPLY, REPLY_OFFSET } from './names.js';

/** How a variant of the client differs (variants.ts). */
export interface KernelSectionClientVariant {
  /** view-in-user-process: open the driver's device first (its IRP_MJ_CREATE maps the driver's view here). */
  openDevice?: boolean;
  /** no-force-access-check: ask the driver for the handle (IOCTL_OPEN_SECTION) instead of OpenFileMapping. */
  handleFromDriver?: boolean;
}

/** The section's handle: by name, or from the driver; 0 on failure (printed). */
async function openSection(k32: K32, hDevice: number, variant: KernelSectionClientVariant): Promise<number> {
  if (!variant.handleFromDriver) {
    const h = k32.OpenFileMappingW(FILE_MAP_ALL_ACCESS, false, KERNEL_SECTION_NAME);
    if (h === 0) k32.print(`OpenFileMapping failed (error ${k32.GetLastError()})`);
    return h;
  }
  const out = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  const { ok } = await k32.DeviceIoControl(hDevice, IOCTL_OPEN_SECTION, 0, 0, out, k32.sizeofPointer);
  if (!ok) {
    k32.print(`IOCTL_OPEN_SECTION failed (error ${k32.GetLastError()})`);
    return 0;
  }
  const h = k32.getPointer(out);
  k32.print(`The driver opened the section for us: handle ${h.toString(16)}`);
  return h;
}

export function kernelSectionClient(variant: KernelSectionClientVariant = {}) {
  return defineProgram(async (k32: K32) => {
    let hDevice = INVALID_HANDLE_VALUE;
    if (variant.openDevice || variant.handleFromDriver) {
      hDevice = k32.CreateFileW('\\\\.\\KernelSection', GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      if (hDevice === INVALID_HANDLE_VALUE) {
        k32.print(`Can't open the device (error ${k32.GetLastError()})`);
        return k32.ExitProcess(1);
      }
    }
    const closeDevice = () => {
      if (hDevice !== INVALID_HANDLE_VALUE) k32.CloseHandle(hDevice);
    };
    const hSection = await openSection(k32, hDevice, variant);
    if (hSection === 0) {
      closeDevice();
      return k32.ExitProcess(1);
    }
    const pView = k32.MapViewOfFile(hSection, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    if (pView === 0) {
      k32.print(`MapViewOfFile failed (error ${k32.GetLastError()})`);
      k32.CloseHandle(hSection);
      closeDevice();
      return k32.ExitProcess(1);
    }
    k32.print(`The driver says: ${k32.getString(pView, 'utf-16le', 256)}`);
    k32.setString(pView + REPLY_OFFSET, REPLY, 'utf-16le');
    k32.UnmapViewOfFile(pView);
    k32.CloseHandle(hSection);
    closeDevice();
    return k32.ExitProcess(0);
  }, 'KernelSectionClient.exe');
}

export const kernelSectionProgram = kernelSectionClient();
