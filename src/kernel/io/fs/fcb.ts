/**
 * The FCB: one file of the volume while it is open, shared by every file
 * object that opens it (FILE_OBJECT.FsContext) and by Mm
 * (FILE_OBJECT.SectionObjectPointer: it is the file's MmFileBacking). Its
 * contents live here, in memory, from the first open on; ReadFile,
 * WriteFile and Mm's page reads and writes all work on these bytes. The
 * store sees them only when the file is flushed (FlushFileBuffers, the last
 * handle's close, Mm's flush), and then whole.
 *
 *   data: [0 ............ endOfFile) [ spare capacity ... )
 */
import { NtException } from '../../../include/errors.js';
import { STATUS_DISK_FULL } from '../../../include/ntstatus.js';
import type { VolumeStore } from '../../../include/volume-store.js';
import type { MmFileBacking } from '../../mm/file-backing.js';
import { newShareAccess } from '../share-access.js';

/** The largest file the volume holds (a choice: JS arrays, docs/fidelity.md); past it, STATUS_DISK_FULL. */
export const MAX_FILE_SIZE = 1 << 30;

/** An open file of the volume (FSRTL_COMMON_FCB_HEADER's sizes, its share access, its contents). */
export class FsFcb implements MmFileBacking {
  /** `\dir\a.txt`, spelled as the volume holds it. */
  readonly fileName: string;
  private data: Uint8Array;
  private size: number;
  /** The contents differ from the store's (or the store has no such file yet). */
  dirty: boolean;
  readonly shareAccess = newShareAccess();
  /** File objects on this file whose IRP_MJ_CLOSE has not come yet. */
  openCount = 0;
  /** File objects on this file whose IRP_MJ_CLEANUP has not come yet (its open handles). */
  cleanupCount = 0;
  dataSegment: unknown = undefined;

  constructor(private readonly store: VolumeStore, readonly parts: readonly string[], contents: Uint8Array, onStore: boolean) {
    this.fileName = `\\${parts.join('\\')}`;
    this.data = contents;
    this.size = contents.length;
    this.dirty = !onStore;
  }

  get endOfFile(): number {
    return this.size;
  }

  /** Up to `length` bytes from `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    return offset >= end ? new Uint8Array(0) : this.data.slice(offset, end);
  }

  /** Writes `bytes` at `offset`, extending the file (zeros fill a gap). */
  write(offset: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const end = offset + bytes.length;
    if (end > this.size) this.setEndOfFile(end);
    this.data.set(bytes, offset);
    this.dirty = true;
  }

  readPage(offset: number, into: Uint8Array): void {
    into.fill(0);
    if (offset < this.size) into.set(this.data.subarray(offset, Math.min(this.size, offset + into.length)));
  }

  writePage(offset: number, bytes: Uint8Array): void {
    const n = Math.max(0, Math.min(bytes.length, this.size - offset));
    if (n === 0) return;
    this.data.set(bytes.subarray(0, n), offset);
    this.dirty = true;
  }

  /** Grows (zero-filled) or shrinks the file; STATUS_DISK_FULL past MAX_FILE_SIZE. */
  setEndOfFile(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_FILE_SIZE) throw new NtException(STATUS_DISK_FULL);
    if (size === this.size) return;
    if (size > this.data.length) {
      const grown = new Uint8Array(Math.min(MAX_FILE_SIZE, Math.max(size, this.data.length * 2, 4096)));
      grown.set(this.data.subarray(0, this.size));
      this.data = grown;
    } else if (size < this.size) {
      // What lies past the new end reads as zero if the file grows again.
      this.data.fill(0, size, this.size);
    }
    this.size = size;
    this.dirty = true;
  }

  /** Writes the whole file to the store (atomically, the store's promise) if it changed. */
  flush(): void {
    if (!this.dirty) return;
    this.store.write(this.parts, this.data.subarray(0, this.size));
    this.dirty = false;
  }
}
