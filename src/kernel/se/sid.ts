/**
 * SIDs: the SDDL aliases of the well-known ones, the accounts of an ntshm
 * machine, and the binary form (RtlLengthSid, what a SECURITY_DESCRIPTOR in
 * memory holds):
 *
 *   0 Revision (1)   1 SubAuthorityCount   2 IdentifierAuthority (6 bytes, big-endian)
 *   8 SubAuthority[0..n-1] (ULONG each, little-endian)
 *
 * https://learn.microsoft.com/windows/win32/secauthz/sid-strings
 */
import {
  SID_AUTHENTICATED_USERS, SID_BUILTIN_ADMINISTRATORS, SID_BUILTIN_USERS, SID_CREATOR_GROUP, SID_CREATOR_OWNER, SID_INTERACTIVE,
  SID_LOCAL_SERVICE, SID_LOCAL_SYSTEM, SID_NETWORK_SERVICE, SID_RESTRICTED_CODE, SID_REVISION, SID_WORLD, type Sid,
} from '../../include/security.js';

/** The SDDL two-letter aliases ntshm knows, and the SIDs they stand for. */
export const SDDL_SID_ALIASES: Readonly<Record<string, Sid>> = {
  WD: SID_WORLD, CO: SID_CREATOR_OWNER, CG: SID_CREATOR_GROUP, IU: SID_INTERACTIVE, AU: SID_AUTHENTICATED_USERS,
  RC: SID_RESTRICTED_CODE, SY: SID_LOCAL_SYSTEM, LS: SID_LOCAL_SERVICE, NS: SID_NETWORK_SERVICE,
  BA: SID_BUILTIN_ADMINISTRATORS, BU: SID_BUILTIN_USERS,
};

/** The machine's account domain (S-1-5-21-x-y-z), fixed so that runs are reproducible. */
export const MACHINE_DOMAIN_SID = 'S-1-5-21-1004336348-1177238915-682003330';
/** The interactive administrator's account (the first one Setup makes, a member of Administrators). */
export const ADMIN_USER_SID = `${MACHINE_DOMAIN_SID}-1000`;
/** The standard user's account (a member of Users only). */
export const STANDARD_USER_SID = `${MACHINE_DOMAIN_SID}-1001`;

const SID_PATTERN = /^S-1-(\d+)((?:-\d+){0,15})$/i;

/** Whether `s` is a SID string (`S-1-` authority, up to 15 sub-authorities, each a ULONG). */
export function RtlValidSidString(s: string): boolean {
  const m = SID_PATTERN.exec(s);
  if (!m) return false;
  if (Number(m[1]) >= 2 ** 48) return false;
  return m[2]!.split('-').slice(1).every((sub) => Number(sub) <= 0xffff_ffff);
}

/** RtlLengthSid: 8 bytes of header and four per sub-authority. */
export const RtlLengthSid = (sid: Sid): number => 8 + 4 * (sid.split('-').length - 3);

/** Writes a SID's binary form at `offset` of `view`; returns its length. */
export function SepWriteSid(view: DataView, offset: number, sid: Sid): number {
  const parts = sid.split('-').slice(2).map(Number);
  const authority = parts[0]!;
  const subs = parts.slice(1);
  view.setUint8(offset, SID_REVISION);
  view.setUint8(offset + 1, subs.length);
  view.setUint16(offset + 2, Math.floor(authority / 2 ** 32), false);
  view.setUint32(offset + 4, authority >>> 0, false);
  subs.forEach((sub, i) => view.setUint32(offset + 8 + 4 * i, sub >>> 0, true));
  return 8 + 4 * subs.length;
}

/** Reads a SID's binary form from `bytes` at `offset`; undefined if it is malformed or runs past the end. */
export function SepReadSid(bytes: Uint8Array, offset: number): Sid | undefined {
  if (offset < 0 || offset + 8 > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint8(offset + 1);
  if (view.getUint8(offset) !== SID_REVISION || count > 15 || offset + 8 + 4 * count > bytes.length) return undefined;
  const authority = view.getUint16(offset + 2, false) * 2 ** 32 + view.getUint32(offset + 4, false);
  const subs = Array.from({ length: count }, (_, i) => view.getUint32(offset + 8 + 4 * i, true));
  return ['S-1', authority, ...subs].join('-');
}
