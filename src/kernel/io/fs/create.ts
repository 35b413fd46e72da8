/**
 * IRP_MJ_CREATE on the volume: find the file the FILE_OBJECT names, apply
 * the create disposition, check share access, and hang the file's FCB on
 * the file object (FsContext, SectionObjectPointer). Information says what
 * happened: FILE_OPENED, FILE_CREATED, FILE_OVERWRITTEN or FILE_SUPERSEDED.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntcreatefile
 * https://learn.microsoft.com/windows-hardware/drivers/ifs/irp-mj-create
 */
import {
  STATUS_ACCESS_DENIED, STATUS_FILE_IS_A_DIRECTORY, STATUS_NOT_A_DIRECTORY, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_SUCCESS,
} from '../../../include/ntstatus.js';
import {
  FILE_CREATE, FILE_CREATED, FILE_DIRECTORY_FILE, FILE_NON_DIRECTORY_FILE, FILE_OPEN, FILE_OPEN_IF, FILE_OPENED, FILE_OVERWRITE,
  FILE_OVERWRITE_IF, FILE_OVERWRITTEN, FILE_SUPERSEDE, FILE_SUPERSEDED,
} from '../../../include/wdm-constants.js';
import type { IoStackLocation } from '../irp.js';
import type { FileObject } from '../objects.js';
import { IoCheckShareAccess } from '../share-access.js';
import { splitFileName } from './names.js';
import type { FsVolume } from './volume.js';

/** FILE_OBJECT.FsContext2 of an open directory (the CCB says which). */
export interface FsDirectoryCcb {
  readonly directory: readonly string[];
}

/** What the create did: the status and IO_STATUS_BLOCK.Information. */
export interface FsCreateResult {
  status: number;
  information: number;
}

/** Opens or creates what `file.FileName` names on `volume`, as IRP_MJ_CREATE's stack location asks. */
export function FsCommonCreate(volume: FsVolume, file: FileObject, create: IoStackLocation['Parameters']['Create']): FsCreateResult {
  const fail = (status: number): FsCreateResult => ({ status, information: 0 });
  const disposition = create.Options >>> 24;
  const options = create.Options & 0xff_ffff;
  const name = splitFileName(file.FileName);
  if (name.status !== STATUS_SUCCESS) return fail(name.status);
  // The volume itself (`\\.\C:`): an open with nothing behind it; reads and writes are refused.
  if (file.FileName === '') return { status: STATUS_SUCCESS, information: FILE_OPENED };
  const found = volume.lookup(name.parts);
  if (found.status !== STATUS_SUCCESS) return fail(found.status);
  if (found.kind === 'other') return fail(STATUS_ACCESS_DENIED);
  const exists = found.kind !== 'none';
  if (exists && disposition === FILE_CREATE) return fail(STATUS_OBJECT_NAME_COLLISION);
  if (!exists && (disposition === FILE_OPEN || disposition === FILE_OVERWRITE)) return fail(STATUS_OBJECT_NAME_NOT_FOUND);

  if (found.kind === 'directory' || (!exists && (options & FILE_DIRECTORY_FILE))) {
    if (options & FILE_NON_DIRECTORY_FILE) return fail(STATUS_FILE_IS_A_DIRECTORY);
    // A directory is never overwritten or superseded (docs/fidelity.md).
    if (exists && disposition !== FILE_OPEN && disposition !== FILE_OPEN_IF) return fail(STATUS_FILE_IS_A_DIRECTORY);
    if (!exists) volume.store.createDirectory(found.parts);
    file.FsContext2 = { directory: found.parts } satisfies FsDirectoryCcb;
    return { status: STATUS_SUCCESS, information: exists ? FILE_OPENED : FILE_CREATED };
  }
  if (options & FILE_DIRECTORY_FILE) return fail(STATUS_NOT_A_DIRECTORY);

  const fcb = volume.fcbFor(found.parts, !exists);
  const share = IoCheckShareAccess(create.DesiredAccess, create.ShareAccess, file, fcb.shareAccess, true);
  if (share !== STATUS_SUCCESS) {
    volume.release(fcb);
    return fail(share);
  }
  let information = FILE_OPENED;
  if (!exists) information = FILE_CREATED;
  else if (disposition === FILE_SUPERSEDE || disposition === FILE_OVERWRITE || disposition === FILE_OVERWRITE_IF) {
    fcb.setEndOfFile(0);
    information = disposition === FILE_SUPERSEDE ? FILE_SUPERSEDED : FILE_OVERWRITTEN;
  }
  fcb.openCount++;
  fcb.cleanupCount++;
  file.FsContext = fcb;
  file.SectionObjectPointer = fcb;
  return { status: STATUS_SUCCESS, information };
}
