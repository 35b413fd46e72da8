/**
 * Variant `complete-after-cancel`: the driver writes its own cancel routine,
 * which completes the IRP, and its queue takes the next request off the list
 * ahead of the event (to have it ready when the event comes) without first
 * taking the cancel routine back. Diff it against ../queue.ts.
 *
 * The rule it breaks: a driver that takes a cancelable IRP off its queue must
 * call IoSetCancelRoutine(Irp, NULL) and look at what comes back. NULL means
 * the cancel routine has been called (or is about to be): the IRP is no longer
 * the driver's to complete. Here the program gives up on its oldest request
 * (CancelIoEx with its OVERLAPPED) while the driver holds it ready for the
 * next event: the cancel routine completes it with STATUS_CANCELLED, and at
 * the next tick the DPC completes it again. Bug check 0x44
 * MULTIPLE_IRP_COMPLETE_REQUESTS, P1 the IRP (whose memory the I/O manager
 * had freed: the DPC wrote the event record into a freed SystemBuffer on its
 * way there). On Windows the window is a few
 * instructions wide and the crash comes once in a blue moon; this driver
 * holds it open for a whole timer period, so it comes every time.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iosetcancelroutine
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x44--multiple-irp-complete-requests
 */
import { IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, NonPagedPoolNx, STATUS_CANCELLED, STATUS_PENDING, type DeviceObject, type Irp, type Nt } from 'ntshm/wdm';
import type { RequestQueue } from '../queue.js';

/** 'IcQu', the tag of the queue's spin lock. */
const QUEUE_TAG = 0x75514349;

export function queueTakingAhead(nt: Nt): RequestQueue | null {
  const pending: Irp[] = [];
  /** The request the next event goes into, already off the list. */
  let next: Irp | null = null;
  const lock = nt.ExAllocatePoolWithTag(NonPagedPoolNx, 8, QUEUE_TAG);
  if (lock === 0) return null;
  nt.KeInitializeSpinLock(lock);

  function complete(irp: Irp): void {
    irp.IoStatus.Status = STATUS_CANCELLED;
    irp.IoStatus.Information = 0;
    nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
  }

  function CancelRoutine(_DeviceObject: DeviceObject, Irp: Irp): void {
    nt.IoReleaseCancelSpinLock(Irp.CancelIrql);
    const { oldIrql } = nt.KeAcquireSpinLock(lock);
    // RemoveEntryList: the request the queue took ahead is no longer on the list, and this does not notice.
    const at = pending.indexOf(Irp);
    if (at >= 0) pending.splice(at, 1);
    nt.KeReleaseSpinLock(lock, oldIrql);
    nt.DbgPrint('InvertedCall: CancelRoutine completes IRP %p with STATUS_CANCELLED\n', Irp.address);
    complete(Irp);
  }

  /** The head of the list, off it; its cancel routine still set. */
  function take(): Irp | null {
    // Wrong: missing `if (nt.IoSetCancelRoutine(irp, null) === null) { the cancel routine owns it: leave it }`.
    return pending.shift() ?? null;
  }

  return {
    insert(irp) {
      const { oldIrql } = nt.KeAcquireSpinLock(lock);
      nt.IoMarkIrpPending(irp);
      pending.push(irp);
      nt.IoSetCancelRoutine(irp, CancelRoutine);
      // Cancelled before the routine was set (IoCancelIrp found none): ours to complete, if we can take the routine back.
      const cancelled = irp.Cancel && nt.IoSetCancelRoutine(irp, null) !== null;
      if (cancelled) pending.splice(pending.indexOf(irp), 1);
      nt.KeReleaseSpinLock(lock, oldIrql);
      if (cancelled) complete(irp);
      return STATUS_PENDING;
    },
    removeNext() {
      const { oldIrql } = nt.KeAcquireSpinLock(lock);
      const irp = next ?? take();
      next = take();
      nt.KeReleaseSpinLock(lock, oldIrql);
      return irp;
    },
    cancelFileRequests(file) {
      const { oldIrql } = nt.KeAcquireSpinLock(lock);
      const mine = pending.filter((irp) => IoGetCurrentIrpStackLocation(irp).FileObject === file && nt.IoSetCancelRoutine(irp, null) !== null);
      for (const irp of mine) pending.splice(pending.indexOf(irp), 1);
      nt.KeReleaseSpinLock(lock, oldIrql);
      for (const irp of mine) complete(irp);
      return mine.length;
    },
    waiting: () => pending.length,
    free: () => nt.ExFreePoolWithTag(lock, QUEUE_TAG),
  };
}
