/**
 * SDDL read and written (kernel/se/sddl.ts), and the self-relative binary
 * form (kernel/se/security-descriptor.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, CONTAINER_INHERIT_ACE, OBJECT_INHERIT_ACE, SE_DACL_AUTO_INHERITED, SE_DACL_PRESENT,
  SE_DACL_PROTECTED, SID_BUILTIN_ADMINISTRATORS, SID_BUILTIN_USERS, SID_CREATOR_OWNER, SID_INTERACTIVE, SID_LOCAL_SYSTEM, SID_WORLD,
} from '../../src/include/security.js';
import { SeSddlSecurityDescriptorFromSDDL, SeSecurityDescriptorToSDDL } from '../../src/kernel/se/sddl.js';
import { SepMakeSelfRelative, SepParseAcl } from '../../src/kernel/se/security-descriptor.js';
import { RtlLengthSid, SepReadSid } from '../../src/kernel/se/sid.js';

describe('SDDL strings read and written back unchanged', () => {
  it.each([
    ['the SDDL_DEVOBJ_SYS_ALL_ADM_ALL of wdmsec.h', 'D:P(A;;GA;;;SY)(A;;GA;;;BA)'],
    ['SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R_RES_R', 'D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GR;;;WD)(A;;GR;;;RC)'],
    ['owner, group, deny before allow', 'O:BAG:SYD:(D;;GW;;;BU)(A;;GA;;;SY)(A;;GRGX;;;IU)'],
    ['inheritable CREATOR OWNER ACE, auto-inherited DACL', 'D:PAI(A;OICI;GA;;;CO)(A;;RCSDWDWO;;;BA)'],
    ['specific rights in hex', 'D:(A;;0xf000f;;;SY)(A;;0x2000f;;;WD)'],
    ['a whole-mask letter (FA) and a SID that has no alias', 'O:S-1-5-21-1-2-3-1001D:(A;;FA;;;S-1-5-21-1-2-3-1001)'],
    ['an empty DACL', 'D:'],
    ['a NULL DACL', 'D:NO_ACCESS_CONTROL'],
    ['an owner and no DACL at all', 'O:SY'],
  ])('%s: %s', (_name, sddl) => {
    const sd = SeSddlSecurityDescriptorFromSDDL(sddl);
    expect(sd).toBeDefined();
    expect(SeSecurityDescriptorToSDDL(sd!)).toBe(sddl);
  });
});

describe('SDDL read into a descriptor', () => {
  it('aliases become SIDs, ACE letters become types, flags and masks, DACL flags become control bits', () => {
    const sd = SeSddlSecurityDescriptorFromSDDL('O:BAG:SYD:PAI(D;OICI;GW;;;BU)(A;;GA;;;SY)(A;;0x1200a9;;;WD)(A;IO;GR;;;CO)(A;;CCLC;;;IU)')!;
    expect(sd.Owner).toBe(SID_BUILTIN_ADMINISTRATORS);
    expect(sd.Group).toBe(SID_LOCAL_SYSTEM);
    expect(sd.Control).toBe(SE_DACL_PRESENT | SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED);
    expect(sd.Dacl).toEqual([
      { AceType: ACCESS_DENIED_ACE_TYPE, AceFlags: OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE, Mask: 0x4000_0000, Sid: SID_BUILTIN_USERS },
      { AceType: ACCESS_ALLOWED_ACE_TYPE, AceFlags: 0, Mask: 0x1000_0000, Sid: SID_LOCAL_SYSTEM },
      { AceType: ACCESS_ALLOWED_ACE_TYPE, AceFlags: 0, Mask: 0x1200a9, Sid: SID_WORLD },
      { AceType: ACCESS_ALLOWED_ACE_TYPE, AceFlags: 0x08, Mask: 0x8000_0000, Sid: SID_CREATOR_OWNER },
      { AceType: ACCESS_ALLOWED_ACE_TYPE, AceFlags: 0, Mask: 0x5, Sid: SID_INTERACTIVE },
    ]);
  });

  it('a mask of generic and standard bits is written as letters, anything else in hex', () => {
    const sd = SeSddlSecurityDescriptorFromSDDL('D:(A;;0x80020000;;;WD)(A;;CCDC;;;WD)')!;
    expect(SeSecurityDescriptorToSDDL(sd)).toBe('D:(A;;GRRC;;;WD)(A;;0x3;;;WD)');
  });

  it.each([
    ['an unknown ACE type', 'D:(X;;GA;;;SY)'],
    ['an unknown rights letter', 'D:(A;;ZZ;;;SY)'],
    ['an unknown SID alias', 'D:(A;;GA;;;QQ)'],
    ['a malformed SID', 'O:S-1-x'],
    ['too few ACE fields', 'D:(A;;GA;;SY)'],
    ['an object GUID (object ACEs are not modelled)', 'D:(A;;GA;00000000-0000-0000-0000-000000000000;;SY)'],
    ['an unclosed ACE', 'D:(A;;GA;;;SY'],
    ['a SACL (not modelled)', 'S:(AU;SA;GA;;;WD)'],
    ['the owner twice', 'O:SYO:BA'],
    ['text before the first component', 'xO:SY'],
    ['an unknown DACL flag', 'D:Q(A;;GA;;;SY)'],
  ])('refuses %s', (_name, sddl) => {
    expect(SeSddlSecurityDescriptorFromSDDL(sddl)).toBeUndefined();
  });
});

describe('the self-relative form', () => {
  it('lays out header, owner, group and DACL as SECURITY_DESCRIPTOR_RELATIVE does', () => {
    const sd = SeSddlSecurityDescriptorFromSDDL('O:BAG:SYD:(D;;GW;;;BU)(A;;GA;;;SY)')!;
    const bytes = SepMakeSelfRelative(sd);
    const view = new DataView(bytes.buffer);
    expect(view.getUint8(0)).toBe(1); // SECURITY_DESCRIPTOR_REVISION
    expect(view.getUint16(2, true)).toBe(0x8000 | SE_DACL_PRESENT); // SE_SELF_RELATIVE
    const [owner, group, sacl, dacl] = [4, 8, 12, 16].map((o) => view.getUint32(o, true)) as [number, number, number, number];
    expect([owner, sacl]).toEqual([20, 0]);
    expect(SepReadSid(bytes, owner)).toBe(SID_BUILTIN_ADMINISTRATORS);
    expect(group).toBe(20 + RtlLengthSid(SID_BUILTIN_ADMINISTRATORS));
    expect(SepReadSid(bytes, group)).toBe(SID_LOCAL_SYSTEM);
    expect(view.getUint8(dacl)).toBe(2); // ACL_REVISION
    expect(view.getUint16(dacl + 2, true)).toBe(bytes.length - dacl); // AclSize
    expect(SepParseAcl(bytes.subarray(dacl))).toEqual(sd.Dacl);
  });

  it('a SID is 8 bytes and four per sub-authority, its authority big-endian', () => {
    const sd = SeSddlSecurityDescriptorFromSDDL('O:SY')!;
    const bytes = SepMakeSelfRelative(sd);
    expect([...bytes.subarray(20, 32)]).toEqual([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
  });
});
