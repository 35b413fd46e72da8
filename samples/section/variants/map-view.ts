/**
 * The first half of ShareSection (../driver.ts) as the `wrong-context` and
 * `no-try` variants use it: open the program's section by name and map a
 * view of it into the current process, which the variants then keep from one
 * request to the next (IOCTL_SECTION_MAP_VIEW, then IOCTL_SECTION_MESSAGE).
 */
import {
  InitializeObjectAttributes, NT_SUCCESS, OBJ_CASE_INSENSITIVE, PAGE_READWRITE, SECTION_MAP_READ, SECTION_MAP_WRITE, ViewShare, type Nt,
} from 'ntshm/wdm';
import { SECTION_NAME } from '../ioctl.js';

/** A view the driver keeps: the section's handle and where the view is. */
export interface KeptView {
  sectionHandle: number;
  baseAddress: number;
  viewSize: number;
}

/** ZwOpenSection and ZwMapViewOfSection(NtCurrentProcess()), as ShareSection does them: the view, or the failing status. */
export function mapSectionView(nt: Nt): { status: number; view?: KeptView } {
  const objectAttributes = InitializeObjectAttributes(`\\BaseNamedObjects\\${SECTION_NAME}`, OBJ_CASE_INSENSITIVE, null, null);
  const { status: openStatus, sectionHandle } = nt.ZwOpenSection(SECTION_MAP_READ | SECTION_MAP_WRITE, objectAttributes);
  if (!NT_SUCCESS(openStatus)) {
    nt.DbgPrint('Section: ZwOpenSection failed (%08X)\n', openStatus);
    return { status: openStatus };
  }
  const { status, baseAddress, viewSize } = nt.ZwMapViewOfSection(sectionHandle, nt.NtCurrentProcess(), 0, 0, 0, null, 0, ViewShare, 0, PAGE_READWRITE);
  if (!NT_SUCCESS(status)) {
    nt.DbgPrint('Section: ZwMapViewOfSection failed (%08X)\n', status);
    nt.ZwClose(sectionHandle);
    return { status };
  }
  nt.DbgPrint('Section: view of %d bytes mapped at %p in process %d\n', viewSize, baseAddress, nt.PsGetCurrentProcessId());
  return { status, view: { sectionHandle, baseAddress, viewSize } };
}

/** ShareSection's end: unmap the kept view from the current process and close the handle. */
export function unmapSectionView(nt: Nt, view: KeptView): void {
  nt.ZwUnmapViewOfSection(nt.NtCurrentProcess(), view.baseAddress);
  nt.ZwClose(view.sectionHandle);
}
