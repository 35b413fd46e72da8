/**
 * The IRP routines of `nt` between drivers, spread into `nt`: building an
 * IOCTL for another driver (IoBuildDeviceIoControlRequest), IoCallDriver,
 * device stacks (IoAttachDeviceToDeviceStack, IoDetachDevice,
 * IoGetAttachedDevice(Reference), IoGetDeviceObjectPointer), and the stack
 * location macros (IoGetNextIrpStackLocation, IoSkipCurrentIrpStackLocation,
 * IoCopyCurrentIrpStackLocationToNext, IoSetCompletionRoutine,
 * IoMarkIrpPending). The IO_STATUS_BLOCK a driver passes is a plain
 * `{ Status, Information }` object, filled when the request is finished.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/passing-irps-down-the-driver-stack
 */
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from '../include/wdm-constants.js';
import {
  IoAttachDeviceToDeviceStack, IoDetachDevice, IoGetAttachedDevice, IoGetAttachedDeviceReference, IoGetDeviceObjectPointer,
} from '../kernel/io/attach.js';
import { IoBuildDeviceIoControlRequest } from '../kernel/io/build-irp.js';
import type { IoCompletionRoutine, IoStatusBlock, Irp } from '../kernel/io/irp.js';
import {
  IoCopyCurrentIrpStackLocationToNext, IoGetNextIrpStackLocation, IoMarkIrpPending, IoSetCompletionRoutine, IoSkipCurrentIrpStackLocation,
} from '../kernel/io/irp-stack.js';
import type { DeviceObject } from '../kernel/io/objects.js';
import type { Kernel } from '../kernel/kernel.js';
import { pointerArgument } from './driver-arguments.js';
import { VfIoCheckCallDriver, VfIoVerifying } from '../kernel/verifier/io-verification.js';
import { VfCheckKernelIrpAddresses, VfSecurityChecking } from '../kernel/verifier/user-address.js';

/** The IRP routines of one driver's `nt`; `enter` is nt's single entry (time, IRQL check). */
export function makeNtIrp(k: Kernel, enter: (name: string, maxIrql: number) => void) {
  // The verifier's options, read once (boot fixes them): IoCallDriver is a hot path.
  const ioVerification = VfIoVerifying(k);
  const securityChecks = VfSecurityChecking(k);
  const nt = {
    /**
     * IoBuildDeviceIoControlRequest: the IRP, or null. Buffers are kernel addresses. The Event is
     * not signalled (waits are not modelled): read IoStatusBlock once IoCallDriver has returned.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iobuilddeviceiocontrolrequest
     */
    IoBuildDeviceIoControlRequest(ioControlCode: number, deviceObject: DeviceObject, inputBuffer: number | null, inputBufferLength: number,
      outputBuffer: number | null, outputBufferLength: number, internalDeviceIoControl: boolean, event: unknown,
      ioStatusBlock: IoStatusBlock): Irp | null {
      enter('IoBuildDeviceIoControlRequest', PASSIVE_LEVEL);
      return IoBuildDeviceIoControlRequest(k, ioControlCode, deviceObject, pointerArgument(k.arch, inputBuffer ?? 0), inputBufferLength,
        pointerArgument(k.arch, outputBuffer ?? 0), outputBufferLength, internalDeviceIoControl, event, ioStatusBlock);
    },
    /**
     * IoCallDriver: the next stack location becomes current and `deviceObject`'s driver gets the IRP.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocalldriver
     */
    IoCallDriver(deviceObject: DeviceObject, irp: Irp): number {
      // I/O verification (0xC9/0x10, 0x203, 0x204) before the IRQL rule.
      if (ioVerification) VfIoCheckCallDriver(k, deviceObject, irp);
      // Security Checks: a KernelMode IRP carrying a user address (0xC4/0xE2).
      if (securityChecks) VfCheckKernelIrpAddresses(k, irp);
      enter('IoCallDriver', DISPATCH_LEVEL);
      return k.io.IoCallDriver(deviceObject, irp);
    },
    IofCallDriver(deviceObject: DeviceObject, irp: Irp): number {
      return nt.IoCallDriver(deviceObject, irp);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioattachdevicetodevicestack */
    IoAttachDeviceToDeviceStack(sourceDevice: DeviceObject, targetDevice: DeviceObject): DeviceObject | null {
      enter('IoAttachDeviceToDeviceStack', PASSIVE_LEVEL);
      return IoAttachDeviceToDeviceStack(sourceDevice, targetDevice);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iodetachdevice */
    IoDetachDevice(targetDevice: DeviceObject): void {
      enter('IoDetachDevice', PASSIVE_LEVEL);
      IoDetachDevice(targetDevice);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-iogetattacheddevice */
    IoGetAttachedDevice(deviceObject: DeviceObject): DeviceObject {
      enter('IoGetAttachedDevice', DISPATCH_LEVEL);
      return IoGetAttachedDevice(deviceObject);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iogetattacheddevicereference */
    IoGetAttachedDeviceReference(deviceObject: DeviceObject): DeviceObject {
      enter('IoGetAttachedDeviceReference', DISPATCH_LEVEL);
      return IoGetAttachedDeviceReference(k, deviceObject);
    },
    /**
     * IoGetDeviceObjectPointer: `{ status, fileObject, deviceObject }`; dereference fileObject when done.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iogetdeviceobjectpointer
     */
    IoGetDeviceObjectPointer(objectName: string, desiredAccess: number) {
      enter('IoGetDeviceObjectPointer', PASSIVE_LEVEL);
      return IoGetDeviceObjectPointer(k, objectName, desiredAccess);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iogetnextirpstacklocation */
    IoGetNextIrpStackLocation,
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioskipcurrentirpstacklocation */
    IoSkipCurrentIrpStackLocation,
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocopycurrentirpstacklocationtonext */
    IoCopyCurrentIrpStackLocationToNext,
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iosetcompletionroutine */
    IoSetCompletionRoutine(irp: Irp, completionRoutine: IoCompletionRoutine | null, context: unknown, invokeOnSuccess: boolean,
      invokeOnError: boolean, invokeOnCancel: boolean): void {
      IoSetCompletionRoutine(k, irp, completionRoutine, context, invokeOnSuccess, invokeOnError, invokeOnCancel);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iomarkirppending */
    IoMarkIrpPending,
  };
  return nt;
}
