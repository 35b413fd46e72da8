/**
 * The device the kernel-section variants add to KernelSection.sys
 * (variants/): \Device\KernelSection and its link \DosDevices\KernelSection,
 * whose dispatch routines run in the context of the program that calls them
 * — where the misuses happen. DriverUnload is wrapped to delete both.
 */
import {
  FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, NT_SUCCESS, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS,
  type DeviceObject, type DriverObject, type Irp, type Nt,
} from 'ntshm/wdm';
import { DEVICE_NAME, DOS_DEVICE_NAME } from './names.js';

/** What a variant's device does: each returns the status its IRP completes with (and sets Information itself). */
export interface KernelSectionDevice {
  create?: (irp: Irp) => number;
  control?: (irp: Irp) => number;
}

/** Creates the device with `routines`; DriverEntry's status. */
export function createKernelSectionDevice(nt: Nt, DriverObject: DriverObject, routines: KernelSectionDevice): number {
  const complete = (irp: Irp, status: number): number => {
    irp.IoStatus.Status = status;
    nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
    return status;
  };
  DriverObject.MajorFunction[IRP_MJ_CREATE] = (_d: DeviceObject, irp: Irp) => complete(irp, routines.create ? routines.create(irp) : STATUS_SUCCESS);
  DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
  DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = (_d: DeviceObject, irp: Irp) =>
    complete(irp, routines.control ? routines.control(irp) : STATUS_INVALID_DEVICE_REQUEST);
  const unload = DriverObject.DriverUnload;
  DriverObject.DriverUnload = (driverObject: DriverObject) => {
    if (typeof unload === 'function') unload(driverObject);
    nt.IoDeleteSymbolicLink(DOS_DEVICE_NAME);
    if (driverObject.DeviceObject) nt.IoDeleteDevice(driverObject.DeviceObject);
  };
  const { status, deviceObject } = nt.IoCreateDevice(DriverObject, 0, DEVICE_NAME, FILE_DEVICE_UNKNOWN, 0, false);
  if (!NT_SUCCESS(status) || !deviceObject) return status;
  const link = nt.IoCreateSymbolicLink(DOS_DEVICE_NAME, DEVICE_NAME);
  if (!NT_SUCCESS(link)) nt.IoDeleteDevice(deviceObject);
  return link;
}
