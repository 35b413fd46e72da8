/**
 * The volume: its store, and the FCBs of the files that are open (or that a
 * section still maps). A path is looked up component by component, each
 * found case-insensitively among its directory's entries; a file created
 * and not yet flushed is found through its FCB, since the store does not
 * have it yet.
 */
import { STATUS_OBJECT_PATH_NOT_FOUND, STATUS_SUCCESS } from '../../../include/ntstatus.js';
import type { VolumeEntryKind, VolumeStore } from '../../../include/volume-store.js';
import { FsFcb } from './fcb.js';
import { nameKey, pathKey } from './names.js';

/** What a path names: a file, a directory, something that cannot be opened, or nothing yet. */
export interface FsLookup {
  status: number;
  kind: VolumeEntryKind | 'none';
  /** The path spelled as the volume holds it (the last component as given when it does not exist). */
  parts: string[];
}

/** One mounted volume. */
export class FsVolume {
  /** Open files by their case-folded path. */
  private readonly fcbs = new Map<string, FsFcb>();

  constructor(readonly store: VolumeStore) {}

  /** Looks `parts` up; STATUS_OBJECT_PATH_NOT_FOUND if a directory on the way is missing. */
  lookup(parts: readonly string[]): FsLookup {
    const spelled: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const fcb = last ? this.fcbs.get(pathKey(parts)) : undefined;
      if (fcb) return { status: STATUS_SUCCESS, kind: 'file', parts: [...fcb.parts] };
      const entry = this.store.list(spelled)?.find((e) => nameKey(e.name) === nameKey(parts[i]!));
      if (last) return { status: STATUS_SUCCESS, kind: entry?.kind ?? 'none', parts: [...spelled, entry?.name ?? parts[i]!] };
      if (entry?.kind !== 'directory') return { status: STATUS_OBJECT_PATH_NOT_FOUND, kind: 'none', parts: [] };
      spelled.push(entry.name);
    }
    return { status: STATUS_SUCCESS, kind: 'directory', parts: [] };
  }

  /** The FCB of a file, made on its first open: its contents read from the store, or empty for a file being created. */
  fcbFor(parts: readonly string[], create: boolean): FsFcb {
    const key = pathKey(parts);
    const existing = this.fcbs.get(key);
    if (existing) return existing;
    const fcb = create ? new FsFcb(this.store, parts, new Uint8Array(0), false) : new FsFcb(this.store, parts, this.store.read(parts), true);
    this.fcbs.set(key, fcb);
    return fcb;
  }

  /** The last file object on the file is closed: the FCB goes, unless a section still maps the file (Mm holds it). */
  release(fcb: FsFcb): void {
    if (fcb.openCount > 0 || fcb.dataSegment !== undefined) return;
    fcb.flush();
    this.fcbs.delete(pathKey(fcb.parts));
  }

  /** Every FCB still held (for tests and reports). */
  get openFiles(): readonly FsFcb[] {
    return [...this.fcbs.values()];
  }
}
