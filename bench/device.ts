/**
 * The device every benchmark driver has: \Device\<service> with its
 * \DosDevices link, create, cleanup and close completed at once, and an
 * unload that removes both. A figure's driver adds only what it measures.
 */
import {
  defineDriver, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, STATUS_SUCCESS,
  type DriverDispatch, type DriverObject, type Irp, type Nt,
} from '../src/api/wdm.js';

/** Completes the IRP with STATUS_SUCCESS and `information` bytes. */
export function completeSuccess(nt: Nt, irp: Irp, information: number): number {
  irp.IoStatus.Status = STATUS_SUCCESS;
  irp.IoStatus.Information = information;
  nt.IofCompleteRequest(irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

/** A driver named `service` with the device above; `more` adds dispatch routines (IRP_MJ_DEVICE_CONTROL, say). */
export function benchDriver(service: string, more: (nt: Nt) => Partial<Record<number, DriverDispatch>> = () => ({})) {
  return defineDriver({
    name: service,
    DriverEntry(nt: Nt, driver: DriverObject): number {
      const { status, deviceObject } = nt.IoCreateDevice(driver, 0, `\\Device\\${service}`, FILE_DEVICE_UNKNOWN, 0, false);
      if (status !== STATUS_SUCCESS || !deviceObject) return status;
      const linked = nt.IoCreateSymbolicLink(`\\DosDevices\\${service}`, `\\Device\\${service}`);
      if (linked !== STATUS_SUCCESS) {
        nt.IoDeleteDevice(deviceObject);
        return linked;
      }
      const createClose: DriverDispatch = (_d, irp) => completeSuccess(nt, irp, 0);
      for (const major of [IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE]) driver.MajorFunction[major] = createClose;
      for (const [major, routine] of Object.entries(more(nt))) if (routine) driver.MajorFunction[Number(major)] = routine;
      driver.DriverUnload = (d: DriverObject) => {
        nt.IoDeleteSymbolicLink(`\\DosDevices\\${service}`);
        if (d.DeviceObject) nt.IoDeleteDevice(d.DeviceObject);
      };
      return STATUS_SUCCESS;
    },
  });
}
