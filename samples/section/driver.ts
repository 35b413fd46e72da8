/**
 * Section.sys, ported from the KB Q194945 sample (seed 000). Its dispatch
 * routine for the IOCTL runs in the context of the calling program, so the
 * view it maps into "the current process" lands in the program's address
 * space: it opens the program's section by name (ZwOpenSection), maps a view
 * (ZwMapViewOfSection), reads the message, writes the reply in the same
 * place, unmaps the view and closes the handle.
 */
import {
  defineDriver, FILE_DEVICE_UNKNOWN, InitializeObjectAttributes, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLOSE,
  IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, NT_SUCCESS, NtException, OBJ_CASE_INSENSITIVE, PAGE_READWRITE, SECTION_MAP_READ,
  SECTION_MAP_WRITE, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, ViewShare, type DeviceObject, type DriverObject, type Irp, type Nt,
} from 'ntshm/wdm';
import { IOCTL_SECTION_MESSAGE, REPLY, SECTION_NAME, SERVICE_NAME } from './ioctl.js';

/** How a variant of the driver differs (variants.ts). */
export interface SectionDriverVariant {
  /** The name the driver opens (session-namespace: the program's `Local\` name is not there). */
  sectionName?: string;
  /** The IOCTL's work in place of ShareSection (user-handle: map the section whose handle the program sent). */
  share?: (nt: Nt, irp: Irp) => number;
  /**
   * The whole IOCTL handling in place of the article's (wrong-context, no-try: a view mapped by one request and
   * used by the next, IOCTL_SECTION_MAP_VIEW then IOCTL_SECTION_MESSAGE): the status and Information to complete with.
   */
  control?: (nt: Nt, device: DeviceObject, irp: Irp) => { status: number; information?: number };
}

export function sectionDriver(variant: SectionDriverVariant = {}) {
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, DriverObject: DriverObject): number {
      const complete = (irp: Irp, status: number, information = 0): number => {
        irp.IoStatus.Status = status;
        irp.IoStatus.Information = information;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };

      /**
       * Runs in the caller's context: ZwMapViewOfSection(NtCurrentProcess()) maps
       * into the program's address space, where the program's own view is too.
       */
      function ShareSection(): number {
        const sectionName = variant.sectionName ?? `\\BaseNamedObjects\\${SECTION_NAME}`;
        const objectAttributes = InitializeObjectAttributes(sectionName, OBJ_CASE_INSENSITIVE, null, null);
        const { status: openStatus, sectionHandle } = nt.ZwOpenSection(SECTION_MAP_READ | SECTION_MAP_WRITE, objectAttributes);
        if (!NT_SUCCESS(openStatus)) {
          nt.DbgPrint('Section: ZwOpenSection failed (%08X)\n', openStatus);
          return openStatus;
        }
        const { status, baseAddress, viewSize } = nt.ZwMapViewOfSection(sectionHandle, nt.NtCurrentProcess(), 0, 0, 0, null, 0,
          ViewShare, 0, PAGE_READWRITE);
        if (!NT_SUCCESS(status)) {
          nt.DbgPrint('Section: ZwMapViewOfSection failed (%08X)\n', status);
          nt.ZwClose(sectionHandle);
          return status;
        }
        nt.DbgPrint('Section: view of %d bytes mapped at %p in process %d\n', viewSize, baseAddress, nt.PsGetCurrentProcessId());
        try {
          // The view is user memory of the caller: read it and write it inside try/except.
          // The article touches it at its user address directly, unprobed: with --verifier (Security
          // Checks) that is the finding user-access-discipline, and rightly so (ReadULongFromUser and
          // CopyFromUser are today's way; the program may unmap or change the view meanwhile).
          const message = nt.getString(baseAddress, 'utf-16le', viewSize / 2);
          nt.DbgPrint('Section: the application says "%ws"\n', message);
          nt.setString(baseAddress, REPLY, 'utf-16le');
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
          nt.ZwUnmapViewOfSection(nt.NtCurrentProcess(), baseAddress);
          nt.ZwClose(sectionHandle);
          return e.status;
        }
        nt.ZwUnmapViewOfSection(nt.NtCurrentProcess(), baseAddress);
        nt.ZwClose(sectionHandle);
        return STATUS_SUCCESS;
      }

      DriverObject.MajorFunction[IRP_MJ_CREATE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = (device: DeviceObject, irp: Irp) => {
        if (variant.control) {
          const { status, information } = variant.control(nt, device, irp);
          return complete(irp, status, information);
        }
        const code = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl.IoControlCode;
        if (code !== IOCTL_SECTION_MESSAGE) return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
        return complete(irp, variant.share ? variant.share(nt, irp) : ShareSection());
      };
      DriverObject.DriverUnload = (driverObject: DriverObject) => {
        nt.IoDeleteSymbolicLink('\\DosDevices\\Section');
        if (driverObject.DeviceObject) nt.IoDeleteDevice(driverObject.DeviceObject);
      };

      const { status, deviceObject } = nt.IoCreateDevice(DriverObject, 0, '\\Device\\Section', FILE_DEVICE_UNKNOWN, 0, false);
      if (!NT_SUCCESS(status) || !deviceObject) return status;
      const link = nt.IoCreateSymbolicLink('\\DosDevices\\Section', '\\Device\\Section');
      if (!NT_SUCCESS(link)) {
        nt.IoDeleteDevice(deviceObject);
        return link;
      }
      return STATUS_SUCCESS;
    },
  });
}
