/**
 * Cancelling an IRP: the cancel spin lock, IoSetCancelRoutine and
 * IoCancelIrp. A driver that holds an IRP pending sets a cancel routine;
 * IoCancelIrp sets Irp->Cancel, takes the routine (exchanging it with NULL,
 * so that it runs once) and calls it at DISPATCH_LEVEL with the cancel spin
 * lock held, CancelIrql saying where to return: the routine releases the
 * lock with IoReleaseCancelSpinLock(Irp->CancelIrql) and completes the IRP
 * with STATUS_CANCELLED. Without a cancel routine IoCancelIrp only sets the
 * flag and returns FALSE.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocancelirp
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/canceling-irps
 * ReactOS ntoskrnl/io/iomgr/irp.c (IoCancelIrp)
 */
import { CANCEL_STATE_IN_COMPLETED_IRP } from '../../include/bugcodes.js';
import { DISPATCH_LEVEL } from '../../include/wdm-constants.js';
import { KxAcquireSpinLock, KxReleaseSpinLock } from '../ex/spin-lock.js';
import type { IoContext } from './context.js';
import { IopDriverRoutineFaulted, IopEnterDriverRoutine, IopReturnedPromise, isThenable } from './driver-load.js';
import { IopExceptionContext } from './exception-boundary.js';
import type { Irp } from './irp.js';
import type { DeviceObject } from './objects.js';

/** PDRIVER_CANCEL: (DeviceObject, Irp), at DISPATCH_LEVEL with the cancel spin lock held. */
export type DriverCancel = (DeviceObject: DeviceObject, Irp: Irp) => void;

/** Who takes a lock, for the deadlock's explanation: the driver routine running, or the kernel. */
function caller(k: IoContext): string {
  const frame = k.attribution.top();
  return frame ? `${frame.driver}!${frame.routine}` : 'nt';
}

/**
 * IoAcquireCancelSpinLock: raises to DISPATCH_LEVEL and takes the system's
 * one cancel spin lock; returns the IRQL to go back to.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioacquirecancelspinlock
 */
export function IoAcquireCancelSpinLock(k: IoContext): number {
  const oldIrql = k.ke.KeRaiseIrql(DISPATCH_LEVEL);
  KxAcquireSpinLock(k, k.io.cancelSpinLock, 'IoAcquireCancelSpinLock', caller(k));
  return oldIrql;
}

/**
 * IoReleaseCancelSpinLock: releases the cancel spin lock and lowers to `irql`.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioreleasecancelspinlock
 */
export function IoReleaseCancelSpinLock(k: IoContext, irql: number): void {
  KxReleaseSpinLock(k, k.io.cancelSpinLock, 'IoReleaseCancelSpinLock', caller(k), k.attribution.top()?.driver);
  k.ke.KeLowerIrql(irql);
}

/**
 * IoSetCancelRoutine: the IRP's cancel routine is exchanged, atomically, for
 * `routine` (NULL to clear it); the previous one is returned. NULL back from
 * a clear means IoCancelIrp has taken the routine: the IRP is being cancelled
 * and the cancel routine, not the caller, completes it.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iosetcancelroutine
 */
export function IoSetCancelRoutine(irp: Irp, routine: DriverCancel | null): DriverCancel | null {
  const previous = irp.CancelRoutine;
  irp.CancelRoutine = routine;
  return previous;
}

/**
 * IoCancelIrp: TRUE if a cancel routine was called. Cancelling an IRP that
 * is already completed while it still names a cancel routine is bug check
 * 0x48 (P1 the IRP, P2 the routine).
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x48--cancel-state-in-completed-irp
 */
export function IoCancelIrp(k: IoContext, irp: Irp): boolean {
  const oldIrql = IoAcquireCancelSpinLock(k);
  irp.Cancel = true;
  const routine = irp.CancelRoutine;
  irp.CancelRoutine = null;
  if (routine === null) {
    IoReleaseCancelSpinLock(k, oldIrql);
    return false;
  }
  const device = irp.currentStackLocation?.DeviceObject;
  if (irp.completed || !irp.inUse || !device) {
    k.bugCheck(CANCEL_STATE_IN_COMPLETED_IRP, irp.address, IopRoutineAddress(device, routine), 0, 0,
      `IoCancelIrp was called on IRP ${k.formatAddress(irp.address)}, which was already completed but still named a cancel routine: ` +
      'the driver completed it without clearing its cancel routine (IoSetCancelRoutine(Irp, NULL)) first.');
  }
  irp.CancelIrql = oldIrql;
  IopCallCancelRoutine(k, device, irp, routine);
  return true;
}

/** The cancel routine's code address, as 0x48's P2 names it (0 for one no driver gave). */
function IopRoutineAddress(device: DeviceObject | undefined, routine: unknown): number {
  return device?.DriverObject.routineAddresses.get(routine as Function) ?? 0;
}

/**
 * Calls a driver's cancel routine in its frame. It returns at CancelIrql
 * when it released the cancel spin lock as it must, so the IRQL is not
 * checked against the IRQL it was called at, as other routines' are.
 */
function IopCallCancelRoutine(k: IoContext, device: DeviceObject, irp: Irp, routine: DriverCancel): void {
  const context = IopExceptionContext(k);
  const frame = IopEnterDriverRoutine(k, device.DriverObject, routine, 'Cancel');
  try {
    if (typeof routine !== 'function') throw new TypeError('Irp->CancelRoutine is not a routine');
    const value: unknown = routine(device, irp);
    if (isThenable(value)) IopReturnedPromise(k, frame, context, value);
  } catch (e) {
    IopDriverRoutineFaulted(k, frame, context, e);
  } finally {
    k.attribution.pop(frame);
  }
}
