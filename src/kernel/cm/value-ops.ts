/**
 * The value operations behind NtSetValueKey, NtDeleteValueKey,
 * NtQueryValueKey and NtEnumerateValueKey, on already-captured arguments.
 * Value names are compared case-insensitively; '' is the key's default value.
 */
import { STATUS_KEY_DELETED, STATUS_NO_MORE_ENTRIES, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { CmpFillValueInformation, type CmInformationResult } from './information.js';
import { CmKeyValue, type CmKeyNode } from './key.js';
import { CmpNameBytes } from './name.js';

/**
 * Sets a value (ZwSetValueKey): creates it, or replaces the type and data of
 * the existing one (whose name keeps its first spelling). The type is only a
 * tag: NT stores a REG_DWORD of 0 or 8 bytes as readily as one of 4. The data
 * is copied. The key's LastWriteTime becomes `now`.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwsetvaluekey
 */
export function CmSetValueKey(key: CmKeyNode, name: string, type: number, data: Uint8Array, now: bigint): { status: number } {
  if (key.deleted) return { status: STATUS_KEY_DELETED };
  const copy = data.slice();
  const existing = key.value(name);
  if (existing) {
    existing.type = type >>> 0;
    existing.data = copy;
  } else {
    key.values.push(new CmKeyValue(name, type >>> 0, copy));
  }
  key.maxValueNameLen = Math.max(key.maxValueNameLen, CmpNameBytes(existing?.name ?? name));
  key.maxValueDataLen = Math.max(key.maxValueDataLen, copy.length);
  key.lastWriteTime = now;
  return { status: STATUS_SUCCESS };
}

/**
 * Deletes a value (ZwDeleteValueKey): STATUS_OBJECT_NAME_NOT_FOUND if there
 * is none of that name. The later values move down one index.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwdeletevaluekey
 */
export function CmDeleteValueKey(key: CmKeyNode, name: string, now: bigint): { status: number } {
  if (key.deleted) return { status: STATUS_KEY_DELETED };
  const index = key.valueIndex(name);
  if (index < 0) return { status: STATUS_OBJECT_NAME_NOT_FOUND };
  key.values.splice(index, 1);
  key.lastWriteTime = now;
  return { status: STATUS_SUCCESS };
}

/**
 * Fills `buffer` (the caller's Length bytes) with the KEY_VALUE_BASIC_,
 * _FULL_ or _PARTIAL_INFORMATION of the named value (ZwQueryValueKey).
 * STATUS_OBJECT_NAME_NOT_FOUND for a missing value, STATUS_INVALID_PARAMETER
 * for another class; short buffers as described in information.ts.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwqueryvaluekey
 */
export function CmQueryValueKey(key: CmKeyNode, name: string, infoClass: number, buffer: Uint8Array): CmInformationResult {
  if (key.deleted) return { status: STATUS_KEY_DELETED, resultLength: 0 };
  const value = key.value(name);
  if (!value) return { status: STATUS_OBJECT_NAME_NOT_FOUND, resultLength: 0 };
  return CmpFillValueInformation(value, infoClass, buffer);
}

/**
 * Fills `buffer` with the information of value `index`, in creation order
 * (ZwEnumerateValueKey); STATUS_NO_MORE_ENTRIES past the last value.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwenumeratevaluekey
 */
export function CmEnumerateValueKey(key: CmKeyNode, index: number, infoClass: number, buffer: Uint8Array): CmInformationResult {
  if (key.deleted) return { status: STATUS_KEY_DELETED, resultLength: 0 };
  const value = key.values[index];
  if (!value) return { status: STATUS_NO_MORE_ENTRIES, resultLength: 0 };
  return CmpFillValueInformation(value, infoClass, buffer);
}
