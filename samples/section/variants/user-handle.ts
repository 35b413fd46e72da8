/**
 * Variant `user-handle` of Section.sys (reference/misuse.md): instead of
 * opening the section by name, the driver takes the section HANDLE the
 * program put in the IOCTL's input buffer, references it with
 * ObReferenceObjectByHandle and maps it into system space
 * (MmMapViewInSystemSpace). Diff it against ShareSection in ../driver.ts.
 *
 * With AccessMode KernelMode (the misuse) the handle's granted access is not
 * checked: the program could pass a read-only handle, or a handle to a
 * section it may not map for writing, and the driver would write anyway.
 * With the verifier that is bug check 0xC4/0xF6; without, a finding
 * `user-handle-trusted`. The fix (`user-handle-checked`) references it with
 * Irp->RequestorMode, UserMode for a program's request.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obreferenceobjectbyhandle
 */
import {
  IoGetCurrentIrpStackLocation, KernelMode, NT_SUCCESS, NtException, SECTION_MAP_READ, SECTION_MAP_WRITE, STATUS_BUFFER_TOO_SMALL,
  STATUS_SUCCESS, type Irp, type Nt,
} from 'ntshm/wdm';
import { REPLY } from '../ioctl.js';

/**
 * The dispatch routine's work with a handle from the program: `trust` says
 * whether it references the handle as KernelMode (the misuse) or with the
 * IRP's RequestorMode (the fix).
 */
export const shareSectionByHandle = (trust: boolean) => (nt: Nt, irp: Irp): number => {
  const { InputBufferLength } = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
  if (InputBufferLength < nt.sizeofPointer) return STATUS_BUFFER_TOO_SMALL;
  // A HANDLE is pointer-sized: the program's value, meaningful only in its own handle table.
  const sectionHandle = nt.getPointer(irp.AssociatedIrp.SystemBuffer);
  const accessMode = trust ? KernelMode : irp.RequestorMode;
  const { status, object } = nt.ObReferenceObjectByHandle(sectionHandle, SECTION_MAP_READ | SECTION_MAP_WRITE, nt.MmSectionObjectType, accessMode);
  if (!NT_SUCCESS(status) || !object) {
    nt.DbgPrint('Section: ObReferenceObjectByHandle(%p) failed (%08X)\n', sectionHandle, status);
    return status;
  }
  const view = nt.MmMapViewInSystemSpace(object, 0);
  if (!NT_SUCCESS(view.status)) {
    nt.ObDereferenceObject(object);
    return view.status;
  }
  nt.DbgPrint('Section: the program\'s section mapped at %p in system space\n', view.mappedBase);
  try {
    nt.DbgPrint('Section: the application says "%ws"\n', nt.getString(view.mappedBase, 'utf-16le', view.viewSize / 2));
    nt.setString(view.mappedBase, REPLY, 'utf-16le');
  } catch (e) {
    if (!(e instanceof NtException)) throw e;
    nt.MmUnmapViewInSystemSpace(view.mappedBase);
    nt.ObDereferenceObject(object);
    return e.status;
  }
  nt.MmUnmapViewInSystemSpace(view.mappedBase);
  nt.ObDereferenceObject(object);
  return STATUS_SUCCESS;
};
