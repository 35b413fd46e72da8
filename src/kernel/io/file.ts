/**
 * Opening a device (NtCreateFile through IopParseDevice) and the two halves
 * of closing one: IRP_MJ_CLEANUP when the last handle goes, IRP_MJ_CLOSE when
 * the last reference goes. Both run in the context of the thread that
 * closes, which for a dying process is its own last thread.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/irp-mj-cleanup
 */
import {
  FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE, FILE_GENERIC_READ, FILE_GENERIC_WRITE, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ,
  GENERIC_WRITE, DO_EXCLUSIVE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, FILE_CREATE, FILE_DIRECTORY_FILE, FILE_MAXIMUM_DISPOSITION,
  FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_ALERT, FILE_SYNCHRONOUS_IO_NONALERT, FO_ALERTABLE_IO, FO_SYNCHRONOUS_IO,
  KernelMode, OBJ_KERNEL_HANDLE, SYNCHRONIZE, UserMode,
} from '../../include/wdm-constants.js';
import { STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_INVALID, STATUS_ACCESS_DENIED, STATUS_DELETE_PENDING, STATUS_NO_SUCH_DEVICE, STATUS_INSUFFICIENT_RESOURCES, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { IopInitializeFileEvents } from './pending.js';
import { IoGetAttachedDevice } from './attach.js';
import type { IoContext } from './context.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import {
  captureOrStatus, ProbeAndCaptureObjectAttributes, ProbeForWriteIoStatusBlock, ProbeForWritePointer, writeHandle, writeIoStatus,
} from '../ex/capture.js';
import { finishDelete } from './device.js';
import { frameFor, IopCheckUnloadDriver } from './driver-load.js';
import type { IoStatusBlock } from './irp.js';
import { DeviceObject, FileObject, IoDeviceObjectType } from './objects.js';

/** Generic rights mapped to a file's specific rights (IoFileObjectType's GENERIC_MAPPING). */
export function mapGenericFileAccess(access: number): number {
  let specific = access & 0x0fff_ffff;
  if (access & GENERIC_READ) specific |= FILE_GENERIC_READ;
  if (access & GENERIC_WRITE) specific |= FILE_GENERIC_WRITE;
  if (access & GENERIC_EXECUTE) specific |= FILE_GENERIC_EXECUTE;
  if (access & GENERIC_ALL) specific |= FILE_ALL_ACCESS;
  return specific >>> 0;
}

/** IopCreateFile's answer when the open fails. */
const fail = (status: number) => ({ status, handle: 0, ioStatus: { Status: status, Information: 0 } });

/**
 * IoCreateFile's checks of the disposition and options: a disposition past
 * FILE_MAXIMUM_DISPOSITION, both synchronous options, a synchronous open
 * without SYNCHRONIZE, a directory with a disposition that could overwrite
 * it, or both directory options, are STATUS_INVALID_PARAMETER.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocreatefile
 */
function IopCheckCreateParameters(desiredAccess: number, disposition: number, options: number): boolean {
  const synchronous = options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT);
  if (disposition > FILE_MAXIMUM_DISPOSITION) return false;
  if (synchronous === (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT)) return false;
  if (synchronous && !(desiredAccess & SYNCHRONIZE)) return false;
  if ((options & FILE_DIRECTORY_FILE) && (options & FILE_NON_DIRECTORY_FILE)) return false;
  if ((options & FILE_DIRECTORY_FILE) && disposition !== FILE_CREATE && disposition !== FILE_OPEN && disposition !== FILE_OPEN_IF) return false;
  return true;
}

/**
 * NtCreateFile on a device path: `\??\SharingMemory`, `\Device\SharingMemory[\rest]`,
 * or a file of the volume, `\??\C:\dir\a.txt`, whose file system sees `\dir\a.txt`.
 */
export function IopCreateFile(k: IoContext, path: string, desiredAccess: number, shareAccess: number, options: number,
  disposition: number = FILE_OPEN, handleAttributes = 0): { status: number; handle: number; ioStatus: IoStatusBlock } {
  if (!IopCheckCreateParameters(desiredAccess, disposition >>> 0, options >>> 0)) return fail(STATUS_INVALID_PARAMETER);
  const found = k.ob.lookup(path);
  if (typeof found === 'number') return fail(found);
  const device = found.object;
  if (!(device instanceof DeviceObject)) return fail(STATUS_OBJECT_TYPE_MISMATCH);
  if (device.deletePending) return fail(STATUS_DELETE_PENDING);
  // A driver that is stopping (or gone) takes no new opens.
  if (device.DriverObject.unloadPending || device.DriverObject.unloaded) return fail(STATUS_NO_SUCH_DEVICE);
  // An exclusive device has at most one open file object (IopParseDevice).
  if ((device.Flags & DO_EXCLUSIVE) && device.ReferenceCount > 0) return fail(STATUS_ACCESS_DENIED);
  // A user-mode open is checked against the device's DACL (IopParseDevice; IoCreateDeviceSecure's SDDL).
  if (k.currentThread.PreviousMode === UserMode) {
    const check = k.ob.security.SeAccessCheck(device, desiredAccess, IoDeviceObjectType.GenericMapping);
    if (check.status !== STATUS_SUCCESS) return fail(check.status);
  }
  const granted = mapGenericFileAccess(desiredAccess);
  let file: FileObject;
  try {
    file = k.ob.ObCreateObject(new FileObject(device, found.remaining, granted));
  } catch (e) {
    if (e instanceof ObjectAllocationFailed) return fail(STATUS_INSUFFICIENT_RESOURCES);
    throw e;
  }
  device.ReferenceCount++;
  file.openedAs = path;
  IopInitializeFileEvents(k, file);
  if (options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT)) {
    file.Flags |= FO_SYNCHRONOUS_IO | (options & FILE_SYNCHRONOUS_IO_ALERT ? FO_ALERTABLE_IO : 0);
  }
  const io = k.io.sendSimpleIrp(device, file, IRP_MJ_CREATE,
    { DesiredAccess: granted, ShareAccess: shareAccess >>> 0, Options: ((disposition << 24) | (options & 0xff_ffff)) >>> 0 });
  if (io.Status >= 0x8000_0000) {
    k.ob.ObDereferenceObject(file); // a failed create gets neither IRP_MJ_CLEANUP nor IRP_MJ_CLOSE
    return fail(io.Status);
  }
  file.opened = true;
  const handle = k.ob.createHandle(k.currentProcess, file, granted, handleAttributes);
  k.ob.ObDereferenceObject(file); // the handle holds it now
  return { status: STATUS_SUCCESS, handle, ioStatus: io };
}

/**
 * NtCreateFile, as the system service: capture the OBJECT_ATTRIBUTES, open,
 * then write the handle and the IO_STATUS_BLOCK into the caller's memory.
 * Relative opens (RootDirectory) are not modelled: STATUS_INVALID_PARAMETER.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntcreatefile
 */
export function NtCreateFile(k: IoContext, FileHandle: number, DesiredAccess: number, ObjectAttributes: number, IoStatusBlock: number,
  _AllocationSize: number, _FileAttributes: number, ShareAccess: number, CreateDisposition: number, CreateOptions: number,
  _EaBuffer: number, _EaLength: number): number {
  const oa = captureOrStatus(() => {
    ProbeForWritePointer(k, FileHandle);
    ProbeForWriteIoStatusBlock(k, IoStatusBlock);
    return ProbeAndCaptureObjectAttributes(k, ObjectAttributes);
  });
  if (typeof oa === 'number') return oa;
  if (oa.RootDirectory !== 0) return STATUS_INVALID_PARAMETER;
  if (oa.ObjectName === null) return STATUS_OBJECT_NAME_INVALID;
  // OBJ_KERNEL_HANDLE counts for a kernel-mode caller only (ZwCreateFile).
  const kernelHandle = k.currentThread.PreviousMode === KernelMode ? oa.Attributes & OBJ_KERNEL_HANDLE : 0;
  const r = IopCreateFile(k, oa.ObjectName, DesiredAccess >>> 0, ShareAccess, CreateOptions, CreateDisposition >>> 0, kernelHandle);
  writeIoStatus(k, IoStatusBlock, r.ioStatus.Status, r.ioStatus.Information);
  if (r.status < 0x8000_0000) {
    // The handle goes back through the caller's pointer; if that faults now, the handle stays open, as on Windows.
    const written = captureOrStatus(() => writeHandle(k, FileHandle, r.handle));
    if (typeof written === 'number') return written;
  }
  return r.status;
}

/** IoFileObjectType's close procedure: the last handle closed → IRP_MJ_CLEANUP. */
export function IopCloseFile(k: IoContext, file: FileObject, handleCountBefore: number): void {
  if (handleCountBefore !== 1 || file.cleanupDone) return;
  file.cleanupDone = true;
  k.io.sendSimpleIrp(file.DeviceObject, file, IRP_MJ_CLEANUP);
  if (!k.bugcheck) IopCheckCleanupLeftPending(k, file);
}

/**
 * IRP_MJ_CLEANUP is the driver's cue to complete or cancel what it holds for
 * the file object: nothing else will until the requesting threads exit. A
 * request still pending once it has completed is reported (Windows says
 * nothing; the program's later exit waits for it).
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/irp-mj-cleanup
 */
function IopCheckCleanupLeftPending(k: IoContext, file: FileObject): void {
  const left = k.io.pendingOn(file);
  if (left.length === 0) return;
  const driver = IoGetAttachedDevice(file.DeviceObject).DriverObject;
  const frame = frameFor(driver, driver.MajorFunction[IRP_MJ_CLEANUP], 'IRP_MJ_CLEANUP');
  k.report({
    kind: 'irp-pending-after-cleanup',
    driver: frame.driver,
    routine: frame.routine,
    message: `${frame.driver}!${frame.routine} completed IRP_MJ_CLEANUP for a file object on ${file.DeviceObject.DriverObject.serviceName}'s device while ${left.length} request(s) on it ` +
      `were still pending (${left.map((irp) => k.formatAddress(irp.address)).join(', ')}): its cleanup routine must complete or cancel them; ` +
      'nothing else will until the threads that sent them exit',
    details: { irps: left.map((irp) => k.formatAddress(irp.address)) },
  });
}

/** IoFileObjectType's delete procedure: the last reference gone → IRP_MJ_CLOSE (only for a create that succeeded). */
export function IopDeleteFile(k: IoContext, file: FileObject): void {
  const device = file.DeviceObject;
  if (file.opened) k.io.sendSimpleIrp(device, file, IRP_MJ_CLOSE);
  device.ReferenceCount--;
  const driver = device.DriverObject;
  if (device.ReferenceCount === 0 && device.deletePending) finishDelete(k, device);
  IopCheckUnloadDriver(k, driver);
}
