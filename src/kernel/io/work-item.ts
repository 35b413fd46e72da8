/**
 * IO_WORKITEM: work a driver hands to a System worker thread, to run at
 * PASSIVE_LEVEL in the System process (IoAllocateWorkItem, IoQueueWorkItem,
 * IoFreeWorkItem). The item is a block of nonpaged pool; queuing it takes a
 * reference on its device object until the routine has run, so that the
 * driver cannot unload under it. The queue is one more source of the
 * System worker's deferred work (ke/work-queue.ts): it runs once a CPU is
 * below DISPATCH_LEVEL, at the next interrupt or scheduling point. A routine
 * that returns at a raised IRQL is bug check 0xE1, naming IopProcessWorkItem
 * (the worker routine ExpWorkerThread called).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioqueueworkitem
 */
import { GuestMisuse } from '../../include/errors.js';
import { NonPagedPool } from '../../include/wdm-constants.js';
import type { IoContext } from './context.js';
import { callDriverRoutine } from './driver-load.js';
import type { DeviceObject } from './objects.js';

/** IO_WORKITEM_ROUTINE: (DeviceObject, Context). */
export type IoWorkItemRoutine = (DeviceObject: DeviceObject, Context: unknown) => void;

/** sizeof(IO_WORKITEM) on Windows 10 (its WorkItem, Routine, IoObject, Context, Type, ActivityId). */
const IO_WORKITEM_SIZE = { x64: 0x58, x86: 0x30 } as const;
/** The pool tag of an IO_WORKITEM ('IoWI' read as a ULONG). */
const IO_WORKITEM_TAG = 0x4957_6f49;

/** An IO_WORKITEM: its pool block, its device, and what it runs when queued. */
export class IoWorkItem {
  queued = false;
  freed = false;
  routine: IoWorkItemRoutine | undefined;
  context: unknown;
  constructor(readonly address: number, readonly DeviceObject: DeviceObject) {}
}

/** The work items queued to the System worker, in order. */
export class IoWorkItemQueue {
  private readonly queue: IoWorkItem[] = [];

  constructor(private readonly k: IoContext) {
    const queue = this.queue;
    k.workQueue.register({ get pending() { return queue.length > 0; }, run: () => this.run() });
  }

  /** IoAllocateWorkItem: null when no pool is left. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioallocateworkitem */
  IoAllocateWorkItem(device: DeviceObject): IoWorkItem | null {
    const address = this.k.pool.allocate(NonPagedPool, IO_WORKITEM_SIZE[this.k.arch], IO_WORKITEM_TAG);
    return address === 0 ? null : new IoWorkItem(address, device);
  }

  /**
   * IoQueueWorkItem. QueueType (CriticalWorkQueue, DelayedWorkQueue) makes no
   * difference: one System worker runs them all, in order. Queuing an item
   * that is queued already, or freed, is refused (docs/fidelity.md).
   */
  IoQueueWorkItem(item: IoWorkItem, routine: IoWorkItemRoutine, context: unknown): void {
    if (item.freed || item.queued) {
      throw new GuestMisuse(`IoQueueWorkItem on a work item that is ${item.freed ? 'freed' : 'queued already'}: an IO_WORKITEM may be queued again only once its routine has started`);
    }
    item.queued = true;
    item.routine = routine;
    item.context = context;
    this.k.ob.ObReferenceObject(item.DeviceObject);
    this.queue.push(item);
  }

  /** IoFreeWorkItem: the pool block goes. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iofreeworkitem */
  IoFreeWorkItem(item: IoWorkItem): void {
    if (item.queued) throw new GuestMisuse('IoFreeWorkItem on a work item still queued: free it in its routine or after it has run');
    if (item.freed) throw new GuestMisuse('IoFreeWorkItem on a work item freed already');
    item.freed = true;
    this.k.pool.free(item.address, IO_WORKITEM_TAG);
  }

  /** The System worker runs every queued item, each in its driver's frame, at PASSIVE_LEVEL in the System process. */
  private run(): void {
    const k = this.k;
    let item: IoWorkItem | undefined;
    while ((item = this.queue.shift())) {
      const { DeviceObject: device, context } = item;
      const routine = item.routine!;
      item.queued = false;
      try {
        k.runInSystemThread(() => callDriverRoutine(k, device.DriverObject, routine, 'WorkerRoutine', 'system-thread', () => routine(device, context)),
          'IopProcessWorkItem');
      } finally {
        k.ob.ObDereferenceObject(device);
      }
    }
  }
}
