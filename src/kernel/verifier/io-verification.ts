/**
 * Driver Verifier's I/O Verification (DRIVER_VERIFIER_IO_CHECKING): the I/O
 * manager watches how a driver handles IRPs and stops the machine with bug
 * check 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION at the first mishandling.
 * P1 is the violation. The low ones (0x05, 0x06, 0x07, 0x0E, 0x10) have
 * parameters of their own; the "I/O error codes" (0x200 and up) carry, as
 * in a crash dump, P2 the address in the driver where the error was
 * detected, P3 the IRP, P4 the device object.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc9--driver-verifier-iomanager-violation
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/i-o-verification
 *
 * Without the option Windows checks none of this: an IRP completed with
 * STATUS_PENDING, a dispatch routine that changes the IRQL or returns
 * STATUS_PENDING unmarked all go on (and hang or corrupt later). A second
 * IoCompleteRequest is 0x44 with or without the verifier (io/manager.ts).
 */
import { DRIVER_VERIFIER_IOMANAGER_VIOLATION } from '../../include/bugcodes.js';
import { NT_ERROR, STATUS_PENDING } from '../../include/ntstatus.js';
import {
  DISPATCH_LEVEL, IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, METHOD_BUFFERED, SL_PENDING_RETURNED,
} from '../../include/wdm-constants.js';
import type { IoContext } from '../io/context.js';
import { frameFor } from '../io/driver-load.js';
import type { IoStackLocation, Irp } from '../io/irp.js';
import type { DeviceObject } from '../io/objects.js';
import { DRIVER_VERIFIER_IO_CHECKING, verifierChecks } from '../../include/verifier-flags.js';

/** 0xC9 P1 values ntshm raises (the page's names, shortened). */
export const IOV_IRQL_CHANGED_IN_DISPATCH = 0x05;
export const IOV_COMPLETE_WITH_PENDING_STATUS = 0x06;
export const IOV_COMPLETE_WITH_CANCEL_ROUTINE = 0x07;
export const IOV_COMPLETE_ABOVE_DISPATCH = 0x0e;
export const IOV_CALL_DRIVER_ABOVE_DISPATCH = 0x10;
export const IOV_CALL_DRIVER_WITH_CANCEL_ROUTINE = 0x203;
export const IOV_CALL_DRIVER_NULL_DEVICE = 0x204;
export const IOV_PENDING_NOT_MARKED = 0x23d;
export const IOV_MARKED_NOT_PENDING = 0x23e;
export const IOV_INFORMATION_TOO_LARGE = 0x312;

/** Whether I/O verification is on (read once per check: a boolean and a mask). */
export function VfIoVerifying(k: IoContext): boolean {
  return k.options.verifier && verifierChecks(k.options, DRIVER_VERIFIER_IO_CHECKING);
}

const who = (k: IoContext): string => {
  const frame = k.attribution.top();
  return frame ? `${frame.driver}!${frame.routine}` : 'A driver';
};

/** An address in the driver that is running: P2 of the I/O error codes. */
const here = (k: IoContext): number => k.attribution.top()?.address ?? 0;

/**
 * nt.IoCompleteRequest, before the I/O manager completes: the IRQL (0x0E,
 * P2 the IRQL, P3 the IRP), the status (0x06 for STATUS_PENDING or -1, P2
 * the status, P3 the IRP), a cancel routine still set (0x07, P2 the
 * routine, P3 the IRP), and for a METHOD_BUFFERED IOCTL an Information
 * larger than the output buffer (0x312: that many bytes would be copied
 * back out of a SystemBuffer that is not that long).
 */
export function VfIoCheckCompleteRequest(k: IoContext, irp: Irp): void {
  if (!VfIoVerifying(k) || typeof irp !== 'object' || irp === null) return;
  if (k.irql > DISPATCH_LEVEL) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_COMPLETE_ABOVE_DISPATCH, k.irql, irp.address, 0,
      `${who(k)} called IoCompleteRequest at IRQL ${k.irql}; it must run at IRQL <= DISPATCH_LEVEL.`);
  }
  const status = Number(irp.IoStatus?.Status) >>> 0;
  if (status === STATUS_PENDING || status === 0xffff_ffff) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_COMPLETE_WITH_PENDING_STATUS, status, irp.address, 0,
      `${who(k)} completed IRP ${k.formatAddress(irp.address)} with IoStatus.Status 0x${status.toString(16)}: ` +
      'STATUS_PENDING (or -1) is no final status; set the status the request ended with before IoCompleteRequest.');
  }
  const cancel = irp.CancelRoutine;
  if (cancel !== null && cancel !== undefined) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_COMPLETE_WITH_CANCEL_ROUTINE, VfRoutineAddress(k, irp, cancel), irp.address, 0,
      `${who(k)} completed IRP ${k.formatAddress(irp.address)} with its cancel routine still set: ` +
      'clear it with IoSetCancelRoutine(Irp, NULL) (and check what it returned) before IoCompleteRequest.');
  }
  const location = irp.stack[irp.CurrentLocation - 1];
  if (location && !NT_ERROR(status) && isBufferedIoctl(location)) {
    const information = Number(irp.IoStatus.Information);
    const outputLength = location.Parameters.DeviceIoControl.OutputBufferLength;
    if (information > outputLength) {
      k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_INFORMATION_TOO_LARGE, here(k), irp.address, location.DeviceObject?.address ?? 0,
        `${who(k)} completed a METHOD_BUFFERED IOCTL with IoStatus.Information ${information}, more than its OutputBufferLength ${outputLength}: ` +
        'the I/O manager would copy that many bytes of the SystemBuffer back to the caller.');
    }
  }
}

/** An IRP_MJ_(INTERNAL_)DEVICE_CONTROL location whose code is METHOD_BUFFERED. */
function isBufferedIoctl(location: IoStackLocation): boolean {
  const major = location.MajorFunction;
  if (major !== IRP_MJ_DEVICE_CONTROL && major !== IRP_MJ_INTERNAL_DEVICE_CONTROL) return false;
  return (location.Parameters.DeviceIoControl.IoControlCode & 3) === METHOD_BUFFERED;
}

/** The address of a routine a driver stored (a cancel routine): its frame in the driver that holds the IRP. */
function VfRoutineAddress(k: IoContext, irp: Irp, routine: unknown): number {
  const device = irp.stack[irp.CurrentLocation - 1]?.DeviceObject;
  return device ? frameFor(device.DriverObject, routine, 'CancelRoutine').address : 0;
}

/**
 * nt.IoCallDriver, before the IRP goes down: above DISPATCH_LEVEL (0x10, P2
 * the IRQL), a NULL device object (0x204), a cancel routine left set by the
 * driver passing the IRP on (0x203).
 */
export function VfIoCheckCallDriver(k: IoContext, device: DeviceObject | null, irp: Irp): void {
  if (!VfIoVerifying(k)) return;
  if (k.irql > DISPATCH_LEVEL) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_CALL_DRIVER_ABOVE_DISPATCH, k.irql, 0, 0,
      `${who(k)} called IoCallDriver at IRQL ${k.irql}; it must run at IRQL <= DISPATCH_LEVEL.`);
  }
  if (device === null || device === undefined) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_CALL_DRIVER_NULL_DEVICE, here(k), irp?.address ?? 0, 0,
      `${who(k)} called IoCallDriver with a NULL device object.`);
  }
  if (irp && irp.CancelRoutine !== null && irp.CancelRoutine !== undefined) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_CALL_DRIVER_WITH_CANCEL_ROUTINE, here(k), irp.address, device.address,
      `${who(k)} passed IRP ${k.formatAddress(irp.address)} to IoCallDriver with its cancel routine still set: ` +
      'a driver clears its cancel routine before it gives the IRP to another.');
  }
}

/**
 * IoCallDriver, after the dispatch routine returned (io/manager.ts):
 * - at another IRQL than it was called at: 0x05, P2 the device object, P3
 *   the IRQL before, P4 after;
 * - STATUS_PENDING with the IRP still its own (neither passed down nor
 *   pending below) and not marked by IoMarkIrpPending: 0x23D;
 * - its location marked pending and a status other than STATUS_PENDING: 0x23E.
 * `location` is the routine's stack location, `calledAtLocation` the IRP's
 * CurrentLocation when it was called.
 */
export function VfIoCheckDispatchReturn(k: IoContext, device: DeviceObject, irp: Irp, location: IoStackLocation, calledAtLocation: number,
  calledAt: number, status: number, routineAddress: number): void {
  const name = `${device.DriverObject.serviceName}`;
  if (k.irql !== calledAt) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_IRQL_CHANGED_IN_DISPATCH, device.address, calledAt, k.irql,
      `A dispatch routine of ${name} was called at IRQL ${calledAt} and returned at IRQL ${k.irql}: ` +
      'it must return at the IRQL it was called at (a spin lock or KeRaiseIrql not undone).');
  }
  // Completion clears a location's Control as it leaves it (irp-stack.ts) and carries the mark up as PendingReturned.
  const marked = (location.Control & SL_PENDING_RETURNED) !== 0 || (irp.completed && irp.PendingReturned);
  if (status === STATUS_PENDING && !marked && irp.CurrentLocation >= calledAtLocation) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_PENDING_NOT_MARKED, routineAddress, irp.address, device.address,
      `A dispatch routine of ${name} returned STATUS_PENDING for IRP ${k.formatAddress(irp.address)} without calling IoMarkIrpPending.`);
  }
  if (status !== STATUS_PENDING && marked) {
    k.bugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IOV_MARKED_NOT_PENDING, routineAddress, irp.address, device.address,
      `A dispatch routine of ${name} marked IRP ${k.formatAddress(irp.address)} pending (IoMarkIrpPending) and returned 0x${(status >>> 0).toString(16)}, ` +
      'not STATUS_PENDING: a driver that marks an IRP pending must return STATUS_PENDING.');
  }
}
