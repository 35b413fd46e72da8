/**
 * What KernelSection.sys and its client share (seed 001, JustKernel's
 * "Shared Memory Between User-Mode And Kernel-Mode (Section Object)").
 */
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED } from 'ntshm/wdm';

export const SERVICE_NAME = 'KernelSection';
/** The device of the variants that have one (variants/): \\.\KernelSection. */
export const DEVICE_NAME = '\\Device\\KernelSection';
export const DOS_DEVICE_NAME = '\\DosDevices\\KernelSection';
/** no-force-access-check: "open the section for me"; the output is the handle, pointer-sized. */
export const IOCTL_OPEN_SECTION = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** The section's name in the driver's namespace and the name the program opens. */
export const KERNEL_SECTION_PATH = '\\BaseNamedObjects\\KernelSection';
export const KERNEL_SECTION_NAME = 'KernelSection';
export const SECTION_SIZE = 4096;
/**
 * The section's DACL: SYSTEM and the Administrators all access; a standard
 * user none, so their OpenFileMapping is refused.
 */
export const SECTION_SDDL = 'D:P(A;;GA;;;SY)(A;;GA;;;BA)';
export const GREETING = 'Hello from the driver';
export const REPLY = 'Hello from the application';
/** Where in the page the program writes its reply. */
export const REPLY_OFFSET = 0x800;
