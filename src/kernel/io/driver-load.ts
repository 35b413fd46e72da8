/**
 * Loading and unloading drivers (IopLoadDriver / IopUnloadDriver), and
 * calling into them with their frame on the stack.
 *
 * A driver's "image" is a few pages of system PTEs whose addresses stand for
 * its code: each routine it registers gets an address inside the image, so
 * bug-check parameters and stacks name real-looking code addresses.
 */
import { EmulatorError, GuestMisuse, MachineHalted, ThreadExit } from '../../include/errors.js';
import { STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, STATUS_UNSUCCESSFUL } from '../../include/ntstatus.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { DriverFrame } from '../ke/attribution.js';
import { DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, IRQL_UNEXPECTED_VALUE } from '../../include/bugcodes.js';
import type { IoContext } from './context.js';
import { PfnUse } from '../mm/pfn.js';
import { InvalidDriverValue, unhandledDriverException, type ExceptionContext } from './exception-boundary.js';
import { asUlong } from '../../include/c-types.js';
import { IRP_MJ_MAXIMUM_FUNCTION } from '../../include/wdm-constants.js';
import { DriverObject, type DriverDispatch } from './objects.js';
import type { Irp } from './irp.js';
import { IopCreateSystemThread, type KStartRoutine } from './system-thread.js';

/** What a driver module provides: its name and DriverEntry (the .sys file). */
export interface DriverImage<Nt = unknown> {
  readonly name: string;
  DriverEntry(nt: Nt, DriverObject: DriverObject, RegistryPath: string): number;
}

const IMAGE_PAGES = 4;
/** Names one routine is remembered by (one per slot it serves, at most IRP_MJ_MAXIMUM_FUNCTION + 1 and a few more). */
const MAX_FRAMES_PER_ROUTINE = 32;

/** The routine every MajorFunction slot starts with: fail the request (IopInvalidDeviceRequest). */
export function makeInvalidDeviceRequest(k: IoContext): DriverDispatch {
  return function IopInvalidDeviceRequest(_DeviceObject, irp: Irp): number {
    irp.IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    irp.IoStatus.Information = 0;
    k.io.IoCompleteRequest(irp, 0);
    return STATUS_INVALID_DEVICE_REQUEST;
  };
}

/** The code address standing for a routine of a driver (assigned on first use). */
export function routineAddress(driver: DriverObject, routine: Function): number {
  let address = driver.routineAddresses.get(routine);
  if (address === undefined) {
    // Addresses stay inside the image's code pages (a driver that makes a closure per call wraps round).
    address = driver.DriverStart + 0x1000 + (driver.routineCount++ % ((IMAGE_PAGES - 1) * 32)) * 0x80;
    driver.routineAddresses.set(routine, address);
  }
  return address;
}

/**
 * The stack frame a routine of the driver stands for. A named function is
 * named by itself ("DispatchControl"), as a driver's symbols would name it;
 * one without a name (an arrow function stored into DriverObject) by the
 * slot it was called through: "IRP_MJ_CREATE", "DriverUnload", "IoTimer",
 * "DeferredRoutine". Made once per routine and name, so that calling one
 * unnamed routine through several slots (IRP_MJ_CREATE and IRP_MJ_CLOSE)
 * allocates nothing per call.
 */
export function frameFor(driver: DriverObject, routine: unknown, slot: string): DriverFrame {
  // A routine pointer that is no function (NULL, a number) is a call to nowhere: address 0, and the call faults.
  if (typeof routine !== 'function') return { driver: driver.serviceName, routine: slot, address: 0 };
  const name = routine.name || slot;
  let frames = driver.routineFrames.get(routine);
  if (frames === undefined) driver.routineFrames.set(routine, (frames = []));
  for (let i = 0; i < frames.length; i++) if (frames[i]!.routine === name) return frames[i]!;
  const frame = { driver: driver.serviceName, routine: name, address: routineAddress(driver, routine) };
  // A routine whose name changes at every call (a getter) keeps a bounded list.
  frames[Math.min(frames.length, MAX_FRAMES_PER_ROUTINE - 1)] = frame;
  return frame;
}

/**
 * Calls a driver routine, stored in `slot` (named as frameFor says), with its
 * frame on the stack; an exception out of it stops the machine as the context
 * dictates. `returned` reads what the routine left (its result, the IRP's
 * IoStatus) while its frame is still on the stack: what the kernel cannot
 * read there is the driver's fault, not the host's. (IoCallDriver has the
 * same shape written out, without the closures: io/manager.ts.)
 */
export function callDriverRoutine<T = unknown>(k: IoContext, driver: DriverObject, routine: unknown, slot: string, context: ExceptionContext,
  body: () => unknown, returned: (value: unknown) => T = (value) => value as T): T {
  const frame = IopEnterDriverRoutine(k, driver, routine, slot);
  const calledAt = k.irql;
  try {
    const value = body();
    if (isThenable(value)) return IopReturnedPromise(k, frame, context, value);
    const result = returned(value);
    if (k.irql !== calledAt) IopIrqlChanged(k, frame, context, calledAt);
    return result;
  } catch (e) {
    return IopDriverRoutineFaulted(k, frame, context, e);
  } finally {
    k.attribution.pop(frame);
  }
}

/**
 * The entry half of a call into a driver: its frame (frameFor), pushed on
 * the attribution stack; a routine of a driver that has unloaded is 0xCE.
 * The caller pops the frame in a `finally`.
 */
export function IopEnterDriverRoutine(k: IoContext, driver: DriverObject, routine: unknown, slot: string): DriverFrame {
  const frame = frameFor(driver, routine, slot);
  if (driver.unloaded) {
    k.bugCheck(DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, frame.address, 0, frame.address, 0,
      `${frame.driver}!${frame.routine} was called after ${frame.driver} unloaded: a timer, DPC or device it left behind still pointed into its image.`);
  }
  k.attribution.push(frame, k.clock.nowNs);
  return frame;
}

/** A driver routine returned a Promise: driver code runs synchronously to its return, so that is the driver's fault. */
export function IopReturnedPromise(k: IoContext, frame: DriverFrame, context: ExceptionContext, value: PromiseLike<unknown>): never {
  // An async routine would go on outside its frame.
  value.then(undefined, () => {});
  return unhandledDriverException(k, frame, context,
    new GuestMisuse(`${frame.driver}!${frame.routine} returned a Promise: driver routines run synchronously (no async, no await)`));
}

/** An exception left a driver routine: the machine stops as the context dictates, unless it is no exception of the driver's. */
export function IopDriverRoutineFaulted(k: IoContext, frame: DriverFrame, context: ExceptionContext, e: unknown): never {
  // The machine stopping, the emulator failing, or ntshm stopping a routine that never returns
  // (ke/watchdog.ts) is not the driver's exception: it unwinds every frame.
  // PsTerminateSystemThread's ThreadExit ends the System thread wherever it was called (io/system-thread.ts).
  if (e instanceof MachineHalted || e instanceof EmulatorError || e instanceof GuestMisuse || e instanceof ThreadExit) throw e;
  return unhandledDriverException(k, frame, context, e);
}

/**
 * A driver routine returned at another IRQL than it was called at. Nothing
 * puts it back: the check of the place it returned to finds it — a DPC or
 * timer routine's here, as KiExecuteAllDpcs does after each DPC routine
 * (0xC8 IRQL_UNEXPECTED_VALUE); a System worker's when its work item ends
 * (0xE1, ps/manager.ts); a system service's on the way back to user mode
 * (0x4A, ke/system-call.ts); a dying thread's once its handles are closed
 * (0x20, ps/manager.ts).
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc8--irql-unexpected-value
 */
export function IopIrqlChanged(k: IoContext, frame: DriverFrame, context: ExceptionContext, calledAt: number): void {
  const now = k.irql;
  k.attribution.noteIrqlChange(frame, calledAt, now);
  if (context !== 'dpc') return;
  // P1 = (current IRQL << 16) | (expected IRQL << 8) | UniqueValue 0; P2 the routine (docs/fidelity.md).
  k.bugCheck(IRQL_UNEXPECTED_VALUE, (now << 16) | (calledAt << 8), frame.address, 0, 0,
    `${frame.driver}!${frame.routine} was called at IRQL ${calledAt} and returned at ${now}: a DPC or timer routine must return at the IRQL it was called at (DISPATCH_LEVEL).`);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  // Reading `then` runs a getter a hostile object may have: inside the frame, its throw is the driver's.
  return typeof (value as { then?: unknown }).then === 'function';
}

/**
 * A routine's NTSTATUS as the caller's register holds it: the low 32 bits of
 * whatever it returned (a bigint, 2 ** 40, a boolean: c-types.ts). What no
 * register holds (a Symbol, an object whose valueOf throws) is the driver's
 * bad value, read in its frame.
 */
export function IopReturnedStatus(value: unknown): number {
  try {
    return asUlong(value);
  } catch (e) {
    throw new InvalidDriverValue(`returned ${describeValue(value)}, which is no NTSTATUS`, { cause: e });
  }
}

/** A guest value named for a message, without converting it (which might throw or run guest code). */
export function describeValue(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'symbol') return 'a Symbol';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `a ${typeof value}`;
}

/** Maps the driver's image pages; 0 if system PTEs or memory ran out. */
function mapImage(k: IoContext): number {
  const va = k.systemPtes.MiReserveSystemPtes(IMAGE_PAGES);
  if (va === 0) return 0;
  for (let i = 0; i < IMAGE_PAGES; i++) {
    const pfn = k.pfn.removeZeroPage(PfnUse.DriverImage);
    if (pfn < 0) {
      unmapImage(k, va, i);
      return 0;
    }
    k.pageTables.MiWriteValidPte(k.systemRoot, va + i * PAGE_SIZE, pfn, { writable: false, executable: true, user: false }, undefined);
  }
  return va;
}

function unmapImage(k: IoContext, va: number, pages: number): void {
  for (let i = 0; i < pages; i++) {
    const pfn = k.pageTables.MiErasePte(k.systemRoot, va + i * PAGE_SIZE);
    if (pfn >= 0) k.pfn.freePage(pfn);
  }
  k.systemPtes.MiReleaseSystemPtes(va, IMAGE_PAGES);
}

/**
 * IopLoadDriver: creates the DRIVER_OBJECT, maps the image, runs DriverEntry
 * in a System thread, which receives `registryPath` (the service key's full
 * name). A failing DriverEntry unloads the image again.
 */
export function IopLoadDriver(k: IoContext, serviceName: string, image: DriverImage, nt: unknown, registryPath: string): { status: number; driver?: DriverObject } {
  const driver = k.ob.ObCreateObject(new DriverObject(serviceName, makeInvalidDeviceRequest(k)));
  driver.DriverStart = mapImage(k);
  if (driver.DriverStart === 0) {
    k.ob.ObDereferenceObject(driver);
    return { status: STATUS_UNSUCCESSFUL };
  }
  driver.DriverSize = IMAGE_PAGES * PAGE_SIZE;
  k.ob.insertName(driver.DriverName, driver, 0, true);
  // Registered while DriverEntry runs, so that DPCs and timers it sets up are attributed to it.
  const key = serviceName.toUpperCase();
  k.io.drivers.set(key, driver);
  // NtLoadDriver's work item (IopLoadUnloadDriver) in a System worker thread.
  const status = k.runInSystemThread(() =>
    callDriverRoutine(k, driver, image.DriverEntry, 'DriverEntry', 'system-thread', () => image.DriverEntry(nt, driver, registryPath), IopReturnedStatus),
  'IopLoadUnloadDriver');
  if (status >= 0x8000_0000) { // !NT_SUCCESS
    k.io.drivers.delete(key);
    k.io.unloadedDrivers.set(key, driver);
    releaseDriver(k, driver);
    return { status };
  }
  // Legacy drivers' devices become usable when DriverEntry returns.
  for (let d = driver.DeviceObject; d; d = d.NextDevice) d.Flags &= ~0x80; // DO_DEVICE_INITIALIZING
  IopPlaceEntryPoints(driver);
  return { status: STATUS_SUCCESS, driver };
}

/**
 * The routines DriverEntry put in the DRIVER_OBJECT are in the image from the
 * start: each gets its code address now, in slot order (the MajorFunction
 * table, then DriverUnload), so that kd's `!drvobj` shows where each one is
 * before anything called it. Routines a driver hands over later (a DPC, a
 * timer, a completion routine) get theirs at their first call.
 */
function IopPlaceEntryPoints(driver: DriverObject): void {
  // The driver may have spoilt its table (null, a Proxy whose reads throw): those slots get addresses at their
  // first call, as other routines do, and the call through them faults there (test/hostile/driver-values.test.ts).
  const routines: unknown[] = [];
  try {
    const table: unknown = driver.MajorFunction;
    if (Array.isArray(table)) for (let major = 0; major <= IRP_MJ_MAXIMUM_FUNCTION; major++) routines.push(table[major]);
    routines.push(driver.DriverUnload);
  } catch {
    // What was read before the throw is placed.
  }
  for (const routine of routines) {
    // The I/O manager's IopInvalidDeviceRequest fills the empty slots: it is nt's, not the image's.
    if (typeof routine === 'function' && routine !== driver.invalidDeviceRequest) routineAddress(driver, routine);
  }
}

/**
 * IopUnloadDriver. DriverUnload runs only when nothing references the
 * driver's devices: with files still open on them the unload is marked and
 * happens when the last one closes ("Unload Routine Environment").
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/unload-routine-environment
 */
export function IopUnloadDriver(k: IoContext, driver: DriverObject): number {
  if (!driver.DriverUnload) return STATUS_INVALID_DEVICE_REQUEST;
  driver.unloadPending = true;
  IopCheckUnloadDriver(k, driver);
  return STATUS_SUCCESS;
}

/** Drivers whose async DriverUnload is running in a System thread (the driver stays unloadPending meanwhile). */
const unloadsRunning = new WeakSet<DriverObject>();

/**
 * Runs a marked unload once no file object is open on any of the driver's devices. An `async`
 * DriverUnload runs in a System thread of its own (io/system-thread.ts), where it may await the end of
 * the driver's threads (KeWaitForSingleObject on a thread object): the unload completes when it returns,
 * and until then the driver is stopping (unloadPending: SERVICE_STOP_PENDING, opens refused).
 */
export function IopCheckUnloadDriver(k: IoContext, driver: DriverObject): void {
  if (!driver.unloadPending || driver.unloaded || unloadsRunning.has(driver)) return;
  for (const device of driver.devices) if (device.ReferenceCount > 0) return;
  const unload = driver.DriverUnload!;
  if (isAsyncFunction(unload)) {
    unloadsRunning.add(driver);
    IopCreateSystemThread(k, driver, unload as KStartRoutine, driver, () => {
      unloadsRunning.delete(driver);
      driver.unloadPending = false;
      IopCompleteUnload(k, driver);
    });
    return;
  }
  driver.unloadPending = false;
  k.runInSystemThread(() => callDriverRoutine(k, driver, unload, 'DriverUnload', 'system-thread', () => unload(driver)), 'IopLoadUnloadDriver');
  IopCompleteUnload(k, driver);
}

/** DriverUnload has returned: the driver's image goes, and whoever asked to be told is. */
function IopCompleteUnload(k: IoContext, driver: DriverObject): void {
  const key = driver.serviceName.toUpperCase();
  k.io.drivers.delete(key);
  k.io.unloadedDrivers.set(key, driver);
  releaseDriver(k, driver);
  for (const notify of k.io.unloadNotifyRoutines) notify(driver.serviceName);
}

/** Whether a routine is an `async function` (read without running anything of the driver's). */
function isAsyncFunction(routine: unknown): boolean {
  try {
    return typeof routine === 'function' && Object.getPrototypeOf(routine) === Object.getPrototypeOf(async function () {});
  } catch {
    return false;
  }
}

function releaseDriver(k: IoContext, driver: DriverObject): void {
  driver.unloaded = true;
  unmapImage(k, driver.DriverStart, IMAGE_PAGES);
  k.ob.removeName(driver);
  k.ob.ObDereferenceObject(driver); // the loader's reference; devices left behind keep theirs
}
