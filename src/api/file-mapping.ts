/**
 * kernel32's file mappings over the section services: CreateFileMappingW,
 * OpenFileMappingW, MapViewOfFile(Ex), UnmapViewOfFile, FlushViewOfFile,
 * written as kernelbase writes them over ntdll.
 *
 *   CreateFileMappingW   NtCreateSection; INVALID_HANDLE_VALUE → pagefile-backed;
 *                        SEC_COMMIT unless flProtect names SEC_RESERVE/SEC_IMAGE;
 *                        a name is created with OBJ_OPENIF, and finding it there
 *                        already is success with ERROR_ALREADY_EXISTS
 *   OpenFileMappingW     NtOpenSection (FILE_MAP_COPY asks for SECTION_MAP_READ)
 *   MapViewOfFileEx      NtMapViewOfSection with the protection the access asks for
 *                        (FILE_MAP_COPY → PAGE_WRITECOPY, FILE_MAP_WRITE → PAGE_READWRITE,
 *                        FILE_MAP_READ → PAGE_READONLY; FILE_MAP_EXECUTE adds execute)
 * https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-createfilemappingw
 */
import {
  PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, SEC_COMMIT,
  SEC_IMAGE, SEC_RESERVE,
} from '../include/memory-constants.js';
import { STATUS_OBJECT_NAME_EXISTS } from '../include/ntstatus.js';
import {
  OBJ_INHERIT, OBJ_OPENIF, SECTION_ALL_ACCESS, SECTION_MAP_EXECUTE, SECTION_MAP_READ, SECTION_MAP_WRITE, SECTION_QUERY,
  STANDARD_RIGHTS_REQUIRED, ViewShare,
} from '../include/wdm-constants.js';
import { FILE_MAP_COPY, FILE_MAP_EXECUTE, FILE_MAP_WRITE, INVALID_HANDLE_VALUE } from '../include/win32-constants.js';
import { ERROR_ALREADY_EXISTS, ERROR_INVALID_PARAMETER, ERROR_SUCCESS } from '../include/winerror.js';
import type { NativeRoutines } from './native.js';
import type { ObjectAttributesValue } from './native.js';


/** NtCurrentProcess(). */
const NtCurrentProcess = -1;

/** What the mapping routines need of k32. */
export interface FileMappingClientContext {
  readonly native: NativeRoutines;
  setLastError(error: number): void;
  /** Sets the last error from a failed status; true on success. */
  fromStatus(status: number): boolean;
  /** An LPCWSTR argument as text. */
  text(s: unknown): string;
  ulong(v: unknown): number;
  ulongPtr(v: unknown): number;
  /** The OBJECT_ATTRIBUTES of a named kernel object as kernel32 opens it (BaseGetNamedObjectDirectory). */
  namedObject(name: string, attributes: number): ObjectAttributesValue;
}

/** The page protection a view with a FILE_MAP_* access is mapped with. */
function protectionFor(access: number): number {
  const execute = (access & FILE_MAP_EXECUTE) !== 0;
  if ((access & FILE_MAP_COPY) !== 0 && (access & SECTION_ALL_ACCESS) !== SECTION_ALL_ACCESS) return execute ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY;
  if ((access & FILE_MAP_WRITE) !== 0) return execute ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE;
  return execute ? PAGE_EXECUTE_READ : PAGE_READONLY;
}

/** The section access a handle needs for a page protection (CreateFileMappingW's DesiredAccess). */
function sectionAccessFor(protect: number): number {
  let access = STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_READ;
  if (protect === PAGE_READWRITE || protect === PAGE_EXECUTE_READWRITE) access |= SECTION_MAP_WRITE;
  if (protect === PAGE_EXECUTE_READ || protect === PAGE_EXECUTE_READWRITE || protect === PAGE_EXECUTE_WRITECOPY) access |= SECTION_MAP_EXECUTE;
  return access >>> 0;
}

/** The file-mapping routines of one program thread's k32. */
export function makeFileMappingClient(c: FileMappingClientContext) {
  const { native } = c;
  const nameOf = (lpName: unknown): string | null => (lpName === null || lpName === undefined || lpName === 0 ? null : c.text(lpName));

  const api = {
    /**
     * CreateFileMappingW: the mapping's handle, or NULL (0). hFile
     * INVALID_HANDLE_VALUE makes a pagefile-backed mapping of
     * dwMaximumSizeHigh:dwMaximumSizeLow bytes.
     */
    CreateFileMappingW(hFile: number, lpFileMappingAttributes: { bInheritHandle?: boolean } | null, flProtect: number, dwMaximumSizeHigh: number,
      dwMaximumSizeLow: number, lpName: string | number | null): number {
      const protectAndFlags = c.ulong(flProtect);
      const protect = protectAndFlags & 0xff;
      let attributes = protectAndFlags & ~0xff;
      if ((attributes & (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE)) === 0) attributes |= SEC_COMMIT;
      const high = c.ulong(dwMaximumSizeHigh);
      const low = c.ulong(dwMaximumSizeLow);
      const size = high === 0 && low === 0 ? null : BigInt(high) * 2n ** 32n + BigInt(low);
      const name = nameOf(lpName);
      const objectAttributes = name === null ? null
        : c.namedObject(name, OBJ_OPENIF | (lpFileMappingAttributes?.bInheritHandle ? OBJ_INHERIT : 0));
      const file = c.ulongPtr(hFile) === INVALID_HANDLE_VALUE ? 0 : c.ulongPtr(hFile);
      const r = native.NtCreateSection(sectionAccessFor(protect), objectAttributes, size, protect, attributes >>> 0, file);
      if (!c.fromStatus(r.status)) return 0;
      c.setLastError(r.status === STATUS_OBJECT_NAME_EXISTS ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
      return r.sectionHandle;
    },
    /** OpenFileMappingW: the handle, or NULL (0). https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-openfilemappingw */
    OpenFileMappingW(dwDesiredAccess: number, bInheritHandle: boolean, lpName: string | number | null): number {
      const name = nameOf(lpName);
      if (name === null) {
        c.setLastError(ERROR_INVALID_PARAMETER);
        return 0;
      }
      let access = c.ulong(dwDesiredAccess);
      // FILE_MAP_COPY is SECTION_QUERY's bit; a copy needs to read.
      if (access === FILE_MAP_COPY) access = SECTION_MAP_READ;
      const r = native.NtOpenSection(access, c.namedObject(name, bInheritHandle ? OBJ_INHERIT : 0));
      return c.fromStatus(r.status) ? r.sectionHandle : 0;
    },
    /** MapViewOfFile: MapViewOfFileEx at an address of the system's choosing. */
    MapViewOfFile(hFileMappingObject: number, dwDesiredAccess: number, dwFileOffsetHigh: number, dwFileOffsetLow: number,
      dwNumberOfBytesToMap: number): number {
      return api.MapViewOfFileEx(hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh, dwFileOffsetLow, dwNumberOfBytesToMap, null);
    },
    /**
     * MapViewOfFileEx: the view's address, or NULL (0). The offset must be a
     * multiple of the allocation granularity (64 KB), else ERROR_MAPPED_ALIGNMENT.
     * https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-mapviewoffileex
     */
    MapViewOfFileEx(hFileMappingObject: number, dwDesiredAccess: number, dwFileOffsetHigh: number, dwFileOffsetLow: number,
      dwNumberOfBytesToMap: number, lpBaseAddress: number | null): number {
      const offset = BigInt(c.ulong(dwFileOffsetHigh)) * 2n ** 32n + BigInt(c.ulong(dwFileOffsetLow));
      const r = native.NtMapViewOfSection(hFileMappingObject, NtCurrentProcess, c.ulongPtr(lpBaseAddress ?? 0), 0, 0, offset,
        c.ulongPtr(dwNumberOfBytesToMap), ViewShare, 0, protectionFor(c.ulong(dwDesiredAccess)));
      return c.fromStatus(r.status) ? r.baseAddress : 0;
    },
    /** UnmapViewOfFile. https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-unmapviewoffile */
    UnmapViewOfFile(lpBaseAddress: number): boolean {
      return c.fromStatus(native.NtUnmapViewOfSection(NtCurrentProcess, c.ulongPtr(lpBaseAddress)));
    },
    /** FlushViewOfFile: dwNumberOfBytesToFlush 0 flushes to the end of the view. https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-flushviewoffile */
    FlushViewOfFile(lpBaseAddress: number, dwNumberOfBytesToFlush: number): boolean {
      const r = native.NtFlushVirtualMemory(NtCurrentProcess, c.ulongPtr(lpBaseAddress), c.ulongPtr(dwNumberOfBytesToFlush));
      return c.fromStatus(r.status);
    },
  };
  return api;
}
