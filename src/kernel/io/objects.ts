/**
 * DRIVER_OBJECT, DEVICE_OBJECT and FILE_OBJECT: the I/O manager's objects,
 * with their documented fields.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_driver_object
 */
import {
  FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ, FILE_GENERIC_WRITE, IRP_MJ_MAXIMUM_FUNCTION,
} from '../../include/wdm-constants.js';
import { KernelObject, type ObjectType } from '../ob/object.js';
import type { Irp } from './irp.js';
import type { DriverFrame } from '../ke/attribution.js';
import type { MmFileBacking } from '../mm/file-backing.js';

export const IoDriverObjectType: ObjectType = { name: 'Driver', bodySize: { x64: 0x150, x86: 0xa8 } };
/** IopFileMapping: what the generic rights mean for a file, and for the device a file is opened on. */
const IopFileMapping = { GenericRead: FILE_GENERIC_READ, GenericWrite: FILE_GENERIC_WRITE, GenericExecute: FILE_GENERIC_EXECUTE, GenericAll: FILE_ALL_ACCESS };
export const IoDeviceObjectType: ObjectType = { name: 'Device', bodySize: { x64: 0x150, x86: 0xb8 }, GenericMapping: IopFileMapping, caseInsensitive: true };
/**
 * Where FILE_OBJECT's FinalStatus, Lock and Event sit in the object's body
 * (dt nt!_FILE_OBJECT, Windows 10, x64 and x86): the two KEVENTs live there,
 * in guest memory, for the I/O manager's waits (pending.ts).
 */
export const FILE_OBJECT_LAYOUT = {
  x64: { FinalStatus: 0x38, Lock: 0x80, Event: 0x98 },
  x86: { FinalStatus: 0x1c, Lock: 0x4c, Event: 0x5c },
} as const;

/** A file object is waited on through its Event (FILE_OBJECT_LAYOUT), which every request's end sets. */
export const IoFileObjectType: ObjectType = {
  name: 'File', bodySize: { x64: 0xd8, x86: 0x80 }, GenericMapping: IopFileMapping, waitObjectOffset: { x64: FILE_OBJECT_LAYOUT.x64.Event, x86: FILE_OBJECT_LAYOUT.x86.Event },
};

/** A dispatch routine: (DeviceObject, Irp) => NTSTATUS. */
export type DriverDispatch = (DeviceObject: DeviceObject, Irp: Irp) => number;
/** DriverUnload: (DriverObject) => void. */
export type DriverUnload = (DriverObject: DriverObject) => void;
/** An I/O timer routine: (DeviceObject, Context) at DISPATCH_LEVEL. */
export type IoTimerRoutine = (DeviceObject: DeviceObject, Context: unknown) => void;

/** DRIVER_OBJECT: the driver's devices, its MajorFunction dispatch table, DriverUnload and its image range. */
export class DriverObject extends KernelObject {
  /** First device the driver created (newest first, linked through NextDevice). */
  DeviceObject: DeviceObject | null = null;
  readonly MajorFunction: DriverDispatch[];
  DriverUnload: DriverUnload | null = null;
  /** Base and size of the driver's image in system space. */
  DriverStart = 0;
  DriverSize = 0;
  /** "\Driver\SharingMemory". */
  readonly DriverName: string;
  /** Code addresses handed to the driver's routines, for stacks and bug-check parameters. */
  readonly routineAddresses = new WeakMap<Function, number>();
  /** How many routines have been given an address. */
  routineCount = 0;
  /** The stack frames of each routine (one per name it is called by), made on first call. */
  readonly routineFrames = new WeakMap<Function, DriverFrame[]>();
  unloaded = false;
  /** NtUnloadDriver was asked for while files were open on its devices. */
  unloadPending = false;
  /** Every device it created that is not yet deleted for good (deleted ones linger while files are open). */
  readonly devices = new Set<DeviceObject>();

  /** `directory` is `\Driver`, or `\FileSystem` for a file system. */
  constructor(readonly serviceName: string, readonly invalidDeviceRequest: DriverDispatch, directory = '\\Driver') {
    super(IoDriverObjectType);
    this.DriverName = `${directory}\\${serviceName}`;
    // Every slot starts as the I/O manager's IopInvalidDeviceRequest (nt's routine, not the driver's).
    this.MajorFunction = new Array<DriverDispatch>(IRP_MJ_MAXIMUM_FUNCTION + 1).fill(invalidDeviceRequest);
  }
}

/** IO_TIMER: one per device, called once a second while started. */
export interface IoTimer {
  address: number;
  TimerRoutine: IoTimerRoutine;
  Context: unknown;
  TimerFlag: boolean;
}

/** DEVICE_OBJECT: one device of a driver, with its flags, device extension, I/O timer and count of open files. */
export class DeviceObject extends KernelObject {
  NextDevice: DeviceObject | null = null;
  Flags: number;
  Characteristics: number;
  /** Open file objects on the device (IRP_MJ_CLOSE not yet sent). */
  ReferenceCount = 0;
  StackSize = 1;
  AlignmentRequirement = 0;
  /** The device attached on top of this one (IoAttachDeviceToDeviceStack), or null at the top of the stack. */
  AttachedDevice: DeviceObject | null = null;
  /** DEVOBJ_EXTENSION.AttachedTo: the device this one is attached on top of. */
  AttachedTo: DeviceObject | null = null;
  Timer: IoTimer | null = null;
  /** Kernel address of the device extension (zeroed at creation), or 0. */
  DeviceExtension = 0;
  deletePending = false;

  constructor(readonly DriverObject: DriverObject, readonly DeviceType: number, characteristics: number, flags: number) {
    super(IoDeviceObjectType);
    this.Characteristics = characteristics;
    this.Flags = flags;
  }
}

/** FILE_OBJECT: one open of a device, with the rest of the path (FileName) and the access granted. */
export class FileObject extends KernelObject {
  /** The part of the path after the device name. */
  FileName: string;
  cleanupDone = false;
  /** IRP_MJ_CREATE succeeded, so IRP_MJ_CLOSE is owed. */
  opened = false;
  /** FO_* flags (FO_SYNCHRONOUS_IO for a file opened with FILE_SYNCHRONOUS_IO_ALERT or _NONALERT). */
  Flags = 0;
  /** The NT path it was opened by (`\??\SharingMemory`), for a replay of a request on it. */
  openedAs = '';
  /** Where the next read or write of a synchronous file object starts when it gives no ByteOffset. */
  CurrentByteOffset = 0n;
  /** The final status of the last pending request on a synchronous file object, for its waiting caller. */
  FinalStatus = 0;
  /** A synchronous file object's lock: a request is in progress (Busy), and how many wait for it (Waiters). */
  Busy = false;
  Waiters = 0;
  /** The file system's context for the file (its FCB), shared by every open of one file; null for a device. */
  FsContext: unknown = null;
  /** The file system's context for this open (its CCB). */
  FsContext2: unknown = null;
  /**
   * SECTION_OBJECT_POINTERS: what Mm maps when a section is made from this
   * file: one MmFileBacking per file of the volume, shared by its opens;
   * null for a device that is no file.
   */
  SectionObjectPointer: MmFileBacking | null = null;
  /** This open's share access, as IoCheckShareAccess recorded it. */
  ReadAccess = false;
  WriteAccess = false;
  DeleteAccess = false;
  SharedRead = false;
  SharedWrite = false;
  SharedDelete = false;

  constructor(readonly DeviceObject: DeviceObject, fileName: string, readonly grantedAccess: number) {
    super(IoFileObjectType);
    this.FileName = fileName;
  }
}
