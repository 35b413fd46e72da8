/**
 * InvertedCall.sys: the driver half of the inverted call (OSR, "The Inverted
 * Call Model"). A driver cannot call up into a program; so the program calls
 * down first, with requests that say "tell me when something happens", and
 * the driver holds them pending until it does. Each completion is the
 * driver's "call"; the program answers it by sending another request.
 *
 * Here "something happens" every 250 ms: a periodic KTIMER, started when the
 * program opens the device, queues the driver's DPC, which takes the oldest
 * waiting request, writes an event record into it (a sequence number and
 * KeQuerySystemTime) and completes it. The requests wait in a cancel-safe
 * queue (queue.ts), so that a program that cancels them, or exits, gets each
 * back exactly once. IRP_MJ_CLEANUP, when the program closes its handle,
 * stops the timer and completes whatever that file still has waiting, with
 * STATUS_CANCELLED: the standard pattern.
 *
 * The variants change one piece each (variants/): the queue, or the transfer
 * method and with it where the DPC writes.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/using-a-cancel-safe-irp-queue
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesettimerex
 */
import {
  defineDriver, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS,
  type DeviceObject, type DriverObject, type Irp, type Kdpc, type Nt,
} from 'ntshm/wdm';
import { DEVICE_NAME, EVENT_PERIOD_MS, EVENT_RECORD, IOCTL_WAIT_FOR_EVENT, SERVICE_NAME, SYMBOLIC_LINK_NAME } from './ioctl.js';
import { csqQueue, type RequestQueue } from './queue.js';

/** How a request carries the event back: its control code, the dispatch routine's check of its buffer, and the DPC's write. */
export interface EventDelivery {
  readonly ioctl: number;
  /** In the program's thread, before the request is queued: STATUS_SUCCESS to hold it, else the status to fail it with. */
  check(nt: Nt, irp: Irp): number;
  /** In the DPC, at DISPATCH_LEVEL: writes the record into the request and sets its IoStatus (the DPC then completes it). */
  deliver(nt: Nt, irp: Irp, sequence: number, timestamp: bigint): void;
}

/**
 * METHOD_BUFFERED: the I/O manager gave the IRP a SystemBuffer of nonpaged pool, a system address that
 * means the same in every process. That matters here: the DPC runs in whatever thread the CPU happened to be
 * running, not the program's, so a system buffer is the only kind it may touch. The I/O manager copies the
 * Information bytes out to the program's buffer later, in the program's own thread.
 */
export const bufferedDelivery: EventDelivery = {
  ioctl: IOCTL_WAIT_FOR_EVENT,
  check(_nt, irp) {
    const { OutputBufferLength } = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
    return OutputBufferLength < EVENT_RECORD.size ? STATUS_BUFFER_TOO_SMALL : STATUS_SUCCESS;
  },
  deliver(nt, irp, sequence, timestamp) {
    const record = irp.AssociatedIrp.SystemBuffer;
    nt.setUint32(record + EVENT_RECORD.Sequence, sequence);
    nt.setUint32(record + EVENT_RECORD.Reserved, 0);
    nt.setBigUint64(record + EVENT_RECORD.Timestamp, timestamp);
    irp.IoStatus.Status = STATUS_SUCCESS;
    irp.IoStatus.Information = EVENT_RECORD.size;
  },
};

/** What a variant swaps in. */
export interface InvertedCallDriverOptions {
  /** Where the held requests wait (default: the cancel-safe queue). */
  queue?: (nt: Nt) => RequestQueue | null;
  /** How the event travels (default: METHOD_BUFFERED). */
  delivery?: EventDelivery;
}

export function invertedCallDriver({ queue: makeQueue = csqQueue, delivery = bufferedDelivery }: InvertedCallDriverOptions = {}) {
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, DriverObject: DriverObject, _RegistryPath: string): number {
      const made = makeQueue(nt);
      // Its spin lock is pool: out of memory (or failed by the verifier's low resources simulation), the driver does not load.
      if (made === null) return STATUS_INSUFFICIENT_RESOURCES;
      const queue = made;
      // The event source: a periodic timer and its DPC (both would be in the device extension in C).
      const { timer } = nt.KeInitializeTimer();
      let dpc: Kdpc | null = null;
      let sequence = 0;

      /**
       * The timer's DPC: DISPATCH_LEVEL, in an arbitrary thread. It may not wait, may not touch pageable memory,
       * and may not touch a user address: the process whose addresses are mapped right now is whichever the CPU
       * was running (often none of the program's: the idle thread's).
       */
      function EventTimerDpc(_Dpc: Kdpc, _DeferredContext: unknown, _SystemArgument1: unknown, _SystemArgument2: unknown): void {
        sequence += 1;
        const { currentTime } = nt.KeQuerySystemTime();
        const irp = queue.removeNext();
        if (irp === null) {
          nt.DbgPrint('InvertedCall: event %u lost: no request waiting\n', sequence);
          return;
        }
        delivery.deliver(nt, irp, sequence, currentTime);
        nt.DbgPrint('InvertedCall: event %u completes a request (%u still waiting)\n', sequence, queue.waiting());
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      }

      function DispatchCreate(_DeviceObject: DeviceObject, Irp: Irp): number {
        // The device is exclusive: one program at a time. Events are produced while it has the device open.
        sequence = 0;
        nt.KeSetTimerEx(timer, BigInt(-EVENT_PERIOD_MS) * 10_000n, EVENT_PERIOD_MS, dpc);
        return complete(Irp, STATUS_SUCCESS);
      }

      /** The program's last handle is closed: no one listens any more. Its requests still waiting end here. */
      function DispatchCleanup(_DeviceObject: DeviceObject, Irp: Irp): number {
        nt.KeCancelTimer(timer);
        const file = IoGetCurrentIrpStackLocation(Irp).FileObject;
        const cancelled = file ? queue.cancelFileRequests(file) : 0;
        nt.DbgPrint('InvertedCall: the device is closed: events stopped, %u waiting requests cancelled, %u still waiting\n', cancelled, queue.waiting());
        return complete(Irp, STATUS_SUCCESS);
      }

      function DispatchClose(_DeviceObject: DeviceObject, Irp: Irp): number {
        return complete(Irp, STATUS_SUCCESS);
      }

      /** IOCTL_WAIT_FOR_EVENT: checked here, in the program's thread, then held until an event comes. */
      function DispatchDeviceControl(_DeviceObject: DeviceObject, Irp: Irp): number {
        const stack = IoGetCurrentIrpStackLocation(Irp);
        if (stack.Parameters.DeviceIoControl.IoControlCode !== delivery.ioctl) return complete(Irp, STATUS_INVALID_DEVICE_REQUEST);
        const status = delivery.check(nt, Irp);
        if (status !== STATUS_SUCCESS) return complete(Irp, status);
        // From here the IRP is the queue's: it may be completed (by the DPC or by cancellation) before this returns,
        // so the routine returns STATUS_PENDING and does not look at it again.
        return queue.insert(Irp);
      }

      function complete(Irp: Irp, status: number): number {
        Irp.IoStatus.Status = status;
        Irp.IoStatus.Information = 0;
        nt.IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;
      }

      function DriverUnload(DriverObject: DriverObject): void {
        nt.KeCancelTimer(timer);
        queue.free();
        nt.IoDeleteSymbolicLink(SYMBOLIC_LINK_NAME);
        if (DriverObject.DeviceObject) nt.IoDeleteDevice(DriverObject.DeviceObject);
      }

      const { status, deviceObject } = nt.IoCreateDevice(DriverObject, 0, DEVICE_NAME, FILE_DEVICE_UNKNOWN, 0, true);
      if (status !== STATUS_SUCCESS || !deviceObject) {
        queue.free();
        return status;
      }
      const linked = nt.IoCreateSymbolicLink(SYMBOLIC_LINK_NAME, DEVICE_NAME);
      if (linked !== STATUS_SUCCESS) {
        nt.IoDeleteDevice(deviceObject);
        queue.free();
        return linked;
      }
      dpc = nt.KeInitializeDpc(EventTimerDpc, deviceObject).dpc;
      DriverObject.MajorFunction[IRP_MJ_CREATE] = DispatchCreate;
      DriverObject.MajorFunction[IRP_MJ_CLEANUP] = DispatchCleanup;
      DriverObject.MajorFunction[IRP_MJ_CLOSE] = DispatchClose;
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
      DriverObject.DriverUnload = DriverUnload;
      return STATUS_SUCCESS;
    },
  });
}
