/**
 * The registry's Win32 routines (advapi32: RegCreateKeyExW, RegOpenKeyExW,
 * RegSetValueExW, RegQueryValueExW, RegDeleteValueW, RegDeleteKeyW,
 * RegEnumKeyExW, RegCloseKey; RegEnumValueW and RegQueryInfoKeyW come from
 * registry-query.ts), written over the native routines as advapi32 is
 * written over ntdll. Each returns its LSTATUS (a Win32 error; the last
 * error is never set), alone or as `value` beside its out-parameters.
 *
 * Predefined keys become names, not handles:
 *   HKEY_LOCAL_MACHINE   \Registry\Machine
 *   HKEY_USERS           \Registry\User
 *   HKEY_CURRENT_USER    \Registry\User\<one SID for every user>, created on first use
 *   HKEY_CLASSES_ROOT    \Registry\Machine\Software\Classes (without the per-user merge)
 * https://learn.microsoft.com/windows/win32/sysinfo/predefined-keys
 */
import { NT_SUCCESS, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS } from '../include/ntstatus.js';
import {
  DELETE, OBJ_CASE_INSENSITIVE,
} from '../include/wdm-constants.js';
import {
  HKEY_CLASSES_ROOT, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS, KEY_CREATE_SUB_KEY, KEY_ENUMERATE_SUB_KEYS, KEY_QUERY_VALUE,
  KEY_SET_VALUE, KeyBasicInformation, KeyValuePartialInformation,
} from '../include/registry-constants.js';
import { ERROR_INVALID_PARAMETER, ERROR_MORE_DATA, ERROR_SUCCESS } from '../include/winerror.js';
import { RtlNtStatusToDosError } from '../kernel/ex/status-to-dos.js';
import type { GuestMemoryAccess } from '../kernel/mm/access.js';
import type { NativeRoutines, ObjectAttributesValue } from './native.js';
import { decodeKeyInformation, decodeKeyValueInformation, type KeyBasicInformationValue, type KeyValuePartialInformationValue } from './registry-information.js';
import { makeRegistryQueries } from './registry-query.js';
import { addressFromProgram, ulongFromProgram } from './program-arguments.js';
import type { UserStack } from './user-stack.js';

/** The SID HKEY_CURRENT_USER maps to, for every user of the machine (docs/fidelity.md). */
export const CURRENT_USER_SID = 'S-1-5-21-3623811015-3361044348-30300820-1001';

/** What the registry routines need of the thread. */
export interface RegistryClientThread {
  readonly mem: GuestMemoryAccess;
  readonly stack: UserStack;
  readonly native: NativeRoutines;
}

/** An NTSTATUS as the LSTATUS a Reg* routine returns. */
const lstatus = (status: number): number => (NT_SUCCESS(status) ? ERROR_SUCCESS : RtlNtStatusToDosError(status));

/** The Reg* routines of one program thread. */
export function makeRegistryClient(t: RegistryClientThread) {
  const { mem, stack, native } = t;
  /** A DWORD argument as a register holds it (program-arguments.ts: a bigint's low bits, a Symbol the program's access violation). */
  const ulong = (v: unknown): number => (typeof v === 'number' ? v >>> 0 : ulongFromProgram(mem.sizeofPointer === 8 ? 'x64' : 'x86', v));
  let currentUserMade = false;

  /** The NT name of a predefined key, or undefined for an ordinary handle. */
  const predefined = (hKey: number): string | undefined => {
    switch (ulong(hKey)) {
      case HKEY_LOCAL_MACHINE: return '\\Registry\\Machine';
      case HKEY_USERS: return '\\Registry\\User';
      case HKEY_CLASSES_ROOT: return '\\Registry\\Machine\\Software\\Classes';
      case HKEY_CURRENT_USER: {
        const name = `\\Registry\\User\\${CURRENT_USER_SID}`;
        if (!currentUserMade) {
          const r = native.NtCreateKey(KEY_QUERY_VALUE, { ObjectName: name, Attributes: OBJ_CASE_INSENSITIVE }, 0, null, 0);
          if (NT_SUCCESS(r.status)) {
            native.NtClose(r.keyHandle);
            currentUserMade = true;
          }
        }
        return name;
      }
      default: return undefined;
    }
  };

  /**
   * A name argument: a string, or an LPCWSTR in guest memory (NULL: ''); any
   * other value is read as the address a register holds of it (a Symbol:
   * the program's access violation, program-arguments.ts).
   */
  const subKeyText = (name: unknown): string => {
    if (typeof name === 'string') return name;
    if (name === null || name === undefined || name === 0) return '';
    return mem.getString(addressFromProgram(mem.sizeofPointer === 8 ? 'x64' : 'x86', name), 'utf-16le');
  };

  /** OBJECT_ATTRIBUTES for `subKey` under `hKey`: an absolute name under a predefined key, else relative to the handle. */
  const attributes = (hKey: number, subKey: string | number | null): ObjectAttributesValue => {
    const sub = subKeyText(subKey);
    const root = predefined(hKey);
    if (root !== undefined) return { ObjectName: sub === '' ? root : `${root}\\${sub}`, Attributes: OBJ_CASE_INSENSITIVE };
    return { ObjectName: sub, Attributes: OBJ_CASE_INSENSITIVE, RootDirectory: hKey };
  };

  /** Runs `body` on a handle to `hKey`: the handle itself, or one opened (and closed after) for a predefined key. */
  const withKey = (hKey: number, access: number, body: (handle: number) => number): number => {
    if (predefined(hKey) === undefined) return body(hKey);
    const r = native.NtOpenKey(access, attributes(hKey, null));
    if (!NT_SUCCESS(r.status)) return r.status;
    try {
      return body(r.keyHandle);
    } finally {
      native.NtClose(r.keyHandle);
    }
  };

  /** A value name: NULL and '' both name the default value. */
  const valueName = (name: string | number | null): string => subKeyText(name);

  return {
    /**
     * RegCreateKeyExW: creates every missing key on the path, as advapi32
     * does; `{ value, hkResult, dwDisposition }`.
     * https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regcreatekeyexw
     */
    RegCreateKeyExW(hKey: number, lpSubKey: string | number, _Reserved: number, lpClass: string | null, dwOptions: number,
      samDesired: number, _lpSecurityAttributes: number | null = null): { value: number; hkResult: number; dwDisposition: number } {
      const oa = attributes(hKey, lpSubKey);
      const name = String(oa.ObjectName);
      let r = native.NtCreateKey(ulong(samDesired), oa, 0, lpClass, ulong(dwOptions));
      if (r.status === STATUS_OBJECT_NAME_NOT_FOUND) {
        // A parent is missing: create the path one level at a time (advapi32's LocalBaseRegCreateKey).
        const absolute = oa.RootDirectory === undefined;
        const parts = name.split('\\');
        const first = absolute ? 4 : 1; // '', 'Registry', 'Machine' | 'User', then the first key that may be missing
        for (let i = Math.min(first, parts.length); i < parts.length; i++) {
          const step = native.NtCreateKey(KEY_CREATE_SUB_KEY, { ...oa, ObjectName: parts.slice(0, i).join('\\') }, 0, null, ulong(dwOptions));
          if (!NT_SUCCESS(step.status)) return { value: lstatus(step.status), hkResult: 0, dwDisposition: 0 };
          native.NtClose(step.keyHandle);
        }
        r = native.NtCreateKey(ulong(samDesired), oa, 0, lpClass, ulong(dwOptions));
      }
      if (!NT_SUCCESS(r.status)) return { value: lstatus(r.status), hkResult: 0, dwDisposition: 0 };
      return { value: ERROR_SUCCESS, hkResult: r.keyHandle, dwDisposition: r.disposition };
    },
    /** RegOpenKeyExW: `{ value, hkResult }`. https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regopenkeyexw */
    RegOpenKeyExW(hKey: number, lpSubKey: string | number | null, _ulOptions: number, samDesired: number): { value: number; hkResult: number } {
      const r = native.NtOpenKey(ulong(samDesired), attributes(hKey, lpSubKey));
      return NT_SUCCESS(r.status) ? { value: ERROR_SUCCESS, hkResult: r.keyHandle } : { value: lstatus(r.status), hkResult: 0 };
    },
    /**
     * RegSetValueExW: lpData is the data's address, or (ntshm) its bytes;
     * cbData bytes are stored as given (a string's terminating NUL included if counted).
     * https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regsetvalueexw
     */
    RegSetValueExW(hKey: number, lpValueName: string | number | null, _Reserved: number, dwType: number, lpData: number | Uint8Array | null,
      cbData: number): number {
      return lstatus(withKey(hKey, KEY_SET_VALUE, (handle) => stack.frame(() => {
        let data = typeof lpData === 'number' ? lpData : 0;
        if (lpData instanceof Uint8Array) {
          data = stack.push(Math.max(cbData, 1), 8);
          mem.setBytes(data, lpData.subarray(0, cbData));
        }
        return native.NtSetValueKey(handle, valueName(lpValueName), 0, ulong(dwType), data, ulong(cbData));
      })));
    },
    /**
     * RegQueryValueExW: `{ value, type, cbData }`. With lpData NULL, cbData
     * becomes the data's size; a buffer too small is ERROR_MORE_DATA with the
     * size needed in cbData and nothing copied.
     * https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regqueryvalueexw
     */
    RegQueryValueExW(hKey: number, lpValueName: string | number | null, _lpReserved: number | null, lpData: number | null,
      cbData: number): { value: number; type: number; cbData: number } {
      let out = { value: ERROR_SUCCESS, type: 0, cbData };
      const query = (handle: number, length: number): { status: number; info: KeyValuePartialInformationValue | undefined } =>
        stack.frame(() => {
          const buffer = stack.push(length, 8);
          const r = native.NtQueryValueKey(handle, valueName(lpValueName), KeyValuePartialInformation, buffer, length);
          const written = Math.min(length, r.resultLength);
          const info = decodeKeyValueInformation(KeyValuePartialInformation, mem.getBytes(buffer, written)) as KeyValuePartialInformationValue | undefined;
          return { status: r.status, info };
        });
      const status = withKey(hKey, KEY_QUERY_VALUE, (handle) => {
        const head = query(handle, 12);
        if (!head.info) return head.status;
        const size = head.info.DataLength;
        out = { value: ERROR_SUCCESS, type: head.info.Type, cbData: size };
        if (lpData === null || lpData === 0) return STATUS_SUCCESS;
        if (size > ulong(cbData)) {
          out.value = ERROR_MORE_DATA;
          return STATUS_SUCCESS;
        }
        const full = query(handle, 12 + size);
        if (!NT_SUCCESS(full.status) || !full.info) return full.status;
        mem.setBytes(lpData, full.info.Data);
        return STATUS_SUCCESS;
      });
      if (!NT_SUCCESS(status)) return { value: lstatus(status), type: 0, cbData };
      return out;
    },
    /** RegDeleteValueW. https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regdeletevaluew */
    RegDeleteValueW(hKey: number, lpValueName: string | number | null): number {
      return lstatus(withKey(hKey, KEY_SET_VALUE, (handle) => native.NtDeleteValueKey(handle, valueName(lpValueName))));
    },
    /** RegDeleteKeyW: the subkey must have no subkeys. https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regdeletekeyw */
    RegDeleteKeyW(hKey: number, lpSubKey: string | number): number {
      if (lpSubKey === null || lpSubKey === undefined) return ERROR_INVALID_PARAMETER;
      const r = native.NtOpenKey(DELETE, attributes(hKey, lpSubKey));
      if (!NT_SUCCESS(r.status)) return lstatus(r.status);
      const status = native.NtDeleteKey(r.keyHandle);
      native.NtClose(r.keyHandle);
      return lstatus(status);
    },
    /**
     * RegEnumKeyExW, for the name: `{ value, name, cchName, ftLastWriteTime }`;
     * cchName is the buffer's size in characters, NUL included (ERROR_MORE_DATA
     * if the name does not fit), and comes back as the name's length.
     * https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regenumkeyexw
     */
    RegEnumKeyExW(hKey: number, dwIndex: number, cchName: number): { value: number; name: string; cchName: number; ftLastWriteTime: bigint } {
      let found: KeyBasicInformationValue | undefined;
      const status = withKey(hKey, KEY_ENUMERATE_SUB_KEYS, (handle) => stack.frame(() => {
        const length = 16 + 2 * 256;
        const buffer = stack.push(length, 8);
        const r = native.NtEnumerateKey(handle, ulong(dwIndex), KeyBasicInformation, buffer, length);
        if (NT_SUCCESS(r.status)) found = decodeKeyInformation(KeyBasicInformation, mem.getBytes(buffer, r.resultLength)) as KeyBasicInformationValue;
        return r.status;
      }));
      if (!NT_SUCCESS(status) || !found) return { value: lstatus(status), name: '', cchName, ftLastWriteTime: 0n };
      if (found.Name.length + 1 > ulong(cchName)) return { value: ERROR_MORE_DATA, name: '', cchName, ftLastWriteTime: 0n };
      return { value: ERROR_SUCCESS, name: found.Name, cchName: found.Name.length, ftLastWriteTime: found.LastWriteTime };
    },
    ...makeRegistryQueries({ mem, stack, native, withKey }),
    /** RegCloseKey: a predefined key needs no closing. https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regclosekey */
    RegCloseKey(hKey: number): number {
      if (predefined(hKey) !== undefined) return ERROR_SUCCESS;
      return lstatus(native.NtClose(hKey));
    },
  };
}
