/**
 * Variant `view-in-user-process` of KernelSection.sys (reference/misuse.md):
 * step 3 moves out of DriverEntry. The driver maps its view when the program
 * opens its device — in IRP_MJ_CREATE, which runs in the program's context —
 * so ZwMapViewOfSection(NtCurrentProcess()) puts "the driver's" view in the
 * program's address space, and the driver keeps it. The program can now
 * read, overwrite, re-protect or unmap the driver's view. Diff it against
 * step 3 in ../driver.ts. Finding: driver-view-in-user-process.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwmapviewofsection
 */
import { NT_SUCCESS, PAGE_READWRITE, STATUS_SUCCESS, ViewShare, type DriverObject, type Irp, type Nt } from 'ntshm/wdm';
import { createKernelSectionDevice } from '../device.js';
import { kernelSectionDriver } from '../driver.js';
import { GREETING } from '../names.js';

export const viewInUserProcessDriver = () => kernelSectionDriver({
  noSystemView: true,
  device: (nt: Nt, DriverObject: DriverObject, sectionHandle: number) => createKernelSectionDevice(nt, DriverObject, {
    create: (_irp: Irp) => {
      // Step 3, in the wrong place: "the current process" is the program that opened the device.
      const view = nt.ZwMapViewOfSection(sectionHandle, nt.NtCurrentProcess(), 0, 0, 0, null, 0, ViewShare, 0, PAGE_READWRITE);
      if (!NT_SUCCESS(view.status)) return view.status;
      nt.DbgPrint('KernelSection: view of %d bytes at %p in process %d\n', view.viewSize, view.baseAddress, nt.PsGetCurrentProcessId());
      nt.setString(view.baseAddress, GREETING, 'utf-16le');
      // Kept, never unmapped: it goes away only with the program's address space.
      return STATUS_SUCCESS;
    },
  }),
});
