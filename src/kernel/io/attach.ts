/**
 * Device stacks: IoAttachDeviceToDeviceStack, IoDetachDevice,
 * IoGetAttachedDevice(Reference), IoGetDeviceObjectPointer. A filter's device
 * sits on top of another's; requests go to the top of the stack, and each
 * device's StackSize counts the stack locations an IRP needs from it down.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioattachdevicetodevicestack
 * https://github.com/reactos/reactos/blob/master/ntoskrnl/io/iomgr/device.c (IopAttachDeviceToDeviceStackSafe, IoDetachDevice)
 */
import { FILE_NON_DIRECTORY_FILE, FILE_OPEN, KernelMode, OBJ_KERNEL_HANDLE } from '../../include/wdm-constants.js';
import { STATUS_SUCCESS } from '../../include/ntstatus.js';
import type { IoContext } from './context.js';
import { IopCreateFile } from './file.js';
import { IoFileObjectType, type DeviceObject, type FileObject } from './objects.js';

/**
 * IoGetAttachedDevice: the highest device in `device`'s stack.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-iogetattacheddevice
 */
export function IoGetAttachedDevice(device: DeviceObject): DeviceObject {
  let top = device;
  while (top.AttachedDevice) top = top.AttachedDevice;
  return top;
}

/**
 * IoGetAttachedDeviceReference: the same, referenced (the caller dereferences it).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iogetattacheddevicereference
 */
export function IoGetAttachedDeviceReference(k: IoContext, device: DeviceObject): DeviceObject {
  const top = IoGetAttachedDevice(device);
  k.ob.ObReferenceObject(top);
  return top;
}

/**
 * IoAttachDeviceToDeviceStack: `source` goes on top of `target`'s stack and is given its
 * StackSize + 1; the device it was attached to (the old top) is returned, or NULL when that
 * device is being deleted or its driver unloaded.
 */
export function IoAttachDeviceToDeviceStack(source: DeviceObject, target: DeviceObject): DeviceObject | null {
  const top = IoGetAttachedDevice(target);
  if (top.deletePending || top.DriverObject.unloadPending || top.DriverObject.unloaded) return null;
  top.AttachedDevice = source;
  source.AttachedTo = top;
  source.StackSize = top.StackSize + 1;
  source.AlignmentRequirement = Math.max(source.AlignmentRequirement, top.AlignmentRequirement);
  return top;
}

/**
 * IoDetachDevice: the device attached on top of `target` leaves the stack. Called on a device
 * nothing is attached to, it dereferences NULL as Windows' does (a TypeError in the caller's frame:
 * the access violation).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iodetachdevice
 */
export function IoDetachDevice(target: DeviceObject): void {
  const attached = target.AttachedDevice as DeviceObject;
  attached.AttachedTo = null;
  target.AttachedDevice = null;
}

/**
 * IoGetDeviceObjectPointer: opens the named device from kernel mode (IRP_MJ_CREATE to the top of
 * its stack), keeps a reference to the file object, closes the handle, and gives the top of the
 * stack as the device to send IRPs to. The caller dereferences the file object when done (which
 * sends IRP_MJ_CLEANUP at once and IRP_MJ_CLOSE with the last reference).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iogetdeviceobjectpointer
 */
export function IoGetDeviceObjectPointer(k: IoContext, objectName: string, desiredAccess: number):
  { status: number; fileObject: FileObject | null; deviceObject: DeviceObject | null } {
  const thread = k.currentThread;
  const saved = thread.PreviousMode;
  thread.PreviousMode = KernelMode;
  try {
    const opened = IopCreateFile(k, objectName, desiredAccess >>> 0, 0, FILE_NON_DIRECTORY_FILE, FILE_OPEN, OBJ_KERNEL_HANDLE);
    if (opened.status !== STATUS_SUCCESS) return { status: opened.status, fileObject: null, deviceObject: null };
    const ref = k.ob.ObReferenceObjectByHandle(opened.handle, 0, IoFileObjectType, KernelMode, k.currentProcess);
    k.ob.closeHandle(opened.handle, KernelMode, k.currentProcess);
    if (!ref.object) return { status: ref.status, fileObject: null, deviceObject: null };
    const fileObject = ref.object as FileObject;
    return { status: STATUS_SUCCESS, fileObject, deviceObject: IoGetAttachedDevice(fileObject.DeviceObject) };
  } finally {
    thread.PreviousMode = saved;
  }
}
