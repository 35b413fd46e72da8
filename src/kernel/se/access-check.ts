/**
 * SeAccessCheck: what a token may do to an object, from the object's
 * security descriptor.
 *
 *   1. Generic rights asked for are mapped to the type's specific rights.
 *   2. No DACL (or a NULL DACL): everything asked for is granted
 *      (MAXIMUM_ALLOWED: the type's GenericAll).
 *   3. The owner is granted READ_CONTROL and WRITE_DAC whatever the DACL says.
 *   4. The ACEs are walked in order, skipping INHERIT_ONLY ones and those
 *      whose SID is not the token's user or an enabled group: an allow ACE
 *      grants the rights still wanted; a deny ACE refuses the whole request
 *      as soon as it names a right not yet granted. Canonical order puts
 *      deny ACEs first, so a deny wins over any allow (not otherwise:
 *      an allow before a deny has already granted).
 *   5. MAXIMUM_ALLOWED walks every ACE and grants each right allowed before
 *      a deny of it; whatever else was asked for must be among them.
 *   Nothing granted, or a right left ungranted: STATUS_ACCESS_DENIED.
 *   ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege (STATUS_PRIVILEGE_NOT_HELD).
 *
 * https://learn.microsoft.com/windows/win32/secauthz/how-dacls-control-access-to-an-object
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-seaccesscheck
 */
import { STATUS_ACCESS_DENIED, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS } from '../../include/ntstatus.js';
import {
  ACCESS_ALLOWED_ACE_TYPE, INHERIT_ONLY_ACE, SE_SECURITY_PRIVILEGE, type GenericMapping, type SecurityDescriptor,
} from '../../include/security.js';
import { ACCESS_SYSTEM_SECURITY, MAXIMUM_ALLOWED, READ_CONTROL, WRITE_DAC } from '../../include/wdm-constants.js';
import type { AccessCheckResult } from '../ob/security.js';
import { RtlMapGenericMask } from '../ob/named.js';
import { SepSidInToken, type Token } from './token.js';

/** READ_CONTROL | WRITE_DAC: what an object's owner may always do (SepAccessCheck). */
const OWNER_RIGHTS = READ_CONTROL | WRITE_DAC;

const denied: AccessCheckResult = { status: STATUS_ACCESS_DENIED, grantedAccess: 0 };

/** SeAccessCheck of `token` against `sd` (undefined: an object without a descriptor). */
export function SepAccessCheck(sd: SecurityDescriptor | undefined, token: Token, desiredAccess: number, mapping: GenericMapping): AccessCheckResult {
  let wanted = RtlMapGenericMask(desiredAccess >>> 0, mapping);
  const maximum = (wanted & MAXIMUM_ALLOWED) !== 0;
  wanted = (wanted & ~MAXIMUM_ALLOWED) >>> 0;
  let granted = 0;
  if ((wanted & ACCESS_SYSTEM_SECURITY) !== 0) {
    if (token.privileges.get(SE_SECURITY_PRIVILEGE) !== true) return { status: STATUS_PRIVILEGE_NOT_HELD, grantedAccess: 0 };
    granted |= ACCESS_SYSTEM_SECURITY;
    wanted = (wanted & ~ACCESS_SYSTEM_SECURITY) >>> 0;
  }
  if (sd === undefined || sd.Dacl === null) {
    return { status: STATUS_SUCCESS, grantedAccess: (granted | wanted | (maximum ? mapping.GenericAll : 0)) >>> 0 };
  }
  const owner = sd.Owner !== undefined && SepSidInToken(token, sd.Owner);
  if (owner) granted |= OWNER_RIGHTS;
  const aces = sd.Dacl.filter((ace) => (ace.AceFlags & INHERIT_ONLY_ACE) === 0);
  if (maximum) {
    let refused = 0;
    for (const ace of aces) {
      const mask = RtlMapGenericMask(ace.Mask, mapping);
      if (ace.AceType === ACCESS_ALLOWED_ACE_TYPE) {
        if (SepSidInToken(token, ace.Sid)) granted |= mask & ~refused;
      } else if (SepSidInToken(token, ace.Sid, true)) {
        refused |= mask & ~granted;
      }
    }
    granted >>>= 0;
    if ((wanted & ~granted) !== 0 || granted === 0) return denied;
    return { status: STATUS_SUCCESS, grantedAccess: granted };
  }
  let remaining = (wanted & ~granted) >>> 0;
  for (const ace of aces) {
    if (remaining === 0) break;
    const mask = RtlMapGenericMask(ace.Mask, mapping);
    if (ace.AceType === ACCESS_ALLOWED_ACE_TYPE) {
      if (SepSidInToken(token, ace.Sid)) remaining = (remaining & ~mask) >>> 0;
    } else if ((mask & remaining) !== 0 && SepSidInToken(token, ace.Sid, true)) {
      return denied;
    }
  }
  if (remaining !== 0) return denied;
  return { status: STATUS_SUCCESS, grantedAccess: (wanted | (granted & ACCESS_SYSTEM_SECURITY)) >>> 0 };
}
