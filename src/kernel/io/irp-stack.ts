/**
 * The IRP's stack locations between drivers: IoGetNextIrpStackLocation,
 * IoSkipCurrentIrpStackLocation, IoCopyCurrentIrpStackLocationToNext,
 * IoSetCompletionRoutine, IoMarkIrpPending (wdm.h macros), and the walk back
 * up the stack that IoCompleteRequest makes, calling each completion routine.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/passing-irps-down-the-driver-stack
 * https://github.com/reactos/reactos/blob/master/ntoskrnl/io/iomgr/irp.c (IofCompleteRequest)
 */
import { SL_ERROR_RETURNED, SL_INVOKE_ON_CANCEL, SL_INVOKE_ON_ERROR, SL_INVOKE_ON_SUCCESS, SL_PENDING_RETURNED } from '../../include/wdm-constants.js';
import { NT_SUCCESS, STATUS_MORE_PROCESSING_REQUIRED } from '../../include/ntstatus.js';
import { asUlong } from '../../include/c-types.js';
import type { IoContext } from './context.js';
import { callDriverRoutine } from './driver-load.js';
import { IopExceptionContext } from './exception-boundary.js';
import type { IoCompletionRoutine, IoStackLocation, Irp } from './irp.js';
import type { DeviceObject, DriverObject } from './objects.js';

/** IoGetNextIrpStackLocation: the location the next IoCallDriver makes current (the lower driver's). */
export function IoGetNextIrpStackLocation(irp: Irp): IoStackLocation {
  return irp.stack[irp.CurrentLocation - 2]!;
}

/**
 * IoSkipCurrentIrpStackLocation: the lower driver gets this driver's own location
 * (CurrentLocation + 1, which IoCallDriver takes back), and no completion routine of ours runs.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioskipcurrentirpstacklocation
 */
export function IoSkipCurrentIrpStackLocation(irp: Irp): void {
  irp.CurrentLocation++;
}

/**
 * IoCopyCurrentIrpStackLocationToNext: the next location is a copy of the current one except
 * CompletionRoutine, Context and Control, which stay cleared for IoSetCompletionRoutine.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocopycurrentirpstacklocationtonext
 */
export function IoCopyCurrentIrpStackLocationToNext(irp: Irp): void {
  const from = irp.stack[irp.CurrentLocation - 1]!;
  const to = IoGetNextIrpStackLocation(irp);
  to.MajorFunction = from.MajorFunction;
  to.MinorFunction = from.MinorFunction;
  to.Flags = from.Flags;
  to.FileObject = from.FileObject;
  to.DeviceObject = from.DeviceObject;
  Object.assign(to.Parameters.DeviceIoControl, from.Parameters.DeviceIoControl);
  Object.assign(to.Parameters.Create, from.Parameters.Create);
  Object.assign(to.Parameters.Read, from.Parameters.Read);
  Object.assign(to.Parameters.QueryFile, from.Parameters.QueryFile);
  to.CompletionRoutine = null;
  to.Context = null;
  to.Control = 0;
}

/**
 * IoSetCompletionRoutine: `routine` runs, when the request completes, on the way back up
 * through this driver, for the outcomes asked for (success, error, cancel).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iosetcompletionroutine
 */
export function IoSetCompletionRoutine(k: IoContext, irp: Irp, routine: IoCompletionRoutine | null, context: unknown,
  invokeOnSuccess: boolean, invokeOnError: boolean, invokeOnCancel: boolean): void {
  const next = IoGetNextIrpStackLocation(irp);
  next.CompletionRoutine = routine;
  next.Context = context;
  next.Control = (invokeOnSuccess ? SL_INVOKE_ON_SUCCESS : 0) | (invokeOnError ? SL_INVOKE_ON_ERROR : 0) | (invokeOnCancel ? SL_INVOKE_ON_CANCEL : 0);
  // Whose code the routine is, for its frame: the driver calling now.
  const caller = k.attribution.top()?.driver;
  const driver = caller === undefined ? undefined : k.io.drivers.get(caller.toUpperCase());
  if (driver) k.io.completionOwners.set(next, driver);
}

/** IoMarkIrpPending: the current location is marked; completion carries the mark up as PendingReturned. */
export function IoMarkIrpPending(irp: Irp): void {
  irp.stack[irp.CurrentLocation - 1]!.Control |= SL_PENDING_RETURNED;
}

/**
 * IoCompleteRequest's walk from the current location back to the top: each
 * location is left (CurrentLocation + 1) and its completion routine, if the
 * outcome asks for it, runs with the device of the location above (NULL at
 * the top). STATUS_MORE_PROCESSING_REQUIRED stops the walk: the routine's
 * driver owns the IRP again. Returns whether the walk reached the top.
 */
export function IopWalkCompletionRoutines(k: IoContext, irp: Irp): boolean {
  while (irp.CurrentLocation <= irp.StackCount) {
    const location = irp.stack[irp.CurrentLocation - 1]!;
    irp.PendingReturned = (location.Control & SL_PENDING_RETURNED) !== 0;
    irp.CurrentLocation++;
    const routine = location.CompletionRoutine;
    const status = asUlong(irp.IoStatus.Status);
    const control = location.Control;
    const invoke = routine !== null && ((NT_SUCCESS(status) && (control & SL_INVOKE_ON_SUCCESS) !== 0)
      || (!NT_SUCCESS(status) && (control & SL_INVOKE_ON_ERROR) !== 0) || (irp.Cancel && (control & SL_INVOKE_ON_CANCEL) !== 0));
    const context = location.Context;
    const owner = k.io.completionOwners.get(location);
    IopClearStackLocation(location);
    if (!invoke) {
      if (irp.CurrentLocation <= irp.StackCount && irp.PendingReturned) IoMarkIrpPending(irp);
      continue;
    }
    const device: DeviceObject | null = irp.CurrentLocation === irp.StackCount + 1 ? null : irp.stack[irp.CurrentLocation - 1]!.DeviceObject;
    const driver: DriverObject | undefined = owner ?? device?.DriverObject;
    const result = driver
      ? callDriverRoutine(k, driver, routine, 'IoCompletion', IopExceptionContext(k), () => routine(device, irp, context), (v) => asUlong(v))
      : asUlong(routine(device, irp, context));
    if (result === STATUS_MORE_PROCESSING_REQUIRED) return false;
  }
  return true;
}

/** IopClearStackLocation: a location left behind keeps no routine; Control keeps only SL_ERROR_RETURNED. */
function IopClearStackLocation(location: IoStackLocation): void {
  location.MinorFunction = 0;
  location.Flags = 0;
  location.Control &= SL_ERROR_RETURNED;
  location.CompletionRoutine = null;
  location.Context = null;
}
