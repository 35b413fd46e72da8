/**
 * Registry constants (winnt.h, winreg.h, wdm.h) as unsigned numbers: value
 * types, key options and dispositions, key access rights, the predefined
 * HKEYs, and the information classes of NtQueryKey / NtQueryValueKey.
 * The service values a service key holds (SERVICE_KERNEL_DRIVER, start
 * types, error control) are in win32-constants.ts.
 */
import { STANDARD_RIGHTS_ALL, STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE, SYNCHRONIZE } from './wdm-constants.js';

// Value types. https://learn.microsoft.com/windows/win32/sysinfo/registry-value-types
/** No defined value type. */
export const REG_NONE = 0;
/** A NUL-terminated UTF-16 string. */
export const REG_SZ = 1;
/** A NUL-terminated UTF-16 string with unexpanded %VARIABLE% references. */
export const REG_EXPAND_SZ = 2;
/** Binary data in any form. */
export const REG_BINARY = 3;
/** A 32-bit number, little-endian. */
export const REG_DWORD = 4;
/** Same as REG_DWORD. */
export const REG_DWORD_LITTLE_ENDIAN = 4;
/** A 32-bit number, big-endian. */
export const REG_DWORD_BIG_ENDIAN = 5;
/** A UTF-16 symbolic link target (a registry path, no NUL), value SymbolicLinkValue. */
export const REG_LINK = 6;
/** A sequence of NUL-terminated UTF-16 strings, ended by an empty string. */
export const REG_MULTI_SZ = 7;
/** A 64-bit number, little-endian. */
export const REG_QWORD = 11;
/** Same as REG_QWORD. */
export const REG_QWORD_LITTLE_ENDIAN = 11;

// CreateOptions of ZwCreateKey / dwOptions of RegCreateKeyEx, and the disposition.
// https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatekey
// https://learn.microsoft.com/windows/win32/api/winreg/nf-winreg-regcreatekeyexw
/** The key is kept in its hive file and survives a restart (the default). */
export const REG_OPTION_NON_VOLATILE = 0x00000000;
/** The key lives in memory only and is lost at restart. */
export const REG_OPTION_VOLATILE = 0x00000001;
/** The key is a symbolic link (its target in the REG_LINK value SymbolicLinkValue). */
export const REG_OPTION_CREATE_LINK = 0x00000002;
/** Open for backup or restore, bypassing the access check (needs the privileges). */
export const REG_OPTION_BACKUP_RESTORE = 0x00000004;
/** Open the link key itself, not its target. */
export const REG_OPTION_OPEN_LINK = 0x00000008;
/** Disposition: the key did not exist and was created. */
export const REG_CREATED_NEW_KEY = 0x00000001;
/** Disposition: the key existed and was opened. */
export const REG_OPENED_EXISTING_KEY = 0x00000002;

// Key access rights. https://learn.microsoft.com/windows/win32/sysinfo/registry-key-security-and-access-rights
/** Query the values of a key. */
export const KEY_QUERY_VALUE = 0x0001;
/** Create, delete or set a value. */
export const KEY_SET_VALUE = 0x0002;
/** Create a subkey. */
export const KEY_CREATE_SUB_KEY = 0x0004;
/** Enumerate the subkeys. */
export const KEY_ENUMERATE_SUB_KEYS = 0x0008;
/** Request change notifications for the key or its subkeys. */
export const KEY_NOTIFY = 0x0010;
/** Reserved for system use (create a symbolic link). */
export const KEY_CREATE_LINK = 0x0020;
/** On 64-bit Windows, use the 64-bit view of the registry. */
export const KEY_WOW64_64KEY = 0x0100;
/** On 64-bit Windows, use the 32-bit view of the registry. */
export const KEY_WOW64_32KEY = 0x0200;
/** Both WOW64 view bits (mask). */
export const KEY_WOW64_RES = 0x0300;
/** STANDARD_RIGHTS_READ | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY, without SYNCHRONIZE (0x20019). */
export const KEY_READ = ((STANDARD_RIGHTS_READ | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY) & ~SYNCHRONIZE) >>> 0;
/** STANDARD_RIGHTS_WRITE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY, without SYNCHRONIZE (0x20006). */
export const KEY_WRITE = ((STANDARD_RIGHTS_WRITE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY) & ~SYNCHRONIZE) >>> 0;
/** Same as KEY_READ (0x20019). */
export const KEY_EXECUTE = KEY_READ;
/** Every key right, without SYNCHRONIZE (0xF003F). */
export const KEY_ALL_ACCESS = ((STANDARD_RIGHTS_ALL | KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_CREATE_SUB_KEY |
  KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY | KEY_CREATE_LINK) & ~SYNCHRONIZE) >>> 0;

// Predefined keys, as the 32-bit HKEY values advapi32 recognises (winreg.h sign-extends
// them to 64 bits on x64). https://learn.microsoft.com/windows/win32/sysinfo/predefined-keys
/** HKEY_CLASSES_ROOT: \Registry\Machine\Software\Classes merged with the user's classes. */
export const HKEY_CLASSES_ROOT = 0x80000000;
/** HKEY_CURRENT_USER: \Registry\User\<the caller's SID>. */
export const HKEY_CURRENT_USER = 0x80000001;
/** HKEY_LOCAL_MACHINE: \Registry\Machine. */
export const HKEY_LOCAL_MACHINE = 0x80000002;
/** HKEY_USERS: \Registry\User. */
export const HKEY_USERS = 0x80000003;

// KEY_VALUE_INFORMATION_CLASS. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_key_value_information_class
/** KEY_VALUE_BASIC_INFORMATION: type and name. */
export const KeyValueBasicInformation = 0;
/** KEY_VALUE_FULL_INFORMATION: type, name and data. */
export const KeyValueFullInformation = 1;
/** KEY_VALUE_PARTIAL_INFORMATION: type and data. */
export const KeyValuePartialInformation = 2;

// KEY_INFORMATION_CLASS. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_key_information_class
/** KEY_BASIC_INFORMATION: last write time and name. */
export const KeyBasicInformation = 0;
/** KEY_NODE_INFORMATION: last write time, class and name. */
export const KeyNodeInformation = 1;
/** KEY_FULL_INFORMATION: last write time, class, subkey and value counts and maxima. */
export const KeyFullInformation = 2;
