/**
 * Mapping and unmapping views, querying and extending sections, on captured
 * arguments: the work of NtMapViewOfSection, NtUnmapViewOfSection,
 * NtQuerySection and NtExtendSection after probing, and of their Zw
 * routines from a driver.
 *
 * NtMapViewOfSection's checks, in order (ReactOS ntoskrnl/mm/ARM3/section.c;
 * the statuses are those the WDK page for ZwMapViewOfSection lists):
 *   ZeroBits > 21                               → STATUS_INVALID_PARAMETER_4
 *   InheritDisposition not ViewShare/ViewUnmap  → STATUS_INVALID_PARAMETER_8
 *   AllocationType with an unknown bit          → STATUS_INVALID_PARAMETER_9
 *   Win32Protect not a protection               → STATUS_INVALID_PAGE_PROTECTION
 *   (the pointers are probed and captured here)
 *   BaseAddress, or its end, above the highest user address → STATUS_INVALID_PARAMETER_3
 *   the view's end not clear of ZeroBits        → STATUS_INVALID_PARAMETER_4
 *   the process handle (PROCESS_VM_OPERATION), then the section handle, with
 *     the access the protection needs (SECTION_MAP_READ/WRITE/EXECUTE)
 *   offset and size past the section → STATUS_INVALID_VIEW_SIZE; a protection
 *     the section does not allow → STATUS_SECTION_PROTECTION (mm/view.ts)
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwmapviewofsection
 */
import { PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_NOACCESS, PAGE_READWRITE, SEC_NOCACHE } from '../../include/memory-constants.js';
import {
  STATUS_INVALID_INFO_CLASS, STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER_3, STATUS_INVALID_PARAMETER_4, STATUS_INVALID_PARAMETER_8,
  STATUS_INVALID_PARAMETER_9, STATUS_SECTION_NOT_EXTENDED, STATUS_SECTION_NOT_IMAGE, STATUS_SECTION_TOO_BIG, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { SECTION_EXTEND_SIZE, SECTION_MAP_EXECUTE, SECTION_MAP_READ, SECTION_MAP_WRITE, SECTION_QUERY, ViewShare, ViewUnmap } from '../../include/wdm-constants.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { IoContext } from '../io/context.js';
import { isValidProtection } from '../mm/protection.js';
import type { MapViewResult } from '../mm/view.js';
import { NtCurrentProcess } from '../ob/handle.js';
import { ProcessType, type EProcess } from '../ps/process.js';
import { MmSectionObjectType, type SectionObject } from './object.js';

/** PROCESS_VM_OPERATION. https://learn.microsoft.com/windows/win32/procthread/process-security-and-access-rights */
const PROCESS_VM_OPERATION = 0x0008;

/** AllocationType bits NtMapViewOfSection refuses (ReactOS's mask: all but MEM_RESERVE, MEM_TOP_DOWN, SEC_NO_CHANGE, MEM_LARGE_PAGES, MEM_DOS_LIM and the low bits). */
const INVALID_ALLOCATION_TYPE = 0x9fafdf80;

/** The largest ZeroBits a caller may give. */
const MAXIMUM_ZERO_BITS = 21;

/** NtMapViewOfSection's arguments, captured. */
export interface MapViewArguments {
  sectionHandle: number;
  processHandle: number;
  baseAddress: number;
  zeroBits: number;
  commitSize: number;
  /** SectionOffset, or undefined for NULL (offset 0). */
  sectionOffset: bigint | undefined;
  viewSize: number;
  inheritDisposition: number;
  allocationType: number;
  win32Protect: number;
}

/** The checks made before any pointer is touched; undefined when they pass. */
export function MiCheckViewArguments(zeroBits: number, inheritDisposition: number, allocationType: number, win32Protect: number): number | undefined {
  if (!(zeroBits >= 0 && zeroBits <= MAXIMUM_ZERO_BITS)) return STATUS_INVALID_PARAMETER_4;
  if (inheritDisposition !== ViewShare && inheritDisposition !== ViewUnmap) return STATUS_INVALID_PARAMETER_8;
  if (((allocationType >>> 0) & INVALID_ALLOCATION_TYPE) !== 0) return STATUS_INVALID_PARAMETER_9;
  if (!isValidProtection(win32Protect)) return STATUS_INVALID_PAGE_PROTECTION;
  return undefined;
}

/** The section access a view's protection needs. */
function sectionAccessFor(protect: number): number {
  const base = protect & 0xff;
  let access = 0;
  if (base !== PAGE_NOACCESS && base !== PAGE_EXECUTE) access |= SECTION_MAP_READ;
  if (base === PAGE_READWRITE || base === PAGE_EXECUTE_READWRITE) access |= SECTION_MAP_WRITE;
  if (base === PAGE_EXECUTE || base === PAGE_EXECUTE_READ || base === PAGE_EXECUTE_READWRITE || base === PAGE_EXECUTE_WRITECOPY) access |= SECTION_MAP_EXECUTE;
  return access;
}

/** Runs `body` with the process a handle names (NtCurrentProcess: the current one, not referenced). */
export function withProcess<T>(k: IoContext, previousMode: number, handle: number, failed: (status: number) => T, body: (p: EProcess) => T): T {
  if (handle === NtCurrentProcess) return body(k.currentProcess as EProcess);
  const ref = k.ob.ObReferenceObjectByHandle(handle, PROCESS_VM_OPERATION, ProcessType, previousMode, k.currentProcess);
  if (!ref.object) return failed(ref.status);
  try {
    return body(ref.object as EProcess);
  } finally {
    k.ob.ObDereferenceObject(ref.object);
  }
}

/** Runs `body` with the section a handle names, referenced with `access`. */
function withSection<T>(k: IoContext, previousMode: number, handle: number, access: number, failed: (status: number) => T,
  body: (s: SectionObject) => T): T {
  const ref = k.ob.ObReferenceObjectByHandle(handle, access, MmSectionObjectType, previousMode, k.currentProcess);
  if (!ref.object) return failed(ref.status);
  try {
    return body(ref.object as SectionObject);
  } finally {
    k.ob.ObDereferenceObject(ref.object);
  }
}

/** MmMapViewOfSection: the work of NtMapViewOfSection on captured arguments. */
export function MmMapViewOfSection(k: IoContext, previousMode: number, a: MapViewArguments): MapViewResult {
  const offset = a.sectionOffset ?? 0n;
  const fail = (status: number): MapViewResult => ({ status, baseAddress: a.baseAddress, viewSize: a.viewSize, sectionOffset: Number(offset) });
  const invalid = MiCheckViewArguments(a.zeroBits, a.inheritDisposition, a.allocationType, a.win32Protect);
  if (invalid !== undefined) return fail(invalid);
  const l = k.layout;
  const end = a.baseAddress + a.viewSize;
  if (a.baseAddress > l.highestUserAddress || end > l.highestUserAddress + 1 || end < a.baseAddress) return fail(STATUS_INVALID_PARAMETER_3);
  const limit = (l.pointerSize === 8 ? 2 ** 64 : 2 ** 32) / 2 ** a.zeroBits;
  if (a.zeroBits > 0 && end > limit) return fail(STATUS_INVALID_PARAMETER_4);
  if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) return fail(STATUS_SECTION_TOO_BIG);
  return withProcess(k, previousMode, a.processHandle, fail, (process) =>
    withSection(k, previousMode, a.sectionHandle, sectionAccessFor(a.win32Protect), fail, (section) => {
      const r = k.views.MiMapViewOfDataSection(process, section.segment, section.InitialPageProtection,
        (section.AllocationAttributes & SEC_NOCACHE) !== 0, {
          baseAddress: a.baseAddress, viewSize: a.viewSize, sectionOffset: Number(offset), zeroBits: a.zeroBits,
          allocationType: a.allocationType >>> 0, protect: a.win32Protect,
        });
      // CommitSize commits the start of a view of a SEC_RESERVE section.
      if (r.status === STATUS_SUCCESS && a.commitSize > 0 && section.segment.committed) {
        const first = r.sectionOffset / PAGE_SIZE;
        k.segments.commit(section.segment, first, Math.min(section.segment.pageCount, first + Math.ceil(a.commitSize / PAGE_SIZE)));
      }
      return r;
    }));
}

/**
 * MmUnmapViewOfSection: the work of NtUnmapViewOfSection; a user-mode
 * caller's kernel address is no view of its process (STATUS_NOT_MAPPED_VIEW).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwunmapviewofsection
 */
export function MmUnmapViewOfSection(k: IoContext, previousMode: number, processHandle: number, baseAddress: number): number {
  return withProcess(k, previousMode, processHandle, (s) => s, (process) => k.views.MiUnmapViewOfSection(process, baseAddress));
}

/** SECTION_BASIC_INFORMATION, decoded. */
export interface SectionBasicInformation {
  BaseAddress: number;
  AllocationAttributes: number;
  MaximumSize: number;
}

/** SECTION_INFORMATION_CLASS. */
export const SectionBasicInformationClass = 0;
export const SectionImageInformationClass = 1;

/**
 * NtQuerySection's work: SectionBasicInformation (needs SECTION_QUERY);
 * SectionImageInformation of a data section is STATUS_SECTION_NOT_IMAGE.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwquerysection
 */
export function MmQuerySection(k: IoContext, previousMode: number, handle: number, informationClass: number):
  { status: number; information?: SectionBasicInformation } {
  if (informationClass !== SectionBasicInformationClass && informationClass !== SectionImageInformationClass) return { status: STATUS_INVALID_INFO_CLASS };
  return withSection(k, previousMode, handle, SECTION_QUERY, (status) => ({ status }), (section) => {
    if (informationClass === SectionImageInformationClass) return { status: STATUS_SECTION_NOT_IMAGE };
    return { status: STATUS_SUCCESS, information: { BaseAddress: 0, AllocationAttributes: section.AllocationAttributes, MaximumSize: section.SizeOfSection } };
  });
}

/**
 * NtExtendSection's work: a file-backed section grows (and its file with
 * it) to `newSize`; a smaller size changes nothing; the section's size is
 * returned. A pagefile-backed section cannot grow (STATUS_SECTION_NOT_EXTENDED).
 */
export function MmExtendSection(k: IoContext, previousMode: number, handle: number, newSize: bigint): { status: number; size: number } {
  return withSection(k, previousMode, handle, SECTION_EXTEND_SIZE, (status) => ({ status, size: 0 }), (section) => {
    const segment = section.segment;
    if (!segment.backing) return { status: STATUS_SECTION_NOT_EXTENDED, size: section.SizeOfSection };
    if (newSize < 0n || newSize > 2n ** 40n) return { status: STATUS_SECTION_TOO_BIG, size: section.SizeOfSection };
    const size = Number(newSize);
    if (size > section.SizeOfSection) {
      if (size > segment.backing.endOfFile) segment.backing.setEndOfFile(size);
      segment.grow(size);
      section.SizeOfSection = size;
    }
    return { status: STATUS_SUCCESS, size: section.SizeOfSection };
  });
}
