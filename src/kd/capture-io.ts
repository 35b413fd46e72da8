/**
 * The I/O manager's objects as kd reads them: each driver's DRIVER_OBJECT
 * (its devices, its MajorFunction table, DriverUnload, the routines kd can
 * name) and each DEVICE_OBJECT. Reads only: a routine with no code address
 * yet (one a driver put in the DRIVER_OBJECT after DriverEntry returned and
 * nothing has called, driver-load.ts) shows 0 rather than be given one here.
 */
import type { Kernel } from '../kernel/kernel.js';
import { KiRoutineAddress } from '../kernel/ke/nt-image.js';
import type { DeviceObject, DriverObject } from '../kernel/io/objects.js';
import { irpMajorFunctionName } from '../include/wdm-constants.js';
import type { KdDevice, KdDriver, KdRoutine } from './snapshot.js';

/** A routine of `driver` as kd names it: `Driver!Routine` (nt's IopInvalidDeviceRequest for an empty MajorFunction slot). */
function routineOf(k: Kernel, driver: DriverObject, routine: unknown, slot: string): KdRoutine {
  if (typeof routine !== 'function') return { address: 0, name: '' };
  if (routine === driver.invalidDeviceRequest) return { address: KiRoutineAddress(k.arch, 'IopInvalidDeviceRequest'), name: 'nt!IopInvalidDeviceRequest' };
  return { address: driver.routineAddresses.get(routine) ?? 0, name: `${driver.serviceName}!${routine.name || slot}` };
}

function devicesOf(driver: DriverObject): DeviceObject[] {
  const out: DeviceObject[] = [];
  for (let d = driver.DeviceObject; d && out.length < 1024; d = d.NextDevice) out.push(d);
  return out;
}

/** A driver as the snapshot keeps it. */
export function KdCaptureDriver(k: Kernel, d: DriverObject): KdDriver {
  const dispatch = d.MajorFunction.map((r, i) => routineOf(k, d, r, irpMajorFunctionName(i)));
  const unload = d.DriverUnload ? routineOf(k, d, d.DriverUnload, 'DriverUnload') : null;
  // DriverEntry is the first routine the I/O manager calls, so it has the image's first routine address (driver-load.ts).
  const entry: KdRoutine = { address: d.DriverStart + 0x1000, name: `${d.serviceName}!DriverEntry` };
  const devices = devicesOf(d);
  const timers = devices.flatMap((dev) => (dev.Timer ? [routineOf(k, d, dev.Timer.TimerRoutine, 'IoTimer')] : []));
  const routines = [entry, ...dispatch, ...(unload ? [unload] : []), ...timers]
    .filter((r, i, all) => r.address !== 0 && r.name.startsWith(`${d.serviceName}!`) && all.findIndex((x) => x.address === r.address) === i);
  return {
    service: d.serviceName, name: d.DriverName, start: d.DriverStart, size: d.DriverSize, unloaded: d.unloaded,
    address: d.address, devices: devices.map((dev) => dev.address), dispatch, unload, routines,
  };
}

/** Every device object of the drivers, loaded or unloaded, with the name it has in the namespace. */
export function KdCaptureDevices(k: Kernel, drivers: readonly DriverObject[], nameOf: (o: DeviceObject) => string): KdDevice[] {
  const all = new Set<DeviceObject>();
  for (const d of drivers) for (const dev of [...devicesOf(d), ...d.devices]) all.add(dev);
  return [...all].map((dev) => ({
    address: dev.address, name: nameOf(dev), driverAddress: dev.DriverObject.address, driverName: dev.DriverObject.DriverName,
    deviceType: dev.DeviceType, flags: dev.Flags, characteristics: dev.Characteristics, deviceExtension: dev.DeviceExtension,
    referenceCount: dev.ReferenceCount, stackSize: dev.StackSize, attachedDevice: dev.AttachedDevice?.address ?? 0,
    attachedTo: dev.AttachedTo?.address ?? 0, deletePending: dev.deletePending,
  }));
}
