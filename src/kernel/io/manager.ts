/**
 * The I/O manager: IRPs, their dispatch and completion, loaded drivers and
 * the I/O timer. Opening and control requests live in file.ts and ioctl.ts.
 */
import { IoWorkItemQueue } from './work-item.js';
import { DriverImageStore } from './image-store.js';
import { EmulatorError, MachineHalted, NtException } from '../../include/errors.js';
import { STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES, STATUS_PENDING, ntStatusName, ntStatusText } from '../../include/ntstatus.js';
import {
  IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_MJ_MAXIMUM_FUNCTION, irpMajorFunctionName,
} from '../../include/wdm-constants.js';
import { MULTIPLE_IRP_COMPLETE_REQUESTS, NO_MORE_IRP_STACK_LOCATIONS, SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED } from '../../include/bugcodes.js';
import { isThrownInstance } from '../../include/thrown.js';
import type { Mdl } from '../mm/mdl-object.js';
import type { IoContext } from './context.js';
import { NonPagedPool } from '../mm/pool.js';
import { KernelMode } from '../../include/wdm-constants.js';
import {
  describeValue, frameFor, IopDriverRoutineFaulted, IopEnterDriverRoutine, IopIrqlChanged, IopReturnedPromise, IopReturnedStatus, isThenable,
} from './driver-load.js';
import { InvalidDriverValue, IopExceptionContext } from './exception-boundary.js';
import { asUlong, asUlongPtr } from '../../include/c-types.js';
import { Irp, IrpMemory, irpSize, type CreateParameters, type IoStackLocation, type IoStatusBlock } from './irp.js';
import { IopWalkCompletionRoutines } from './irp-stack.js';
import { IopFinishDriverIrp } from './build-irp.js';
import { IoGetAttachedDevice } from './attach.js';
import type { DeviceObject, DriverDispatch, DriverObject, FileObject } from './objects.js';
import { IopCloseFile, IopDeleteFile } from './file.js';
import { IoFileObjectType } from './objects.js';
import { IoTimerQueue } from './timer.js';
import { IopNewIoStats, type IoStats } from './io-stats.js';
import type { NeitherWatch } from './neither-check.js';
import { IopCheckUnwrittenBytes, IopForgetSystemBuffer } from './leak-check.js';
import { IopQueueRequestCompletion } from './pending.js';
import { IoCancelThreadIo } from './thread-io.js';
import { IopTraceDispatch } from './trace-io.js';
import type { UserRequest } from './user-request.js';
import type { KThread } from '../ke/thread.js';

const IRP_TAG = 0x20707249; // 'Irp '
const CANCEL_TAG = 0x636e6143; // 'Canc'
const IRP_LOOKASIDE_DEPTH = 8;
/** "IRP_MJ_CREATE", ...: the slot each major function is called through, named once. */
const IRP_MJ_SLOT_NAMES: readonly string[] = Array.from({ length: IRP_MJ_MAXIMUM_FUNCTION + 1 }, (_, major) => irpMajorFunctionName(major));

/** A check of what a dispatch routine left as it returned: its location, the IRP's CurrentLocation and the IRQL it was called at, its status, its address. */
export type IopDispatchReturnCheck = (k: IoContext, device: DeviceObject, irp: Irp, location: IoStackLocation, calledAtLocation: number,
  calledAt: number, status: number, routineAddress: number) => void;

/** The I/O manager (Io): loaded drivers, IRPs (with a lookaside list), IoCallDriver and completion, and the I/O timer. */
export class IoManager {
  /** Loaded drivers by service name. */
  readonly drivers = new Map<string, DriverObject>();
  /** Drivers that were unloaded, so that a timer or DPC they left behind is recognised (0xCE). */
  readonly unloadedDrivers = new Map<string, DriverObject>();
  readonly timers: IoTimerQueue;
  /** IO_WORKITEMs queued to the System worker (work-item.ts). */
  readonly workItems: IoWorkItemQueue;
  /** Driver files on disk (io/image-store.ts). */
  readonly images = new DriverImageStore();
  /**
   * The IRP lookaside list (IopAllocateIrp's per-processor lists, one here):
   * the memory of freed one-location IRPs (pool block and parts, irp.ts),
   * kept for the next IRP instead of going back to pool. Filled to its depth at boot, so a run
   * leaves pool as it found it. A block taken back must still be the IRP's:
   * a driver that freed the IRP's memory is caught there (0xC2 / 7) instead
   * of the freed block going on being handed out.
   */
  private readonly irpLookaside: IrpMemory[] = [];
  /** sizeof(IRP) with one stack location: the IRPs the lookaside list holds. */
  private readonly lookasideIrpSize: number;
  /** Told of every driver that has unloaded (perhaps later than asked): the service control manager. */
  readonly unloadNotifyRoutines: ((serviceName: string) => void)[] = [];
  /** What buffered, direct and neither transfers moved (io-stats.ts). */
  readonly stats: IoStats = IopNewIoStats();
  /** The METHOD_NEITHER request from user mode under way, if it passed system-space addresses (neither-check.ts). */
  neitherWatch: NeitherWatch | null = null;
  /** The driver that set each location's completion routine (IoSetCompletionRoutine), for its frame. */
  readonly completionOwners = new WeakMap<IoStackLocation, DriverObject>();
  /** The user-mode IOCTL being dispatched, and on which thread (user-request.ts); `thread` null when none. */
  readonly userRequest: UserRequest = { thread: null, code: 0, inputVa: 0, inputLength: 0, outputLength: 0, file: null, driver: '' };
  /** IopCancelSpinLock: the KSPIN_LOCK of IoAcquireCancelSpinLock, in nonpaged pool (cancel.ts). */
  readonly cancelSpinLock: number;
  /** ETHREAD.IrpList: each thread's requests in progress that went pending (pending.ts). */
  private readonly irpLists = new Map<KThread, Set<Irp>>();
  /**
   * Driver Verifier's I/O verification of a dispatch routine's return (verifier/io-verification.ts),
   * set by the kernel at boot when the option is on; null otherwise (one test per dispatch).
   */
  dispatchReturnCheck: IopDispatchReturnCheck | null = null;

  constructor(private readonly k: IoContext) {
    k.ob.registerType<FileObject>(IoFileObjectType, {
      close: (file, handleCountBefore) => IopCloseFile(k, file, handleCountBefore),
      delete: (file) => IopDeleteFile(k, file),
    });
    this.timers = new IoTimerQueue(k);
    // A thread's exit cancels its requests and waits for them (thread-io.ts).
    k.ps.threadRundownRoutines.push((exiting, threads) => IoCancelThreadIo(k, exiting, threads));
    this.workItems = new IoWorkItemQueue(k);
    this.lookasideIrpSize = irpSize(k.arch, 1);
    this.cancelSpinLock = k.pool.allocate(NonPagedPool, k.layout.pointerSize, CANCEL_TAG);
    if (this.cancelSpinLock !== 0) k.kernelMemory.setPointer(this.cancelSpinLock, 0); // KeInitializeSpinLock
    for (let i = 0; i < IRP_LOOKASIDE_DEPTH; i++) {
      const block = k.pool.allocations.get(k.pool.allocate(NonPagedPool, this.lookasideIrpSize, IRP_TAG));
      if (block) this.irpLookaside.push(new IrpMemory(block));
    }
  }

  /**
   * An IRP with device.StackSize stack locations, its top one addressed to `device` (IoAllocateIrp
   * and IoInitializeIrp); null when pool is exhausted. A request from user mode goes to the top of
   * the device's stack: callers pass IoGetAttachedDevice's answer.
   */
  allocateIrp(requestorMode: number, device: DeviceObject, file: FileObject | null, major: number): Irp | null {
    const stackCount = Math.max(1, device.StackSize);
    let memory = stackCount === 1 ? this.irpLookaside.pop() : undefined;
    if (memory === undefined) {
      const block = this.k.pool.allocations.get(this.k.pool.allocate(NonPagedPool, irpSize(this.k.arch, stackCount), IRP_TAG));
      if (!block) return null;
      memory = new IrpMemory(block, stackCount);
    }
    try {
      memory.initialize(device, file, major);
    } catch {
      // A driver made a field of this IRP's parts read-only after it was freed: the block is reused, the parts are not.
      memory = new IrpMemory(memory.block, stackCount);
      memory.initialize(device, file, major);
    }
    const irp = new Irp(memory, requestorMode);
    irp.Tail.Overlay.Thread = this.k.currentThread;
    return irp;
  }

  /** A thread's requests in progress that went pending (ETHREAD.IrpList). */
  threadIrps(thread: KThread): Set<Irp> {
    let list = this.irpLists.get(thread);
    if (!list) this.irpLists.set(thread, (list = new Set()));
    return list;
  }

  /** The requests in progress on a file object, not yet completed. */
  pendingOn(file: FileObject): Irp[] {
    const found: Irp[] = [];
    for (const list of this.irpLists.values()) for (const irp of list) if (irp.pending?.file === file && !irp.completed) found.push(irp);
    return found;
  }

  /** Every request in progress that went pending, thread by thread (kd's view: nothing is made or changed). */
  *irpsInProgress(): IterableIterator<Irp> {
    for (const list of this.irpLists.values()) yield* list;
  }

  /** The thread has ended: its list goes (it is empty, or its IRPs were disassociated). */
  forgetThread(thread: KThread): void {
    this.irpLists.delete(thread);
  }

  /**
   * IoCallDriver: the stack location becomes current and the driver's
   * dispatch routine runs. Its NTSTATUS, and the IoStatus of an IRP it
   * completed, are read as the routine returns, still in its frame. This is
   * callDriverRoutine (io/driver-load.ts) written out for the one routine
   * called on every request, so that a call makes no closure.
   */
  IoCallDriver(device: DeviceObject, irp: Irp): number {
    const k = this.k;
    irp.CurrentLocation--;
    if (irp.CurrentLocation <= 0) {
      // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x35--no-more-irp-stack-locations
      k.bugCheck(NO_MORE_IRP_STACK_LOCATIONS, irp.address, 0, 0, 0,
        `IoCallDriver passed IRP ${k.formatAddress(irp.address)} (StackCount ${irp.StackCount}) to ${device.DriverObject.serviceName} with no stack location left: ` +
        'a driver above used IoCopyCurrentIrpStackLocationToNext or IoGetNextIrpStackLocation more often than the stack has devices, or the IRP was allocated with too small a StackSize.');
    }
    const location = irp.currentStackLocation;
    location.DeviceObject = device;
    const major = location.MajorFunction;
    const driver = device.DriverObject;
    const routine = IopDispatchRoutine(driver, major);
    const context = IopExceptionContext(k);
    const frame = IopEnterDriverRoutine(k, driver, routine, IRP_MJ_SLOT_NAMES[major] ?? irpMajorFunctionName(major));
    const calledAt = k.irql;
    const calledAtLocation = irp.CurrentLocation;
    const traceStart = k.trace === null ? -1 : k.clock.nowNs;
    irp.callDepth++;
    try {
      if (typeof routine !== 'function') {
        throw new InvalidDriverValue(`was called through DriverObject->MajorFunction[${irpMajorFunctionName(major)}], which holds ${describeValue(routine)}, not a routine`);
      }
      const value: unknown = (routine as DriverDispatch)(device, irp);
      if (isThenable(value)) return IopReturnedPromise(k, frame, context, value);
      const status = IopReturnedStatus(value);
      if (irp.completed) IopCaptureIoStatus(k, irp);
      if (this.dispatchReturnCheck !== null) this.dispatchReturnCheck(k, device, irp, location, calledAtLocation, calledAt, status, frame.address);
      if (k.irql !== calledAt) IopIrqlChanged(k, frame, context, calledAt);
      if (traceStart >= 0) IopTraceDispatch(k, frame, location, irp, traceStart, status);
      return status;
    } catch (e) {
      return IopDriverRoutineFaulted(k, frame, context, e);
    } finally {
      k.attribution.pop(frame);
      // A driver-built IRP is finished for its builder when the outermost call on it returns.
      if (--irp.callDepth === 0 && irp.threadedByDriver && irp.completed && irp.inUse && !k.bugcheck) IopFinishDriverIrp(k, irp);
    }
  }

  /**
   * IoCompleteRequest. Completing an IRP twice is bug check 0x44.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocompleterequest
   */
  IoCompleteRequest(irp: Irp, _priorityBoost: number): void {
    if (irp.completed || !irp.inUse || irp.CurrentLocation > irp.StackCount + 1) {
      const location = irp.stack[irp.CurrentLocation - 1];
      this.k.bugCheck(MULTIPLE_IRP_COMPLETE_REQUESTS, irp.address, 0, 0, 0,
        `IoCompleteRequest was called on ${location ? `${irpMajorFunctionName(location.MajorFunction)} ` : ''}IRP ${this.k.formatAddress(irp.address)}, which was already completed.`);
    }
    // Back up the stack, through each completion routine; one that keeps the IRP ends the walk here.
    if (irp.StackCount > 1 || irp.stack[0]!.CompletionRoutine !== null || irp.threadedByDriver) {
      if (!IopWalkCompletionRoutines(this.k, irp)) return;
    } else {
      irp.CurrentLocation = 2;
    }
    // IofCompleteRequest unlocks the pages of every MDL on Irp->MdlAddress here, in the completing
    // driver's context: a pointer there that is no MDL faults in the driver's frame, where an
    // exception is the driver's bug check (0x3B, 0x1E) and a wild system address is 0x50.
    // https://github.com/reactos/reactos/blob/master/ntoskrnl/io/iomgr/irp.c (IofCompleteRequest, "Unlock MDL Pages")
    let mdl: unknown = irp.MdlAddress;
    // A chain longer than there are MDLs has a loop: no MDL is read twice.
    for (let n = this.k.mdl.live.size; mdl && n > 0; n--) mdl = this.k.mdl.resolve(mdl as Mdl).Next;
    irp.completed = true;
    // A request that went pending is finished in its thread, by a kernel APC (pending.ts).
    if (irp.pending !== null) {
      IopCaptureIoStatus(this.k, irp);
      IopQueueRequestCompletion(this.k, irp);
      return;
    }
    // Completed again after a completion routine kept it, outside any IoCallDriver: finished now.
    if (irp.threadedByDriver && irp.callDepth === 0) {
      IopCaptureIoStatus(this.k, irp);
      IopFinishDriverIrp(this.k, irp);
    }
  }

  /** The final stage of completion, in the requesting thread: copy back, free buffers, MDLs and the IRP. */
  IopCompleteRequest(irp: Irp): void {
    const status = irp.finalStatus;
    const systemBuffer = irp.AssociatedIrp.SystemBuffer;
    if ((irp.Flags & IRP_BUFFERED_IO) && (irp.Flags & IRP_INPUT_OPERATION) && status < 0xc000_0000 && irp.finalInformation > 0) {
      if (irp.unwritten) IopCheckUnwrittenBytes(this.k, irp, irp.finalInformation);
      const location = irp.stack[irp.StackCount - 1]!;
      const by = location.DeviceObject.DriverObject;
      const { driver, routine } = frameFor(by, by.MajorFunction[location.MajorFunction], irpMajorFunctionName(location.MajorFunction));
      this.k.uninitialized.copyPath = { path: 'the I/O manager copying IoStatus.Information bytes of the SystemBuffer back', driver, routine };
      try {
        // The driver's Information is trusted: that many bytes go back to the caller.
        this.k.kernelMemory.copy(irp.UserBuffer, systemBuffer, irp.finalInformation);
        this.stats.buffered.bytesCopiedOut += irp.finalInformation;
      } catch (e) {
        if (!(e instanceof NtException)) {
          if (!this.k.bugcheck) this.freeIrp(irp);
          throw e;
        }
      } finally {
        this.k.uninitialized.copyPath = undefined;
      }
    }
    this.freeIrp(irp);
  }

  /** Frees what an IRP owns and the IRP itself. */
  freeIrp(irp: Irp): void {
    IopForgetSystemBuffer(this.k, irp);
    if ((irp.Flags & IRP_DEALLOCATE_BUFFER) && irp.AssociatedIrp.SystemBuffer) {
      this.k.pool.free(irp.AssociatedIrp.SystemBuffer);
      irp.AssociatedIrp.SystemBuffer = 0;
    }
    try {
      for (let mdl = irp.MdlAddress; mdl; ) {
        const next = mdl.Next;
        this.k.mdl.MmUnlockPages(mdl);
        this.k.mdl.IoFreeMdl(mdl);
        mdl = next;
      }
    } catch (e) {
      if (isThrownInstance(e, MachineHalted) || isThrownInstance(e, EmulatorError)) throw e;
      // Reading through a pointer that is no MDL: the access violation it stands for.
      this.IopBadMdlAddress(irp, isThrownInstance(e, NtException) ? e.status : STATUS_ACCESS_VIOLATION);
    }
    irp.MdlAddress = null;
    irp.inUse = false;
    const memory = irp.memory;
    const block = memory.block;
    this.k.pool.ExpCheckStillAllocated(block);
    if (block.numberOfBytes !== this.lookasideIrpSize || this.irpLookaside.length >= IRP_LOOKASIDE_DEPTH) {
      this.k.pool.free(block.address);
      return;
    }
    // A driver that made the parts read-only leaves the block to go back on the list with new ones.
    this.irpLookaside.push(memory.release() ? memory : new IrpMemory(block));
  }

  /** A create, cleanup or close request, sent and completed synchronously; `create` gives IRP_MJ_CREATE's parameters. */
  sendSimpleIrp(device: DeviceObject, file: FileObject, major: number, create?: CreateParameters): IoStatusBlock {
    device = IoGetAttachedDevice(device);
    const irp = this.allocateIrp(this.k.currentThread.system ? KernelMode : 1, device, file, major);
    if (!irp) return { Status: STATUS_INSUFFICIENT_RESOURCES, Information: 0 };
    if (create) {
      const parameters = irp.nextStackLocation.Parameters.Create;
      parameters.DesiredAccess = create.DesiredAccess;
      parameters.ShareAccess = create.ShareAccess;
      parameters.Options = create.Options;
    }
    const status = this.IoCallDriver(device, irp);
    if (!irp.completed) {
      if (status !== STATUS_PENDING) this.reportIncomplete(irp, status);
      return { Status: status, Information: 0 };
    }
    const io = { Status: irp.finalStatus, Information: irp.finalInformation };
    this.IopCompleteRequest(irp);
    return io;
  }

  /**
   * Irp->MdlAddress named no MDL when the I/O manager freed the IRP's MDLs
   * (the driver stored it after completing the IRP): an exception in kernel
   * mode that nothing handles, in the thread that finishes the request. The
   * bug check names the driver the IRP was sent to; P2 is its dispatch
   * routine, which left the pointer there (docs/fidelity.md).
   */
  private IopBadMdlAddress(irp: Irp, status: number): never {
    // The top location: the one the I/O manager filled, which the first driver received.
    const location = irp.stack[irp.StackCount - 1]!;
    const driver = location.DeviceObject.DriverObject;
    const major = irpMajorFunctionName(location.MajorFunction);
    const frame = frameFor(driver, driver.MajorFunction[location.MajorFunction]!, major);
    const where = `the I/O manager freed the MDLs of ${major} IRP ${this.k.formatAddress(irp.address)} and found in Irp->MdlAddress a pointer that is no MDL, stored by ${frame.driver}!${frame.routine} after it completed the IRP`;
    if (this.k.currentThread.system) {
      this.k.bugCheck(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, status, frame.address, 0, 0, `${ntStatusText(status)}: ${where}, in a system thread.`);
    }
    return this.k.bugCheck(SYSTEM_SERVICE_EXCEPTION, status, frame.address, 0, 0, `${ntStatusText(status)}: ${where}, while finishing a system service.`);
  }

  /** A dispatch routine returned a final status without completing the IRP: it leaks, as on Windows. */
  reportIncomplete(irp: Irp, status: number): void {
    const device = irp.currentStackLocation.DeviceObject;
    const driver = device.DriverObject;
    const major = irpMajorFunctionName(irp.currentStackLocation.MajorFunction);
    const frame = frameFor(driver, IopDispatchRoutine(driver, irp.currentStackLocation.MajorFunction), major);
    this.k.report({
      kind: 'irp-not-completed',
      driver: frame.driver,
      routine: frame.routine,
      message: `${frame.driver}!${frame.routine} returned ${ntStatusText(status)} without completing ${major} IRP ${this.k.formatAddress(irp.address)}; the IRP and its buffers are never freed`,
      details: { irp: this.k.formatAddress(irp.address), majorFunction: major, status, statusName: ntStatusName(status) },
    });
  }

  removeIoTimer(device: DeviceObject): void {
    this.timers.remove(device);
  }
}

/**
 * DriverObject->MajorFunction[major] as the I/O manager reads it. In C the
 * table is an array inside the object; a driver in JS may replace it with
 * anything, or make reading it throw: then the slot holds no routine, and
 * the call through it faults in the driver's frame (IoCallDriver).
 */
function IopDispatchRoutine(driver: DriverObject, major: number): unknown {
  try {
    const table: unknown = driver.MajorFunction;
    return Array.isArray(table) ? table[major] : null;
  } catch {
    return null;
  }
}

/**
 * Reads the IoStatus block of an IRP the driver completed, as completion will
 * copy it: Status an NTSTATUS, Information a ULONG_PTR, each what a register
 * holds of what the driver stored (c-types.ts). A block that is no block
 * (`irp.IoStatus = null`) or a value no register holds is the driver's fault.
 */
function IopCaptureIoStatus(k: IoContext, irp: Irp): void {
  const block: unknown = irp.IoStatus;
  if (typeof block !== 'object' || block === null) {
    throw new InvalidDriverValue(`completed IRP ${k.formatAddress(irp.address)} with Irp->IoStatus set to ${describeValue(block)}`);
  }
  const io = block as { Status: unknown; Information: unknown };
  try {
    irp.finalStatus = asUlong(io.Status);
    irp.finalInformation = asUlongPtr(k.layout.pointerSize, io.Information);
  } catch (e) {
    throw new InvalidDriverValue(`completed IRP ${k.formatAddress(irp.address)} with an IoStatus block whose Status or Information no register can hold`, { cause: e });
  }
}
