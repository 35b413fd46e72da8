/**
 * Variant `no-force-access-check` of KernelSection.sys (reference/misuse.md):
 * the driver adds a device with an IOCTL that opens its section for the
 * calling program — ZwOpenSection in the program's context, a handle in the
 * program's handle table, returned in the output buffer. Without
 * OBJ_FORCE_ACCESS_CHECK the open is KernelMode and no access check is made:
 * a standard user, whom the section's DACL refuses (variant standard-user),
 * gets a handle with every right. Finding: access-check-bypassed. The fix
 * (`force-access-check`) sets OBJ_FORCE_ACCESS_CHECK: STATUS_ACCESS_DENIED.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wudfwdm/nf-wudfwdm-initializeobjectattributes
 */
import {
  InitializeObjectAttributes, IoGetCurrentIrpStackLocation, NT_SUCCESS, OBJ_CASE_INSENSITIVE, OBJ_FORCE_ACCESS_CHECK, SECTION_ALL_ACCESS,
  STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, type DriverObject, type Irp, type Nt,
} from 'ntshm/wdm';
import { createKernelSectionDevice } from '../device.js';
import { kernelSectionDriver } from '../driver.js';
import { IOCTL_OPEN_SECTION, KERNEL_SECTION_PATH } from '../names.js';

/** `force`: the fix, OBJ_FORCE_ACCESS_CHECK; without it, the misuse. */
export const openForCallerDriver = (force: boolean) => kernelSectionDriver({
  device: (nt: Nt, DriverObject: DriverObject) => createKernelSectionDevice(nt, DriverObject, {
    control: (irp: Irp) => {
      const { IoControlCode, OutputBufferLength } = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
      if (IoControlCode !== IOCTL_OPEN_SECTION) return STATUS_INVALID_DEVICE_REQUEST;
      if (OutputBufferLength < nt.sizeofPointer) return STATUS_BUFFER_TOO_SMALL;
      // A handle for the program: no OBJ_KERNEL_HANDLE. The misuse: no OBJ_FORCE_ACCESS_CHECK either.
      const attributes = OBJ_CASE_INSENSITIVE | (force ? OBJ_FORCE_ACCESS_CHECK : 0);
      const { status, sectionHandle } = nt.ZwOpenSection(SECTION_ALL_ACCESS, InitializeObjectAttributes(KERNEL_SECTION_PATH, attributes, null, null));
      if (!NT_SUCCESS(status)) {
        nt.DbgPrint('KernelSection: ZwOpenSection for the caller failed (%08X)\n', status);
        return status;
      }
      nt.setPointer(irp.AssociatedIrp.SystemBuffer, sectionHandle);
      irp.IoStatus.Information = nt.sizeofPointer;
      return STATUS_SUCCESS;
    },
  }),
});
