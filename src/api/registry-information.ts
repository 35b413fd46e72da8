/**
 * The KEY_VALUE_*_INFORMATION and KEY_*_INFORMATION structures a registry
 * query fills (layouts in kernel/cm/information.ts), decoded into plain
 * objects with their documented fields: names as strings, Data as a
 * Uint8Array. A truncated structure (STATUS_BUFFER_OVERFLOW) decodes to what
 * was written: the fixed part, and the name or data as far as it fit.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_key_value_full_information
 */
import {
  KeyBasicInformation, KeyFullInformation, KeyNodeInformation, KeyValueBasicInformation, KeyValueFullInformation,
  KeyValuePartialInformation,
} from '../include/registry-constants.js';

/** KEY_VALUE_BASIC_INFORMATION. */
export interface KeyValueBasicInformationValue { TitleIndex: number; Type: number; NameLength: number; Name: string }
/** KEY_VALUE_FULL_INFORMATION. */
export interface KeyValueFullInformationValue {
  TitleIndex: number; Type: number; DataOffset: number; DataLength: number; NameLength: number; Name: string; Data: Uint8Array;
}
/** KEY_VALUE_PARTIAL_INFORMATION. */
export interface KeyValuePartialInformationValue { TitleIndex: number; Type: number; DataLength: number; Data: Uint8Array }
/** Any KEY_VALUE_*_INFORMATION. */
export type KeyValueInformationValue = KeyValueBasicInformationValue | KeyValueFullInformationValue | KeyValuePartialInformationValue;

/** KEY_BASIC_INFORMATION. */
export interface KeyBasicInformationValue { LastWriteTime: bigint; TitleIndex: number; NameLength: number; Name: string }
/** KEY_NODE_INFORMATION. */
export interface KeyNodeInformationValue {
  LastWriteTime: bigint; TitleIndex: number; ClassOffset: number; ClassLength: number; NameLength: number; Name: string; Class: string;
}
/** KEY_FULL_INFORMATION. */
export interface KeyFullInformationValue {
  LastWriteTime: bigint; TitleIndex: number; ClassOffset: number; ClassLength: number; SubKeys: number; MaxNameLen: number;
  MaxClassLen: number; Values: number; MaxValueNameLen: number; MaxValueDataLen: number; Class: string;
}
/** Any KEY_*_INFORMATION. */
export type KeyInformationValue = KeyBasicInformationValue | KeyNodeInformationValue | KeyFullInformationValue;

/** UTF-16LE text of `bytes` bytes at `offset`, as far as the buffer holds it. */
function utf16(b: Uint8Array, offset: number, bytes: number): string {
  let s = '';
  for (let i = offset; i + 1 < Math.min(b.length, offset + bytes); i += 2) s += String.fromCharCode(b[i]! | (b[i + 1]! << 8));
  return s;
}

/** `length` bytes at `offset`, as far as the buffer holds them. */
const slice = (b: Uint8Array, offset: number, length: number): Uint8Array => b.slice(Math.min(offset, b.length), Math.min(b.length, offset + length));

/** Decodes a KEY_VALUE_*_INFORMATION; undefined if the fixed part is not all there. */
export function decodeKeyValueInformation(infoClass: number, b: Uint8Array): KeyValueInformationValue | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u = (o: number): number => v.getUint32(o, true);
  switch (infoClass) {
    case KeyValueBasicInformation:
      return b.length < 12 ? undefined : { TitleIndex: u(0), Type: u(4), NameLength: u(8), Name: utf16(b, 12, u(8)) };
    case KeyValueFullInformation:
      return b.length < 20 ? undefined : {
        TitleIndex: u(0), Type: u(4), DataOffset: u(8), DataLength: u(12), NameLength: u(16), Name: utf16(b, 20, u(16)),
        Data: u(12) === 0 ? new Uint8Array(0) : slice(b, u(8), u(12)),
      };
    case KeyValuePartialInformation:
      return b.length < 12 ? undefined : { TitleIndex: u(0), Type: u(4), DataLength: u(8), Data: slice(b, 12, u(8)) };
    default:
      return undefined;
  }
}

/** Decodes a KEY_*_INFORMATION; undefined if the fixed part is not all there. */
export function decodeKeyInformation(infoClass: number, b: Uint8Array): KeyInformationValue | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u = (o: number): number => v.getUint32(o, true);
  switch (infoClass) {
    case KeyBasicInformation:
      return b.length < 16 ? undefined : { LastWriteTime: v.getBigUint64(0, true), TitleIndex: u(8), NameLength: u(12), Name: utf16(b, 16, u(12)) };
    case KeyNodeInformation:
      return b.length < 24 ? undefined : {
        LastWriteTime: v.getBigUint64(0, true), TitleIndex: u(8), ClassOffset: u(12), ClassLength: u(16), NameLength: u(20),
        Name: utf16(b, 24, u(20)), Class: u(16) === 0 ? '' : utf16(b, u(12), u(16)),
      };
    case KeyFullInformation:
      return b.length < 44 ? undefined : {
        LastWriteTime: v.getBigUint64(0, true), TitleIndex: u(8), ClassOffset: u(12), ClassLength: u(16), SubKeys: u(20),
        MaxNameLen: u(24), MaxClassLen: u(28), Values: u(32), MaxValueNameLen: u(36), MaxValueDataLen: u(40),
        Class: u(16) === 0 ? '' : utf16(b, 44, u(16)),
      };
    default:
      return undefined;
  }
}
