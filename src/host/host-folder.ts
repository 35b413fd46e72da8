/**
 * `ntshm/host`: the volume C: kept in a folder on the host (Node only).
 *
 * Every guest path stays inside the folder: the file system has already
 * refused `..`, separators, drive letters and the characters Windows forbids,
 * and this store checks each component again, never follows a host symbolic
 * link (an entry that is neither a plain file nor a directory is listed as
 * `other`, which the guest cannot open, and is never written through), and
 * never writes outside the folder's real path.
 *
 * A file is written whole and atomically: to a temporary file beside it,
 * flushed to the disk, then renamed over the old one. So the host file is
 * always either the previous flushed contents or the new ones.
 *
 * The folder is created on the first write, so a run that writes nothing
 * leaves no trace on the host.
 */
import {
  closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeSync,
} from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { NtException } from '../include/errors.js';
import {
  STATUS_ACCESS_DENIED, STATUS_DISK_FULL, STATUS_IO_DEVICE_ERROR, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_PATH_NOT_FOUND,
} from '../include/ntstatus.js';
import type { VolumeEntry, VolumeEntryKind, VolumeStore } from '../include/volume-store.js';

export type { VolumeStore, VolumeEntry, VolumeEntryKind } from '../include/volume-store.js';

/** The host's error codes as the guest sees them. */
function hostStatus(e: unknown): number {
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return STATUS_OBJECT_PATH_NOT_FOUND;
  if (code === 'EEXIST') return STATUS_OBJECT_NAME_COLLISION;
  if (code === 'EACCES' || code === 'EPERM' || code === 'ELOOP' || code === 'EISDIR') return STATUS_ACCESS_DENIED;
  if (code === 'ENOSPC' || code === 'EDQUOT') return STATUS_DISK_FULL;
  return STATUS_IO_DEVICE_ERROR;
}

/** A component this store will put in a host path: a Windows name, and nothing a host could read as more. */
function checkComponent(name: string): void {
  const reserved = process.platform === 'win32' && /^(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?$/i.test(name);
  if (name === '' || name === '.' || name === '..' || /[\u0000-\u001f<>:"/\\|?*]/.test(name) || reserved) {
    throw new NtException(STATUS_OBJECT_NAME_INVALID);
  }
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** A VolumeStore over a host folder (created on the first write). */
export class HostFolderStore implements VolumeStore {
  /** The folder, as given, made absolute. */
  readonly folder: string;
  private writes = 0;

  constructor(folder: string) {
    this.folder = resolve(folder);
  }

  list(directory: readonly string[]): readonly VolumeEntry[] | undefined {
    const dir = this.resolveExisting(directory, 'directory');
    if (dir === undefined) return directory.length === 0 ? [] : undefined;
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((d) => !d.name.startsWith('.ntshm-tmp-')).map((d) => {
        const kind: VolumeEntryKind = d.isFile() ? 'file' : d.isDirectory() ? 'directory' : 'other';
        return { name: d.name, kind };
      });
    } catch (e) {
      throw new NtException(hostStatus(e));
    }
  }

  read(file: readonly string[]): Uint8Array {
    const path = this.resolveExisting(file, 'file');
    if (path === undefined) throw new NtException(STATUS_OBJECT_PATH_NOT_FOUND);
    let fd: number | undefined;
    try {
      fd = openSync(path, constants.O_RDONLY | O_NOFOLLOW);
      return new Uint8Array(readFileSync(fd));
    } catch (e) {
      throw new NtException(hostStatus(e));
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  write(file: readonly string[], bytes: Uint8Array): void {
    const parent = this.resolveExisting(file.slice(0, -1), 'directory', true);
    if (parent === undefined) throw new NtException(STATUS_OBJECT_PATH_NOT_FOUND);
    const name = file[file.length - 1]!;
    checkComponent(name);
    const target = join(parent, name);
    const existing = this.kindAt(target);
    // Never replace a link or a directory: only a plain file, or nothing.
    if (existing !== undefined && existing !== 'file') throw new NtException(STATUS_ACCESS_DENIED);
    const temporary = join(parent, `.ntshm-tmp-${process.pid}-${++this.writes}`);
    let fd: number | undefined;
    try {
      fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o666);
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      renameSync(temporary, target);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      rmSync(temporary, { force: true });
      throw new NtException(hostStatus(e));
    }
  }

  createDirectory(directory: readonly string[]): void {
    const parent = this.resolveExisting(directory.slice(0, -1), 'directory', true);
    if (parent === undefined) throw new NtException(STATUS_OBJECT_PATH_NOT_FOUND);
    const name = directory[directory.length - 1]!;
    checkComponent(name);
    try {
      mkdirSync(join(parent, name));
    } catch (e) {
      throw new NtException(hostStatus(e));
    }
  }

  /** What a host path is, without following a link; undefined if nothing is there. */
  private kindAt(path: string): VolumeEntryKind | undefined {
    try {
      const s = lstatSync(path);
      return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
    } catch {
      return undefined;
    }
  }

  /**
   * The host path of `parts` if every component is what it should be (the
   * last one `kind`, the others directories, none a link), inside the
   * folder's real path; undefined if something is missing. `create` makes
   * the volume's folder itself if it does not exist yet.
   */
  private resolveExisting(parts: readonly string[], kind: 'file' | 'directory', create = false): string | undefined {
    if (create) mkdirSync(this.folder, { recursive: true });
    let root: string;
    try {
      root = realpathSync(this.folder);
    } catch {
      return undefined;
    }
    let path = root;
    for (let i = 0; i < parts.length; i++) {
      checkComponent(parts[i]!);
      path = join(path, parts[i]!);
      const want = i === parts.length - 1 ? kind : 'directory';
      if (this.kindAt(path) !== want) return undefined;
    }
    // Defence in depth: a path that does not start with the root is refused whatever led there.
    if (path !== root && !path.startsWith(root + sep)) throw new NtException(STATUS_ACCESS_DENIED);
    return path;
  }
}
