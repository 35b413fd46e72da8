/**
 * The IRP and its stack locations.
 *
 * Completion is split as on Windows: IoCompleteRequest marks the IRP done
 * and records the status; the final stage (copying a buffered output to the
 * caller, filling the I/O status block, freeing buffers and the IRP) runs
 * when control returns to the I/O manager in the caller's thread, which is
 * when Windows' completion APC runs for a synchronous request. So the IRP
 * stays readable by the dispatch routine until it returns, as there.
 *
 * An IRP's memory (its pool block, its stack location, IoStatus,
 * AssociatedIrp and the Parameters union) is reused through the I/O
 * manager's lookaside list, as on Windows: IoInitializeIrp sets every field
 * again for the next request, so a request allocates one small JS object,
 * the Irp itself. That one is new for each request so that a driver that
 * completes an IRP it kept from an earlier request is still caught (0x44).
 * The reused parts are sealed, like the C structure they stand for: a driver
 * cannot add fields to them or redefine theirs.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_irp
 */
import type { Mdl } from '../mm/mdl-object.js';
import type { PoolAllocation } from '../mm/pool.js';
import type { DeviceObject, FileObject } from './objects.js';
import type { UnwrittenSnapshot } from './leak-check.js';
import type { KThread } from '../ke/thread.js';
import type { DriverCancel } from './cancel.js';
import type { IopPendingRequest } from './pending.js';

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

/** The parameters of an IRP_MJ_CREATE stack location (Options, ShareAccess and the access asked for). */
export interface CreateParameters {
  Options: number;
  ShareAccess: number;
  DesiredAccess: number;
}

/** The parameters of an IRP_MJ_READ or IRP_MJ_WRITE stack location. */
/** IRP_MJ_QUERY_INFORMATION and IRP_MJ_SET_INFORMATION: the SystemBuffer's length and the FILE_INFORMATION_CLASS. */
export interface FileInformationParameters {
  Length: number;
  FileInformationClass: number;
}

export interface ReadWriteParameters {
  Length: number;
  Key: number;
  /** LARGE_INTEGER ByteOffset. */
  ByteOffset: bigint;
}

/** PIO_COMPLETION_ROUTINE: runs as IoCompleteRequest walks back up the stack; STATUS_MORE_PROCESSING_REQUIRED keeps the IRP. */
export type IoCompletionRoutine = (DeviceObject: DeviceObject | null, Irp: Irp, Context: unknown) => number;

/** The IRP's Tail.Overlay: four pointers for the driver holding it, and the thread the request is for. */
export interface IrpTail {
  Overlay: { DriverContext: unknown[]; Thread: KThread | null };
}

/** IO_STACK_LOCATION. */
export interface IoStackLocation {
  MajorFunction: number;
  MinorFunction: number;
  Flags: number;
  Control: number;
  Parameters: {
    DeviceIoControl: DeviceIoControlParameters;
    Create: CreateParameters;
    Read: ReadWriteParameters;
    Write: ReadWriteParameters;
    /** IRP_MJ_QUERY_INFORMATION: the SystemBuffer's length and the FILE_INFORMATION_CLASS. */
    QueryFile: FileInformationParameters;
    /** IRP_MJ_SET_INFORMATION: the same, for the information to set. */
    SetFile: FileInformationParameters;
  };
  /** Null in a location no driver has been called through yet. */
  DeviceObject: DeviceObject;
  FileObject: FileObject | null;
  /** Set by the driver above with IoSetCompletionRoutine (on this, its next location). */
  CompletionRoutine: IoCompletionRoutine | null;
  Context: unknown;
}

/** sizeof(IRP) and sizeof(IO_STACK_LOCATION). */
export const irpSize = (arch: 'x64' | 'x86', stackCount: number): number =>
  arch === 'x64' ? 0xd0 + 0x48 * stackCount : 0x70 + 0x24 * stackCount;

const IO_TYPE_IRP = 6;

/** One IO_STACK_LOCATION's memory: the location and its Parameters union, sealed like the C structure. */
class StackLocationMemory {
  readonly location: IoStackLocation;
  readonly parameters: IoStackLocation['Parameters'];
  readonly deviceIoControl: DeviceIoControlParameters;
  readonly create: CreateParameters;
  readonly readWrite: ReadWriteParameters;
  readonly information: FileInformationParameters;

  constructor() {
    // Parameters is a union in C: Read and Write are the same bytes.
    this.readWrite = Object.seal({ Length: 0, Key: 0, ByteOffset: 0n });
    this.deviceIoControl = Object.seal({ OutputBufferLength: 0, InputBufferLength: 0, IoControlCode: 0, Type3InputBuffer: 0 });
    this.create = Object.seal({ Options: 0, ShareAccess: 0, DesiredAccess: 0 });
    // QueryFile and SetFile are the same bytes too.
    this.information = Object.seal({ Length: 0, FileInformationClass: 0 });
    this.parameters = Object.seal({
      DeviceIoControl: this.deviceIoControl, Create: this.create, Read: this.readWrite, Write: this.readWrite,
      QueryFile: this.information, SetFile: this.information,
    });
    this.location = Object.seal({
      MajorFunction: 0, MinorFunction: 0, Flags: 0, Control: 0, Parameters: this.parameters,
      DeviceObject: null as unknown as DeviceObject, FileObject: null as FileObject | null,
      CompletionRoutine: null as IoCompletionRoutine | null, Context: null as unknown,
    });
  }

  /** Every field set again (IoAllocateIrp zeroes the locations), each part put back where a driver may have stored another. */
  reset(device: DeviceObject | null, file: FileObject | null, major: number): void {
    const location = this.location;
    location.MajorFunction = major;
    location.MinorFunction = 0;
    location.Flags = 0;
    location.Control = 0;
    location.Parameters = this.parameters;
    location.DeviceObject = device as DeviceObject;
    location.FileObject = file;
    location.CompletionRoutine = null;
    location.Context = null;
    const parameters = this.parameters;
    parameters.DeviceIoControl = this.deviceIoControl;
    parameters.Create = this.create;
    parameters.Read = this.readWrite;
    parameters.Write = this.readWrite;
    parameters.QueryFile = this.information;
    parameters.SetFile = this.information;
    this.information.Length = 0;
    this.information.FileInformationClass = 0;
    const d = this.deviceIoControl;
    d.OutputBufferLength = 0;
    d.InputBufferLength = 0;
    d.IoControlCode = 0;
    d.Type3InputBuffer = 0;
    const c = this.create;
    c.Options = 0;
    c.ShareAccess = 0;
    c.DesiredAccess = 0;
    const rw = this.readWrite;
    rw.Length = 0;
    rw.Key = 0;
    rw.ByteOffset = 0n;
  }
}

/**
 * The memory of an IRP: its pool block and the parts a request fills, its
 * `stackCount` stack locations among them. One-location IRPs are kept on the
 * lookaside list between requests (the I/O manager's, out of the driver's reach).
 */
export class IrpMemory {
  readonly associatedIrp: { SystemBuffer: number };
  /** Tail.Overlay: DriverContext[4], four pointers the driver holding the IRP may use (a cancel-safe queue uses [3]), and the requesting Thread. */
  readonly tail: IrpTail;
  readonly ioStatus: IoStatusBlock;
  readonly stack: IoStackLocation[];
  private readonly locations: StackLocationMemory[];

  constructor(readonly block: PoolAllocation, readonly stackCount = 1) {
    this.locations = Array.from({ length: stackCount }, () => new StackLocationMemory());
    this.stack = Object.seal(this.locations.map((l) => l.location));
    this.associatedIrp = Object.seal({ SystemBuffer: 0 });
    this.ioStatus = Object.seal({ Status: 0, Information: 0 });
    this.tail = Object.seal({ Overlay: Object.seal({ DriverContext: Object.seal([null, null, null, null] as unknown[]), Thread: null as KThread | null }) });
  }

  /**
   * IoInitializeIrp's part for the reused memory: every field of the parts
   * set again, and the top stack location (the one the caller fills, which
   * the first IoCallDriver makes current) addressed to `device` for `major`.
   * Throws a TypeError if a driver made a field read-only (with an IRP it
   * kept after it was freed): then these parts cannot be reused.
   */
  initialize(device: DeviceObject, file: FileObject | null, major: number): void {
    this.associatedIrp.SystemBuffer = 0;
    this.ioStatus.Status = 0;
    this.ioStatus.Information = 0;
    const driverContext = this.tail.Overlay.DriverContext;
    if (driverContext[0] !== null || driverContext[1] !== null || driverContext[2] !== null || driverContext[3] !== null) driverContext.fill(null);
    this.tail.Overlay.Thread = null;
    const top = this.stackCount - 1;
    for (let i = 0; i <= top; i++) {
      const l = this.locations[i]!;
      this.stack[i] = l.location;
      if (i === top) l.reset(device, file, major);
      else l.reset(null, null, 0);
    }
  }

  /** Drops what a freed IRP still points to (devices, files, routines), so that the lookaside list keeps nothing alive. False if a driver made them read-only. */
  release(): boolean {
    try {
      for (const l of this.locations) {
        l.location.DeviceObject = null as unknown as DeviceObject;
        l.location.FileObject = null;
        l.location.CompletionRoutine = null;
        l.location.Context = null;
      }
      return true;
    } catch {
      return false;
    }
  }
}

/** IRP: the fields a dispatch routine reads (AssociatedIrp.SystemBuffer, UserBuffer, MdlAddress, IoStatus) and its stack locations. */
export class Irp {
  readonly Type = IO_TYPE_IRP;
  MdlAddress: Mdl | null = null;
  Flags = 0;
  readonly AssociatedIrp: { SystemBuffer: number };
  readonly IoStatus: IoStatusBlock;
  RequestorMode: number;
  PendingReturned = false;
  /** Set by IoCancelIrp: the request is being cancelled. */
  Cancel = false;
  /** IoSetCancelRoutine's routine, taken (and cleared) by IoCancelIrp. */
  CancelRoutine: DriverCancel | null = null;
  /** The IRQL the cancel routine returns to (IoReleaseCancelSpinLock(Irp->CancelIrql)). */
  CancelIrql = 0;
  UserBuffer = 0;
  /** Tail.Overlay: DriverContext[4], and Thread: the thread that asked (a request the I/O manager made for it), or null. */
  readonly Tail: IrpTail;
  /** Once the dispatch routine has returned STATUS_PENDING with the IRP not completed: what finishing it owes the caller (pending.ts). */
  pending: IopPendingRequest | null = null;
  readonly StackCount: number;
  // IoAllocateIrp leaves CurrentLocation one past the stack: the caller fills the next
  // location and IoCallDriver makes it current.
  CurrentLocation: number;
  /**
   * An IRP a driver built (IoBuildDeviceIoControlRequest): the caller's IO_STATUS_BLOCK and
   * KEVENT, filled when the request is finished, and how many IoCallDriver calls are under way
   * on it (the request is finished when the outermost returns, build-irp.ts).
   */
  UserIosb: IoStatusBlock | null = null;
  UserEvent: unknown = null;
  threadedByDriver = false;
  callDepth = 0;
  /** The SystemBuffer's bytes past the input as the driver got them (leak-check.ts), or null. */
  unwritten: UnwrittenSnapshot | null = null;
  readonly stack: IoStackLocation[];
  completed = false;
  /** Between allocation and free. */
  inUse = true;
  /**
   * IoStatus as the I/O manager read it when the dispatch routine returned
   * (an NTSTATUS and a ULONG_PTR, whatever the driver stored there): what
   * completion copies to the caller, out of the driver's reach.
   */
  finalStatus = 0;
  finalInformation = 0;
  /** The IRP's memory, out of the driver's reach. */
  readonly #memory: IrpMemory;

  /** A request's IRP in `memory`, which IrpMemory.initialize has readied. */
  constructor(memory: IrpMemory, requestorMode: number) {
    this.#memory = memory;
    this.AssociatedIrp = memory.associatedIrp;
    this.IoStatus = memory.ioStatus;
    this.Tail = memory.tail;
    this.stack = memory.stack;
    this.StackCount = memory.stackCount;
    this.CurrentLocation = memory.stackCount + 1;
    this.RequestorMode = requestorMode;
  }

  /** Kernel address of the IRP in nonpaged pool. */
  get address(): number {
    return this.#memory.block.address;
  }

  /** The IRP's memory (its pool block and parts), which goes back on the lookaside list when the IRP is freed. */
  get memory(): IrpMemory {
    return this.#memory;
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
