/**
 * What InvertedCall.sys and InvertedCall.exe share: the device, the control
 * code the program leaves pending, and the event record the driver answers
 * it with (OSR, "The Inverted Call Model").
 */
import { CTL_CODE, FILE_DEVICE_UNKNOWN, FILE_READ_ACCESS, METHOD_BUFFERED, METHOD_NEITHER } from 'ntshm/wdm';

export const SERVICE_NAME = 'InvertedCall';
export const DEVICE_NAME = '\\Device\\InvertedCall';
export const SYMBOLIC_LINK_NAME = '\\DosDevices\\InvertedCall';
/** What the program opens. */
export const DEVICE_PATH = '\\\\.\\InvertedCall';

/**
 * "Tell me when something happens": the program sends it with no input and an
 * EVENT_RECORD-sized output buffer; the driver holds it pending until it has
 * an event to report. METHOD_BUFFERED, so the driver writes the record into
 * the IRP's SystemBuffer (nonpaged pool, valid in any process) and the I/O
 * manager copies it out in the program's own thread.
 */
export const IOCTL_WAIT_FOR_EVENT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_READ_ACCESS);
/** The `neither-from-dpc` variant's code: the same request as METHOD_NEITHER (Irp->UserBuffer is the program's own address). */
export const IOCTL_WAIT_FOR_EVENT_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_NEITHER, FILE_READ_ACCESS);

/**
 * EVENT_RECORD: `ULONG Sequence; ULONG Reserved; LARGE_INTEGER Timestamp`
 * (the KeQuerySystemTime of the timer's DPC: a FILETIME, UTC). The same on x64 and x86.
 */
export const EVENT_RECORD = { Sequence: 0, Reserved: 4, Timestamp: 8, size: 16 } as const;

/** How many requests the program keeps pending at a time. */
export const PENDING_REQUESTS = 4;
/** How many events the program waits for before it leaves. */
export const EVENTS_WANTED = 10;
/** The driver's event source: a periodic timer, every 250 ms. */
export const EVENT_PERIOD_MS = 250;
