/**
 * The IRP and its stack locations.
 *
 * Completion is split as on Windows: IoCompleteRequest marks the IRP done
 * and records the status; the final stage (copying a buffered output to the
 * caller, filling the I/O status block, freeing buffers and the IRP) runs
 * when control returns to the I/O manager in the caller's thread, which is
 * when Windows' completion APC runs for a synchronous request. So the IRP
 * stays readable by the dispatch routine until it returns, as there.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_irp
 */
import type { Mdl } from '../mm/mdl-object.js';
import type { PoolAllocation } from '../mm/pool.js';
import type { DeviceObject, FileObject } from './objects.js';

/** IO_STATUS_BLOCK. */
export interface IoStatusBlock {
  Status: number;
  Information: number;
}

/** The parameters of an IRP_MJ_DEVICE_CONTROL stack location. */
export interface DeviceIoControlParameters {
  OutputBufferLength: number;
  InputBufferLength: number;
  IoControlCode: number;
  Type3InputBuffer: number;
}

/** The parameters of an IRP_MJ_READ or IRP_MJ_WRITE stack location. */
export interface ReadWriteParameters {
  Length: number;
  Key: number;
  /** LARGE_INTEGER ByteOffset. */
  ByteOffset: bigint;
}

/** The parameters of an IRP_MJ_QUERY_INFORMATION or IRP_MJ_SET_INFORMATION stack location. */
export interface FileInformationParameters {
  Length: number;
  FileInformationClass: number;
}

/** IO_STACK_LOCATION. */
export interface IoStackLocation {
  MajorFunction: number;
  MinorFunction: number;
  Flags: number;
  Control: number;
  Parameters: {
    DeviceIoControl: DeviceIoControlParameters;
    /** IRP_MJ_CREATE: Options holds CreateDisposition in its high byte and CreateOptions below, as on Windows. */
    Create: { Options: number; ShareAccess: number; DesiredAccess: number };
    Read: ReadWriteParameters;
    Write: ReadWriteParameters;
    /** IRP_MJ_QUERY_INFORMATION: the SystemBuffer's length and the FILE_INFORMATION_CLASS. */
    QueryFile: FileInformationParameters;
    /** IRP_MJ_SET_INFORMATION: the same, for the information to set. */
    SetFile: FileInformationParameters;
  };
  DeviceObject: DeviceObject;
  FileObject: FileObject | null;
}

/** sizeof(IRP) and sizeof(IO_STACK_LOCATION). */
export const irpSize = (arch: 'x64' | 'x86', stackCount: number): number =>
  arch === 'x64' ? 0xd0 + 0x48 * stackCount : 0x70 + 0x24 * stackCount;

/** IRP: the fields a dispatch routine reads (AssociatedIrp.SystemBuffer, UserBuffer, MdlAddress, IoStatus) and its stack locations. */
export class Irp {
  readonly Type = 6; // IO_TYPE_IRP
  MdlAddress: Mdl | null = null;
  Flags = 0;
  readonly AssociatedIrp = { SystemBuffer: 0 };
  readonly IoStatus: IoStatusBlock = { Status: 0, Information: 0 };
  RequestorMode: number;
  PendingReturned = false;
  Cancel = false;
  UserBuffer = 0;
  readonly StackCount: number;
  CurrentLocation: number;
  readonly stack: IoStackLocation[];
  /** Kernel address of the IRP in nonpaged pool. */
  address = 0;
  /** The pool block the IRP lives in (kept on the lookaside list between IRPs). */
  block: PoolAllocation | undefined;
  completed = false;
  /** Between allocation and free (a freed IRP may wait on the lookaside list for reuse). */
  inUse = false;
  /**
   * IoStatus as the I/O manager read it when the dispatch routine returned
   * (an NTSTATUS and a ULONG_PTR, whatever the driver stored there): what
   * completion copies to the caller, out of the driver's reach.
   */
  finalStatus = 0;
  finalInformation = 0;

  constructor(requestorMode: number, device: DeviceObject, file: FileObject | null, major: number) {
    this.RequestorMode = requestorMode;
    // Parameters is a union in C: Read and Write are the same bytes.
    const readWrite: ReadWriteParameters = { Length: 0, Key: 0, ByteOffset: 0n };
    const information: FileInformationParameters = { Length: 0, FileInformationClass: 0 };
    this.stack = [{
      MajorFunction: major, MinorFunction: 0, Flags: 0, Control: 0,
      Parameters: {
        DeviceIoControl: { OutputBufferLength: 0, InputBufferLength: 0, IoControlCode: 0, Type3InputBuffer: 0 },
        Create: { Options: 0, ShareAccess: 0, DesiredAccess: 0 },
        Read: readWrite,
        Write: readWrite,
        QueryFile: information,
        SetFile: information,
      },
      DeviceObject: device, FileObject: file,
    }];
    this.StackCount = 1;
    // IoAllocateIrp leaves CurrentLocation one past the stack: the caller fills the next
    // location and IoCallDriver makes it current.
    this.CurrentLocation = 2;
  }

  /** IoGetNextIrpStackLocation: the location the next IoCallDriver makes current. */
  get nextStackLocation(): IoStackLocation {
    return this.stack[this.CurrentLocation - 2]!;
  }

  /** Tail.Overlay.CurrentStackLocation. */
  get currentStackLocation(): IoStackLocation {
    return this.stack[this.CurrentLocation - 1]!;
  }
}

/** IoGetCurrentIrpStackLocation. */
export function IoGetCurrentIrpStackLocation(irp: Irp): IoStackLocation {
  return irp.currentStackLocation;
}
