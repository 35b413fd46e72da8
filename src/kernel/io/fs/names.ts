/**
 * File names on the volume: splitting the FILE_OBJECT's FileName into its
 * components and refusing a name Windows' file systems refuse. This is also
 * what keeps a guest path inside the volume: no component can be `..`, a
 * drive, a host separator or a host-absolute path.
 * https://learn.microsoft.com/windows/win32/fileio/naming-a-file#naming-conventions
 */
import { STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS } from '../../../include/ntstatus.js';

/** The longest component NTFS accepts, in UTF-16 code units. */
export const MAX_COMPONENT_LENGTH = 255;

/** Characters no name may contain: the controls 0x00–0x1F, `< > : " / \ | ? *` (naming-a-file). */
const FORBIDDEN = /[\u0000-\u001f<>:"/\\|?*]/;

/** Whether one component is a name a file may have (`.` and `..` are not: NTFS refuses them as names). */
export function isValidComponent(name: string): boolean {
  return name.length > 0 && name.length <= MAX_COMPONENT_LENGTH && name !== '.' && name !== '..' && !FORBIDDEN.test(name);
}

/**
 * The components of a volume-relative FileName (`\dir\a.txt` → ['dir', 'a.txt'];
 * `` or `\` → the root), or STATUS_OBJECT_NAME_INVALID.
 */
export function splitFileName(fileName: string): { status: number; parts: string[] } {
  if (fileName === '' || fileName === '\\') return { status: STATUS_SUCCESS, parts: [] };
  if (!fileName.startsWith('\\')) return { status: STATUS_OBJECT_NAME_INVALID, parts: [] };
  // A trailing backslash names the same file (NTFS accepts `\dir\`).
  const parts = fileName.slice(1).replace(/\\$/, '').split('\\');
  return parts.every(isValidComponent) ? { status: STATUS_SUCCESS, parts } : { status: STATUS_OBJECT_NAME_INVALID, parts: [] };
}

/** The key a name is found by: NTFS compares names case-insensitively (its upcase table; here toUpperCase). */
export const nameKey = (name: string): string => name.toUpperCase();

/** The key of a whole path. */
export const pathKey = (parts: readonly string[]): string => parts.map(nameKey).join('\\');
