/**
 * The information structures of NtQueryValueKey / NtEnumerateValueKey and
 * NtQueryKey / NtEnumerateKey, written byte for byte into the caller's
 * buffer (little-endian). Every field is a ULONG or a LARGE_INTEGER at offset
 * 0, so the layouts are the same on x86 and x64.
 *
 *   KEY_VALUE_BASIC_INFORMATION     KEY_VALUE_FULL_INFORMATION       KEY_VALUE_PARTIAL_INFORMATION
 *    0 TitleIndex                     0 TitleIndex                     0 TitleIndex
 *    4 Type                           4 Type                           4 Type
 *    8 NameLength                     8 DataOffset                     8 DataLength
 *   12 Name[]                        12 DataLength                    12 Data[]
 *                                    16 NameLength
 *                                    20 Name[], then Data at DataOffset (4-aligned)
 *
 *   KEY_BASIC_INFORMATION    KEY_NODE_INFORMATION          KEY_FULL_INFORMATION
 *    0 LastWriteTime          0 LastWriteTime               0 LastWriteTime     24 MaxNameLen
 *    8 TitleIndex             8 TitleIndex                  8 TitleIndex        28 MaxClassLen
 *   12 NameLength            12 ClassOffset                12 ClassOffset       32 Values
 *   16 Name[]                16 ClassLength                16 ClassLength       36 MaxValueNameLen
 *                            20 NameLength                 20 SubKeys           40 MaxValueDataLen
 *                            24 Name[], Class (4-aligned)                       44 Class[]
 *
 * A short buffer (CmpQueryKeyValueData, CmpQueryKeyData): ResultLength is
 * always the full size; a buffer smaller than the fixed part (up to Name or
 * Data) gets STATUS_BUFFER_TOO_SMALL and nothing written; otherwise the fixed
 * part is written, the variable parts are copied as far as they fit, and a
 * truncation is STATUS_BUFFER_OVERFLOW.
 */
import { STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../../include/ntstatus.js';
import {
  KeyBasicInformation, KeyFullInformation, KeyNodeInformation,
  KeyValueBasicInformation, KeyValueFullInformation, KeyValuePartialInformation,
} from '../../include/registry-constants.js';
import type { CmKeyNode, CmKeyValue } from './key.js';
import { CmpNameBytes, CmpWriteUtf16 } from './name.js';

/** What a query gives: the status and ResultLength (the bytes the full structure needs). */
export interface CmInformationResult {
  /** STATUS_SUCCESS, STATUS_BUFFER_OVERFLOW (partial), STATUS_BUFFER_TOO_SMALL, or an error. */
  status: number;
  /** The size the complete information needs, whatever was written. */
  resultLength: number;
}

/** "Unused" offset: DataOffset with no data, ClassOffset with no class. */
const NO_OFFSET = 0xffffffff;

/** ALIGN_UP(offset, ULONG). */
const alignUlong = (offset: number): number => (offset + 3) & ~3;

/** A writer of ULONG and LARGE_INTEGER fields into the caller's buffer. */
function fields(buffer: Uint8Array): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Copies as much of `data` as fits from `offset`; true if all of it did. */
function copyFitting(buffer: Uint8Array, offset: number, data: Uint8Array): boolean {
  const room = Math.max(0, buffer.length - offset);
  buffer.set(data.subarray(0, Math.min(room, data.length)), Math.min(offset, buffer.length));
  return room >= data.length;
}

/** Writes a UTF-16 name as far as it fits from `offset`; true if all of it did. */
function nameFitting(buffer: Uint8Array, offset: number, name: string): boolean {
  const room = Math.max(0, buffer.length - offset);
  CmpWriteUtf16(buffer, offset, name, room);
  return room >= CmpNameBytes(name);
}

/**
 * Fills `buffer` with the KEY_VALUE_*_INFORMATION of `value`
 * (CmpQueryKeyValueData); STATUS_INVALID_PARAMETER for another class.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_key_value_full_information
 */
export function CmpFillValueInformation(value: CmKeyValue, infoClass: number, buffer: Uint8Array): CmInformationResult {
  const nameLength = CmpNameBytes(value.name);
  const dataLength = value.data.length;
  const view = fields(buffer);
  switch (infoClass) {
    case KeyValueBasicInformation: {
      const resultLength = 12 + nameLength;
      if (buffer.length < 12) return { status: STATUS_BUFFER_TOO_SMALL, resultLength };
      view.setUint32(0, 0, true);
      view.setUint32(4, value.type, true);
      view.setUint32(8, nameLength, true);
      const whole = nameFitting(buffer, 12, value.name);
      return { status: whole ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW, resultLength };
    }
    case KeyValueFullInformation: {
      const dataOffset = dataLength > 0 ? alignUlong(20 + nameLength) : NO_OFFSET;
      const resultLength = dataLength > 0 ? dataOffset + dataLength : 20 + nameLength;
      if (buffer.length < 20) return { status: STATUS_BUFFER_TOO_SMALL, resultLength };
      view.setUint32(0, 0, true);
      view.setUint32(4, value.type, true);
      view.setUint32(8, dataOffset, true);
      view.setUint32(12, dataLength, true);
      view.setUint32(16, nameLength, true);
      let whole = nameFitting(buffer, 20, value.name);
      if (dataLength > 0) whole = copyFitting(buffer, dataOffset, value.data) && whole;
      return { status: whole ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW, resultLength };
    }
    case KeyValuePartialInformation: {
      const resultLength = 12 + dataLength;
      if (buffer.length < 12) return { status: STATUS_BUFFER_TOO_SMALL, resultLength };
      view.setUint32(0, 0, true);
      view.setUint32(4, value.type, true);
      view.setUint32(8, dataLength, true);
      const whole = copyFitting(buffer, 12, value.data);
      return { status: whole ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW, resultLength };
    }
    default:
      return { status: STATUS_INVALID_PARAMETER, resultLength: 0 };
  }
}

/**
 * Fills `buffer` with the KEY_BASIC_, KEY_NODE_ or KEY_FULL_INFORMATION of
 * `key` (CmpQueryKeyData); STATUS_INVALID_PARAMETER for another class.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_key_information_class
 */
export function CmpFillKeyInformation(key: CmKeyNode, infoClass: number, buffer: Uint8Array): CmInformationResult {
  const nameLength = CmpNameBytes(key.name);
  const classLength = CmpNameBytes(key.className);
  const view = fields(buffer);
  switch (infoClass) {
    case KeyBasicInformation: {
      const resultLength = 16 + nameLength;
      if (buffer.length < 16) return { status: STATUS_BUFFER_TOO_SMALL, resultLength };
      view.setBigUint64(0, key.lastWriteTime, true);
      view.setUint32(8, 0, true);
      view.setUint32(12, nameLength, true);
      const whole = nameFitting(buffer, 16, key.name);
      return { status: whole ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW, resultLength };
    }
    case KeyNodeInformation: {
      const classOffset = classLength > 0 ? alignUlong(24 + nameLength) : NO_OFFSET;
      const resultLength = classLength > 0 ? classOffset + classLength : 24 + nameLength;
      if (buffer.length < 24) return { status: STATUS_BUFFER_TOO_SMALL, resultLength };
      view.setBigUint64(0, key.lastWriteTime, true);
      view.setUint32(8, 0, true);
      view.setUint32(12, classOffset, true);
      view.setUint32(16, classLength, true);
      view.setUint32(20, nameLength, true);
      let whole = nameFitting(buffer, 24, key.name);
      if (classLength > 0) whole = nameFitting(buffer, classOffset, key.className) && whole;
      return { status: whole ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW, resultLength };
    }
    case KeyFullInformation: {
      const resultLength = 44 + classLength;
      if (buffer.length < 44) return { status: STATUS_BUFFER_TOO_SMALL, resultLength };
      view.setBigUint64(0, key.lastWriteTime, true);
      view.setUint32(8, 0, true);
      view.setUint32(12, classLength > 0 ? 44 : NO_OFFSET, true);
      view.setUint32(16, classLength, true);
      view.setUint32(20, key.subkeys.size, true);
      view.setUint32(24, key.maxNameLen, true);
      view.setUint32(28, key.maxClassLen, true);
      view.setUint32(32, key.values.length, true);
      view.setUint32(36, key.maxValueNameLen, true);
      view.setUint32(40, key.maxValueDataLen, true);
      const whole = nameFitting(buffer, 44, key.className);
      return { status: whole ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW, resultLength };
    }
    default:
      return { status: STATUS_INVALID_PARAMETER, resultLength: 0 };
  }
}
