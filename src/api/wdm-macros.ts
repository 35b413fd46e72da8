/**
 * WDK macros that are pure functions of their arguments: exported by
 * `ntshm/wdm` and also methods of `nt`.
 */
import type { Mdl } from '../kernel/mm/mdl-object.js';
import { ADDRESS_AND_SIZE_TO_SPAN_PAGES, BYTE_OFFSET, BYTES_TO_PAGES, PAGE_ALIGN } from '../include/page.js';

/** The WDK's pure MDL and page macros (MmGetMdlVirtualAddress, BYTE_OFFSET, PAGE_ALIGN, ...), spread into `nt`. */
/** OBJECT_ATTRIBUTES, as InitializeObjectAttributes fills it (docs/api.md). */
export interface ObjectAttributes {
  Length: number;
  ObjectName: string | null;
  Attributes: number;
  RootDirectory: number;
  SecurityDescriptor: unknown;
}

export const macros = {
  /**
   * InitializeObjectAttributes: the structure, returned (a plain object of
   * these fields is accepted wherever one is). Length is the x64 size; `nt`
   * and `k32` give their machine's.
   * https://learn.microsoft.com/windows/win32/api/ntdef/nf-ntdef-initializeobjectattributes
   */
  InitializeObjectAttributes: (ObjectName: string | null, Attributes: number, RootDirectory: number | null = null, SecurityDescriptor: unknown = null): ObjectAttributes =>
    ({ Length: 0x30, ObjectName, Attributes, RootDirectory: RootDirectory ?? 0, SecurityDescriptor }),
  /** MmGetMdlVirtualAddress: StartVa + ByteOffset. */
  MmGetMdlVirtualAddress: (mdl: Mdl): number => mdl.StartVa + mdl.ByteOffset,
  MmGetMdlByteCount: (mdl: Mdl): number => mdl.ByteCount,
  MmGetMdlByteOffset: (mdl: Mdl): number => mdl.ByteOffset,
  /** MmGetMdlPfnArray: the frame numbers, an array-like. */
  MmGetMdlPfnArray: (mdl: Mdl): readonly number[] => mdl.PfnArray,
  ADDRESS_AND_SIZE_TO_SPAN_PAGES,
  BYTE_OFFSET,
  PAGE_ALIGN,
  BYTES_TO_PAGES,
};
