/**
 * The object namespace and security routines of `nt` (spread into it):
 * ZwCreateDirectoryObject, ZwOpenDirectoryObject, ZwCreateSymbolicLinkObject,
 * ZwOpenSymbolicLinkObject, ZwQuerySymbolicLinkObject, IoCreateDeviceSecure,
 * and the SDDL parser drivers get with wdmsec.lib. A Zw routine enters with
 * PreviousMode = KernelMode: no access is checked unless the
 * OBJECT_ATTRIBUTES say OBJ_FORCE_ACCESS_CHECK (then as for the current
 * process's token), and OBJ_KERNEL_HANDLE makes a kernel handle.
 *
 * OBJECT_ATTRIBUTES as InitializeObjectAttributes returns it; its
 * SecurityDescriptor is the address of a SECURITY_DESCRIPTOR (the one
 * SeSddlSecurityDescriptorFromSDDL returns, say) or null.
 */
import { KernelMode, PASSIVE_LEVEL } from '../include/wdm-constants.js';
import type { CapturedObjectAttributes } from '../kernel/ex/capture.js';
import type { DeviceObject, DriverObject } from '../kernel/io/objects.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Arch } from '../include/structures.js';
import { ObOpenObjectByName } from '../kernel/ob/named.js';
import { DirectoryType, SymbolicLinkType } from '../kernel/ob/namespace.js';
import { ObpCreateDirectoryObject, ObpCreateSymbolicLinkObject, ObpQuerySymbolicLink } from '../kernel/ob/services.js';
import { IoCreateDeviceSecure, SepSddlToPool } from '../kernel/se/device-secure.js';
import { handleArgument, pointerArgument } from './driver-arguments.js';

/** OBJECT_ATTRIBUTES as a driver gives it. */
export interface DriverObjectAttributes {
  ObjectName: string | null;
  Attributes: number;
  RootDirectory?: number | null;
  SecurityDescriptor?: unknown;
}

/** OBJECT_ATTRIBUTES as a Zw routine takes it from a driver: nothing to probe, the values as a register holds them. */
export function driverObjectAttributes(arch: Arch, oa: DriverObjectAttributes): CapturedObjectAttributes {
  return {
    ObjectName: oa.ObjectName, Attributes: oa.Attributes >>> 0, RootDirectory: handleArgument(arch, oa.RootDirectory ?? 0),
    SecurityDescriptor: oa.SecurityDescriptor === null || oa.SecurityDescriptor === undefined ? 0 : pointerArgument(arch, oa.SecurityDescriptor),
  };
}

/** The namespace and security routines of one driver's `nt`; `enter` is nt's single entry. */
export function makeNtObjects(k: Kernel, enter: (name: string, maxIrql: number) => void) {
  const captured = (oa: DriverObjectAttributes): CapturedObjectAttributes => driverObjectAttributes(k.arch, oa);
  return {
    /** ZwCreateDirectoryObject: `{ status, directoryHandle }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatedirectoryobject */
    ZwCreateDirectoryObject(desiredAccess: number, objectAttributes: DriverObjectAttributes): { status: number; directoryHandle: number } {
      enter('ZwCreateDirectoryObject', PASSIVE_LEVEL);
      const r = ObpCreateDirectoryObject(k, desiredAccess >>> 0, captured(objectAttributes), KernelMode);
      return { status: r.status, directoryHandle: r.handle };
    },
    /** ZwOpenDirectoryObject: `{ status, directoryHandle }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopendirectoryobject */
    ZwOpenDirectoryObject(desiredAccess: number, objectAttributes: DriverObjectAttributes): { status: number; directoryHandle: number } {
      enter('ZwOpenDirectoryObject', PASSIVE_LEVEL);
      const r = ObOpenObjectByName(k, captured(objectAttributes), DirectoryType, KernelMode, desiredAccess >>> 0);
      return { status: r.status, directoryHandle: r.handle };
    },
    /** ZwCreateSymbolicLinkObject: `{ status, linkHandle }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwcreatesymboliclinkobject */
    ZwCreateSymbolicLinkObject(desiredAccess: number, objectAttributes: DriverObjectAttributes, linkTarget: string): { status: number; linkHandle: number } {
      enter('ZwCreateSymbolicLinkObject', PASSIVE_LEVEL);
      const r = ObpCreateSymbolicLinkObject(k, desiredAccess >>> 0, captured(objectAttributes), String(linkTarget), KernelMode);
      return { status: r.status, linkHandle: r.handle };
    },
    /** ZwOpenSymbolicLinkObject: `{ status, linkHandle }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopensymboliclinkobject */
    ZwOpenSymbolicLinkObject(desiredAccess: number, objectAttributes: DriverObjectAttributes): { status: number; linkHandle: number } {
      enter('ZwOpenSymbolicLinkObject', PASSIVE_LEVEL);
      const r = ObOpenObjectByName(k, captured(objectAttributes), SymbolicLinkType, KernelMode, desiredAccess >>> 0);
      return { status: r.status, linkHandle: r.handle };
    },
    /** ZwQuerySymbolicLinkObject: `{ status, linkTarget, returnedLength }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwquerysymboliclinkobject */
    ZwQuerySymbolicLinkObject(linkHandle: number): { status: number; linkTarget: string; returnedLength: number } {
      enter('ZwQuerySymbolicLinkObject', PASSIVE_LEVEL);
      const q = ObpQuerySymbolicLink(k, handleArgument(k.arch, linkHandle), KernelMode);
      return { status: q.status, linkTarget: q.target, returnedLength: q.returnedLength };
    },
    /**
     * IoCreateDeviceSecure (wdmsec.lib): IoCreateDevice with the device's DACL
     * from `defaultSddlString` (`D:P(A;;GA;;;SY)(A;;GA;;;BA)`, say), which a
     * program's CreateFile is checked against. `{ status, deviceObject }`.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdmsec/nf-wdmsec-wdmlibiocreatedevicesecure
     */
    IoCreateDeviceSecure(driverObject: DriverObject, deviceExtensionSize: number, deviceName: string | null, deviceType: number,
      deviceCharacteristics: number, exclusive: boolean, defaultSddlString: string, _deviceClassGuid: unknown = null):
      { status: number; deviceObject: DeviceObject | null } {
      enter('IoCreateDeviceSecure', PASSIVE_LEVEL);
      return IoCreateDeviceSecure(k, driverObject, deviceExtensionSize, deviceName, deviceType, deviceCharacteristics, exclusive, defaultSddlString);
    },
    /**
     * The SDDL parser of wdmsec.lib (what IoCreateDeviceSecure uses), as
     * ntshm lends it to drivers: `{ status, securityDescriptor }`, a
     * self-relative SECURITY_DESCRIPTOR in paged pool for
     * OBJECT_ATTRIBUTES.SecurityDescriptor, freed with ExFreePool.
     */
    SeSddlSecurityDescriptorFromSDDL(sddl: string): { status: number; securityDescriptor: number } {
      enter('SeSddlSecurityDescriptorFromSDDL', PASSIVE_LEVEL);
      return SepSddlToPool(k, sddl);
    },
  };
}
