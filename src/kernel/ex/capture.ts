/**
 * Probing and capturing a system service's arguments: what every Nt*
 * service does with the pointers a caller passes, before it trusts them.
 *
 * From user mode (PreviousMode = UserMode) each pointer is probed (it must
 * lie below MmUserProbeAddress, aligned), and what it points to is read
 * exactly once into the kernel's own copy (a UNICODE_STRING's buffer, an
 * OBJECT_ATTRIBUTES); out-parameters are probed for writing before the work
 * and written after it. A bad pointer raises STATUS_ACCESS_VIOLATION (or
 * STATUS_DATATYPE_MISALIGNMENT), which the service returns as its status.
 * From kernel mode nothing is probed: the caller is trusted.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/probing-and-capturing-user-mode-pointers
 */
import { NtException } from '../../include/errors.js';
import { STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_INVALID } from '../../include/ntstatus.js';
import {
  readLargeInteger, readObjectAttributes, writeHandleValue, readPointer, readSize, readUnicodeString, writeIoStatusBlock, writePointer, writeSize,
} from '../../include/struct-access.js';
import { IO_STATUS_BLOCK, OBJECT_ATTRIBUTES, UNICODE_STRING } from '../../include/structures.js';
import { UserMode } from '../../include/wdm-constants.js';
import type { MmContext } from '../mm/context.js';
import { ProbeForRead, ProbeForWrite } from './probe.js';

/** OBJECT_ATTRIBUTES as the kernel keeps it once captured: the name copied out of the caller's memory. */
export interface CapturedObjectAttributes {
  RootDirectory: number;
  /** The ObjectName's text (null when ObjectName is NULL). */
  ObjectName: string | null;
  Attributes: number;
  SecurityDescriptor: number;
}

/** The caller's mode, which decides whether pointers are probed. */
const previousMode = (k: MmContext): number => k.currentThread.PreviousMode;

/** Runs a service's probe-and-capture step; a raised status becomes the service's return value. */
export function captureOrStatus<T>(capture: () => T): T | number {
  try {
    return capture();
  } catch (e) {
    if (e instanceof NtException) return e.status;
    throw e;
  }
}

/** Reads a UNICODE_STRING the caller passed: its header once, then its buffer once (ProbeAndCaptureUnicodeString). */
export function ProbeAndCaptureUnicodeString(k: MmContext, va: number): string {
  const mem = k.kernelMemory;
  const user = previousMode(k) === UserMode;
  if (user) ProbeForRead(k, va, UNICODE_STRING[k.arch].size, k.layout.pointerSize);
  const s = readUnicodeString(mem, k.arch, va);
  if (s.Length % 2 !== 0 || s.Length > s.MaximumLength) throw new NtException(STATUS_INVALID_PARAMETER);
  if (s.Length === 0) return '';
  if (user) ProbeForRead(k, s.Buffer, s.Length, 2);
  // A counted string: exactly Length bytes, an embedded NUL included (it is a character of the name, not its end).
  const bytes = mem.getBytes(s.Buffer, s.Length);
  let text = '';
  for (let i = 0; i < bytes.length; i += 2) text += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return text;
}

/** Reads an OBJECT_ATTRIBUTES the caller passed, with its ObjectName (SeCaptureObjectAttributes / ObpCaptureObjectCreateInformation). */
export function ProbeAndCaptureObjectAttributes(k: MmContext, va: number): CapturedObjectAttributes {
  if (va === 0) throw new NtException(STATUS_INVALID_PARAMETER);
  const size = OBJECT_ATTRIBUTES[k.arch].size;
  if (previousMode(k) === UserMode) ProbeForRead(k, va, size, k.layout.pointerSize);
  const oa = readObjectAttributes(k.kernelMemory, k.arch, va);
  if (oa.Length !== size) throw new NtException(STATUS_INVALID_PARAMETER);
  const ObjectName = oa.ObjectName === 0 ? null : ProbeAndCaptureUnicodeString(k, oa.ObjectName);
  if (ObjectName !== null && ObjectName.length === 0 && oa.RootDirectory === 0) throw new NtException(STATUS_OBJECT_NAME_INVALID);
  return { RootDirectory: oa.RootDirectory, ObjectName, Attributes: oa.Attributes, SecurityDescriptor: oa.SecurityDescriptor };
}

/** Probes a pointer-sized out-parameter (PHANDLE, PVOID*, PSIZE_T) for writing. */
export function ProbeForWritePointer(k: MmContext, va: number): void {
  if (previousMode(k) === UserMode) ProbeForWrite(k, va, k.layout.pointerSize, k.layout.pointerSize);
}

/** Probes a ULONG out-parameter for writing. */
export function ProbeForWriteUlong(k: MmContext, va: number): void {
  if (previousMode(k) === UserMode) ProbeForWrite(k, va, 4, 4);
}

/** Probes an IO_STATUS_BLOCK for writing (ProbeForWriteIoStatusBlock). */
export function ProbeForWriteIoStatusBlock(k: MmContext, va: number): void {
  if (previousMode(k) === UserMode) ProbeForWrite(k, va, IO_STATUS_BLOCK[k.arch].size, k.layout.pointerSize);
}

/** *va = handle (a PHANDLE out-parameter, probed already); a kernel handle (negative here) is stored sign-extended. */
export function writeHandle(k: MmContext, va: number, handle: number): void {
  writeHandleValue(k.kernelMemory, k.arch, va, handle);
}

/** *va = a pointer (probed already). */
export function writeOutPointer(k: MmContext, va: number, value: number): void {
  writePointer(k.kernelMemory, k.arch, va, value);
}

/** *va = a SIZE_T (probed already). */
export function writeOutSize(k: MmContext, va: number, value: number): void {
  writeSize(k.kernelMemory, k.arch, va, value);
}

/** *va = a ULONG (probed already). */
export function writeOutUlong(k: MmContext, va: number, value: number): void {
  k.kernelMemory.setUint32(va, value >>> 0);
}

/** Reads a PVOID in/out parameter's value (probed for writing already). */
export function readInOutPointer(k: MmContext, va: number): number {
  return readPointer(k.kernelMemory, k.arch, va);
}

/** Reads a SIZE_T in/out parameter's value (probed for writing already). */
export function readInOutSize(k: MmContext, va: number): number {
  return readSize(k.kernelMemory, k.arch, va);
}

/** Captures an optional PLARGE_INTEGER (undefined for NULL). */
export function ProbeAndCaptureLargeInteger(k: MmContext, va: number): bigint | undefined {
  if (va === 0) return undefined;
  if (previousMode(k) === UserMode) ProbeForRead(k, va, 8, 4);
  return readLargeInteger(k.kernelMemory, va);
}

/** Writes an IO_STATUS_BLOCK (probed already); a fault here is the caller's problem, as on Windows, and is ignored. */
export function writeIoStatus(k: MmContext, va: number, status: number, information: number): void {
  if (va === 0) return;
  try {
    writeIoStatusBlock(k.kernelMemory, k.arch, va, status, information);
  } catch (e) {
    if (!(e instanceof NtException)) throw e;
  }
}
