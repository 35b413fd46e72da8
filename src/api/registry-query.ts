/**
 * The Reg* routines that read a key through its information structures, as
 * advapi32 does: RegEnumValueW over NtEnumerateValueKey
 * (KeyValueFullInformation), RegQueryInfoKeyW over NtQueryKey
 * (KeyFullInformation). Each asks for the fixed part first, then for as much
 * of the name, class or data as the caller's buffers can take, so the
 * stack holds no more than the caller asked for.
 *
 * Counts follow Win32, not NT: names and classes in characters without the
 * terminating NUL (NT's NameLength and ClassLength are bytes), and a buffer
 * size given in characters must leave room for the NUL.
 */
import { NT_SUCCESS, STATUS_BUFFER_OVERFLOW, STATUS_SUCCESS } from '../include/ntstatus.js';
import { KEY_QUERY_VALUE, KeyFullInformation, KeyValueFullInformation } from '../include/registry-constants.js';
import { ERROR_INVALID_PARAMETER, ERROR_MORE_DATA, ERROR_SUCCESS } from '../include/winerror.js';
import { RtlNtStatusToDosError } from '../kernel/ex/status-to-dos.js';
import type { GuestMemoryAccess } from '../kernel/mm/access.js';
import { ulongFromProgram } from './program-arguments.js';
import type { NativeRoutines } from './native.js';
import {
  decodeKeyInformation, decodeKeyValueInformation, type KeyFullInformationValue, type KeyValueFullInformationValue,
} from './registry-information.js';
import type { UserStack } from './user-stack.js';

/** The fixed parts: KEY_VALUE_FULL_INFORMATION up to Name, KEY_FULL_INFORMATION up to Class. */
const KEY_VALUE_FULL_FIXED = 20;
const KEY_FULL_FIXED = 44;

/** What the routines need of the thread, and advapi32's way to a handle for a predefined key. */
export interface RegistryQueryThread {
  readonly mem: GuestMemoryAccess;
  readonly stack: UserStack;
  readonly native: NativeRoutines;
  /** Runs `body` on a handle to `hKey` with `access` (opening a predefined key for the call); its NTSTATUS. */
  readonly withKey: (hKey: number, access: number, body: (handle: number) => number) => number;
}

/** RegEnumValueW's result: the LSTATUS and the out-parameters. */
export interface RegEnumValueResult {
  value: number;
  valueName: string;
  cchValueName: number;
  type: number;
  cbData: number;
}

/** RegQueryInfoKeyW's result: the LSTATUS and the out-parameters. */
export interface RegQueryInfoKeyResult {
  value: number;
  class: string;
  cchClass: number;
  cSubKeys: number;
  cbMaxSubKeyLen: number;
  cbMaxClassLen: number;
  cValues: number;
  cbMaxValueNameLen: number;
  cbMaxValueLen: number;
  cbSecurityDescriptor: number;
  ftLastWriteTime: bigint;
}

const isNull = (p: number | null | undefined): boolean => p === null || p === undefined || p === 0;

/** RegEnumValueW and RegQueryInfoKeyW of one program thread. */
export function makeRegistryQueries(t: RegistryQueryThread) {
  const { mem, stack, native, withKey } = t;
  /** A DWORD argument as a register holds it (program-arguments.ts: a bigint's low bits, a Symbol the program's access violation). */
  const ulong = (v: unknown): number => (typeof v === 'number' ? v >>> 0 : ulongFromProgram(mem.sizeofPointer === 8 ? 'x64' : 'x86', v));
  const lstatus = (status: number): number => (NT_SUCCESS(status) ? ERROR_SUCCESS : RtlNtStatusToDosError(status));
  /** Whether a query filled the buffer, wholly or in part. */
  const filled = (status: number): boolean => status === STATUS_SUCCESS || status === STATUS_BUFFER_OVERFLOW;

  /** NtEnumerateValueKey into `length` bytes of the stack: the status and what was filled, decoded. */
  const enumerateValue = (handle: number, index: number, length: number) => stack.frame(() => {
    const buffer = stack.push(length, 8);
    const r = native.NtEnumerateValueKey(handle, index, KeyValueFullInformation, buffer, length);
    const info = filled(r.status)
      ? decodeKeyValueInformation(KeyValueFullInformation, mem.getBytes(buffer, Math.min(length, r.resultLength))) as KeyValueFullInformationValue
      : undefined;
    return { status: r.status, info };
  });

  /** NtQueryKey(KeyFullInformation) into `length` bytes of the stack. */
  const queryKey = (handle: number, length: number) => stack.frame(() => {
    const buffer = stack.push(length, 8);
    const r = native.NtQueryKey(handle, KeyFullInformation, buffer, length);
    const info = filled(r.status)
      ? decodeKeyInformation(KeyFullInformation, mem.getBytes(buffer, Math.min(length, r.resultLength))) as KeyFullInformationValue
      : undefined;
    return { status: r.status, info };
  });

  return {
    /**
     * RegEnumValueW: the value at `dwIndex`, `{ value, valueName, cchValueName, type, cbData }`.
     * cchValueName goes in as the name buffer's size in characters (NUL
     * included) and comes back as the name's length (NUL excluded); cbData
     * goes in as lpData's size and comes back as the data's. A name that
     * does not fit is ERROR_MORE_DATA with cchValueName unchanged and nothing
     * copied; data that does not fit is ERROR_MORE_DATA with the name
     * returned and the data not copied; either way `type` and `cbData` (the
     * size needed) are set. Past the last value: ERROR_NO_MORE_ITEMS.
     * https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regenumvaluew
     */
    RegEnumValueW(hKey: number, dwIndex: number, cchValueName: number | null, lpReserved: number | null, lpData: number | null,
      cbData: number | null): RegEnumValueResult {
      const failed = (value: number): RegEnumValueResult => ({ value, valueName: '', cchValueName: cchValueName ?? 0, type: 0, cbData: cbData ?? 0 });
      // lpcchValueName is required; lpReserved must be NULL; lpcbData may be NULL only with lpData.
      if (cchValueName === null || !isNull(lpReserved) || (!isNull(lpData) && cbData === null)) return failed(ERROR_INVALID_PARAMETER);
      const room = ulong(cchValueName);
      const size = ulong(cbData ?? 0);
      const out: RegEnumValueResult = { value: ERROR_SUCCESS, valueName: '', cchValueName, type: 0, cbData: size };
      const status = withKey(hKey, KEY_QUERY_VALUE, (handle) => {
        const head = enumerateValue(handle, ulong(dwIndex), KEY_VALUE_FULL_FIXED);
        if (!head.info) return head.status;
        const { Type, DataLength, NameLength, DataOffset } = head.info;
        out.type = Type;
        out.cbData = DataLength;
        if (NameLength / 2 + 1 > room) {
          out.value = ERROR_MORE_DATA;
          return STATUS_SUCCESS;
        }
        const copyData = !isNull(lpData) && DataLength > 0 && DataLength <= size;
        const full = enumerateValue(handle, ulong(dwIndex), copyData ? DataOffset + DataLength : KEY_VALUE_FULL_FIXED + NameLength);
        if (!full.info) return full.status;
        out.valueName = full.info.Name;
        out.cchValueName = full.info.Name.length;
        if (!isNull(lpData) && DataLength > size) out.value = ERROR_MORE_DATA;
        else if (copyData) mem.setBytes(lpData!, full.info.Data);
        return STATUS_SUCCESS;
      });
      return NT_SUCCESS(status) ? out : failed(lstatus(status));
    },

    /**
     * RegQueryInfoKeyW: `{ value, class, cchClass, cSubKeys, cbMaxSubKeyLen,
     * cbMaxClassLen, cValues, cbMaxValueNameLen, cbMaxValueLen,
     * cbSecurityDescriptor, ftLastWriteTime }`. cchClass goes in as the class
     * buffer's size in characters (NUL included; null for no class buffer)
     * and comes back as the class's length; a class that does not fit is
     * ERROR_MORE_DATA (the documented error), the other counts still filled.
     * Name and class maxima are in characters, cbMaxValueLen in bytes.
     * There are no security descriptors: cbSecurityDescriptor is 0.
     * https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regqueryinfokeyw
     */
    RegQueryInfoKeyW(hKey: number, cchClass: number | null, _lpReserved: number | null = null): RegQueryInfoKeyResult {
      let out: RegQueryInfoKeyResult | undefined;
      const status = withKey(hKey, KEY_QUERY_VALUE, (handle) => {
        const head = queryKey(handle, KEY_FULL_FIXED);
        if (!head.info) return head.status;
        let info = head.info;
        const classChars = info.ClassLength / 2;
        const fits = cchClass !== null && classChars + 1 <= ulong(cchClass);
        if (fits && classChars > 0) {
          const full = queryKey(handle, info.ClassOffset + info.ClassLength);
          if (!full.info) return full.status;
          info = full.info;
        }
        out = {
          value: cchClass !== null && !fits ? ERROR_MORE_DATA : ERROR_SUCCESS,
          class: fits ? info.Class : '', cchClass: cchClass === null ? 0 : classChars,
          cSubKeys: info.SubKeys, cbMaxSubKeyLen: info.MaxNameLen / 2, cbMaxClassLen: info.MaxClassLen / 2,
          cValues: info.Values, cbMaxValueNameLen: info.MaxValueNameLen / 2, cbMaxValueLen: info.MaxValueDataLen,
          cbSecurityDescriptor: 0, ftLastWriteTime: info.LastWriteTime,
        };
        return STATUS_SUCCESS;
      });
      if (NT_SUCCESS(status) && out) return out;
      return {
        value: lstatus(status), class: '', cchClass: cchClass ?? 0, cSubKeys: 0, cbMaxSubKeyLen: 0, cbMaxClassLen: 0, cValues: 0,
        cbMaxValueNameLen: 0, cbMaxValueLen: 0, cbSecurityDescriptor: 0, ftLastWriteTime: 0n,
      };
    },
  };
}
