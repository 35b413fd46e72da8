/**
 * What the driver and its program share (seed 004, part 3: the three ways
 * the I/O manager hands a driver the program's buffers). One IOCTL per
 * transfer method, each carrying the same message in and the same reply out.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/buffer-descriptions-for-i-o-control-codes
 */
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_NEITHER, METHOD_OUT_DIRECT } from 'ntshm/wdm';

export const IOCTL_BUFFERED = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
export const IOCTL_IN_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_IN_DIRECT, FILE_ANY_ACCESS);
export const IOCTL_OUT_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
export const IOCTL_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, METHOD_NEITHER, FILE_ANY_ACCESS);

/** The IOCTLs in the order the program sends them, with the method's name. */
export const METHODS: readonly (readonly [name: string, code: number])[] = [
  ['METHOD_BUFFERED', IOCTL_BUFFERED],
  ['METHOD_IN_DIRECT', IOCTL_IN_DIRECT],
  ['METHOD_OUT_DIRECT', IOCTL_OUT_DIRECT],
  ['METHOD_NEITHER', IOCTL_NEITHER],
];

export const SERVICE_NAME = 'TransferMethods';
export const DEVICE_NAME = '\\Device\\TransferMethods';
export const LINK_NAME = '\\DosDevices\\TransferMethods';

/** The program's message and the driver's reply: the same bytes through every method (UTF-16LE, no terminator). */
export const MESSAGE = 'Hello from user mode';
export const REPLY = 'Hello from the kernel';
/** Bytes of each, as UTF-16LE. */
export const MESSAGE_BYTES = MESSAGE.length * 2;
export const REPLY_BYTES = REPLY.length * 2;
/** How much the driver reads from Type3InputBuffer in the neither-no-probe variant: the program's "message". */
export const LEAK_BYTES = 16;
