/**
 * SDDL, the Security Descriptor Definition Language: a descriptor written
 * as text and read back (ConvertStringSecurityDescriptorToSecurityDescriptor
 * and its inverse; IoCreateDeviceSecure's DefaultSDDLString).
 *
 *   O:BA G:SY D:P(A;;GA;;;SY)(D;;GW;;;BU)(A;OICI;0x1200a9;;;WD)
 *   owner group DACL: flags (P protected, AI auto-inherited, AR auto-inherit
 *                     requested), then ACEs (type;flags;rights;;;sid)
 *
 * What ntshm reads: owner, group and DACL (no SACL: `S:` is refused);
 * ACE types A and D; ACE flags OI CI NP IO ID; rights as a hex number or as
 * letters — generic (GA GR GW GX), standard (RC SD WD WO), file (FA FR FW
 * FX), registry (KA KR KW KX) and directory-service (CC DC LC SW RP WP DT LO
 * CR); SIDs as S-1-... or the aliases of sid.ts. What it writes: the same
 * parts in the order O G D; rights as FA/FR/FW/FX/KA/KR/KW when the mask is
 * exactly one of them, as generic and standard letters when it has no other
 * bit, and in hex otherwise (docs/fidelity.md).
 * https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format
 * https://learn.microsoft.com/windows/win32/secauthz/ace-strings
 */
import {
  ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, CONTAINER_INHERIT_ACE, INHERIT_ONLY_ACE, INHERITED_ACE, NO_PROPAGATE_INHERIT_ACE,
  OBJECT_INHERIT_ACE, SE_DACL_AUTO_INHERIT_REQ, SE_DACL_AUTO_INHERITED, SE_DACL_PRESENT, SE_DACL_PROTECTED, type Ace, type SecurityDescriptor, type Sid,
} from '../../include/security.js';
import { RtlValidSidString, SDDL_SID_ALIASES } from './sid.js';

/** Rights letters that stand for exactly one mask (printed when a mask equals one). */
const WHOLE_RIGHTS: readonly (readonly [string, number])[] = [
  ['FA', 0x001f_01ff], ['FR', 0x0012_0089], ['FW', 0x0012_0116], ['FX', 0x0012_00a0],
  ['KA', 0x000f_003f], ['KR', 0x0002_0019], ['KW', 0x0002_0006], ['KX', 0x0002_0019],
];
/** Rights letters that stand for one bit, in the order they are printed (generic, then standard). */
const BIT_RIGHTS: readonly (readonly [string, number])[] = [
  ['GA', 0x1000_0000], ['GR', 0x8000_0000], ['GW', 0x4000_0000], ['GX', 0x2000_0000],
  ['RC', 0x0002_0000], ['SD', 0x0001_0000], ['WD', 0x0004_0000], ['WO', 0x0008_0000],
];
/** Directory-service rights letters (read only). */
const DS_RIGHTS: readonly (readonly [string, number])[] = [
  ['CC', 0x1], ['DC', 0x2], ['LC', 0x4], ['SW', 0x8], ['RP', 0x10], ['WP', 0x20], ['DT', 0x40], ['LO', 0x80], ['CR', 0x100],
];
const RIGHTS = new Map<string, number>([...WHOLE_RIGHTS, ...BIT_RIGHTS, ...DS_RIGHTS]);

const ACE_FLAGS: readonly (readonly [string, number])[] = [
  ['OI', OBJECT_INHERIT_ACE], ['CI', CONTAINER_INHERIT_ACE], ['NP', NO_PROPAGATE_INHERIT_ACE], ['IO', INHERIT_ONLY_ACE], ['ID', INHERITED_ACE],
];
const DACL_FLAGS: readonly (readonly [string, number])[] = [['P', SE_DACL_PROTECTED], ['AR', SE_DACL_AUTO_INHERIT_REQ], ['AI', SE_DACL_AUTO_INHERITED]];

/** A SID as SDDL writes it: an alias, or S-1-... */
function parseSid(text: string): Sid | undefined {
  const alias = SDDL_SID_ALIASES[text];
  if (alias !== undefined) return alias;
  return RtlValidSidString(text) ? text.toUpperCase() : undefined;
}

/** Two-letter codes run together (`OICI`, `GRGW`), each looked up in `table`; undefined on an unknown one. */
function parseLetters(text: string, table: ReadonlyMap<string, number>): number | undefined {
  if (text.length % 2 !== 0) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i += 2) {
    const bits = table.get(text.slice(i, i + 2));
    if (bits === undefined) return undefined;
    value |= bits;
  }
  return value >>> 0;
}

function parseRights(text: string): number | undefined {
  if (/^0x[0-9a-f]{1,8}$/i.test(text)) return Number.parseInt(text.slice(2), 16) >>> 0;
  return text === '' ? undefined : parseLetters(text, RIGHTS);
}

function parseAce(text: string): Ace | undefined {
  const fields = text.split(';');
  if (fields.length !== 6) return undefined;
  const [type, flags, rights, objectGuid, inheritGuid, sidText] = fields as [string, string, string, string, string, string];
  const AceType = type === 'A' ? ACCESS_ALLOWED_ACE_TYPE : type === 'D' ? ACCESS_DENIED_ACE_TYPE : undefined;
  const AceFlags = parseLetters(flags, new Map(ACE_FLAGS));
  const Mask = parseRights(rights);
  const Sid = parseSid(sidText);
  if (AceType === undefined || AceFlags === undefined || Mask === undefined || Sid === undefined || objectGuid !== '' || inheritGuid !== '') return undefined;
  return { AceType, AceFlags, Mask, Sid };
}

/** The DACL part after `D:`: flags, then ACEs in parentheses; or NO_ACCESS_CONTROL (a NULL DACL). */
function parseDacl(text: string): { control: number; dacl: Ace[] | null } | undefined {
  const open = text.indexOf('(');
  const flagText = open < 0 ? text : text.slice(0, open);
  let control = SE_DACL_PRESENT;
  let rest = flagText;
  if (rest.includes('NO_ACCESS_CONTROL')) {
    rest = rest.replace('NO_ACCESS_CONTROL', '');
    if (open >= 0) return undefined;
    return rest === '' ? { control, dacl: null } : undefined;
  }
  while (rest !== '') {
    const flag = DACL_FLAGS.find(([letters]) => rest.startsWith(letters));
    if (!flag) return undefined;
    control |= flag[1];
    rest = rest.slice(flag[0].length);
  }
  const dacl: Ace[] = [];
  let aces = open < 0 ? '' : text.slice(open);
  while (aces !== '') {
    const close = aces.indexOf(')');
    if (!aces.startsWith('(') || close < 0) return undefined;
    const ace = parseAce(aces.slice(1, close));
    if (!ace) return undefined;
    dacl.push(ace);
    aces = aces.slice(close + 1);
  }
  return { control, dacl };
}

/**
 * Reads an SDDL string into a descriptor (what IoCreateDeviceSecure's
 * SeSddlSecurityDescriptorFromSDDL and ConvertStringSecurityDescriptorTo-
 * SecurityDescriptorW do); undefined when it is not SDDL ntshm reads.
 */
export function SeSddlSecurityDescriptorFromSDDL(sddl: string): SecurityDescriptor | undefined {
  // Components start at O:, G:, D: or S: (a SID never holds a colon); each at most once.
  const parts = sddl.split(/([OGDS]):/);
  if (parts[0] !== '') return undefined;
  let Owner: Sid | undefined;
  let Group: Sid | undefined;
  let dacl: { control: number; dacl: Ace[] | null } | undefined;
  const seen = new Set<string>();
  for (let i = 1; i < parts.length; i += 2) {
    const key = parts[i]!;
    const value = parts[i + 1]!;
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (key === 'O') Owner = parseSid(value);
    else if (key === 'G') Group = parseSid(value);
    else if (key === 'D') dacl = parseDacl(value);
    else return undefined; // S: a SACL is not modelled
    if ((key === 'O' && !Owner) || (key === 'G' && !Group) || (key === 'D' && !dacl)) return undefined;
  }
  return {
    Control: dacl?.control ?? 0,
    ...(Owner !== undefined ? { Owner } : {}),
    ...(Group !== undefined ? { Group } : {}),
    Dacl: dacl?.dacl ?? null,
  };
}

const ALIAS_OF = new Map(Object.entries(SDDL_SID_ALIASES).map(([alias, sid]) => [sid, alias]));
const sidText = (sid: Sid): string => ALIAS_OF.get(sid) ?? sid;

function rightsText(mask: number): string {
  const whole = WHOLE_RIGHTS.find(([, value]) => value === mask);
  if (whole) return whole[0];
  const letters = BIT_RIGHTS.filter(([, bit]) => (mask & bit) !== 0);
  const covered = letters.reduce((m, [, bit]) => m | bit, 0) >>> 0;
  if (mask !== 0 && covered === mask >>> 0) return letters.map(([l]) => l).join('');
  return `0x${(mask >>> 0).toString(16)}`;
}

const aceText = (ace: Ace): string =>
  `(${ace.AceType === ACCESS_DENIED_ACE_TYPE ? 'D' : 'A'};${ACE_FLAGS.filter(([, f]) => (ace.AceFlags & f) !== 0).map(([l]) => l).join('')};` +
  `${rightsText(ace.Mask)};;;${sidText(ace.Sid)})`;

/** Writes a descriptor as SDDL (ConvertSecurityDescriptorToStringSecurityDescriptorW with owner, group and DACL). */
export function SeSecurityDescriptorToSDDL(sd: SecurityDescriptor): string {
  let s = '';
  if (sd.Owner !== undefined) s += `O:${sidText(sd.Owner)}`;
  if (sd.Group !== undefined) s += `G:${sidText(sd.Group)}`;
  if ((sd.Control & SE_DACL_PRESENT) !== 0) {
    const flags = DACL_FLAGS.filter(([, f]) => (sd.Control & f) !== 0).map(([l]) => l).join('');
    s += sd.Dacl === null ? `D:${flags}NO_ACCESS_CONTROL` : `D:${flags}${sd.Dacl.map(aceText).join('')}`;
  }
  return s;
}
