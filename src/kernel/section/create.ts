/**
 * Creating and opening sections on captured arguments (the work of
 * NtCreateSection and NtOpenSection after probing, and of ZwCreateSection
 * and ZwOpenSection from a driver): argument checks in the order Windows
 * makes them, the segment (pagefile- or file-backed), the object and its
 * name and handle.
 *
 * The checks (ReactOS ntoskrnl/mm/ARM3/section.c, NtCreateSection and
 * MmCreateSection, whose statuses the WDK page lists):
 *   AllocationAttributes: unknown bits, none of SEC_COMMIT/SEC_RESERVE/SEC_IMAGE,
 *     SEC_IMAGE with another, or SEC_COMMIT with SEC_RESERVE → STATUS_INVALID_PARAMETER_6
 *   SectionPageProtection not one plain protection → STATUS_INVALID_PAGE_PROTECTION
 *   no file and no size → STATUS_INVALID_PARAMETER_4
 *   a file: the handle must grant the access the protection needs (STATUS_ACCESS_DENIED);
 *     an empty file and no size → STATUS_MAPPED_FILE_SIZE_ZERO; a size past the file's
 *     end extends a writable section's file, and is STATUS_SECTION_TOO_BIG otherwise
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatesection
 */
import {
  PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
  SEC_BASED, SEC_COMMIT, SEC_FILE, SEC_IMAGE, SEC_LARGE_PAGES, SEC_NO_CHANGE, SEC_NOCACHE, SEC_RESERVE,
} from '../../include/memory-constants.js';
import {
  STATUS_COMMITMENT_LIMIT, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_FILE_FOR_SECTION, STATUS_INVALID_IMAGE_NOT_MZ,
  STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER_4, STATUS_INVALID_PARAMETER_6, STATUS_MAPPED_FILE_SIZE_ZERO,
  STATUS_NOT_IMPLEMENTED, STATUS_SECTION_TOO_BIG, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { FILE_EXECUTE, FILE_READ_DATA, FILE_WRITE_DATA, KernelMode } from '../../include/wdm-constants.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { CapturedObjectAttributes } from '../ex/capture.js';
import type { IoContext } from '../io/context.js';
import { FileObject, IoFileObjectType } from '../io/objects.js';
import type { MmFileBacking } from '../mm/file-backing.js';
import type { Segment } from '../mm/segment.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import { ObInsertObject, ObOpenObjectByName, ObQueryNameString, type ObHandleResult } from '../ob/named.js';
import { MmSectionObjectType, SectionObject } from './object.js';

/** The AllocationAttributes a section may be created with. */
const VALID_ATTRIBUTES = SEC_COMMIT | SEC_RESERVE | SEC_BASED | SEC_LARGE_PAGES | SEC_IMAGE | SEC_NOCACHE | SEC_NO_CHANGE;

/** The protections a section may be created with: one plain protection, no modifier, not PAGE_NOACCESS. */
const SECTION_PROTECTIONS = [PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
  PAGE_EXECUTE_WRITECOPY];

/** Whether a protection lets a view write (so a section with it may grow its file). */
const isWritable = (protect: number): boolean => protect === PAGE_READWRITE || protect === PAGE_EXECUTE_READWRITE;

/** The largest section ntshm makes: 2^40 bytes pagefile-backed (the commit limit refuses long before). */
const MAXIMUM_SECTION_BYTES = 2 ** 40;

/** What a create or open gave: the status and the handle (0 on failure). */
export type SectionHandleResult = ObHandleResult;

/**
 * The argument checks of NtCreateSection that come before any pointer is
 * touched; undefined when the arguments pass.
 */
export function MiCheckSectionArguments(protect: number, attributes: number): number | undefined {
  if ((attributes & ~VALID_ATTRIBUTES) !== 0) return STATUS_INVALID_PARAMETER_6;
  if ((attributes & (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE)) === 0) return STATUS_INVALID_PARAMETER_6;
  if ((attributes & SEC_IMAGE) !== 0 && (attributes & (SEC_COMMIT | SEC_RESERVE | SEC_NOCACHE | SEC_NO_CHANGE)) !== 0) return STATUS_INVALID_PARAMETER_6;
  if ((attributes & SEC_COMMIT) !== 0 && (attributes & SEC_RESERVE) !== 0) return STATUS_INVALID_PARAMETER_6;
  if (!SECTION_PROTECTIONS.includes(protect)) return STATUS_INVALID_PAGE_PROTECTION;
  return undefined;
}

/** The access to a file a section with `protect` needs (MmCreateSection's check of the file handle). */
function fileAccessFor(protect: number): number {
  let access = FILE_READ_DATA;
  if (isWritable(protect)) access |= FILE_WRITE_DATA;
  if (protect === PAGE_EXECUTE || protect === PAGE_EXECUTE_READ || protect === PAGE_EXECUTE_READWRITE || protect === PAGE_EXECUTE_WRITECOPY) {
    access |= FILE_EXECUTE;
  }
  return access;
}

/**
 * MmCreateSection and ObInsertObject: the work of NtCreateSection on
 * captured arguments, for a caller of `previousMode`. `maximumSize` is
 * undefined for a NULL MaximumSize.
 */
export function MmCreateSection(k: IoContext, previousMode: number, desiredAccess: number, oa: CapturedObjectAttributes | null,
  maximumSize: bigint | undefined, protect: number, attributes: number, fileHandle: number): SectionHandleResult {
  const fail = (status: number): SectionHandleResult => ({ status, handle: 0, grantedAccess: 0 });
  const invalid = MiCheckSectionArguments(protect, attributes);
  if (invalid !== undefined) return fail(invalid);
  const requested = maximumSize ?? 0n;
  if (requested < 0n || requested > BigInt(MAXIMUM_SECTION_BYTES)) return fail(STATUS_SECTION_TOO_BIG);
  let size = Number(requested);
  if (fileHandle === 0 && size === 0) return fail(STATUS_INVALID_PARAMETER_4);

  let segment: Segment | undefined;
  let sectionAttributes = attributes & ~SEC_IMAGE;
  if (fileHandle !== 0) {
    const ref = k.ob.ObReferenceObjectByHandle(fileHandle, fileAccessFor(protect), IoFileObjectType, previousMode, k.currentProcess);
    if (!ref.object) return fail(ref.status);
    try {
      const backing = (ref.object as FileObject).SectionObjectPointer;
      if (!backing) return fail(STATUS_INVALID_FILE_FOR_SECTION);
      if (attributes & SEC_IMAGE) return fail(MiImageStatus(backing));
      if (size === 0) {
        if (backing.endOfFile === 0) return fail(STATUS_MAPPED_FILE_SIZE_ZERO);
        size = backing.endOfFile;
      } else if (size > backing.endOfFile) {
        if (!isWritable(protect)) return fail(STATUS_SECTION_TOO_BIG);
        backing.setEndOfFile(size);
      }
      segment = MiReferenceDataSegment(k, backing, size);
      sectionAttributes = (sectionAttributes & ~(SEC_COMMIT | SEC_RESERVE)) | SEC_FILE;
    } finally {
      k.ob.ObDereferenceObject(ref.object);
    }
  } else {
    if (attributes & SEC_IMAGE) return fail(STATUS_INVALID_FILE_FOR_SECTION);
    // A pagefile-backed section is a whole number of pages.
    size = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    segment = k.segments.create('pagefile', size, null, (attributes & SEC_RESERVE) !== 0, previousMode !== KernelMode);
    if (!segment) return fail(STATUS_COMMITMENT_LIMIT);
  }

  let section: SectionObject;
  try {
    section = k.ob.ObCreateObject(new SectionObject(segment, size, protect, sectionAttributes | (attributes & SEC_NOCACHE)));
  } catch (e) {
    if (!(e instanceof ObjectAllocationFailed)) throw e;
    k.segments.deleteIfUnused(segment);
    return fail(STATUS_INSUFFICIENT_RESOURCES);
  }
  const r = ObInsertObject(k, section, oa, desiredAccess, previousMode);
  if (r.status === STATUS_SUCCESS && section.header.name !== undefined) segment.label = `Section ${ObQueryNameString(section)}`;
  return r;
}

/**
 * The segment of a file's data sections: the one already there
 * (SECTION_OBJECT_POINTERS.DataSectionObject), grown to `size` if needed,
 * or a new one.
 */
function MiReferenceDataSegment(k: IoContext, backing: MmFileBacking, size: number): Segment {
  const existing = backing.dataSegment as Segment | undefined;
  if (existing && !existing.deleted) {
    if (size > existing.sizeOfSegment) existing.grow(size);
    return existing;
  }
  const segment = k.segments.create('file', size, backing, false, false)!;
  segment.label = `File ${backing.fileName}`;
  return segment;
}

/** SEC_IMAGE: ntshm maps no images. A file that is not one says so as Windows does; one that might be is not modelled. */
function MiImageStatus(backing: MmFileBacking): number {
  const head = new Uint8Array(2);
  backing.readPage(0, head);
  return head[0] === 0x4d && head[1] === 0x5a ? STATUS_NOT_IMPLEMENTED : STATUS_INVALID_IMAGE_NOT_MZ;
}

/**
 * ObOpenObjectByName for MmSectionObjectType: the work of NtOpenSection on
 * captured arguments.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopensection
 */
export function MmOpenSection(k: IoContext, previousMode: number, desiredAccess: number, oa: CapturedObjectAttributes): SectionHandleResult {
  // \Device\PhysicalMemory refuses user mode by its header's kernelOnly (physical-memory.ts).
  return ObOpenObjectByName(k, oa, MmSectionObjectType, previousMode, desiredAccess);
}
