/**
 * What Section.sys and SecTest.exe share: the device, the control code and
 * the name of the section (seed 000, "SAMPLE: Section.exe on Sharing Memory
 * Between Kernel & User Mode").
 */
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED } from 'ntshm/wdm';

export const SERVICE_NAME = 'Section';
/** The IOCTL that tells the driver the message is in the section. */
export const IOCTL_SECTION_MESSAGE = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
/**
 * Only the `wrong-context` and `no-try` variants' driver knows it: map the driver's view now and keep it,
 * returning its address; IOCTL_SECTION_MESSAGE then uses the kept view.
 */
export const IOCTL_SECTION_MAP_VIEW = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** The name the program gives CreateFileMapping; the driver opens \BaseNamedObjects\<it>. */
export const SECTION_NAME = 'SectionTest';
/** The section's size: one page, as the sample's. */
export const SECTION_SIZE = 4096;
/** What each side writes (UTF-16, NUL-terminated, at the start of the section). */
export const MESSAGE = 'Hello from the user-mode application';
export const REPLY = 'Hello from the kernel-mode driver';
