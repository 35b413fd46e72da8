/**
 * SeAccessCheck over a DACL (kernel/se/access-check.ts) for the three
 * tokens (kernel/se/token.ts), and SeAssignSecurity (kernel/se/assign.ts).
 */
import { describe, expect, it } from 'vitest';
import { STATUS_ACCESS_DENIED, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS } from '../../src/include/ntstatus.js';
import {
  DIRECTORY_ALL_ACCESS, DIRECTORY_QUERY, DIRECTORY_TRAVERSE, INHERIT_ONLY_ACE, INHERITED_ACE, SE_CREATE_GLOBAL_PRIVILEGE,
  SE_CREATE_PERMANENT_PRIVILEGE, SE_LOAD_DRIVER_PRIVILEGE, SID_BUILTIN_ADMINISTRATORS, SID_LOCAL_SYSTEM, type GenericMapping,
} from '../../src/include/security.js';
import { ACCESS_SYSTEM_SECURITY, GENERIC_ALL, GENERIC_READ, GENERIC_WRITE, MAXIMUM_ALLOWED, READ_CONTROL, WRITE_DAC } from '../../src/include/wdm-constants.js';
import { DirectoryType } from '../../src/kernel/ob/namespace.js';
import { SepAccessCheck } from '../../src/kernel/se/access-check.js';
import { SepAssignSecurity } from '../../src/kernel/se/assign.js';
import { SeSddlSecurityDescriptorFromSDDL, SeSecurityDescriptorToSDDL } from '../../src/kernel/se/sddl.js';
import { ADMIN_USER_SID, STANDARD_USER_SID } from '../../src/kernel/se/sid.js';
import { SepInitializeToken, Token, type TokenKind } from '../../src/kernel/se/token.js';

const token = (kind: TokenKind): Token => SepInitializeToken(new Token(), kind, kind === 'system' ? 0 : 1);
const mapping = DirectoryType.GenericMapping as GenericMapping;
const check = (sddl: string | undefined, kind: TokenKind, desired: number) =>
  SepAccessCheck(sddl === undefined ? undefined : SeSddlSecurityDescriptorFromSDDL(sddl)!, token(kind), desired, mapping);
const Q = DIRECTORY_QUERY;
const QT = DIRECTORY_QUERY | DIRECTORY_TRAVERSE;

describe('SeAccessCheck', () => {
  it.each([
    // name, SDDL, token, desired, status, granted
    ['no descriptor grants what is asked', undefined, 'user', Q, STATUS_SUCCESS, Q],
    ['a NULL DACL grants what is asked', 'D:NO_ACCESS_CONTROL', 'user', GENERIC_ALL, STATUS_SUCCESS, DIRECTORY_ALL_ACCESS],
    ['an empty DACL grants nothing', 'D:', 'admin', Q, STATUS_ACCESS_DENIED, 0],
    ['an allow ACE for a group the token has', 'D:(A;;GR;;;BU)', 'user', Q, STATUS_SUCCESS, Q],
    ['an allow ACE for a group it lacks', 'D:(A;;GA;;;BA)', 'user', Q, STATUS_ACCESS_DENIED, 0],
    ['Everyone', 'D:(A;;GA;;;WD)', 'user', DIRECTORY_ALL_ACCESS, STATUS_SUCCESS, DIRECTORY_ALL_ACCESS],
    ['INTERACTIVE is not the System process', 'D:(A;;GA;;;IU)', 'system', Q, STATUS_ACCESS_DENIED, 0],
    ['SYSTEM', 'D:(A;;GA;;;SY)', 'system', Q, STATUS_SUCCESS, Q],
    ['deny before allow refuses', 'D:(D;;GW;;;BU)(A;;GA;;;WD)', 'user', GENERIC_WRITE, STATUS_ACCESS_DENIED, 0],
    ['deny of other rights does not refuse these', 'D:(D;;GW;;;BU)(A;;GA;;;WD)', 'user', QT, STATUS_SUCCESS, QT],
    // GW and GR of a directory share READ_CONTROL: denying one's mapping refuses the other.
    ['generic rights are compared once mapped', 'D:(D;;GW;;;BU)(A;;GA;;;WD)', 'user', GENERIC_READ, STATUS_ACCESS_DENIED, 0],
    ['an allow before a deny has already granted (non-canonical order)', 'D:(A;;GA;;;WD)(D;;GA;;;BU)', 'user', Q, STATUS_SUCCESS, Q],
    ['a deny ACE for Users refuses an administrator too (a member of Users)', 'D:(D;;GA;;;BU)(A;;GA;;;BA)', 'admin', Q, STATUS_ACCESS_DENIED, 0],
    ['rights from two ACEs add up', 'D:(A;;0x1;;;BU)(A;;0x2;;;IU)', 'user', QT, STATUS_SUCCESS, QT],
    ['a right no ACE gives refuses the whole request', 'D:(A;;0x1;;;BU)', 'user', QT, STATUS_ACCESS_DENIED, 0],
    ['an inherit-only ACE does not apply to the object', 'D:(A;IO;GA;;;WD)', 'user', Q, STATUS_ACCESS_DENIED, 0],
    ['CREATOR OWNER on the object itself matches nobody', 'O:BUD:(A;;GA;;;CO)', 'user', Q, STATUS_ACCESS_DENIED, 0],
    ['the owner gets READ_CONTROL and WRITE_DAC whatever the DACL says', `O:${STANDARD_USER_SID}D:(D;;GA;;;WD)`, 'user', READ_CONTROL | WRITE_DAC, STATUS_SUCCESS, READ_CONTROL | WRITE_DAC],
    ['but nothing more', `O:${STANDARD_USER_SID}D:`, 'user', Q, STATUS_ACCESS_DENIED, 0],
    ['an elevated administrator owns through Administrators', 'O:BAD:', 'admin', READ_CONTROL, STATUS_SUCCESS, READ_CONTROL],
    ['MAXIMUM_ALLOWED: all the DACL allows', 'D:(A;;GR;;;BU)(A;;0x4;;;WD)', 'user', MAXIMUM_ALLOWED, STATUS_SUCCESS, mapping.GenericRead | 0x4],
    ['MAXIMUM_ALLOWED: minus what a deny ACE took first', 'D:(D;;0x1;;;WD)(A;;GA;;;WD)', 'user', MAXIMUM_ALLOWED, STATUS_SUCCESS, DIRECTORY_ALL_ACCESS & ~0x1],
    ['MAXIMUM_ALLOWED with nothing allowed', 'D:(A;;GA;;;BA)', 'user', MAXIMUM_ALLOWED, STATUS_ACCESS_DENIED, 0],
    ['MAXIMUM_ALLOWED with a right also asked for that is not allowed', 'D:(A;;GR;;;WD)', 'user', MAXIMUM_ALLOWED | 0x4, STATUS_ACCESS_DENIED, 0],
    ['MAXIMUM_ALLOWED of a NULL DACL is GenericAll', 'D:NO_ACCESS_CONTROL', 'user', MAXIMUM_ALLOWED, STATUS_SUCCESS, DIRECTORY_ALL_ACCESS],
    ['ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege', 'D:(A;;GA;;;WD)', 'user', ACCESS_SYSTEM_SECURITY, STATUS_PRIVILEGE_NOT_HELD, 0],
    ['held but disabled is not enough', 'D:(A;;GA;;;WD)', 'admin', ACCESS_SYSTEM_SECURITY, STATUS_PRIVILEGE_NOT_HELD, 0],
    ['the System process has it enabled', 'D:(A;;GA;;;WD)', 'system', ACCESS_SYSTEM_SECURITY, STATUS_SUCCESS, ACCESS_SYSTEM_SECURITY],
  ] as const)('%s', (_name, sddl, kind, desired, status, granted) => {
    const r = check(sddl, kind, desired);
    expect(r.status).toBe(status);
    expect(r.grantedAccess >>> 0).toBe(granted >>> 0);
  });
});

describe('the tokens', () => {
  it.each([
    ['system', SID_LOCAL_SYSTEM, SID_BUILTIN_ADMINISTRATORS, { [SE_CREATE_GLOBAL_PRIVILEGE]: true, [SE_CREATE_PERMANENT_PRIVILEGE]: true, [SE_LOAD_DRIVER_PRIVILEGE]: true }],
    ['admin', ADMIN_USER_SID, SID_BUILTIN_ADMINISTRATORS, { [SE_CREATE_GLOBAL_PRIVILEGE]: true, [SE_CREATE_PERMANENT_PRIVILEGE]: undefined, [SE_LOAD_DRIVER_PRIVILEGE]: false }],
    ['user', STANDARD_USER_SID, STANDARD_USER_SID, { [SE_CREATE_GLOBAL_PRIVILEGE]: undefined, [SE_CREATE_PERMANENT_PRIVILEGE]: undefined, [SE_LOAD_DRIVER_PRIVILEGE]: undefined }],
  ] as const)('%s: user, owner and privileges (true enabled, false held disabled, undefined not held)', (kind, user, owner, privileges) => {
    const t = token(kind);
    expect(t.User).toBe(user);
    expect(t.Owner).toBe(owner);
    for (const [luid, state] of Object.entries(privileges)) expect(t.privileges.get(Number(luid))).toBe(state);
  });
});

describe('SeAssignSecurity', () => {
  const assign = (kind: TokenKind, parent: string | undefined, explicit: string | undefined, isDirectory = false) =>
    SeSecurityDescriptorToSDDL(SepAssignSecurity(token(kind), parent === undefined ? undefined : SeSddlSecurityDescriptorFromSDDL(parent),
      explicit === undefined ? undefined : SeSddlSecurityDescriptorFromSDDL(explicit), isDirectory, mapping));

  it("gives a standard user's new object the token's default DACL, mapped, owned by the user", () => {
    expect(assign('user', 'D:(A;;GA;;;WD)', undefined)).toBe(`O:${STANDARD_USER_SID}G:${STANDARD_USER_SID}D:(A;;0xf000f;;;${STANDARD_USER_SID})(A;;0xf000f;;;SY)`);
  });

  it("gives an elevated administrator's object Administrators as owner and in the DACL", () => {
    expect(assign('admin', undefined, undefined)).toBe(`O:BAG:${ADMIN_USER_SID}D:(A;;0xf000f;;;BA)(A;;0xf000f;;;SY)`);
  });

  it('keeps the DACL the caller gives, and takes its owner', () => {
    expect(assign('user', undefined, 'O:SYD:(D;;GW;;;BU)(A;;GR;;;WD)')).toBe(`O:SYG:${STANDARD_USER_SID}D:(D;;GW;;;BU)(A;;GR;;;WD)`);
  });

  it('inherits the directory\'s inheritable ACEs, CREATOR OWNER made the creator', () => {
    const sd = assign('user', 'D:(A;OI;GA;;;CO)(A;CI;GR;;;WD)(A;;GA;;;SY)', undefined);
    expect(sd).toBe(`O:${STANDARD_USER_SID}G:${STANDARD_USER_SID}D:(A;ID;0xf000f;;;${STANDARD_USER_SID})`);
  });

  it('a subdirectory inherits container ACEs and passes them on as inherit-only', () => {
    const sd = SepAssignSecurity(token('user'), SeSddlSecurityDescriptorFromSDDL('D:(A;CI;GR;;;WD)'), undefined, true, mapping);
    expect(sd.Dacl?.map((a) => a.AceFlags)).toEqual([INHERITED_ACE, 0x02 | INHERIT_ONLY_ACE | INHERITED_ACE]);
  });
});
