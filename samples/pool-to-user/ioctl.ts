/**
 * What the driver and its program share (seed 004, method 2: kernel pool
 * mapped into the program). IOCTL_MAP_POOL's input is the program's own
 * buffer (`uva`, `uva_size`, as in method 1) and its output the address the
 * pool landed at in the program:
 *   in:  struct { PVOID uva; ULONG uva_size; }    out: PVOID
 */
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED } from 'ntshm/wdm';

export const IOCTL_MAP_POOL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_UNMAP_POOL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
/** Makes the driver allocate (and keep) another block of pool with its own text: who gets a freed page next. */
export const IOCTL_ALLOCATE_OTHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS);

export const SERVICE_NAME = 'PoolToUser';
export const DEVICE_NAME = '\\Device\\PoolToUser';
export const LINK_NAME = '\\DosDevices\\PoolToUser';

/** The article's tag, (ULONG)'PMET': "TEMP" in memory. */
export const POOL_TAG = 'TEMP';
export const MESSAGE = 'Hello from kernel pool';
export const OTHER_MESSAGE = 'Another owner\'s secret';

/** sizeof the request: a pointer and a ULONG, padded to pointer alignment. */
export const requestSize = (sizeofPointer: number): number => sizeofPointer * 2;
