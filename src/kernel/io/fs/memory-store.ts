/**
 * A volume kept in memory: the store of a machine with no disk (a browser,
 * a test). Names keep the case they were created with and are found
 * case-insensitively, as the file system looks them up.
 */
import { NtException } from '../../../include/errors.js';
import { STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_PATH_NOT_FOUND } from '../../../include/ntstatus.js';
import type { VolumeEntry, VolumeStore } from '../../../include/volume-store.js';

interface MemoryNode {
  readonly name: string;
  /** A directory's entries by upper-cased name; undefined for a file. */
  readonly children: Map<string, MemoryNode> | undefined;
  bytes: Uint8Array;
}

/** A VolumeStore in memory. `files` seeds it: volume-relative paths (`dir\a.txt`) and their contents. */
export class MemoryVolumeStore implements VolumeStore {
  private readonly root: MemoryNode = { name: '', children: new Map(), bytes: new Uint8Array(0) };

  constructor(files: Readonly<Record<string, Uint8Array | string>> = {}) {
    const utf8 = new TextEncoder();
    for (const [path, contents] of Object.entries(files)) {
      const parts = path.split(/[\\/]/).filter((p) => p !== '');
      for (let i = 1; i < parts.length; i++) {
        if (!this.list(parts.slice(0, i))) this.createDirectory(parts.slice(0, i));
      }
      this.write(parts, typeof contents === 'string' ? utf8.encode(contents) : contents);
    }
  }

  list(directory: readonly string[]): readonly VolumeEntry[] | undefined {
    const children = this.node(directory)?.children;
    return children && [...children.values()].map((n) => ({ name: n.name, kind: n.children ? 'directory' : 'file' }));
  }

  read(file: readonly string[]): Uint8Array {
    const node = this.node(file);
    if (!node || node.children) throw new NtException(STATUS_OBJECT_PATH_NOT_FOUND);
    return node.bytes.slice();
  }

  write(file: readonly string[], bytes: Uint8Array): void {
    const parent = this.parent(file);
    const name = file[file.length - 1]!;
    const existing = parent.get(name.toUpperCase());
    if (existing?.children) throw new NtException(STATUS_OBJECT_NAME_COLLISION);
    if (existing) existing.bytes = bytes.slice();
    else parent.set(name.toUpperCase(), { name, children: undefined, bytes: bytes.slice() });
  }

  createDirectory(directory: readonly string[]): void {
    const parent = this.parent(directory);
    const name = directory[directory.length - 1]!;
    if (parent.has(name.toUpperCase())) throw new NtException(STATUS_OBJECT_NAME_COLLISION);
    parent.set(name.toUpperCase(), { name, children: new Map(), bytes: new Uint8Array(0) });
  }

  private node(path: readonly string[]): MemoryNode | undefined {
    let node: MemoryNode | undefined = this.root;
    for (const part of path) node = node?.children?.get(part.toUpperCase());
    return node;
  }

  private parent(path: readonly string[]): Map<string, MemoryNode> {
    const children = path.length > 0 ? this.node(path.slice(0, -1))?.children : undefined;
    if (!children) throw new NtException(STATUS_OBJECT_PATH_NOT_FOUND);
    return children;
  }
}
