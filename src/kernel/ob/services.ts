/**
 * The object namespace's system services: directories
 * (NtCreateDirectoryObject, NtOpenDirectoryObject) and symbolic links
 * (NtCreateSymbolicLinkObject, NtOpenSymbolicLinkObject,
 * NtQuerySymbolicLinkObject), each over ObInsertObject / ObOpenObjectByName
 * (named.ts), so that their access checks are every named type's. The
 * Obp* halves take the caller's mode, for the Zw routines of drivers.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatedirectoryobject
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopensymboliclinkobject
 */
import { STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { readUnicodeString, writeUnicodeString } from '../../include/struct-access.js';
import { SYMBOLIC_LINK_QUERY } from '../../include/security.js';
import { UNICODE_STRING } from '../../include/structures.js';
import { UserMode } from '../../include/wdm-constants.js';
import {
  captureOrStatus, ProbeAndCaptureObjectAttributes, ProbeAndCaptureUnicodeString, ProbeForWritePointer, ProbeForWriteUlong, writeHandle,
  writeOutUlong, type CapturedObjectAttributes,
} from '../ex/capture.js';
import { ProbeForWrite } from '../ex/probe.js';
import type { ObContext } from './context.js';
import { ObjectAllocationFailed } from './manager.js';
import { ObInsertObject, ObOpenObjectByName, type ObHandleResult } from './named.js';
import { DirectoryType, ObjectDirectory, SymbolicLinkObject, SymbolicLinkType } from './namespace.js';
import type { KernelObject } from './object.js';

/** Creates `body` (ObCreateObject) and inserts it; pool exhaustion is STATUS_INSUFFICIENT_RESOURCES. */
function ObpCreateAndInsert(k: ObContext, make: () => KernelObject, oa: CapturedObjectAttributes, desiredAccess: number,
  previousMode: number): ObHandleResult {
  let body: KernelObject;
  try {
    body = k.ob.ObCreateObject(make());
  } catch (e) {
    if (e instanceof ObjectAllocationFailed) return { status: STATUS_INSUFFICIENT_RESOURCES, handle: 0, grantedAccess: 0 };
    throw e;
  }
  return ObInsertObject(k, body, oa, desiredAccess, previousMode);
}

/** NtCreateDirectoryObject's work for a caller of `previousMode`. */
export const ObpCreateDirectoryObject = (k: ObContext, desiredAccess: number, oa: CapturedObjectAttributes, previousMode: number): ObHandleResult =>
  ObpCreateAndInsert(k, () => new ObjectDirectory(), oa, desiredAccess, previousMode);

/** NtCreateSymbolicLinkObject's work for a caller of `previousMode`. */
export const ObpCreateSymbolicLinkObject = (k: ObContext, desiredAccess: number, oa: CapturedObjectAttributes, target: string,
  previousMode: number): ObHandleResult => ObpCreateAndInsert(k, () => new SymbolicLinkObject(target), oa, desiredAccess, previousMode);

/** A service's tail: the handle written through the caller's pointer on success, the status returned. */
function ObpReturnHandle(k: ObContext, HandleVa: number, r: ObHandleResult): number {
  if (r.status >= 0x8000_0000) return r.status;
  // If the write faults now, the handle stays open, as on Windows.
  const written = captureOrStatus(() => writeHandle(k, HandleVa, r.handle));
  return typeof written === 'number' ? written : r.status;
}

/** Probes the PHANDLE and captures the OBJECT_ATTRIBUTES, or a status. */
const captureOpen = (k: ObContext, HandleVa: number, ObjectAttributes: number): CapturedObjectAttributes | number =>
  captureOrStatus(() => {
    ProbeForWritePointer(k, HandleVa);
    return ProbeAndCaptureObjectAttributes(k, ObjectAttributes);
  });

/** NtCreateDirectoryObject. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatedirectoryobject */
export function NtCreateDirectoryObject(k: ObContext, DirectoryHandle: number, DesiredAccess: number, ObjectAttributes: number): number {
  const oa = captureOpen(k, DirectoryHandle, ObjectAttributes);
  if (typeof oa === 'number') return oa;
  return ObpReturnHandle(k, DirectoryHandle, ObpCreateDirectoryObject(k, DesiredAccess >>> 0, oa, k.currentThread.PreviousMode));
}

/** NtOpenDirectoryObject. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopendirectoryobject */
export function NtOpenDirectoryObject(k: ObContext, DirectoryHandle: number, DesiredAccess: number, ObjectAttributes: number): number {
  const oa = captureOpen(k, DirectoryHandle, ObjectAttributes);
  if (typeof oa === 'number') return oa;
  return ObpReturnHandle(k, DirectoryHandle, ObOpenObjectByName(k, oa, DirectoryType, k.currentThread.PreviousMode, DesiredAccess >>> 0));
}

/** NtCreateSymbolicLinkObject (ntifs's ZwCreateSymbolicLinkObject). */
export function NtCreateSymbolicLinkObject(k: ObContext, LinkHandle: number, DesiredAccess: number, ObjectAttributes: number,
  LinkTarget: number): number {
  const captured = captureOrStatus(() => {
    ProbeForWritePointer(k, LinkHandle);
    return { oa: ProbeAndCaptureObjectAttributes(k, ObjectAttributes), target: ProbeAndCaptureUnicodeString(k, LinkTarget) };
  });
  if (typeof captured === 'number') return captured;
  return ObpReturnHandle(k, LinkHandle,
    ObpCreateSymbolicLinkObject(k, DesiredAccess >>> 0, captured.oa, captured.target, k.currentThread.PreviousMode));
}

/** NtOpenSymbolicLinkObject: the link itself, not what it names. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopensymboliclinkobject */
export function NtOpenSymbolicLinkObject(k: ObContext, LinkHandle: number, DesiredAccess: number, ObjectAttributes: number): number {
  const oa = captureOpen(k, LinkHandle, ObjectAttributes);
  if (typeof oa === 'number') return oa;
  return ObpReturnHandle(k, LinkHandle, ObOpenObjectByName(k, oa, SymbolicLinkType, k.currentThread.PreviousMode, DesiredAccess >>> 0));
}

/** What ZwQuerySymbolicLinkObject finds: the status, the target and the bytes it needs (ReturnedLength). */
export interface SymbolicLinkQuery {
  status: number;
  target: string;
  returnedLength: number;
}

/** The link a handle refers to (SYMBOLIC_LINK_QUERY), or a status. */
export function ObpQuerySymbolicLink(k: ObContext, LinkHandle: number, previousMode: number): SymbolicLinkQuery {
  const ref = k.ob.ObReferenceObjectByHandle(LinkHandle, SYMBOLIC_LINK_QUERY, SymbolicLinkType, previousMode, k.currentProcess);
  if (!ref.object) return { status: ref.status, target: '', returnedLength: 0 };
  const target = (ref.object as SymbolicLinkObject).LinkTarget;
  k.ob.ObDereferenceObject(ref.object);
  return { status: STATUS_SUCCESS, target, returnedLength: target.length * 2 };
}

/**
 * NtQuerySymbolicLinkObject: the target into the caller's UNICODE_STRING
 * (its Buffer and MaximumLength in, Length out); too small a buffer is
 * STATUS_BUFFER_TOO_SMALL with ReturnedLength the bytes needed.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwquerysymboliclinkobject
 */
export function NtQuerySymbolicLinkObject(k: ObContext, LinkHandle: number, LinkTarget: number, ReturnedLength: number): number {
  const user = k.currentThread.PreviousMode === UserMode;
  const header = captureOrStatus(() => {
    if (user) ProbeForWrite(k, LinkTarget, UNICODE_STRING[k.arch].size, k.layout.pointerSize);
    if (ReturnedLength !== 0) ProbeForWriteUlong(k, ReturnedLength);
    return readUnicodeString(k.kernelMemory, k.arch, LinkTarget);
  });
  if (typeof header === 'number') return header;
  const q = ObpQuerySymbolicLink(k, LinkHandle, k.currentThread.PreviousMode);
  if (q.status !== STATUS_SUCCESS) return q.status;
  const written = captureOrStatus(() => {
    if (ReturnedLength !== 0) writeOutUlong(k, ReturnedLength, q.returnedLength);
    if (q.returnedLength > header.MaximumLength) return STATUS_BUFFER_TOO_SMALL;
    if (user) ProbeForWrite(k, header.Buffer, q.returnedLength, 2);
    k.kernelMemory.setString(header.Buffer, q.target, 'utf-16le');
    writeUnicodeString(k.kernelMemory, k.arch, LinkTarget, q.returnedLength, header.MaximumLength, header.Buffer);
    return STATUS_SUCCESS;
  });
  return written;
}
