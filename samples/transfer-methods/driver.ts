/**
 * The driver of seed 004's third part: one dispatch routine, four IOCTLs,
 * and for each the buffers where the transfer method puts them:
 *
 *   METHOD_BUFFERED    the message in Irp->AssociatedIrp.SystemBuffer, the
 *                      reply written there (the I/O manager copies it back)
 *   METHOD_IN_DIRECT   the message in the second buffer, probed and locked
 *                      for reading by the I/O manager: read through the MDL
 *   METHOD_OUT_DIRECT  the message in the SystemBuffer, the reply written
 *                      through the MDL straight into the program's pages
 *   METHOD_NEITHER     the program's own addresses: probed here, inside
 *                      try/except, then read and written in its context
 *
 * The neither-no-probe variant skips the probes (reference/misuse.md).
 */
import {
  defineDriver, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL,
  METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_NEITHER, NormalPagePriority, NT_SUCCESS, NtException, STATUS_BUFFER_TOO_SMALL,
  STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS, type DeviceObject, type DriverObject, type Irp, type Nt,
} from 'ntshm/wdm';
import { DEVICE_NAME, LINK_NAME, MESSAGE_BYTES, METHODS, REPLY, REPLY_BYTES, SERVICE_NAME } from './ioctl.js';

/** How a variant of the driver differs (variants.ts). */
export interface TransferDriverVariant {
  /** neither-no-probe: METHOD_NEITHER's addresses used without ProbeForRead / ProbeForWrite. */
  noProbe?: boolean;
  /** direct-zero-length: METHOD_OUT_DIRECT's MDL used without checking it is there. */
  noMdlCheck?: boolean;
  /** information-too-large: METHOD_BUFFERED claims the whole output buffer as written. */
  informationTooLarge?: boolean;
}

export function transferMethodsDriver(variant: TransferDriverVariant = {}) {
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, DriverObject: DriverObject): number {
      const complete = (irp: Irp, status: number, information = 0): number => {
        irp.IoStatus.Status = status;
        irp.IoStatus.Information = information;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };
      const text = (va: number, bytes: number): string => nt.getString(va, 'utf-16le', bytes / 2);

      function DispatchControl(_device: DeviceObject, irp: Irp): number {
        const p = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
        const method = p.IoControlCode & 3;
        const name = METHODS.find(([, code]) => code === p.IoControlCode)?.[0] ?? `method ${method}`;
        if (method === METHOD_BUFFERED) {
          if (p.InputBufferLength < MESSAGE_BYTES || p.OutputBufferLength < REPLY_BYTES) return complete(irp, STATUS_BUFFER_TOO_SMALL);
          const buffer = irp.AssociatedIrp.SystemBuffer;
          nt.DbgPrint('TransferMethods: %s: SystemBuffer %p holds "%s"\n', name, buffer, text(buffer, MESSAGE_BYTES));
          nt.setString(buffer, REPLY, 'utf-16le');
          // Wrong in information-too-large: the rest of the output buffer was never written.
          return complete(irp, STATUS_SUCCESS, variant.informationTooLarge ? p.OutputBufferLength : REPLY_BYTES);
        }
        if (method === METHOD_IN_DIRECT) {
          // The second buffer is the data: locked for reading, read through the MDL's system address.
          if (!irp.MdlAddress || p.OutputBufferLength < MESSAGE_BYTES) return complete(irp, STATUS_BUFFER_TOO_SMALL);
          const kva = nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority);
          if (kva === 0) return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
          nt.DbgPrint('TransferMethods: %s: MDL %p (StartVa %p, ByteOffset 0x%X) mapped at %p holds "%s"\n', name, irp.MdlAddress.address,
            irp.MdlAddress.StartVa, irp.MdlAddress.ByteOffset, kva, text(kva, MESSAGE_BYTES));
          return complete(irp, STATUS_SUCCESS, 0);
        }
        if (method !== METHOD_NEITHER) {
          // METHOD_OUT_DIRECT: the message buffered, the reply written through the MDL into the program's own pages.
          if (variant.noMdlCheck) {
            // Wrong: with an output length of 0 there is no MDL, and MmGetSystemAddressForMdlSafe's answer is not checked.
            nt.setString(nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority), REPLY, 'utf-16le');
            return complete(irp, STATUS_SUCCESS, REPLY_BYTES);
          }
          if (!irp.MdlAddress || p.InputBufferLength < MESSAGE_BYTES || p.OutputBufferLength < REPLY_BYTES) return complete(irp, STATUS_BUFFER_TOO_SMALL);
          const kva = nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority);
          if (kva === 0) return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
          nt.DbgPrint('TransferMethods: %s: SystemBuffer %p holds "%s"; reply through MDL %p at %p\n', name, irp.AssociatedIrp.SystemBuffer,
            text(irp.AssociatedIrp.SystemBuffer, MESSAGE_BYTES), irp.MdlAddress.address, kva);
          nt.setString(kva, REPLY, 'utf-16le');
          return complete(irp, STATUS_SUCCESS, REPLY_BYTES);
        }
        // METHOD_NEITHER: nothing was checked. The addresses are the program's, valid only in its context.
        const input = p.Type3InputBuffer;
        const output = irp.UserBuffer;
        if (variant.noProbe) {
          // Wrong: whatever address the program gave is read, kernel space included.
          const bytes = nt.getBytes(input, p.InputBufferLength);
          nt.DbgPrint('TransferMethods: %s: read %d bytes at %p unprobed\n', name, p.InputBufferLength, input);
          nt.setBytes(output, bytes.subarray(0, Math.min(bytes.length, p.OutputBufferLength)));
          return complete(irp, STATUS_SUCCESS, Math.min(bytes.length, p.OutputBufferLength));
        }
        if (p.InputBufferLength < MESSAGE_BYTES || p.OutputBufferLength < REPLY_BYTES) return complete(irp, STATUS_BUFFER_TOO_SMALL);
        try {
          nt.ProbeForRead(input, p.InputBufferLength, 2);
          nt.ProbeForWrite(output, p.OutputBufferLength, 2);
          nt.DbgPrint('TransferMethods: %s: Type3InputBuffer %p holds "%s"; reply to UserBuffer %p\n', name, input, text(input, MESSAGE_BYTES), output);
          nt.setString(output, REPLY, 'utf-16le');
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
          nt.DbgPrint('TransferMethods: %s: the probe raised 0x%08X\n', name, e.status);
          return complete(irp, e.status);
        }
        return complete(irp, STATUS_SUCCESS, REPLY_BYTES);
      }

      DriverObject.MajorFunction[IRP_MJ_CREATE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
      DriverObject.DriverUnload = (driverObject: DriverObject) => {
        nt.IoDeleteSymbolicLink(LINK_NAME);
        if (driverObject.DeviceObject) nt.IoDeleteDevice(driverObject.DeviceObject);
      };
      const { status, deviceObject } = nt.IoCreateDevice(DriverObject, 0, DEVICE_NAME, FILE_DEVICE_UNKNOWN, 0, false);
      if (!NT_SUCCESS(status) || !deviceObject) return status;
      const link = nt.IoCreateSymbolicLink(LINK_NAME, DEVICE_NAME);
      if (!NT_SUCCESS(link)) nt.IoDeleteDevice(deviceObject);
      return link;
    },
  });
}
