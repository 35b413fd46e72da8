/**
 * Where InvertedCall.sys keeps the requests it holds: a cancel-safe queue
 * (IoCsq*), the WDK's answer to the hard part of the inverted call.
 *
 * A request the driver holds can be cancelled at any moment: the program
 * calls CancelIoEx, or exits (the I/O manager then cancels every request the
 * thread has in progress and waits for each to finish). Cancellation calls
 * the IRP's cancel routine on whichever CPU asked, at DISPATCH_LEVEL, while
 * the driver's DPC may be taking the same IRP off the queue on another. Get
 * that race wrong one way and the IRP is completed twice (bug check 0x44);
 * the other way and it is never completed (the program's exit hangs). The
 * cancel-safe queue owns the cancel routine and that race: the driver only
 * says how to insert, remove and peek under its own spin lock, and what to do
 * with a cancelled IRP.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/cancel-safe-irp-queues
 */
import {
  IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, NonPagedPoolNx, STATUS_CANCELLED, STATUS_PENDING,
  type FileObject, type IoCsq, type Irp, type Nt,
} from 'ntshm/wdm';

/** How the driver keeps the requests it holds (the sample's: {@link csqQueue}; a variant's: its own). */
export interface RequestQueue {
  /** IRP_MJ_DEVICE_CONTROL, in the program's thread: keep the request pending; returns STATUS_PENDING (or the status it ended with). */
  insert(irp: Irp): number;
  /** The timer's DPC: the request the next event goes into, taken off the queue, or null if none is waiting. */
  removeNext(): Irp | null;
  /** IRP_MJ_CLEANUP: completes the requests of the file being cleaned up with STATUS_CANCELLED; returns how many. */
  cancelFileRequests(file: FileObject): number;
  /** How many requests are waiting (for the driver's log). */
  waiting(): number;
  /** DriverUnload: gives back what the queue allocated. */
  free(): void;
}

/** 'IcQu', the tag of the queue's spin lock. */
const QUEUE_TAG = 0x75514349;

/** The cancel-safe queue: the driver's list and spin lock, and the six routines IoCsqInitialize takes. */
export function csqQueue(nt: Nt): RequestQueue | null {
  // The list is the driver's (a LIST_ENTRY through Irp->Tail.Overlay.ListEntry in C); the lock, a KSPIN_LOCK in nonpaged pool,
  // guards it against the DPC and the cancel routine, both at DISPATCH_LEVEL.
  const pending: Irp[] = [];
  const lock = nt.ExAllocatePoolWithTag(NonPagedPoolNx, 8, QUEUE_TAG);
  if (lock === 0) return null;
  nt.KeInitializeSpinLock(lock);
  const csq = {} as IoCsq;

  function CsqInsertIrp(_csq: IoCsq, irp: Irp): void {
    pending.push(irp);
  }
  function CsqRemoveIrp(_csq: IoCsq, irp: Irp): void {
    pending.splice(pending.indexOf(irp), 1);
  }
  // PeekContext null: any request (the DPC); a file object: only that file's requests (IRP_MJ_CLEANUP).
  function CsqPeekNextIrp(_csq: IoCsq, irp: Irp | null, peekContext: unknown): Irp | null {
    for (let i = irp === null ? 0 : pending.indexOf(irp) + 1; i < pending.length; i++) {
      const next = pending[i]!;
      if (peekContext === null || IoGetCurrentIrpStackLocation(next).FileObject === peekContext) return next;
    }
    return null;
  }
  function CsqAcquireLock(_csq: IoCsq): number {
    return nt.KeAcquireSpinLock(lock).oldIrql;
  }
  function CsqReleaseLock(_csq: IoCsq, irql: number): void {
    nt.KeReleaseSpinLock(lock, irql);
  }
  // The library took the IRP off the queue for us; all that is left is to complete it.
  function CsqCompleteCanceledIrp(_csq: IoCsq, irp: Irp): void {
    irp.IoStatus.Status = STATUS_CANCELLED;
    irp.IoStatus.Information = 0;
    nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
  }
  nt.IoCsqInitialize(csq, CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock, CsqCompleteCanceledIrp);

  return {
    insert(irp) {
      // IoCsqInsertIrp marks the IRP pending and sets the library's cancel routine; one already cancelled is completed at once.
      nt.IoCsqInsertIrp(csq, irp, null);
      return STATUS_PENDING;
    },
    // Never a request whose cancel routine has begun: the library clears the routine as it takes the IRP, and skips one it cannot.
    removeNext: () => nt.IoCsqRemoveNextIrp(csq, null),
    cancelFileRequests(file) {
      let cancelled = 0;
      for (let irp = nt.IoCsqRemoveNextIrp(csq, file); irp; irp = nt.IoCsqRemoveNextIrp(csq, file), cancelled++) CsqCompleteCanceledIrp(csq, irp);
      return cancelled;
    },
    waiting: () => pending.length,
    free: () => nt.ExFreePoolWithTag(lock, QUEUE_TAG),
  };
}
