/**
 * The named-object directories of a machine profile:
 *
 *   nt4     \BaseNamedObjects                     every process (no sessions, no Global\ or Local\)
 *   win10   \BaseNamedObjects                     session 0: the System process and services
 *             Global  -> \BaseNamedObjects
 *             Local   -> \BaseNamedObjects
 *             Session -> \Sessions\BNOLINKS
 *           \Sessions\1\BaseNamedObjects          session 1: the interactive user
 *             Global  -> \BaseNamedObjects
 *             Local   -> \Sessions\1\BaseNamedObjects
 *             Session -> \Sessions\BNOLINKS
 *           \Sessions\BNOLINKS\1 -> \Sessions\1\BaseNamedObjects
 *
 * kernel32 names an object relative to its session's directory
 * (api/named-objects.ts), so `X` and `Local\X` from session 1 land in
 * `\Sessions\1\BaseNamedObjects\X` and `Global\X` in `\BaseNamedObjects\X`.
 * https://learn.microsoft.com/windows/win32/termserv/kernel-object-namespaces
 *
 * The directories' DACLs are ntshm's reading of what Windows gives them
 * (docs/fidelity.md): SYSTEM and Administrators have every right, everyone
 * (a session's interactive user, in a session directory) may query,
 * traverse and create objects. No ACE is inheritable, so a new object gets
 * its creator's default DACL, as the CreateFileMapping page says.
 */
import {
  ACCESS_ALLOWED_ACE_TYPE, DIRECTORY_ALL_ACCESS, DIRECTORY_CREATE_OBJECT, DIRECTORY_CREATE_SUBDIRECTORY, DIRECTORY_QUERY, DIRECTORY_TRAVERSE,
  SE_DACL_PRESENT, SID_BUILTIN_ADMINISTRATORS, SID_INTERACTIVE, SID_LOCAL_SYSTEM, SID_WORLD, type Ace, type SecurityDescriptor, type Sid,
} from '../../include/security.js';
import { READ_CONTROL } from '../../include/wdm-constants.js';
import type { KernelOptions } from '../ke/options.js';
import type { ObjectManager } from './manager.js';
import { ObjectDirectory, SymbolicLinkObject } from './namespace.js';

/** Query, traverse, create objects and subdirectories, read the descriptor: what everyone may do in a named-object directory. */
const DIRECTORY_CREATE_ACCESS = READ_CONTROL | DIRECTORY_QUERY | DIRECTORY_TRAVERSE | DIRECTORY_CREATE_OBJECT | DIRECTORY_CREATE_SUBDIRECTORY;

const allow = (Sid: Sid, Mask: number): Ace => ({ AceType: ACCESS_ALLOWED_ACE_TYPE, AceFlags: 0, Mask, Sid });

/** A named-object directory's descriptor: owner SYSTEM; SY and BA all, `creators` may create. */
const namedObjectDirectorySecurity = (creators: Sid): SecurityDescriptor => ({
  Control: SE_DACL_PRESENT, Owner: SID_LOCAL_SYSTEM, Group: SID_LOCAL_SYSTEM,
  Dacl: [allow(SID_LOCAL_SYSTEM, DIRECTORY_ALL_ACCESS), allow(SID_BUILTIN_ADMINISTRATORS, DIRECTORY_ALL_ACCESS), allow(creators, DIRECTORY_CREATE_ACCESS)],
});

/** The path of a session's named objects: `\BaseNamedObjects` for session 0 (and every process on nt4), `\Sessions\N\BaseNamedObjects` otherwise. */
export const ObpSessionNamedObjectDirectory = (sessionId: number): string =>
  sessionId === 0 ? '\\BaseNamedObjects' : `\\Sessions\\${sessionId}\\BaseNamedObjects`;

/** Creates a permanent directory at `path` (its parent must exist) unless one is there; returns it. */
function ObpEnsureDirectory(ob: ObjectManager, path: string, security?: SecurityDescriptor): ObjectDirectory {
  const found = ob.lookup(path);
  if (typeof found !== 'number' && found.remaining === '' && found.object instanceof ObjectDirectory) return found.object;
  const dir = ob.ObCreateObject(new ObjectDirectory());
  dir.header.SecurityDescriptor = security;
  ob.insertName(path, dir, 0, true);
  return dir;
}

function ObpLink(ob: ObjectManager, path: string, target: string): void {
  ob.insertName(path, ob.ObCreateObject(new SymbolicLinkObject(target)), 0, true);
}

/** The Global, Local and Session links of a BaseNamedObjects directory. */
function ObpLinkNamedObjectDirectory(ob: ObjectManager, path: string): void {
  ObpLink(ob, `${path}\\Global`, '\\BaseNamedObjects');
  ObpLink(ob, `${path}\\Local`, path);
  ObpLink(ob, `${path}\\Session`, '\\Sessions\\BNOLINKS');
}

/**
 * The named-object directories of the boot profile (the object manager's
 * constructor has made `\BaseNamedObjects` already).
 */
export function ObpInitializeNamedObjectDirectories(ob: ObjectManager, profile: KernelOptions['profile']): void {
  const global = ObpEnsureDirectory(ob, '\\BaseNamedObjects');
  global.header.SecurityDescriptor = namedObjectDirectorySecurity(SID_WORLD);
  if (profile === 'nt4') return;
  global.SessionId = 0;
  ObpLinkNamedObjectDirectory(ob, '\\BaseNamedObjects');
  ObpEnsureDirectory(ob, '\\Sessions');
  ObpEnsureDirectory(ob, '\\Sessions\\BNOLINKS');
  ObCreateSessionNamespace(ob, profile, 1);
}

/**
 * A session's named-object directory, made when the session starts (csrss
 * does this on Windows): `\Sessions\N\BaseNamedObjects`, its links, and
 * `\Sessions\BNOLINKS\N`. Session 0's is `\BaseNamedObjects`. Nothing on an nt4 machine.
 */
export function ObCreateSessionNamespace(ob: ObjectManager, profile: KernelOptions['profile'], sessionId: number): void {
  if (profile === 'nt4' || sessionId === 0) return;
  const path = ObpSessionNamedObjectDirectory(sessionId);
  if (typeof ob.lookup(path) !== 'number') return;
  ObpEnsureDirectory(ob, `\\Sessions\\${sessionId}`);
  const dir = ObpEnsureDirectory(ob, path, namedObjectDirectorySecurity(SID_INTERACTIVE));
  dir.SessionId = sessionId;
  ObpLinkNamedObjectDirectory(ob, path);
  ObpLink(ob, `\\Sessions\\BNOLINKS\\${sessionId}`, path);
}
