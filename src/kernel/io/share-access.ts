/**
 * SHARE_ACCESS and the routines a file system keeps it with: who has a file
 * open for reading, writing and deleting, and what each open lets others do.
 * A second open that wants what an earlier open does not share, or shares
 * less than an earlier open already uses, is refused with
 * STATUS_SHARING_VIOLATION.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocheckshareaccess
 */
import { STATUS_SHARING_VIOLATION, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { DELETE, FILE_APPEND_DATA, FILE_EXECUTE, FILE_READ_DATA, FILE_WRITE_DATA } from '../../include/wdm-constants.js';
import type { FileObject } from './objects.js';

/** FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_SHARE_DELETE. */
const FILE_SHARE_READ = 0x1;
const FILE_SHARE_WRITE = 0x2;
const FILE_SHARE_DELETE = 0x4;

/** SHARE_ACCESS: counts over every open file object of one file. */
export interface ShareAccess {
  OpenCount: number;
  Readers: number;
  Writers: number;
  Deleters: number;
  SharedRead: number;
  SharedWrite: number;
  SharedDelete: number;
}

/** An empty SHARE_ACCESS. */
export const newShareAccess = (): ShareAccess =>
  ({ OpenCount: 0, Readers: 0, Writers: 0, Deleters: 0, SharedRead: 0, SharedWrite: 0, SharedDelete: 0 });

/**
 * IoCheckShareAccess: whether `file` may open with `desiredAccess` and
 * `desiredShareAccess` beside the opens counted in `share`; with `update`,
 * the open is recorded in both (IoSetShareAccess's half). An open that asks
 * for no read, write or delete access never conflicts.
 */
export function IoCheckShareAccess(desiredAccess: number, desiredShareAccess: number, file: FileObject, share: ShareAccess, update: boolean): number {
  const read = (desiredAccess & (FILE_EXECUTE | FILE_READ_DATA)) !== 0;
  const write = (desiredAccess & (FILE_WRITE_DATA | FILE_APPEND_DATA)) !== 0;
  const del = (desiredAccess & DELETE) !== 0;
  file.ReadAccess = read;
  file.WriteAccess = write;
  file.DeleteAccess = del;
  if (!read && !write && !del) return STATUS_SUCCESS;
  const sharedRead = (desiredShareAccess & FILE_SHARE_READ) !== 0;
  const sharedWrite = (desiredShareAccess & FILE_SHARE_WRITE) !== 0;
  const sharedDelete = (desiredShareAccess & FILE_SHARE_DELETE) !== 0;
  if ((read && share.SharedRead < share.OpenCount) || (write && share.SharedWrite < share.OpenCount)
    || (del && share.SharedDelete < share.OpenCount) || (share.Readers !== 0 && !sharedRead)
    || (share.Writers !== 0 && !sharedWrite) || (share.Deleters !== 0 && !sharedDelete)) {
    return STATUS_SHARING_VIOLATION;
  }
  file.SharedRead = sharedRead;
  file.SharedWrite = sharedWrite;
  file.SharedDelete = sharedDelete;
  if (update) {
    share.OpenCount++;
    share.Readers += +read;
    share.Writers += +write;
    share.Deleters += +del;
    share.SharedRead += +sharedRead;
    share.SharedWrite += +sharedWrite;
    share.SharedDelete += +sharedDelete;
  }
  return STATUS_SUCCESS;
}

/** IoRemoveShareAccess: the file object's open no longer counts (its IRP_MJ_CLEANUP). */
export function IoRemoveShareAccess(file: FileObject, share: ShareAccess): void {
  if (!file.ReadAccess && !file.WriteAccess && !file.DeleteAccess) return;
  share.OpenCount--;
  share.Readers -= +file.ReadAccess;
  share.Writers -= +file.WriteAccess;
  share.Deleters -= +file.DeleteAccess;
  share.SharedRead -= +file.SharedRead;
  share.SharedWrite -= +file.SharedWrite;
  share.SharedDelete -= +file.SharedDelete;
}
