/**
 * What the driver and its program share (seed 004, method 1: the program's
 * buffer, locked and mapped into kernel space by the driver).
 *
 * IOCTL_LOCK_USER_BUFFER's input is the article's `uva` and `uva_size`:
 *   struct { PVOID uva; ULONG uva_size; }   // 16 bytes on x64, 8 on x86
 */
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED } from 'ntshm/wdm';

export const IOCTL_LOCK_USER_BUFFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_READ_LOCKED_BUFFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_UNLOCK_USER_BUFFER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS);

export const SERVICE_NAME = 'LockedUserBuffer';
export const DEVICE_NAME = '\\Device\\LockedUserBuffer';
export const LINK_NAME = '\\DosDevices\\LockedUserBuffer';

/** The article's example address: an MDL for it has StartVa 0xAC004000 and ByteOffset 0x10. */
export const ARTICLE_VA = 0xAC004010;
/** Where in its page the program's buffer starts, so its MDL shows the same ByteOffset as the article's. */
export const BUFFER_OFFSET = 0x10;
export const BUFFER_SIZE = 0x100;

export const FIRST_MESSAGE = 'Hello from user mode';
export const SECOND_MESSAGE = 'Written by the program after the lock';

/** sizeof the request: a pointer and a ULONG, padded to pointer alignment. */
export const requestSize = (sizeofPointer: number): number => sizeofPointer * 2;
