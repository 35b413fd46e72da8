/**
 * SeAssignSecurity: the descriptor a new object gets.
 *
 *   owner, group   the caller's descriptor's, else the creator's token's
 *                  TokenOwner and TokenPrimaryGroup;
 *   DACL           the caller's descriptor's (kept as given, a NULL DACL
 *                  included), else the ACEs its directory lets it inherit
 *                  (OBJECT_INHERIT for an object, CONTAINER_INHERIT for a
 *                  directory; CREATOR OWNER and CREATOR GROUP become the new
 *                  owner and group, generic rights are mapped, INHERITED_ACE
 *                  is set), else the token's default DACL, mapped.
 *
 * https://learn.microsoft.com/windows/win32/secauthz/dacl-for-a-new-object
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-seassignsecurity
 */
import {
  CONTAINER_INHERIT_ACE, INHERIT_ONLY_ACE, INHERITED_ACE, NO_PROPAGATE_INHERIT_ACE, OBJECT_INHERIT_ACE, SE_DACL_DEFAULTED, SE_DACL_PRESENT,
  SE_GROUP_DEFAULTED, SE_OWNER_DEFAULTED, SID_CREATOR_GROUP, SID_CREATOR_OWNER, type Ace, type GenericMapping, type SecurityDescriptor,
} from '../../include/security.js';
import { RtlMapGenericMask } from '../ob/named.js';
import type { Token } from './token.js';

/** The ACEs a new object inherits from its directory's DACL. */
function SepInheritAces(parent: SecurityDescriptor | undefined, isDirectory: boolean, owner: string, group: string, mapping: GenericMapping): Ace[] {
  if (!parent?.Dacl) return [];
  const inherited: Ace[] = [];
  for (const ace of parent.Dacl) {
    const flag = isDirectory ? CONTAINER_INHERIT_ACE : OBJECT_INHERIT_ACE;
    if ((ace.AceFlags & flag) === 0) continue;
    const sid = ace.Sid === SID_CREATOR_OWNER ? owner : ace.Sid === SID_CREATOR_GROUP ? group : ace.Sid;
    // The ACE that applies to the new object itself.
    inherited.push({ AceType: ace.AceType, AceFlags: INHERITED_ACE, Mask: RtlMapGenericMask(ace.Mask, mapping), Sid: sid });
    // A directory passes the inheritable ACE on to what is created in it, unless NO_PROPAGATE says not to.
    if (isDirectory && (ace.AceFlags & NO_PROPAGATE_INHERIT_ACE) === 0) {
      inherited.push({ ...ace, AceFlags: (ace.AceFlags | INHERIT_ONLY_ACE | INHERITED_ACE) & 0xff });
    }
  }
  return inherited;
}

/** SeAssignSecurity for `token` creating an object in a directory with descriptor `parent`. */
export function SepAssignSecurity(token: Token, parent: SecurityDescriptor | undefined, explicit: SecurityDescriptor | undefined,
  isDirectory: boolean, mapping: GenericMapping): SecurityDescriptor {
  const Owner = explicit?.Owner ?? token.Owner;
  const Group = explicit?.Group ?? token.PrimaryGroup;
  let control = (explicit?.Owner === undefined ? SE_OWNER_DEFAULTED : 0) | (explicit?.Group === undefined ? SE_GROUP_DEFAULTED : 0);
  let Dacl: readonly Ace[] | null;
  if (explicit !== undefined && (explicit.Control & SE_DACL_PRESENT) !== 0) {
    Dacl = explicit.Dacl;
    control |= explicit.Control & ~(SE_OWNER_DEFAULTED | SE_GROUP_DEFAULTED);
  } else {
    const inherited = SepInheritAces(parent, isDirectory, Owner, Group, mapping);
    Dacl = inherited.length > 0 ? inherited : token.DefaultDacl.map((ace) => ({ ...ace, Mask: RtlMapGenericMask(ace.Mask, mapping) }));
    control |= inherited.length > 0 ? 0 : SE_DACL_DEFAULTED;
  }
  return { Control: control | SE_DACL_PRESENT, Owner, Group, Dacl };
}
