/**
 * The registry's kernel routines for drivers (ZwCreateKey, ZwOpenKey,
 * ZwSetValueKey, ZwQueryValueKey, ZwDeleteKey, ZwDeleteValueKey,
 * ZwEnumerateKey, ZwEnumerateValueKey, ZwQueryKey, ZwLoadDriver,
 * ZwUnloadDriver), spread into `nt`. A Zw routine enters the service with
 * PreviousMode = KernelMode: nothing is probed, no access is refused, and
 * OBJ_KERNEL_HANDLE makes a kernel handle.
 *
 * docs/api.md's conventions: OBJECT_ATTRIBUTES as InitializeObjectAttributes returns it (or
 * a plain object), names as strings, value data as a Uint8Array; the
 * information a query fills comes back decoded (registry-information.ts)
 * with ResultLength; the Length parameter stays, since it bounds what is filled.
 */
import { STATUS_SUCCESS } from '../include/ntstatus.js';
import { KernelMode, PASSIVE_LEVEL } from '../include/wdm-constants.js';
import { CmpNow } from '../kernel/cm/context.js';
import type { CmInformationResult } from '../kernel/cm/information.js';
import type { CmKeyNode } from '../kernel/cm/key.js';
import { CmDeleteKey, CmEnumerateKey, CmQueryKey } from '../kernel/cm/key-ops.js';
import { IopLoadDriverFromKey, IopUnloadDriverFromKey } from '../kernel/cm/load-driver.js';
import { CmpCreateOrOpenKey, CmpWithKey } from '../kernel/cm/services.js';
import { CmDeleteValueKey, CmEnumerateValueKey, CmQueryValueKey, CmSetValueKey } from '../kernel/cm/value-ops.js';
import type { Kernel } from '../kernel/kernel.js';
import { handleArgument } from './driver-arguments.js';
import {
  decodeKeyInformation, decodeKeyValueInformation, type KeyInformationValue, type KeyValueInformationValue,
} from './registry-information.js';

/** OBJECT_ATTRIBUTES as a driver gives it. */
export interface KeyObjectAttributes {
  ObjectName: string | null;
  Attributes: number;
  RootDirectory?: number | null;
}

/** What a Zw query returns: the status, the structure (undefined when nothing was filled) and ResultLength. */
export interface ZwQueryResult<T> {
  status: number;
  resultLength: number;
  information: T | undefined;
}

/** The registry routines of one driver's `nt`; `enter` is nt's single entry (time, IRQL check). */
export function makeNtRegistry(k: Kernel, enter: (name: string, maxIrql: number) => void) {
  const captured = (oa: KeyObjectAttributes) =>
    ({ ObjectName: oa.ObjectName, Attributes: oa.Attributes >>> 0, RootDirectory: oa.RootDirectory ?? 0, SecurityDescriptor: 0 });
  /** Fills a buffer of at most `length` bytes, no larger than the information needs. */
  const query = <T>(length: number, fill: (buffer: Uint8Array) => CmInformationResult, decode: (b: Uint8Array) => T | undefined): ZwQueryResult<T> => {
    const sizing = fill(new Uint8Array(0));
    const buffer = new Uint8Array(Math.min(length >>> 0, sizing.resultLength));
    const r = sizing.resultLength === 0 ? sizing : fill(buffer);
    const filled = r.status === STATUS_SUCCESS || r.status === 0x8000_0005; // STATUS_BUFFER_OVERFLOW: partly
    return { status: r.status, resultLength: r.resultLength, information: filled ? decode(buffer) : undefined };
  };
  const withKey = <T>(handle: number, body: (node: CmKeyNode) => T, failed: (status: number) => T): T =>
    CmpWithKey(k, handleArgument(k.arch, handle), 0, KernelMode, body, failed);
  const failedQuery = <T>(status: number): ZwQueryResult<T> => ({ status, resultLength: 0, information: undefined });

  return {
    /** ZwCreateKey: `{ status, keyHandle, disposition }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatekey */
    ZwCreateKey(desiredAccess: number, objectAttributes: KeyObjectAttributes, _titleIndex: number, class_: string | null,
      createOptions: number): { status: number; keyHandle: number; disposition: number } {
      enter('ZwCreateKey', PASSIVE_LEVEL);
      const r = CmpCreateOrOpenKey(k, KernelMode, desiredAccess >>> 0, captured(objectAttributes),
        { options: createOptions >>> 0, className: class_ ?? '' });
      return { status: r.status, keyHandle: r.handle, disposition: r.disposition };
    },
    /** ZwOpenKey: `{ status, keyHandle }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopenkey */
    ZwOpenKey(desiredAccess: number, objectAttributes: KeyObjectAttributes): { status: number; keyHandle: number } {
      enter('ZwOpenKey', PASSIVE_LEVEL);
      const r = CmpCreateOrOpenKey(k, KernelMode, desiredAccess >>> 0, captured(objectAttributes), null);
      return { status: r.status, keyHandle: r.handle };
    },
    /** ZwSetValueKey: the data as bytes (DataSize is its length). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwsetvaluekey */
    ZwSetValueKey(keyHandle: number, valueName: string, _titleIndex: number, type: number, data: Uint8Array | readonly number[]): number {
      enter('ZwSetValueKey', PASSIVE_LEVEL);
      return withKey(keyHandle, (node) => CmSetValueKey(node, valueName, type >>> 0, Uint8Array.from(data), CmpNow(k)).status, (s) => s);
    },
    /**
     * ZwQueryValueKey: `{ status, keyValueInformation, resultLength }`, the
     * KEY_VALUE_*_INFORMATION decoded. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwqueryvaluekey
     */
    ZwQueryValueKey(keyHandle: number, valueName: string, keyValueInformationClass: number, length: number):
      { status: number; keyValueInformation: KeyValueInformationValue | undefined; resultLength: number } {
      enter('ZwQueryValueKey', PASSIVE_LEVEL);
      const r = withKey(keyHandle, (node) => query(length, (b) => CmQueryValueKey(node, valueName, keyValueInformationClass, b),
        (b) => decodeKeyValueInformation(keyValueInformationClass, b)), failedQuery<KeyValueInformationValue>);
      return { status: r.status, keyValueInformation: r.information, resultLength: r.resultLength };
    },
    /** ZwEnumerateValueKey: as ZwQueryValueKey, by index. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwenumeratevaluekey */
    ZwEnumerateValueKey(keyHandle: number, index: number, keyValueInformationClass: number, length: number):
      { status: number; keyValueInformation: KeyValueInformationValue | undefined; resultLength: number } {
      enter('ZwEnumerateValueKey', PASSIVE_LEVEL);
      const r = withKey(keyHandle, (node) => query(length, (b) => CmEnumerateValueKey(node, index >>> 0, keyValueInformationClass, b),
        (b) => decodeKeyValueInformation(keyValueInformationClass, b)), failedQuery<KeyValueInformationValue>);
      return { status: r.status, keyValueInformation: r.information, resultLength: r.resultLength };
    },
    /** ZwEnumerateKey: `{ status, keyInformation, resultLength }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwenumeratekey */
    ZwEnumerateKey(keyHandle: number, index: number, keyInformationClass: number, length: number):
      { status: number; keyInformation: KeyInformationValue | undefined; resultLength: number } {
      enter('ZwEnumerateKey', PASSIVE_LEVEL);
      const r = withKey(keyHandle, (node) => query(length, (b) => CmEnumerateKey(node, index >>> 0, keyInformationClass, b),
        (b) => decodeKeyInformation(keyInformationClass, b)), failedQuery<KeyInformationValue>);
      return { status: r.status, keyInformation: r.information, resultLength: r.resultLength };
    },
    /** ZwQueryKey: `{ status, keyInformation, resultLength }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwquerykey */
    ZwQueryKey(keyHandle: number, keyInformationClass: number, length: number):
      { status: number; keyInformation: KeyInformationValue | undefined; resultLength: number } {
      enter('ZwQueryKey', PASSIVE_LEVEL);
      const r = withKey(keyHandle, (node) => query(length, (b) => CmQueryKey(node, keyInformationClass, b),
        (b) => decodeKeyInformation(keyInformationClass, b)), failedQuery<KeyInformationValue>);
      return { status: r.status, keyInformation: r.information, resultLength: r.resultLength };
    },
    /** ZwDeleteKey. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwdeletekey */
    ZwDeleteKey(keyHandle: number): number {
      enter('ZwDeleteKey', PASSIVE_LEVEL);
      return withKey(keyHandle, (node) => CmDeleteKey(node, CmpNow(k)).status, (s) => s);
    },
    /** ZwDeleteValueKey. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwdeletevaluekey */
    ZwDeleteValueKey(keyHandle: number, valueName: string): number {
      enter('ZwDeleteValueKey', PASSIVE_LEVEL);
      return withKey(keyHandle, (node) => CmDeleteValueKey(node, valueName, CmpNow(k)).status, (s) => s);
    },
    /** ZwLoadDriver: the service key's full name. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwloaddriver */
    ZwLoadDriver(driverServiceName: string): number {
      enter('ZwLoadDriver', PASSIVE_LEVEL);
      return IopLoadDriverFromKey(k, driverServiceName);
    },
    /** ZwUnloadDriver. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwunloaddriver */
    ZwUnloadDriver(driverServiceName: string): number {
      enter('ZwUnloadDriver', PASSIVE_LEVEL);
      return IopUnloadDriverFromKey(k, driverServiceName);
    },
  };
}
