/**
 * The object namespace: directories and symbolic links, looked up without
 * case for every type that asks for it (ObpCaseInsensitive, on by default:
 * `caseInsensitive` below), with case otherwise unless OBJ_CASE_INSENSITIVE. `\??` holds the DOS device names; `\DosDevices` is a link
 * to it, so a driver's IoCreateSymbolicLink("\DosDevices\X") lands there and
 * CreateFile("\\.\X") finds it.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/object-directories
 */
import {
  DIRECTORY_ALL_ACCESS, DIRECTORY_CREATE_OBJECT, DIRECTORY_CREATE_SUBDIRECTORY, DIRECTORY_QUERY, DIRECTORY_TRAVERSE, OBJ_INVALID_SESSION_ID,
  SYMBOLIC_LINK_ALL_ACCESS, SYMBOLIC_LINK_QUERY,
} from '../../include/security.js';
import { READ_CONTROL } from '../../include/wdm-constants.js';
import { KernelObject, type ObjectType } from './object.js';

/** ObpDirectoryObjectType, with ObpDirectoryMapping (ReactOS ntoskrnl/ob/obinit.c). */
export const DirectoryType: ObjectType = {
  name: 'Directory', bodySize: { x64: 0x158, x86: 0xa8 },
  GenericMapping: {
    GenericRead: READ_CONTROL | DIRECTORY_QUERY | DIRECTORY_TRAVERSE,
    GenericWrite: READ_CONTROL | DIRECTORY_CREATE_OBJECT | DIRECTORY_CREATE_SUBDIRECTORY,
    GenericExecute: READ_CONTROL | DIRECTORY_QUERY | DIRECTORY_TRAVERSE,
    GenericAll: DIRECTORY_ALL_ACCESS,
  },
  caseInsensitive: true,
};
/** ObpSymbolicLinkObjectType, with ObpSymbolicLinkMapping; creating one in another session's directory needs SeCreateGlobalPrivilege. */
export const SymbolicLinkType: ObjectType = {
  name: 'SymbolicLink', bodySize: { x64: 0x28, x86: 0x18 },
  GenericMapping: {
    GenericRead: READ_CONTROL | SYMBOLIC_LINK_QUERY,
    GenericWrite: READ_CONTROL,
    GenericExecute: READ_CONTROL | SYMBOLIC_LINK_QUERY,
    GenericAll: SYMBOLIC_LINK_ALL_ACCESS,
  },
  sessionRestricted: true,
  caseInsensitive: true,
};

/** OBJECT_DIRECTORY: a directory of the object namespace (\Device, \??), holding its named objects. */
export class ObjectDirectory extends KernelObject {
  readonly entries = new Map<string, KernelObject>();
  /**
   * OBJECT_DIRECTORY.SessionId: the session whose directory this is
   * (`\BaseNamedObjects` is session 0's on a machine with sessions), or
   * OBJ_INVALID_SESSION_ID. A section or symbolic link created here from
   * another session needs SeCreateGlobalPrivilege.
   */
  SessionId = OBJ_INVALID_SESSION_ID;
  constructor() {
    super(DirectoryType);
  }
}

/** OBJECT_SYMBOLIC_LINK: a name that a lookup replaces with LinkTarget (\DosDevices → \??, \??\X → \Device\X). */
export class SymbolicLinkObject extends KernelObject {
  constructor(readonly LinkTarget: string) {
    super(SymbolicLinkType);
  }
}

/** What a lookup found: the object, and any path left over after it (a device's file name). */
export interface LookupResult {
  object: KernelObject;
  remaining: string;
}

const MAX_REPARSE = 32;

/** Splits `\A\B\C` into its components; an empty component (`\\`) is invalid. */
export function splitPath(path: string): string[] | undefined {
  if (!path.startsWith('\\')) return undefined;
  const parts = path.slice(1).split('\\');
  if (parts.length === 1 && parts[0] === '') return [];
  return parts.some((p) => p === '') ? undefined : parts;
}

/** Whether `path` is `\` or `\A\B\C` with no empty component (what splitPath accepts). */
function isWellFormed(path: string): boolean {
  return path.startsWith('\\') && (path.length === 1 || (!path.endsWith('\\') && !path.includes('\\\\')));
}

/**
 * Walks the namespace from the root. A symbolic link in the middle of the
 * path, or at its end unless `openLink`, is replaced by its target. Stops at
 * the first object that is not a directory and returns the rest of the path
 * with it. Returns 'invalid' for a malformed path, 'path' when a middle
 * component is missing, 'name' when the last one is. (Each component is read
 * in place, between two backslashes: a lookup on NtCreateFile's path builds
 * no array.)
 */
export function lookupObjectName(root: ObjectDirectory, path: string, openLink = false, caseInsensitive = true):
  LookupResult | 'invalid' | 'path' | 'name' {
  let current = path;
  reparse: for (let reparse = 0; reparse < MAX_REPARSE; reparse++) {
    if (!isWellFormed(current)) return 'invalid';
    let dir: KernelObject = root;
    // `start` is where the next component begins, just after its backslash.
    let start = 1;
    while (start < current.length) {
      if (!(dir instanceof ObjectDirectory)) return { object: dir, remaining: current.slice(start - 1) };
      let end = current.indexOf('\\', start);
      if (end < 0) end = current.length;
      const last = end === current.length;
      const next = ObpLookupDirectoryEntry(dir, current.slice(start, end), caseInsensitive);
      if (!next) return last ? 'name' : 'path';
      if (next instanceof SymbolicLinkObject && !(last && openLink)) {
        current = next.LinkTarget + current.slice(end);
        continue reparse;
      }
      dir = next;
      start = end + 1;
    }
    return { object: dir, remaining: '' };
  }
  return 'path';
}

/**
 * ObpLookupDirectoryEntry: the object named `name` in a directory. A
 * directory holds one object per name compared without case; a
 * case-sensitive lookup finds it only if its name has the same case
 * (docs/fidelity.md: Windows could hold both "Foo" and "FOO").
 */
export function ObpLookupDirectoryEntry(dir: ObjectDirectory, name: string, caseInsensitive: boolean): KernelObject | undefined {
  const entry = dir.entries.get(name.toUpperCase());
  if (!entry || caseInsensitive || entry.header.name === name) return entry;
  return undefined;
}

/** The parent directory and leaf name of a path, for inserting a new name. */
export function parentOf(root: ObjectDirectory, path: string, caseInsensitive = true): { directory: ObjectDirectory; leaf: string } | 'invalid' | 'path' {
  const parts = splitPath(path);
  if (!parts || parts.length === 0) return 'invalid';
  const leaf = parts[parts.length - 1]!;
  const parentPath = `\\${parts.slice(0, -1).join('\\')}`;
  const found = lookupObjectName(root, parentPath, false, caseInsensitive);
  if (found === 'invalid') return 'invalid';
  if (found === 'path' || found === 'name' || found.remaining !== '' || !(found.object instanceof ObjectDirectory)) return 'path';
  return { directory: found.object, leaf };
}
