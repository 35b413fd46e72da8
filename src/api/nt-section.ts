/**
 * The section routines for drivers (ZwCreateSection, ZwOpenSection,
 * ZwMapViewOfSection, ZwUnmapViewOfSection, ZwQuerySection,
 * MmMapViewInSystemSpace, MmUnmapViewInSystemSpace), spread into `nt`. A Zw
 * routine enters the service with PreviousMode = KernelMode: nothing is
 * probed, handle access is not checked (unless OBJ_FORCE_ACCESS_CHECK asks),
 * and OBJ_KERNEL_HANDLE makes a kernel handle.
 *
 * docs/api.md's conventions: OBJECT_ATTRIBUTES as InitializeObjectAttributes
 * returns it; in/out parameters (BaseAddress, ViewSize, SectionOffset) are
 * values in and come back updated in the result.
 */
import { DRIVER_UNMAPPING_INVALID_VIEW } from '../include/bugcodes.js';
import { NtException } from '../include/errors.js';
import { NT_SUCCESS, STATUS_INVALID_PARAMETER } from '../include/ntstatus.js';
import { APC_LEVEL, KernelMode, PASSIVE_LEVEL } from '../include/wdm-constants.js';
import type { Kernel } from '../kernel/kernel.js';
import { MmCreateSection, MmOpenSection } from '../kernel/section/create.js';
import { MmMapViewOfSection, MmQuerySection, MmUnmapViewOfSection, type SectionBasicInformation } from '../kernel/section/map.js';
import { NtCurrentProcess } from '../kernel/ob/handle.js';
import type { KernelObject } from '../kernel/ob/object.js';
import { VfWatchDriverView } from '../kernel/verifier/driver-view.js';
import { MmSectionObjectType, SectionObject } from '../kernel/section/object.js';
import { IopNoteDangerousPrimitive } from '../kernel/io/user-request.js';
import { handleArgument, pointerArgument, sizeArgument, ulongArgument } from './driver-arguments.js';
import { driverObjectAttributes, type DriverObjectAttributes } from './nt-objects.js';

/** OBJECT_ATTRIBUTES as a driver gives it (InitializeObjectAttributes). */
export type SectionObjectAttributes = DriverObjectAttributes;

/** The section routines of one driver's `nt`; `enter` is nt's single entry (time, IRQL check). */
export function makeNtSection(k: Kernel, enter: (name: string, maxIrql: number) => void) {
  const captured = (oa: SectionObjectAttributes) => driverObjectAttributes(k.arch, oa);
  const size = (v: unknown): bigint | undefined => (v === null || v === undefined ? undefined : BigInt(v as number | bigint));

  return {
    /** ZwCreateSection: `{ status, sectionHandle }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatesection */
    ZwCreateSection(desiredAccess: number, objectAttributes: SectionObjectAttributes | null, maximumSize: number | bigint | null,
      sectionPageProtection: number, allocationAttributes: number, fileHandle: number | null): { status: number; sectionHandle: number } {
      enter('ZwCreateSection', PASSIVE_LEVEL);
      const r = MmCreateSection(k, KernelMode, ulongArgument(k.arch, desiredAccess), objectAttributes ? captured(objectAttributes) : null,
        size(maximumSize), ulongArgument(k.arch, sectionPageProtection), ulongArgument(k.arch, allocationAttributes),
        fileHandle === null ? 0 : handleArgument(k.arch, fileHandle));
      return { status: r.status, sectionHandle: r.handle };
    },
    /** ZwOpenSection: `{ status, sectionHandle }`. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopensection */
    ZwOpenSection(desiredAccess: number, objectAttributes: SectionObjectAttributes): { status: number; sectionHandle: number } {
      enter('ZwOpenSection', PASSIVE_LEVEL);
      const r = MmOpenSection(k, KernelMode, ulongArgument(k.arch, desiredAccess), captured(objectAttributes));
      return { status: r.status, sectionHandle: r.handle };
    },
    /**
     * ZwMapViewOfSection: `{ status, baseAddress, viewSize, sectionOffset }`,
     * the view in the process ProcessHandle names (NtCurrentProcess(): the
     * process whose context the driver runs in).
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwmapviewofsection
     */
    ZwMapViewOfSection(sectionHandle: number, processHandle: number, baseAddress: number, zeroBits: number, commitSize: number,
      sectionOffset: number | bigint | null, viewSize: number, inheritDisposition: number, allocationType: number, win32Protect: number):
      { status: number; baseAddress: number; viewSize: number; sectionOffset: number } {
      enter('ZwMapViewOfSection', PASSIVE_LEVEL);
      const r = MmMapViewOfSection(k, KernelMode, {
        sectionHandle: handleArgument(k.arch, sectionHandle), processHandle: handleArgument(k.arch, processHandle),
        baseAddress: pointerArgument(k.arch, baseAddress ?? 0), zeroBits: sizeArgument(k.arch, zeroBits), commitSize: sizeArgument(k.arch, commitSize),
        sectionOffset: size(sectionOffset), viewSize: sizeArgument(k.arch, viewSize), inheritDisposition: ulongArgument(k.arch, inheritDisposition),
        allocationType: ulongArgument(k.arch, allocationType), win32Protect: ulongArgument(k.arch, win32Protect),
      });
      // The driver's own view in the program's context: a finding if it outlives the routine (verifier/driver-view.ts).
      if (NT_SUCCESS(r.status) && handleArgument(k.arch, processHandle) === NtCurrentProcess) VfWatchDriverView(k, k.currentProcess, r.baseAddress);
      // A view of \Device\PhysicalMemory at an offset a program's request gave: physical memory mapped for the caller.
      if (NT_SUCCESS(r.status)) IopNotePhysicalView(k, handleArgument(k.arch, sectionHandle), r.sectionOffset, r.viewSize);
      return r;
    },
    /** ZwUnmapViewOfSection: BaseAddress may be any address in the view. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwunmapviewofsection */
    ZwUnmapViewOfSection(processHandle: number, baseAddress: number): number {
      enter('ZwUnmapViewOfSection', PASSIVE_LEVEL);
      return MmUnmapViewOfSection(k, KernelMode, handleArgument(k.arch, processHandle), pointerArgument(k.arch, baseAddress));
    },
    /**
     * ZwQuerySection: `{ status, sectionInformation }` for SectionBasicInformation.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwquerysection
     */
    ZwQuerySection(sectionHandle: number, sectionInformationClass: number): { status: number; sectionInformation: SectionBasicInformation | undefined } {
      enter('ZwQuerySection', PASSIVE_LEVEL);
      const r = MmQuerySection(k, KernelMode, handleArgument(k.arch, sectionHandle), ulongArgument(k.arch, sectionInformationClass));
      return { status: r.status, sectionInformation: r.information };
    },
    /**
     * MmMapViewInSystemSpace: the section (PVOID Section: an object from
     * ObReferenceObjectByHandle, which must be a section) mapped into system space;
     * `{ status, mappedBase, viewSize }`. ViewSize 0 maps the whole section.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-mmmapviewinsystemspace
     */
    MmMapViewInSystemSpace(section: KernelObject, viewSize: number): { status: number; mappedBase: number; viewSize: number } {
      enter('MmMapViewInSystemSpace', APC_LEVEL);
      if (!(section instanceof SectionObject)) throw new NtException(STATUS_INVALID_PARAMETER);
      const r = k.views.MmMapViewInSystemSpace(section.segment, section.InitialPageProtection, sizeArgument(k.arch, viewSize ?? 0));
      return { status: r.status, mappedBase: r.base, viewSize: r.viewSize };
    },
    /**
     * MmUnmapViewInSystemSpace: an address that starts no system view is
     * DRIVER_UNMAPPING_INVALID_VIEW (0xD7, P1 the address, P2 1: unmapping).
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-mmunmapviewinsystemspace
     * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xd7--driver-unmapping-invalid-view
     */
    MmUnmapViewInSystemSpace(mappedBase: number): number {
      enter('MmUnmapViewInSystemSpace', APC_LEVEL);
      const va = pointerArgument(k.arch, mappedBase);
      if (!k.views.MmUnmapViewInSystemSpace(va)) {
        k.bugCheck(DRIVER_UNMAPPING_INVALID_VIEW, va, 1, 0, 0, `A driver unmapped ${k.formatAddress(va)}, which is no view in system space.`);
      }
      return 0;
    },
  };
}

/** If `sectionHandle` names \Device\PhysicalMemory, the view is a dangerous primitive when its offset came from a program's request. */
function IopNotePhysicalView(k: Kernel, sectionHandle: number, offset: number, viewSize: number): void {
  if (k.io.userRequest.thread === null) return;
  const ref = k.ob.ObReferenceObjectByHandle(sectionHandle, 0, MmSectionObjectType, KernelMode, k.currentProcess);
  const section = ref.object as SectionObject | undefined;
  if (!section) return;
  try {
    if (section.segment.kind !== 'physical') return;
    IopNoteDangerousPrimitive(k, 'physical-memory',
      `mapped ${viewSize} bytes of \\Device\\PhysicalMemory at physical address 0x${offset.toString(16)}`, [BigInt(offset)]);
  } finally {
    k.ob.ObDereferenceObject(section);
  }
}
