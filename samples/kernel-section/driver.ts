/**
 * KernelSection.sys, ported from JustKernel's article (seed 001), its steps
 * in their order. In DriverEntry, which runs in the System process:
 *   1. InitializeObjectAttributes with the section's name,
 *      OBJ_FORCE_ACCESS_CHECK and OBJ_KERNEL_HANDLE;
 *   2. ZwCreateSection creates it (the size given), giving a kernel handle;
 *   3. ZwMapViewOfSection(NtCurrentProcess()) maps the driver's view into the
 *      user address space of the System process, where no program can
 *      tamper with it;
 * and at unload:
 *   4. ZwUnmapViewOfSection, then 5. ZwClose.
 * The driver writes a greeting into its view; at unload it reads what the
 * program wrote through its own view (DriverUnload runs in the System
 * process too, where the driver's view is).
 */
import {
  defineDriver, InitializeObjectAttributes, NT_SUCCESS, OBJ_CASE_INSENSITIVE, OBJ_FORCE_ACCESS_CHECK, OBJ_KERNEL_HANDLE, OBJ_OPENIF,
  PAGE_READWRITE, SEC_COMMIT, SECTION_ALL_ACCESS, STATUS_OBJECT_NAME_EXISTS, STATUS_SUCCESS, ViewShare, type DriverObject, type Nt,
} from 'ntshm/wdm';
import { GREETING, KERNEL_SECTION_PATH, REPLY_OFFSET, SECTION_SDDL, SECTION_SIZE, SERVICE_NAME } from './names.js';

/** How a variant of the driver differs (variants.ts). */
export interface KernelSectionDriverVariant {
  /** squatting: create with OBJ_OPENIF, so an existing section of the name is opened instead. */
  openIf?: boolean;
  /**
   * Added to DriverEntry once the section exists (variants/): a device
   * through which the program reaches the driver, its dispatch routines
   * given the section's kernel handle. Returns DriverEntry's status.
   */
  device?: (nt: Nt, driverObject: DriverObject, sectionHandle: number) => number;
  /** view-in-user-process: DriverEntry does not map step 3's view; the device's routine maps it, in the program's process. */
  noSystemView?: boolean;
}

export function kernelSectionDriver(variant: KernelSectionDriverVariant = {}) {
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, DriverObject: DriverObject): number {
      const { status: sdStatus, securityDescriptor } = nt.SeSddlSecurityDescriptorFromSDDL(SECTION_SDDL);
      if (!NT_SUCCESS(sdStatus)) return sdStatus;
      // Step 1: the name, with OBJ_FORCE_ACCESS_CHECK and OBJ_KERNEL_HANDLE (the handle is valid only in kernel mode).
      const attributes = OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK | (variant.openIf ? OBJ_OPENIF : 0);
      const objectAttributes = InitializeObjectAttributes(KERNEL_SECTION_PATH, attributes, null, securityDescriptor);
      // Step 2: create the section (or, with OBJ_OPENIF, open one of the name).
      const { status, sectionHandle } = nt.ZwCreateSection(SECTION_ALL_ACCESS, objectAttributes, SECTION_SIZE, PAGE_READWRITE, SEC_COMMIT, null);
      nt.ExFreePool(securityDescriptor);
      if (!NT_SUCCESS(status)) {
        nt.DbgPrint('KernelSection: ZwCreateSection failed (%08X)\n', status);
        return status;
      }
      if (status === STATUS_OBJECT_NAME_EXISTS) nt.DbgPrint('KernelSection: the section already existed; opened it\n');
      if (variant.noSystemView && variant.device) {
        DriverObject.DriverUnload = () => nt.ZwClose(sectionHandle);
        return variant.device(nt, DriverObject, sectionHandle);
      }
      // Step 3: map the driver's view into the current process: DriverEntry runs in the System process.
      const view = nt.ZwMapViewOfSection(sectionHandle, nt.NtCurrentProcess(), 0, 0, 0, null, 0, ViewShare, 0, PAGE_READWRITE);
      if (!NT_SUCCESS(view.status)) {
        nt.DbgPrint('KernelSection: ZwMapViewOfSection failed (%08X)\n', view.status);
        nt.ZwClose(sectionHandle);
        return view.status;
      }
      const baseAddress = view.baseAddress;
      nt.DbgPrint('KernelSection: view of %d bytes at %p in process %d\n', view.viewSize, baseAddress, nt.PsGetCurrentProcessId());
      // As the article does: the view lies in the user half of the System process, written at that
      // address directly. With --verifier (Security Checks) that is the finding user-access-discipline:
      // any user-mode address touched unprobed, outside the User-mode Accessors, is one.
      nt.setString(baseAddress, GREETING, 'utf-16le');

      DriverObject.DriverUnload = () => {
        // In the System process again: the driver's view is here.
        const reply = nt.getString(baseAddress + REPLY_OFFSET, 'utf-16le', 256);
        nt.DbgPrint('KernelSection: the application wrote "%ws"\n', reply);
        // Step 4: unmap the view; step 5: close the handle (the section goes with its last reference).
        nt.ZwUnmapViewOfSection(nt.NtCurrentProcess(), baseAddress);
        nt.ZwClose(sectionHandle);
      };
      return variant.device ? variant.device(nt, DriverObject, sectionHandle) : STATUS_SUCCESS;
    },
  });
}
