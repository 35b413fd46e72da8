/**
 * NtLoadDriver and NtUnloadDriver: a driver is named by its service key
 * (\Registry\Machine\System\CurrentControlSet\Services\NAME), whose ImagePath
 * names the file to load. They live with the registry rather than in io
 * because they read it, and io is below cm in the layers.
 *
 *   NtLoadDriver(key) ─ SeLoadDriverPrivilege (user mode) ─ open the key ─ ImagePath
 *     → the image on disk by file name (io/image-store.ts) → IopLoadDriver(RegistryPath = key name)
 *
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwloaddriver
 */
import {
  STATUS_IMAGE_ALREADY_LOADED, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { captureOrStatus, ProbeAndCaptureUnicodeString } from '../ex/capture.js';
import { IopLoadDriver, IopUnloadDriver } from '../io/driver-load.js';
import { SE_LOAD_DRIVER_PRIVILEGE, SeSinglePrivilegeCheck } from '../se/token.js';
import type { CmContext } from './context.js';
import { CmOpenKey } from './key-ops.js';
import { CmQueryValueString } from './value-helpers.js';

/** The ImagePath a service key without one implies. */
const defaultImagePath = (serviceName: string): string => `\\SystemRoot\\System32\\drivers\\${serviceName}.sys`;

/**
 * Loads the driver of a service key (IopLoadDriver's caller, as the worker
 * thread of NtLoadDriver runs it): the key must exist; ImagePath
 * (REG_EXPAND_SZ; default \SystemRoot\System32\drivers\NAME.sys) names the
 * image by its file name; DriverEntry receives `keyName` as RegistryPath.
 * Type, Start and ErrorControl are read by the SCM, not here.
 */
export function IopLoadDriverFromKey(k: CmContext, keyName: string): number {
  const opened = CmOpenKey(k.registry, null, keyName);
  if (!opened.key) return opened.status;
  const serviceName = opened.key.name;
  if (k.io.drivers.has(serviceName.toUpperCase())) return STATUS_IMAGE_ALREADY_LOADED;
  const imagePath = CmQueryValueString(opened.key, 'ImagePath');
  const image = k.io.images.imageFor(imagePath.status === STATUS_SUCCESS ? imagePath.text : defaultImagePath(serviceName));
  if (!image) return STATUS_OBJECT_NAME_NOT_FOUND;
  return IopLoadDriver(k, serviceName, image, k.io.images.makeNt?.(serviceName), keyName).status;
}

/** Unloads the driver of a service key (by the key name's last component): DriverUnload must exist. */
export function IopUnloadDriverFromKey(k: CmContext, keyName: string): number {
  const serviceName = keyName.split('\\').pop() ?? '';
  const driver = k.io.drivers.get(serviceName.toUpperCase());
  if (!driver) return STATUS_OBJECT_NAME_NOT_FOUND;
  if (driver.unloadPending) return STATUS_SUCCESS;
  return IopUnloadDriver(k, driver);
}

/** The privilege check both services make before anything else. */
const mayLoadDrivers = (k: CmContext): boolean =>
  SeSinglePrivilegeCheck(k, SE_LOAD_DRIVER_PRIVILEGE, k.currentThread.PreviousMode, k.currentProcess);

/** NtLoadDriver. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwloaddriver */
export function NtLoadDriver(k: CmContext, DriverServiceName: number): number {
  if (!mayLoadDrivers(k)) return STATUS_PRIVILEGE_NOT_HELD;
  const name = captureOrStatus(() => ProbeAndCaptureUnicodeString(k, DriverServiceName));
  if (typeof name === 'number') return name;
  return IopLoadDriverFromKey(k, name);
}

/** NtUnloadDriver. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwunloaddriver */
export function NtUnloadDriver(k: CmContext, DriverServiceName: number): number {
  if (!mayLoadDrivers(k)) return STATUS_PRIVILEGE_NOT_HELD;
  const name = captureOrStatus(() => ProbeAndCaptureUnicodeString(k, DriverServiceName));
  if (typeof name === 'number') return name;
  return IopUnloadDriverFromKey(k, name);
}
