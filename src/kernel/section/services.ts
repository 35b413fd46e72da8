/**
 * The section services as a program reaches them: each pointer probed and
 * what it points to captured (ex/capture.ts), the work done on the captured
 * values (create.ts, map.ts), then the results written back through the
 * probed pointers; a fault while writing back is the service's status.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/probing-and-capturing-user-mode-pointers
 */
import { NT_SUCCESS, STATUS_INFO_LENGTH_MISMATCH } from '../../include/ntstatus.js';
import { UserMode } from '../../include/wdm-constants.js';
import { writeLargeInteger } from '../../include/struct-access.js';
import {
  captureOrStatus, ProbeAndCaptureLargeInteger, ProbeAndCaptureObjectAttributes, ProbeForWriteIoStatusBlock, ProbeForWritePointer,
  readInOutPointer, readInOutSize, writeHandle, writeIoStatus, writeOutPointer, writeOutSize,
} from '../ex/capture.js';
import { ProbeForWrite } from '../ex/probe.js';
import type { IoContext } from '../io/context.js';
import { MiCheckSectionArguments, MmCreateSection, MmOpenSection } from './create.js';
import {
  MiCheckViewArguments, MmExtendSection, MmMapViewOfSection, MmQuerySection, MmUnmapViewOfSection, SectionBasicInformationClass, withProcess,
} from './map.js';

const previousMode = (k: IoContext): number => k.currentThread.PreviousMode;

/** Writes a new handle through a probed PHANDLE; a fault now leaves the handle open, as on Windows. */
function returnHandle(k: IoContext, va: number, status: number, handle: number): number {
  if (!NT_SUCCESS(status)) return status;
  const written = captureOrStatus(() => writeHandle(k, va, handle));
  return typeof written === 'number' ? written : status;
}

/** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatesection */
export function NtCreateSection(k: IoContext, SectionHandle: number, DesiredAccess: number, ObjectAttributes: number, MaximumSize: number,
  SectionPageProtection: number, AllocationAttributes: number, FileHandle: number): number {
  const invalid = MiCheckSectionArguments(SectionPageProtection >>> 0, AllocationAttributes >>> 0);
  if (invalid !== undefined) return invalid;
  const captured = captureOrStatus(() => {
    ProbeForWritePointer(k, SectionHandle);
    const oa = ObjectAttributes === 0 ? null : ProbeAndCaptureObjectAttributes(k, ObjectAttributes);
    return { oa, size: ProbeAndCaptureLargeInteger(k, MaximumSize) };
  });
  if (typeof captured === 'number') return captured;
  const r = MmCreateSection(k, previousMode(k), DesiredAccess >>> 0, captured.oa, captured.size, SectionPageProtection >>> 0,
    AllocationAttributes >>> 0, FileHandle);
  return returnHandle(k, SectionHandle, r.status, r.handle);
}

/** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopensection */
export function NtOpenSection(k: IoContext, SectionHandle: number, DesiredAccess: number, ObjectAttributes: number): number {
  const oa = captureOrStatus(() => {
    ProbeForWritePointer(k, SectionHandle);
    return ProbeAndCaptureObjectAttributes(k, ObjectAttributes);
  });
  if (typeof oa === 'number') return oa;
  const r = MmOpenSection(k, previousMode(k), DesiredAccess >>> 0, oa);
  return returnHandle(k, SectionHandle, r.status, r.handle);
}

/** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwmapviewofsection */
export function NtMapViewOfSection(k: IoContext, SectionHandle: number, ProcessHandle: number, BaseAddress: number, ZeroBits: number,
  CommitSize: number, SectionOffset: number, ViewSize: number, InheritDisposition: number, AllocationType: number, Win32Protect: number): number {
  const invalid = MiCheckViewArguments(ZeroBits, InheritDisposition >>> 0, AllocationType >>> 0, Win32Protect >>> 0);
  if (invalid !== undefined) return invalid;
  const captured = captureOrStatus(() => {
    ProbeForWritePointer(k, BaseAddress);
    ProbeForWritePointer(k, ViewSize);
    if (SectionOffset !== 0 && previousMode(k) === UserMode) ProbeForWrite(k, SectionOffset, 8, 4);
    return {
      base: readInOutPointer(k, BaseAddress), size: readInOutSize(k, ViewSize),
      offset: SectionOffset === 0 ? undefined : ProbeAndCaptureLargeInteger(k, SectionOffset),
    };
  });
  if (typeof captured === 'number') return captured;
  const r = MmMapViewOfSection(k, previousMode(k), {
    sectionHandle: SectionHandle, processHandle: ProcessHandle, baseAddress: captured.base, zeroBits: ZeroBits, commitSize: CommitSize,
    sectionOffset: captured.offset, viewSize: captured.size, inheritDisposition: InheritDisposition >>> 0, allocationType: AllocationType >>> 0,
    win32Protect: Win32Protect >>> 0,
  });
  if (!NT_SUCCESS(r.status)) return r.status;
  const written = captureOrStatus(() => {
    writeOutPointer(k, BaseAddress, r.baseAddress);
    writeOutSize(k, ViewSize, r.viewSize);
    if (SectionOffset !== 0) writeLargeInteger(k.kernelMemory, SectionOffset, BigInt(r.sectionOffset));
  });
  return typeof written === 'number' ? written : r.status;
}

/** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwunmapviewofsection */
export function NtUnmapViewOfSection(k: IoContext, ProcessHandle: number, BaseAddress: number): number {
  return MmUnmapViewOfSection(k, previousMode(k), ProcessHandle, BaseAddress);
}

/** SECTION_BASIC_INFORMATION's size: PVOID, ULONG, LARGE_INTEGER (8-aligned). */
const sectionBasicInformationSize = (k: IoContext): number => (k.arch === 'x64' ? 24 : 16);

/** https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwquerysection (NtQuerySection) */
export function NtQuerySection(k: IoContext, SectionHandle: number, SectionInformationClass: number, SectionInformation: number,
  SectionInformationLength: number, ResultLength: number): number {
  const probed = captureOrStatus(() => {
    if (previousMode(k) === UserMode) ProbeForWrite(k, SectionInformation, SectionInformationLength, 4);
    if (ResultLength !== 0) ProbeForWritePointer(k, ResultLength);
  });
  if (probed !== undefined) return probed;
  const size = sectionBasicInformationSize(k);
  if (SectionInformationClass === SectionBasicInformationClass && SectionInformationLength < size) return STATUS_INFO_LENGTH_MISMATCH;
  const r = MmQuerySection(k, previousMode(k), SectionHandle, SectionInformationClass);
  if (!r.information) return r.status;
  const info = r.information;
  const written = captureOrStatus(() => {
    writeOutPointer(k, SectionInformation, info.BaseAddress);
    k.kernelMemory.setUint32(SectionInformation + k.layout.pointerSize, info.AllocationAttributes >>> 0);
    writeLargeInteger(k.kernelMemory, SectionInformation + (k.arch === 'x64' ? 16 : 8), BigInt(info.MaximumSize));
    if (ResultLength !== 0) writeOutSize(k, ResultLength, size);
  });
  return typeof written === 'number' ? written : r.status;
}

/** NtExtendSection(SectionHandle, NewSectionSize): the new size in, the section's size written back. */
export function NtExtendSection(k: IoContext, SectionHandle: number, NewSectionSize: number): number {
  const size = captureOrStatus(() => {
    if (previousMode(k) === UserMode) ProbeForWrite(k, NewSectionSize, 8, 4);
    return ProbeAndCaptureLargeInteger(k, NewSectionSize) ?? 0n;
  });
  if (typeof size === 'number') return size;
  const r = MmExtendSection(k, previousMode(k), SectionHandle, size);
  if (!NT_SUCCESS(r.status)) return r.status;
  const written = captureOrStatus(() => writeLargeInteger(k.kernelMemory, NewSectionSize, BigInt(r.size)));
  return typeof written === 'number' ? written : r.status;
}

/**
 * NtFlushVirtualMemory (FlushViewOfFile): the written pages of a view's
 * range go back to its file; the range flushed is written back.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwflushvirtualmemory
 */
export function NtFlushVirtualMemory(k: IoContext, ProcessHandle: number, BaseAddress: number, RegionSize: number, IoStatus: number): number {
  const io = captureOrStatus(() => {
    ProbeForWritePointer(k, BaseAddress);
    ProbeForWritePointer(k, RegionSize);
    ProbeForWriteIoStatusBlock(k, IoStatus);
    return { base: readInOutPointer(k, BaseAddress), size: readInOutSize(k, RegionSize) };
  });
  if (typeof io === 'number') return io;
  return withProcess(k, previousMode(k), ProcessHandle, (s) => s, (process) => {
    const r = k.views.MmFlushVirtualMemory(process, io.base, io.size);
    if (!NT_SUCCESS(r.status)) return r.status;
    writeIoStatus(k, IoStatus, r.status, 0);
    const written = captureOrStatus(() => {
      writeOutPointer(k, BaseAddress, r.base);
      writeOutSize(k, RegionSize, r.size);
    });
    return typeof written === 'number' ? written : r.status;
  });
}
