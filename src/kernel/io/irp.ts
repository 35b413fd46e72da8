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

/** IO_STACK_LOCATION. */
export interface IoStackLocation {
  MajorFunction: number;
  MinorFunction: number;
  Flags: number;
  Control: number;
  Parameters: {
    DeviceIoControl: DeviceIoControlParameters;
    Create: { Options: number; ShareAccess: number; DesiredAccess: number };
  };
  DeviceObject: DeviceObject;
  FileObject: FileObject | null;
}

/** sizeof(IRP) and sizeof(IO_STACK_LOCATION). */
export const irpSize = (arch: 'x64' | 'x86', stackCount: number): number =>
  arch === 'x64' ? 0xd0 + 0x48 * stackCount : 0x70 + 0x24 * stackCount;

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
  completed = false;

  constructor(requestorMode: number, location: IoStackLocation) {
    this.RequestorMode = requestorMode;
    this.stack = [location];
    this.StackCount = 1;
    this.CurrentLocation = 1;
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
