/**
 * Cancellation, spread into `nt`: IoSetCancelRoutine, the cancel spin lock,
 * IoCancelIrp (kernel/io/cancel.ts), and the cancel-safe queue (IoCsq*),
 * the WDK's library that makes a driver's queue of pending IRPs safe against
 * cancellation: the driver supplies the queue (insert, remove, peek) and its
 * lock; the library owns the cancel routine and the races around it.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/cancel-safe-irp-queues
 * ReactOS sdk/lib/drivers/csq/csq.c (the same contract)
 */
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../include/ntstatus.js';
import { DISPATCH_LEVEL } from '../include/wdm-constants.js';
import { IoAcquireCancelSpinLock, IoCancelIrp, IoReleaseCancelSpinLock, IoSetCancelRoutine, type DriverCancel } from '../kernel/io/cancel.js';
import type { Irp } from '../kernel/io/irp.js';
import { IoMarkIrpPending } from '../kernel/io/irp-stack.js';
import type { DeviceObject } from '../kernel/io/objects.js';
import type { Kernel } from '../kernel/kernel.js';

/** IO_CSQ_IRP_CONTEXT: lets IoCsqRemoveIrp find one particular IRP again. */
export interface IoCsqIrpContext {
  Type: number;
  Irp: Irp | null;
  Csq: IoCsq | null;
}

/** IO_CSQ: the driver's queue routines, as IoCsqInitialize stores them. */
export interface IoCsq {
  Type: number;
  CsqInsertIrp: (Csq: IoCsq, Irp: Irp) => void;
  CsqRemoveIrp: (Csq: IoCsq, Irp: Irp) => void;
  /** The IRP after `Irp` (the first for null) that matches PeekContext, or null. */
  CsqPeekNextIrp: (Csq: IoCsq, Irp: Irp | null, PeekContext: unknown) => Irp | null;
  /** Takes the queue's lock; returns the IRQL to give back to CsqReleaseLock. */
  CsqAcquireLock: (Csq: IoCsq) => number;
  CsqReleaseLock: (Csq: IoCsq, Irql: number) => void;
  CsqCompleteCanceledIrp: (Csq: IoCsq, Irp: Irp) => void;
}

/** IO_TYPE_CSQ, IO_TYPE_CSQ_IRP_CONTEXT (wdm.h). */
const IO_TYPE_CSQ = 1;
const IO_TYPE_CSQ_IRP_CONTEXT = 1;

/** Where a queued IRP keeps its queue: Irp->Tail.Overlay.DriverContext[3] (the Csq, or the IO_CSQ_IRP_CONTEXT). */
const CSQ_SLOT = 3;

/** The cancel routines of one driver's `nt`; `enter` is nt's single entry (time, IRQL check). */
export function makeNtCancel(k: Kernel, enter: (name: string, maxIrql: number) => void) {
  /** The queue an IRP is in, from DriverContext[3]. */
  const csqOf = (irp: Irp): { csq: IoCsq; context: IoCsqIrpContext | null } | null => {
    const slot = irp.Tail.Overlay.DriverContext[CSQ_SLOT] as IoCsq | IoCsqIrpContext | null;
    if (!slot) return null;
    if ('Csq' in slot) return slot.Csq ? { csq: slot.Csq, context: slot } : null;
    return { csq: slot, context: null };
  };

  /** IoCsqCancelRoutine: the library's cancel routine; removes the IRP from the driver's queue and has the driver complete it. */
  const IopCsqCancelRoutine: DriverCancel = (_DeviceObject: DeviceObject, irp: Irp): void => {
    IoReleaseCancelSpinLock(k, irp.CancelIrql);
    const queued = csqOf(irp);
    if (!queued) return;
    const { csq, context } = queued;
    if (context) context.Irp = null;
    irp.Tail.Overlay.DriverContext[CSQ_SLOT] = null;
    const irql = csq.CsqAcquireLock(csq);
    csq.CsqRemoveIrp(csq, irp);
    csq.CsqReleaseLock(csq, irql);
    csq.CsqCompleteCanceledIrp(csq, irp);
  };

  /** Removes `irp` from its queue if its cancel routine can still be cleared (else the cancel routine is on its way and owns it). */
  const take = (csq: IoCsq, irp: Irp): boolean => {
    if (IoSetCancelRoutine(irp, null) === null) return false;
    csq.CsqRemoveIrp(csq, irp);
    const queued = csqOf(irp);
    if (queued?.context) queued.context.Irp = null;
    irp.Tail.Overlay.DriverContext[CSQ_SLOT] = null;
    return true;
  };

  const nt = {
    /**
     * IoSetCancelRoutine: sets (or with null clears) the IRP's cancel routine; returns the previous one.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iosetcancelroutine
     */
    IoSetCancelRoutine(Irp: Irp, CancelRoutine: DriverCancel | null): DriverCancel | null {
      return IoSetCancelRoutine(Irp, CancelRoutine);
    },
    /** Raises to DISPATCH_LEVEL and takes the cancel spin lock; `irql` is the IRQL to give back. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioacquirecancelspinlock */
    IoAcquireCancelSpinLock(): { irql: number } {
      enter('IoAcquireCancelSpinLock', DISPATCH_LEVEL);
      return { irql: IoAcquireCancelSpinLock(k) };
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioreleasecancelspinlock */
    IoReleaseCancelSpinLock(Irql: number): void {
      enter('IoReleaseCancelSpinLock', DISPATCH_LEVEL);
      IoReleaseCancelSpinLock(k, Irql);
    },
    /** TRUE if the IRP's cancel routine was called. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocancelirp */
    IoCancelIrp(Irp: Irp): boolean {
      enter('IoCancelIrp', DISPATCH_LEVEL);
      return IoCancelIrp(k, Irp);
    },

    /**
     * IoCsqInitialize: fills the IO_CSQ with the driver's routines.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocsqinitialize
     */
    IoCsqInitialize(Csq: IoCsq, CsqInsertIrp: IoCsq['CsqInsertIrp'], CsqRemoveIrp: IoCsq['CsqRemoveIrp'], CsqPeekNextIrp: IoCsq['CsqPeekNextIrp'],
      CsqAcquireLock: IoCsq['CsqAcquireLock'], CsqReleaseLock: IoCsq['CsqReleaseLock'], CsqCompleteCanceledIrp: IoCsq['CsqCompleteCanceledIrp']): number {
      enter('IoCsqInitialize', DISPATCH_LEVEL);
      if (typeof Csq !== 'object' || Csq === null) return STATUS_INVALID_PARAMETER;
      Object.assign(Csq, { Type: IO_TYPE_CSQ, CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock, CsqCompleteCanceledIrp });
      return STATUS_SUCCESS;
    },
    /**
     * IoCsqInsertIrp: the IRP is marked pending, queued (under the driver's lock) with the library's cancel
     * routine; an IRP already cancelled is taken out again and completed by CsqCompleteCanceledIrp.
     * `Context` (an IO_CSQ_IRP_CONTEXT, or null) lets IoCsqRemoveIrp find it later.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocsqinsertirp
     */
    IoCsqInsertIrp(Csq: IoCsq, Irp: Irp, Context: IoCsqIrpContext | null): void {
      enter('IoCsqInsertIrp', DISPATCH_LEVEL);
      const irql = Csq.CsqAcquireLock(Csq);
      let cancelled = false;
      try {
        if (Context) {
          Context.Type = IO_TYPE_CSQ_IRP_CONTEXT;
          Context.Irp = Irp;
          Context.Csq = Csq;
        }
        Irp.Tail.Overlay.DriverContext[CSQ_SLOT] = Context ?? Csq;
        Csq.CsqInsertIrp(Csq, Irp);
        IoMarkIrpPending(Irp);
        IoSetCancelRoutine(Irp, IopCsqCancelRoutine);
        // Cancelled before the routine was set: IoCancelIrp found none, so it is ours to finish.
        cancelled = Irp.Cancel && take(Csq, Irp);
      } finally {
        Csq.CsqReleaseLock(Csq, irql);
      }
      if (cancelled) Csq.CsqCompleteCanceledIrp(Csq, Irp);
    },
    /**
     * IoCsqRemoveNextIrp: the next IRP matching PeekContext that is not being cancelled, taken off the queue; or null.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocsqremovenextirp
     */
    IoCsqRemoveNextIrp(Csq: IoCsq, PeekContext: unknown): Irp | null {
      enter('IoCsqRemoveNextIrp', DISPATCH_LEVEL);
      const irql = Csq.CsqAcquireLock(Csq);
      try {
        for (let irp = Csq.CsqPeekNextIrp(Csq, null, PeekContext); irp; irp = Csq.CsqPeekNextIrp(Csq, irp, PeekContext)) {
          if (take(Csq, irp)) return irp;
        }
        return null;
      } finally {
        Csq.CsqReleaseLock(Csq, irql);
      }
    },
    /**
     * IoCsqRemoveIrp: the IRP that Context names, taken off the queue; null if it was completed or is being cancelled.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocsqremoveirp
     */
    IoCsqRemoveIrp(Csq: IoCsq, Context: IoCsqIrpContext): Irp | null {
      enter('IoCsqRemoveIrp', DISPATCH_LEVEL);
      const irql = Csq.CsqAcquireLock(Csq);
      try {
        const irp = Context.Irp;
        return irp && take(Csq, irp) ? irp : null;
      } finally {
        Csq.CsqReleaseLock(Csq, irql);
      }
    },
  };
  return nt;
}
