/**
 * IoCreateDevice, IoDeleteDevice, IoCreateSymbolicLink, IoDeleteSymbolicLink.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocreatedevice
 */
import { DO_DEVICE_INITIALIZING, DO_EXCLUSIVE } from '../../include/wdm-constants.js';
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { MiFillKernel } from '../mm/kernel-space.js';
import type { IoContext } from './context.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import { SymbolicLinkObject } from '../ob/namespace.js';
import { NonPagedPool } from '../mm/pool.js';
import { DeviceObject, type DriverObject } from './objects.js';

/**
 * IoCreateDevice: a DEVICE_OBJECT with a zeroed extension, named if `deviceName` is given, first in the driver's list.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocreatedevice
 */
export function IoCreateDevice(k: IoContext, driver: DriverObject, deviceExtensionSize: number, deviceName: string | null,
  deviceType: number, deviceCharacteristics: number, exclusive: boolean): { status: number; deviceObject: DeviceObject | null } {
  let device: DeviceObject;
  try {
    device = k.ob.ObCreateObject(new DeviceObject(driver, deviceType, deviceCharacteristics, DO_DEVICE_INITIALIZING | (exclusive ? DO_EXCLUSIVE : 0)));
  } catch (e) {
    if (e instanceof ObjectAllocationFailed) return { status: STATUS_INSUFFICIENT_RESOURCES, deviceObject: null };
    throw e;
  }
  if (deviceExtensionSize > 0) {
    const ext = k.pool.allocate(NonPagedPool, deviceExtensionSize, 0x20766544); // 'Dev '
    if (ext === 0) {
      k.ob.ObDereferenceObject(device);
      return { status: STATUS_INSUFFICIENT_RESOURCES, deviceObject: null };
    }
    MiFillKernel(k, ext, deviceExtensionSize, 0); // the device extension is zeroed, unlike other pool
    device.DeviceExtension = ext;
  }
  if (deviceName) {
    const { status } = k.ob.insertName(deviceName, device, 0, true);
    if (status !== STATUS_SUCCESS) {
      if (device.DeviceExtension) k.pool.free(device.DeviceExtension);
      k.ob.ObDereferenceObject(device);
      return { status, deviceObject: null };
    }
  }
  device.NextDevice = driver.DeviceObject;
  driver.DeviceObject = device;
  driver.devices.add(device);
  k.ob.ObReferenceObject(driver);
  return { status: STATUS_SUCCESS, deviceObject: device };
}

/**
 * IoDeleteDevice: the name goes at once; the object goes when the last file
 * object on it is closed.
 */
export function IoDeleteDevice(k: IoContext, device: DeviceObject): void {
  if (device.deletePending) return;
  device.deletePending = true;
  if (device.Timer) k.io.removeIoTimer(device);
  const driver = device.DriverObject;
  if (driver.DeviceObject === device) driver.DeviceObject = device.NextDevice;
  else for (let d = driver.DeviceObject; d; d = d.NextDevice) if (d.NextDevice === device) { d.NextDevice = device.NextDevice; break; }
  if (device.header.directory) k.ob.removeName(device);
  if (device.ReferenceCount === 0) finishDelete(k, device);
}

/** The last step of deleting a device: its extension and the object. */
export function finishDelete(k: IoContext, device: DeviceObject): void {
  if (device.DeviceExtension) k.pool.free(device.DeviceExtension);
  device.DeviceExtension = 0;
  const driver = device.DriverObject;
  driver.devices.delete(device);
  k.ob.ObDereferenceObject(device);
  k.ob.ObDereferenceObject(driver);
}

/** IoCreateSymbolicLink: a permanent link object, e.g. \DosDevices\X → \Device\X. */
export function IoCreateSymbolicLink(k: IoContext, symbolicLinkName: string, deviceName: string): number {
  let link: SymbolicLinkObject;
  try {
    link = k.ob.ObCreateObject(new SymbolicLinkObject(deviceName));
  } catch (e) {
    if (e instanceof ObjectAllocationFailed) return STATUS_INSUFFICIENT_RESOURCES;
    throw e;
  }
  const { status } = k.ob.insertName(symbolicLinkName, link, 0, true);
  k.ob.ObDereferenceObject(link); // the namespace's permanent reference keeps it
  return status;
}

/** IoDeleteSymbolicLink. */
export function IoDeleteSymbolicLink(k: IoContext, symbolicLinkName: string): number {
  const found = k.ob.lookup(symbolicLinkName, true);
  if (typeof found === 'number') return found;
  if (!(found.object instanceof SymbolicLinkObject) || found.remaining) return STATUS_OBJECT_NAME_NOT_FOUND;
  k.ob.removeName(found.object);
  return STATUS_SUCCESS;
}
