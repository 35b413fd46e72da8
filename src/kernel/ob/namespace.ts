/**
 * The object namespace: directories and symbolic links, looked up case-
 * insensitively. `\??` holds the DOS device names; `\DosDevices` is a link
 * to it, so a driver's IoCreateSymbolicLink("\DosDevices\X") lands there and
 * CreateFile("\\.\X") finds it.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/object-directories
 */
import { KernelObject, type ObjectType } from './object.js';

export const DirectoryType: ObjectType = { name: 'Directory', bodySize: { x64: 0x158, x86: 0xa8 } };
export const SymbolicLinkType: ObjectType = { name: 'SymbolicLink', bodySize: { x64: 0x28, x86: 0x18 } };

/** OBJECT_DIRECTORY: a directory of the object namespace (\Device, \??), holding its named objects. */
export class ObjectDirectory extends KernelObject {
  readonly entries = new Map<string, KernelObject>();
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
export function lookupObjectName(root: ObjectDirectory, path: string, openLink = false): LookupResult | 'invalid' | 'path' | 'name' {
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
      const next = dir.entries.get(current.slice(start, end).toUpperCase());
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

/** The parent directory and leaf name of a path, for inserting a new name. */
export function parentOf(root: ObjectDirectory, path: string): { directory: ObjectDirectory; leaf: string } | 'invalid' | 'path' {
  const parts = splitPath(path);
  if (!parts || parts.length === 0) return 'invalid';
  const leaf = parts[parts.length - 1]!;
  const parentPath = `\\${parts.slice(0, -1).join('\\')}`;
  const found = lookupObjectName(root, parentPath);
  if (found === 'invalid') return 'invalid';
  if (found === 'path' || found === 'name' || found.remaining !== '' || !(found.object instanceof ObjectDirectory)) return 'path';
  return { directory: found.object, leaf };
}
