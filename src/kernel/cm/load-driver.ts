/**
 * NtLoadDriver and NtUnloadDriver: a driver is named by its service key
 * (\Registry\Machine\System\CurrentControlSet\Services\NAME), whose values
 * say what to load. They live with the registry rather than in io because
 * they read it, and io is below cm in the layers.
 *
 *   NtLoadDriver(name) ─ SeLoadDriverPrivilege (user mode) ─ capture ─ open the key
 *     → not loaded already → ImagePath → Type → the image on disk by file name
 *     (io/image-store.ts) → IopLoadDriver(RegistryPath = the key's full name)
 *
 * The order of the checks is IopLoadDriver's (NT 4/2000 io/internal.c; ReactOS
 * ntoskrnl/io/iomgr/driver.c). Start and ErrorControl are not read on the way
 * in: Start is the SCM's and the boot loader's business (NtLoadDriver loads a
 * SERVICE_DISABLED driver), and ErrorControl only matters to a failed load at
 * boot (docs/fidelity.md).
 *
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwloaddriver
 */
import {
  STATUS_IMAGE_ALREADY_LOADED, STATUS_ILL_FORMED_SERVICE_ENTRY, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { REG_DWORD } from '../../include/registry-constants.js';
import { SERVICE_FILE_SYSTEM_DRIVER, SERVICE_KERNEL_DRIVER, SERVICE_RECOGNIZER_DRIVER } from '../../include/win32-constants.js';
import { captureOrStatus, ProbeAndCaptureUnicodeString } from '../ex/capture.js';
import { IopLoadDriver, IopUnloadDriver } from '../io/driver-load.js';
import { SE_LOAD_DRIVER_PRIVILEGE, SeSinglePrivilegeCheck } from '../se/token.js';
import type { CmContext } from './context.js';
import type { CmKeyNode } from './key.js';
import { CmOpenKey } from './key-ops.js';
import { CmQueryValueString } from './value-helpers.js';

/** The service types the I/O manager loads: a device driver, a file system, a file system recognizer. */
const DRIVER_TYPES: ReadonlySet<number> = new Set([SERVICE_KERNEL_DRIVER, SERVICE_FILE_SYSTEM_DRIVER, SERVICE_RECOGNIZER_DRIVER]);

/**
 * The image a service key names: ImagePath if it has a non-empty one (a
 * relative path is under \SystemRoot\), else \SystemRoot\System32\drivers\NAME.sys,
 * as IopLoadDriver forms it.
 */
function IopImagePathOf(key: CmKeyNode): string {
  const imagePath = CmQueryValueString(key, 'ImagePath');
  if (imagePath.status !== STATUS_SUCCESS || imagePath.text === '') return `\\SystemRoot\\System32\\drivers\\${key.name}.sys`;
  return imagePath.text.startsWith('\\') ? imagePath.text : `\\SystemRoot\\${imagePath.text}`;
}

/**
 * Whether a service key's Type names a driver (IopGetDriverNameFromKeyNode
 * reads it to name the driver object). A missing or empty Type is
 * STATUS_ILL_FORMED_SERVICE_ENTRY on Windows; so, in ntshm, is a Type that is
 * not a REG_DWORD (as ReactOS) or is not a driver's (docs/fidelity.md).
 */
function IopIsDriverServiceKey(key: CmKeyNode): boolean {
  const type = key.value('Type');
  if (!type || type.type !== REG_DWORD || type.data.length !== 4) return false;
  return DRIVER_TYPES.has(new DataView(type.data.buffer, type.data.byteOffset, 4).getUint32(0, true));
}

/**
 * Loads the driver of a service key (what the worker thread of NtLoadDriver
 * runs): the key must exist and describe a driver, and its image must be on
 * disk. DriverEntry receives the key's full name as the registry stores it
 * (\REGISTRY\MACHINE\SYSTEM\CurrentControlSet\Services\NAME, each component
 * in its stored case) as RegistryPath, whatever spelling the caller used:
 * Windows asks the key object for its name (ZwQueryKey KeyNameInformation).
 */
export function IopLoadDriverFromKey(k: CmContext, keyName: string): number {
  const opened = CmOpenKey(k.registry, null, keyName);
  if (!opened.key) return opened.status;
  const key = opened.key;
  const serviceName = key.name;
  if (k.io.drivers.has(serviceName.toUpperCase())) return STATUS_IMAGE_ALREADY_LOADED;
  const imagePath = IopImagePathOf(key);
  if (!IopIsDriverServiceKey(key)) return STATUS_ILL_FORMED_SERVICE_ENTRY;
  const image = k.io.images.imageFor(imagePath);
  if (!image) return STATUS_OBJECT_NAME_NOT_FOUND;
  return IopLoadDriver(k, serviceName, image, k.io.images.makeNt?.(serviceName), key.fullName()).status;
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

/** Captures DriverServiceName: an empty name is STATUS_INVALID_PARAMETER, as in ReactOS's NtLoadDriver. */
function IopCaptureServiceName(k: CmContext, DriverServiceName: number): string | number {
  const name = captureOrStatus(() => ProbeAndCaptureUnicodeString(k, DriverServiceName));
  return name === '' ? STATUS_INVALID_PARAMETER : name;
}

/** NtLoadDriver. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwloaddriver */
export function NtLoadDriver(k: CmContext, DriverServiceName: number): number {
  if (!mayLoadDrivers(k)) return STATUS_PRIVILEGE_NOT_HELD;
  const name = IopCaptureServiceName(k, DriverServiceName);
  if (typeof name === 'number') return name;
  return IopLoadDriverFromKey(k, name);
}

/** NtUnloadDriver. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwunloaddriver */
export function NtUnloadDriver(k: CmContext, DriverServiceName: number): number {
  if (!mayLoadDrivers(k)) return STATUS_PRIVILEGE_NOT_HELD;
  const name = IopCaptureServiceName(k, DriverServiceName);
  if (typeof name === 'number') return name;
  return IopUnloadDriverFromKey(k, name);
}
