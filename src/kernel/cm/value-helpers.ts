/**
 * Values as JavaScript values, for the kernel's own use: the service control
 * manager writes a service key's ImagePath (REG_EXPAND_SZ) and Type, Start,
 * ErrorControl (REG_DWORD), and the loader reads them back.
 */
import { STATUS_KEY_DELETED, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { REG_DWORD, REG_EXPAND_SZ, REG_SZ } from '../../include/registry-constants.js';
import type { CmKeyNode } from './key.js';
import { CmpDecodeUtf16, CmpEncodeUtf16 } from './name.js';
import { CmSetValueKey } from './value-ops.js';

/** Sets a REG_SZ (or, given the type, REG_EXPAND_SZ) value: UTF-16LE with its terminating NUL. */
export function CmSetValueString(
  key: CmKeyNode, name: string, text: string, now: bigint, type: typeof REG_SZ | typeof REG_EXPAND_SZ = REG_SZ,
): { status: number } {
  return CmSetValueKey(key, name, type, CmpEncodeUtf16(text, true), now);
}

/** Sets a REG_DWORD value: 4 bytes, little-endian. */
export function CmSetValueDword(key: CmKeyNode, name: string, dword: number, now: bigint): { status: number } {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, dword >>> 0, true);
  return CmSetValueKey(key, name, REG_DWORD, data, now);
}

/**
 * Reads a REG_SZ or REG_EXPAND_SZ value as a string, up to its first NUL
 * (unexpanded). STATUS_OBJECT_NAME_NOT_FOUND if missing,
 * STATUS_OBJECT_TYPE_MISMATCH for another type.
 */
export function CmQueryValueString(key: CmKeyNode, name: string): { status: number; text: string } {
  if (key.deleted) return { status: STATUS_KEY_DELETED, text: '' };
  const value = key.value(name);
  if (!value) return { status: STATUS_OBJECT_NAME_NOT_FOUND, text: '' };
  if (value.type !== REG_SZ && value.type !== REG_EXPAND_SZ) return { status: STATUS_OBJECT_TYPE_MISMATCH, text: '' };
  return { status: STATUS_SUCCESS, text: CmpDecodeUtf16(value.data) };
}

/**
 * Reads a REG_DWORD value as an unsigned number. STATUS_OBJECT_NAME_NOT_FOUND
 * if missing; STATUS_OBJECT_TYPE_MISMATCH for another type or a REG_DWORD
 * whose data is not 4 bytes (which NtSetValueKey accepts but no reader can use).
 */
export function CmQueryValueDword(key: CmKeyNode, name: string): { status: number; dword: number } {
  if (key.deleted) return { status: STATUS_KEY_DELETED, dword: 0 };
  const value = key.value(name);
  if (!value) return { status: STATUS_OBJECT_NAME_NOT_FOUND, dword: 0 };
  if (value.type !== REG_DWORD || value.data.length !== 4) return { status: STATUS_OBJECT_TYPE_MISMATCH, dword: 0 };
  return { status: STATUS_SUCCESS, dword: new DataView(value.data.buffer, value.data.byteOffset, 4).getUint32(0, true) };
}
