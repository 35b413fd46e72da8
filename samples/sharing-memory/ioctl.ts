/**
 * What the driver and its client share (the article's common.inc).
 * The client opens the device with GENERIC_READ, so the code asks for read access only.
 */
import { CTL_CODE, FILE_DEVICE_UNKNOWN, FILE_READ_ACCESS, METHOD_BUFFERED } from 'ntshm/wdm';

export const IOCTL_GIVE_ME_YOUR_MEMORY = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS);
export const SERVICE_NAME = 'SharingMemory';
