/**
 * wdmsec.lib for drivers: IoCreateDeviceSecure (a device object whose DACL
 * comes from an SDDL string, checked when a program opens it), and the SDDL
 * parser it is built on, which hands a driver a self-relative
 * SECURITY_DESCRIPTOR in pool for OBJECT_ATTRIBUTES.SecurityDescriptor.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdmsec/nf-wdmsec-wdmlibiocreatedevicesecure
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/sddl-for-device-objects
 */
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../../include/ntstatus.js';
import type { IoContext } from '../io/context.js';
import { IoCreateDevice } from '../io/device.js';
import { IoDeviceObjectType, type DeviceObject, type DriverObject } from '../io/objects.js';
import { PagedPool } from '../mm/pool.js';
import { poolTag } from '../ob/manager.js';
import { SepAssignSecurity } from './assign.js';
import { SepSubjectToken } from './reference-monitor.js';
import { SeSddlSecurityDescriptorFromSDDL } from './sddl.js';
import { SepMakeSelfRelative } from './security-descriptor.js';

const NO_MAPPING = { GenericRead: 0, GenericWrite: 0, GenericExecute: 0, GenericAll: 0 };

/**
 * IoCreateDeviceSecure: IoCreateDevice, then the device's descriptor from
 * `defaultSddl` (owner the creator's token's, as a new object's). An SDDL
 * string ntshm cannot read is STATUS_INVALID_PARAMETER and no device is
 * made. The class GUID's registry override is not modelled.
 */
export function IoCreateDeviceSecure(k: IoContext, driver: DriverObject, deviceExtensionSize: number, deviceName: string | null,
  deviceType: number, deviceCharacteristics: number, exclusive: boolean, defaultSddl: string): { status: number; deviceObject: DeviceObject | null } {
  const sd = typeof defaultSddl === 'string' ? SeSddlSecurityDescriptorFromSDDL(defaultSddl) : undefined;
  if (sd === undefined) return { status: STATUS_INVALID_PARAMETER, deviceObject: null };
  const r = IoCreateDevice(k, driver, deviceExtensionSize, deviceName, deviceType, deviceCharacteristics, exclusive);
  if (r.deviceObject) {
    r.deviceObject.header.SecurityDescriptor = SepAssignSecurity(SepSubjectToken(k), undefined, sd, false,
      IoDeviceObjectType.GenericMapping ?? NO_MAPPING);
  }
  return r;
}

/**
 * The SDDL string as a self-relative SECURITY_DESCRIPTOR in paged pool
 * (tag 'Sddl'), for a driver's OBJECT_ATTRIBUTES.SecurityDescriptor; the
 * driver frees it with ExFreePool. STATUS_INVALID_PARAMETER for SDDL ntshm
 * cannot read.
 */
export function SepSddlToPool(k: IoContext, sddl: string): { status: number; securityDescriptor: number } {
  const sd = typeof sddl === 'string' ? SeSddlSecurityDescriptorFromSDDL(sddl) : undefined;
  if (sd === undefined) return { status: STATUS_INVALID_PARAMETER, securityDescriptor: 0 };
  const bytes = SepMakeSelfRelative(sd);
  const va = k.pool.allocate(PagedPool, bytes.length, poolTag('Sddl'));
  if (va === 0) return { status: STATUS_INSUFFICIENT_RESOURCES, securityDescriptor: 0 };
  k.kernelMemory.setBytes(va, bytes);
  return { status: STATUS_SUCCESS, securityDescriptor: va };
}
