/**
 * SECURITY_DESCRIPTOR in memory: read from a caller (SeCaptureSecurity-
 * Descriptor) and written self-relative (RtlMakeSelfRelativeSD).
 *
 *   self-relative (SECURITY_DESCRIPTOR_RELATIVE, 20 bytes)     absolute (SECURITY_DESCRIPTOR)
 *    0 Revision (1)  1 Sbz1  2 Control (SE_SELF_RELATIVE set)   x64: Owner 8, Group 16, Sacl 24, Dacl 32 (pointers)
 *    4 Owner  8 Group  12 Sacl  16 Dacl (offsets from the start; 0 = none)   x86: Owner 4, Group 8, Sacl 12, Dacl 16
 *
 *   ACL: 0 AclRevision (2)  1 Sbz1  2 AclSize  4 AceCount  6 Sbz2, then the ACEs
 *   ACE: 0 AceType  1 AceFlags  2 AceSize  4 Mask  8 Sid
 *
 * Only ACCESS_ALLOWED and ACCESS_DENIED ACEs are read (any other type is
 * STATUS_INVALID_ACL here); the SACL is skipped.
 * https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-security_descriptor
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/ns-ntifs-_acl
 */
import { NtException } from '../../include/errors.js';
import { STATUS_INVALID_ACL, STATUS_INVALID_SECURITY_DESCR, STATUS_UNKNOWN_REVISION } from '../../include/ntstatus.js';
import {
  ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, ACL_REVISION, SE_DACL_PRESENT, SE_SELF_RELATIVE, SECURITY_DESCRIPTOR_REVISION,
  type Ace, type SecurityDescriptor, type Sid,
} from '../../include/security.js';
import { UserMode } from '../../include/wdm-constants.js';
import { ProbeForRead } from '../ex/probe.js';
import type { MmContext } from '../mm/context.js';
import { RtlLengthSid, SepReadSid, SepWriteSid } from './sid.js';

const SD_RELATIVE_SIZE = 20;
const ACL_HEADER_SIZE = 8;
/** ACL revisions a DACL may carry (ACL_REVISION and ACL_REVISION_DS). */
const ACL_REVISIONS = new Set([2, 4]);

/** Reads `length` bytes a caller passed, probed first when it came from user mode. */
function captureBytes(k: MmContext, va: number, length: number, previousMode: number): Uint8Array {
  if (previousMode === UserMode) ProbeForRead(k, va, length, 1);
  return k.kernelMemory.getBytes(va, length);
}

/** Reads a SID at `va`. */
function captureSid(k: MmContext, va: number, previousMode: number): Sid {
  const head = captureBytes(k, va, 8, previousMode);
  const whole = captureBytes(k, va, 8 + 4 * head[1]!, previousMode);
  const sid = SepReadSid(whole, 0);
  if (sid === undefined) throw new NtException(STATUS_INVALID_SECURITY_DESCR);
  return sid;
}

/** Parses an ACL's bytes into its ACEs. */
export function SepParseAcl(bytes: Uint8Array): Ace[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < ACL_HEADER_SIZE || !ACL_REVISIONS.has(view.getUint8(0))) throw new NtException(STATUS_INVALID_ACL);
  const size = view.getUint16(2, true);
  const count = view.getUint16(4, true);
  if (size > bytes.length || size < ACL_HEADER_SIZE) throw new NtException(STATUS_INVALID_ACL);
  const aces: Ace[] = [];
  let at = ACL_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (at + 8 > size) throw new NtException(STATUS_INVALID_ACL);
    const AceType = view.getUint8(at);
    const aceSize = view.getUint16(at + 2, true);
    if ((AceType !== ACCESS_ALLOWED_ACE_TYPE && AceType !== ACCESS_DENIED_ACE_TYPE) || aceSize < 16 || at + aceSize > size) {
      throw new NtException(STATUS_INVALID_ACL);
    }
    const Sid = SepReadSid(bytes.subarray(0, at + aceSize), at + 8);
    if (Sid === undefined) throw new NtException(STATUS_INVALID_ACL);
    aces.push({ AceType, AceFlags: view.getUint8(at + 1), Mask: view.getUint32(at + 4, true), Sid });
    at += aceSize;
  }
  return aces;
}

/** Reads an ACL at `va`. */
function captureAcl(k: MmContext, va: number, previousMode: number): Ace[] {
  const head = captureBytes(k, va, ACL_HEADER_SIZE, previousMode);
  const size = head[2]! | (head[3]! << 8);
  if (size < ACL_HEADER_SIZE) throw new NtException(STATUS_INVALID_ACL);
  return SepParseAcl(captureBytes(k, va, size, previousMode));
}

/**
 * SeCaptureSecurityDescriptor: the descriptor at `va`, self-relative or
 * absolute, every part probed when the caller is UserMode. A bad pointer
 * raises STATUS_ACCESS_VIOLATION, a malformed descriptor
 * STATUS_UNKNOWN_REVISION, STATUS_INVALID_SECURITY_DESCR or STATUS_INVALID_ACL.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-secapturesecuritydescriptor
 */
export function SeCaptureSecurityDescriptor(k: MmContext, va: number, previousMode: number): SecurityDescriptor {
  const head = captureBytes(k, va, 4, previousMode);
  if (head[0] !== SECURITY_DESCRIPTOR_REVISION) throw new NtException(STATUS_UNKNOWN_REVISION);
  const control = head[2]! | (head[3]! << 8);
  let owner: number;
  let group: number;
  let dacl: number;
  if ((control & SE_SELF_RELATIVE) !== 0) {
    const header = captureBytes(k, va, SD_RELATIVE_SIZE, previousMode);
    const offsets = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const at = (offset: number): number => {
      const o = offsets.getUint32(offset, true);
      return o === 0 ? 0 : va + o;
    };
    [owner, group, dacl] = [at(4), at(8), at(16)];
  } else {
    const p = k.layout.pointerSize;
    if (previousMode === UserMode) ProbeForRead(k, va, 4 + 4 * p, p);
    [owner, group, dacl] = [p, 2 * p, 4 * p].map((offset) => k.kernelMemory.getPointer(va + offset)) as [number, number, number];
  }
  const present = (control & SE_DACL_PRESENT) !== 0;
  return {
    Control: control & ~SE_SELF_RELATIVE,
    ...(owner !== 0 ? { Owner: captureSid(k, owner, previousMode) } : {}),
    ...(group !== 0 ? { Group: captureSid(k, group, previousMode) } : {}),
    Dacl: present && dacl !== 0 ? captureAcl(k, dacl, previousMode) : null,
  };
}

/** RtlLengthSecurityDescriptor of the self-relative form. */
export function SepSelfRelativeLength(sd: SecurityDescriptor): number {
  const dacl = sd.Dacl === null ? 0 : ACL_HEADER_SIZE + sd.Dacl.reduce((n, ace) => n + 8 + RtlLengthSid(ace.Sid), 0);
  return SD_RELATIVE_SIZE + (sd.Owner ? RtlLengthSid(sd.Owner) : 0) + (sd.Group ? RtlLengthSid(sd.Group) : 0) + dacl;
}

/** RtlMakeSelfRelativeSD: the descriptor as self-relative bytes (owner, group, then DACL after the header). */
export function SepMakeSelfRelative(sd: SecurityDescriptor): Uint8Array {
  const bytes = new Uint8Array(SepSelfRelativeLength(sd));
  const view = new DataView(bytes.buffer);
  view.setUint8(0, SECURITY_DESCRIPTOR_REVISION);
  view.setUint16(2, (sd.Control | SE_SELF_RELATIVE) & 0xffff, true);
  let at = SD_RELATIVE_SIZE;
  if (sd.Owner) {
    view.setUint32(4, at, true);
    at += SepWriteSid(view, at, sd.Owner);
  }
  if (sd.Group) {
    view.setUint32(8, at, true);
    at += SepWriteSid(view, at, sd.Group);
  }
  if (sd.Dacl !== null) {
    view.setUint32(16, at, true);
    const start = at;
    view.setUint8(at, ACL_REVISION);
    view.setUint16(at + 4, sd.Dacl.length, true);
    at += ACL_HEADER_SIZE;
    for (const ace of sd.Dacl) {
      const size = 8 + RtlLengthSid(ace.Sid);
      view.setUint8(at, ace.AceType);
      view.setUint8(at + 1, ace.AceFlags);
      view.setUint16(at + 2, size, true);
      view.setUint32(at + 4, ace.Mask >>> 0, true);
      SepWriteSid(view, at + 8, ace.Sid);
      at += size;
    }
    view.setUint16(start + 2, at - start, true);
  }
  return bytes;
}
