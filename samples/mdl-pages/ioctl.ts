/**
 * What the SharedMemory driver and its client share (seed 002, Habr:
 * "shared memory between a driver and an application with
 * MmAllocatePagesForMdl"): the device, the two control codes, and the
 * client's three buttons.
 *
 * IOCTL_ALLOCATE_SHARED_MEMORY returns the user address through the output
 * buffer, which the driver reaches through Irp->MdlAddress
 * (GenericGetSystemAddressForMdl(Irp->MdlAddress) in the article): direct
 * I/O, METHOD_OUT_DIRECT.
 */
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED, METHOD_OUT_DIRECT } from 'ntshm/wdm';

export const IOCTL_ALLOCATE_SHARED_MEMORY = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
export const IOCTL_RELEASE_SHARED_MEMORY = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);

export const SERVICE_NAME = 'SharedMemory';
export const DEVICE_NAME = '\\Device\\SharedMemory';
export const LINK_NAME = '\\DosDevices\\SharedMemory';
/** The client's CreateFile(L"\\\\.\\SharedMemory", ...). */
export const DEVICE_PATH = '\\\\.\\SharedMemory';

/** memory_size: what the driver asks MmAllocatePagesForMdl for (the article does not give it; four pages here). */
export const MEMORY_SIZE = 16 * 4096;
/** The driver writes the first ten USHORTs: 10, 9, ..., 1. */
export const VALUE_COUNT = 10;

/** The client's buttons ("Allocate memory", "Fill TextEdit", "Release memory"), and closing its window. */
export const ACTIONS = ['Allocate', 'Fill', 'Release', 'Quit'] as const;
export type Action = (typeof ACTIONS)[number];
