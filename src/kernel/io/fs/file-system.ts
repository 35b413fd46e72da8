/**
 * The volume C:: a built-in file system driver (\FileSystem\Ntfs, named as
 * Windows names the file system of C:; it models the part docs/fidelity.md
 * lists) with one volume device, \Device\HarddiskVolume1, and the DOS name
 * \??\C: linked to it. NtCreateFile(`\??\C:\dir\a.txt`) reaches its
 * IRP_MJ_CREATE with FileName `\dir\a.txt`; every request comes as a real
 * IRP, as the console's do. On Windows the file system's volume device is
 * mounted on the disk's (the VPB); here the file system owns the named
 * device itself.
 * https://learn.microsoft.com/windows-hardware/drivers/ifs/the-file-system-driver
 */
import { EmulatorError, NtException } from '../../../include/errors.js';
import { STATUS_SUCCESS, ntStatusText } from '../../../include/ntstatus.js';
import type { VolumeStore } from '../../../include/volume-store.js';
import {
  DO_DEVICE_INITIALIZING, FILE_DEVICE_DISK_FILE_SYSTEM, FO_CLEANUP_COMPLETE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
  IRP_MJ_FLUSH_BUFFERS, IRP_MJ_QUERY_INFORMATION, IRP_MJ_READ, IRP_MJ_SET_INFORMATION, IRP_MJ_WRITE,
} from '../../../include/wdm-constants.js';
import { ObjectDirectory } from '../../ob/namespace.js';
import type { IoContext } from '../context.js';
import { IoCreateDevice, IoCreateSymbolicLink } from '../device.js';
import { makeInvalidDeviceRequest } from '../driver-load.js';
import { IoGetCurrentIrpStackLocation, type Irp } from '../irp.js';
import { DriverObject, type DeviceObject, type FileObject } from '../objects.js';
import { IoRemoveShareAccess } from '../share-access.js';
import { FsCommonCreate } from './create.js';
import { FsFcb } from './fcb.js';
import { FsCommonQueryInformation, FsCommonSetInformation } from './information.js';
import { FsCommonRead, FsCommonWrite } from './read-write.js';
import { FsVolume } from './volume.js';

/** The volume device's name and its drive letter's link. */
export const VOLUME_DEVICE_NAME = '\\Device\\HarddiskVolume1';
export const VOLUME_DOS_NAME = '\\??\\C:';

/** The file system driver, its volume device and the volume it serves. */
export class FileSystem {
  readonly driver: DriverObject;
  readonly device: DeviceObject;
  readonly volume: FsVolume;

  constructor(private readonly k: IoContext, store: VolumeStore) {
    this.volume = new FsVolume(store);
    const fileSystems = k.ob.ObCreateObject(new ObjectDirectory());
    k.ob.insertName('\\FileSystem', fileSystems, 0, true);
    k.ob.ObDereferenceObject(fileSystems);
    this.driver = k.ob.ObCreateObject(new DriverObject('Ntfs', makeInvalidDeviceRequest(k), '\\FileSystem'));
    k.ob.insertName(this.driver.DriverName, this.driver, 0, true);
    const m = this.driver.MajorFunction;
    const fs = this;
    // Named as NTFS's own entry points, so that a stack names them as Windows' would.
    m[IRP_MJ_CREATE] = function NtfsFsdCreate(_d, irp) { return fs.dispatch(irp, (file) => FsCommonCreate(fs.volume, file, IoGetCurrentIrpStackLocation(irp).Parameters.Create)); };
    m[IRP_MJ_READ] = function NtfsFsdRead(_d, irp) { return fs.dispatch(irp, (file) => FsCommonRead(k, file, irp)); };
    m[IRP_MJ_WRITE] = function NtfsFsdWrite(_d, irp) { return fs.dispatch(irp, (file) => FsCommonWrite(k, file, irp)); };
    m[IRP_MJ_QUERY_INFORMATION] = function NtfsFsdQueryInformation(_d, irp) { return fs.dispatch(irp, (file) => FsCommonQueryInformation(k, file, irp)); };
    m[IRP_MJ_SET_INFORMATION] = function NtfsFsdSetInformation(_d, irp) { return fs.dispatch(irp, (file) => FsCommonSetInformation(k, file, irp)); };
    m[IRP_MJ_FLUSH_BUFFERS] = function NtfsFsdFlushBuffers(_d, irp) { return fs.dispatch(irp, (file) => fs.flush(file)); };
    m[IRP_MJ_CLEANUP] = function NtfsFsdCleanup(_d, irp) { return fs.dispatch(irp, (file) => fs.cleanup(file)); };
    m[IRP_MJ_CLOSE] = function NtfsFsdClose(_d, irp) { return fs.dispatch(irp, (file) => fs.close(file)); };
    const { status, deviceObject } = IoCreateDevice(k, this.driver, 0, VOLUME_DEVICE_NAME, FILE_DEVICE_DISK_FILE_SYSTEM, 0, false);
    if (!deviceObject) throw new EmulatorError(`no volume device: ${ntStatusText(status)}`);
    deviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
    this.device = deviceObject;
    const linked = IoCreateSymbolicLink(k, VOLUME_DOS_NAME, VOLUME_DEVICE_NAME);
    if (linked !== STATUS_SUCCESS) throw new EmulatorError(`no ${VOLUME_DOS_NAME}: ${ntStatusText(linked)}`);
  }

  /**
   * Runs one request and completes its IRP. A failure of the store (a host
   * error, the disk full) is the request's status, as a disk error is on Windows.
   */
  private dispatch(irp: Irp, body: (file: FileObject) => { status: number; information: number }): number {
    const file = IoGetCurrentIrpStackLocation(irp).FileObject;
    let r: { status: number; information: number };
    try {
      r = file ? body(file) : { status: STATUS_SUCCESS, information: 0 };
    } catch (e) {
      if (!(e instanceof NtException)) throw e;
      r = { status: e.status, information: 0 };
    }
    irp.IoStatus.Status = r.status;
    irp.IoStatus.Information = r.information;
    this.k.io.IoCompleteRequest(irp, 0);
    return r.status;
  }

  /** IRP_MJ_FLUSH_BUFFERS: the file's contents go to the store, whole. */
  private flush(file: FileObject): { status: number; information: number } {
    if (file.FsContext instanceof FsFcb) file.FsContext.flush();
    return { status: STATUS_SUCCESS, information: 0 };
  }

  /** IRP_MJ_CLEANUP: the open's last handle is gone; its share access goes, and the last handle on the file flushes it. */
  private cleanup(file: FileObject): { status: number; information: number } {
    file.Flags |= FO_CLEANUP_COMPLETE;
    const fcb = file.FsContext;
    if (!(fcb instanceof FsFcb)) return { status: STATUS_SUCCESS, information: 0 };
    IoRemoveShareAccess(file, fcb.shareAccess);
    if (--fcb.cleanupCount === 0) fcb.flush();
    return { status: STATUS_SUCCESS, information: 0 };
  }

  /** IRP_MJ_CLOSE: the file object's last reference is gone; the FCB goes with the file's last one. */
  private close(file: FileObject): { status: number; information: number } {
    const fcb = file.FsContext;
    if (fcb instanceof FsFcb) {
      fcb.openCount--;
      this.volume.release(fcb);
    }
    return { status: STATUS_SUCCESS, information: 0 };
  }
}
