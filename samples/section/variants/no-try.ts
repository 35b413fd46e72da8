/**
 * Variant `no-try` of Section.sys (reference/misuse.md): the driver maps its
 * view of the program's section in one request (IOCTL_SECTION_MAP_VIEW), in
 * the program's context as ShareSection does, keeps it, and reads the
 * message through it in the next request (IOCTL_SECTION_MESSAGE) outside
 * try/except. Diff it against ShareSection in ../driver.ts: the same calls,
 * split over two requests, and the try/except gone.
 *
 * The view is user memory of the program, which any of its threads may
 * unmap (NtUnmapViewOfSection takes any view of the process, whoever mapped
 * it). Between the two requests a second thread of the program does, so the
 * read touches a user address that maps nothing: MmAccessFault answers
 * STATUS_ACCESS_VIOLATION, raised in the dispatch routine, which runs in the
 * program's thread inside NtDeviceIoControlFile; with no handler in the
 * driver it reaches the system service's boundary: bug check 0x3B
 * SYSTEM_SERVICE_EXCEPTION, P1 = 0xC0000005.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x3b--system-service-exception
 */
import {
  IoGetCurrentIrpStackLocation, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_DEVICE_STATE, STATUS_SUCCESS,
  type DeviceObject, type Irp, type Nt,
} from 'ntshm/wdm';
import { IOCTL_SECTION_MAP_VIEW, IOCTL_SECTION_MESSAGE, REPLY } from '../ioctl.js';
import { mapSectionView, unmapSectionView, type KeptView } from './map-view.js';

/** The driver's IOCTL handling for `no-try`: map and keep the view, then use it unguarded. */
export function noTryControl() {
  let kept: KeptView | undefined;
  return (nt: Nt, _device: DeviceObject, irp: Irp): { status: number; information?: number } => {
    const { IoControlCode, OutputBufferLength } = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
    if (IoControlCode === IOCTL_SECTION_MAP_VIEW) {
      if (OutputBufferLength < nt.sizeofPointer) return { status: STATUS_BUFFER_TOO_SMALL };
      const { status, view } = mapSectionView(nt);
      if (!view) return { status };
      kept = view;
      nt.setPointer(irp.AssociatedIrp.SystemBuffer, view.baseAddress);
      return { status: STATUS_SUCCESS, information: nt.sizeofPointer };
    }
    if (IoControlCode === IOCTL_SECTION_MESSAGE) {
      if (!kept) return { status: STATUS_INVALID_DEVICE_STATE };
      // Wrong: the view is the program's memory, which it may unmap at any time; nothing here catches the fault.
      const message = nt.getString(kept.baseAddress, 'utf-16le', kept.viewSize / 2);
      nt.DbgPrint('Section: the application says "%ws"\n', message);
      nt.setString(kept.baseAddress, REPLY, 'utf-16le');
      unmapSectionView(nt, kept);
      kept = undefined;
      return { status: STATUS_SUCCESS };
    }
    return { status: STATUS_INVALID_DEVICE_REQUEST };
  };
}
