/**
 * kernel32's naming of named objects (BaseGetNamedObjectDirectory and
 * BaseFormatObjectAttributes): a Win32 name (`X`, `Local\X`, `Global\X`)
 * becomes an OBJECT_ATTRIBUTES for NtCreateSection, NtOpenSection, ... .
 *
 * kernel32 names the object under its session's named-object directory,
 * which it finds from PEB.SessionId:
 *
 *   session 0 (every process on nt4; services on win10)   \BaseNamedObjects\<name>
 *   session N (the interactive user, N = 1, on win10)      \Sessions\N\BaseNamedObjects\<name>
 *
 * The `Global` and `Local` prefixes are symbolic links inside those
 * directories (ob/session.ts), so `Global\X` from session 1 resolves to
 * `\BaseNamedObjects\X` and `Local\X` to `\Sessions\1\BaseNamedObjects\X`.
 * On nt4 there are no such links: `Global\X` is STATUS_OBJECT_PATH_NOT_FOUND
 * (NT 4 allowed no backslash in a name).
 *
 * Windows passes RootDirectory = a handle to that directory, opened once
 * and kept for the life of the process; ntshm gives the full path instead
 * (RootDirectory 0), so that no handle a program never opened shows in its
 * handle count (docs/fidelity.md). Names compare as the object's type says:
 * kernel32 sets no OBJ_CASE_INSENSITIVE.
 * https://learn.microsoft.com/windows/win32/termserv/kernel-object-namespaces
 */
import { readPointer, type StructMemory } from '../include/struct-access.js';
import { PEB, TEB, type Arch } from '../include/structures.js';
import type { ObjectAttributesValue } from './native.js';

/** What the naming reads: the thread's TEB (and through it the PEB) in the program's memory. */
export interface NamedObjectContext {
  readonly arch: Arch;
  readonly mem: StructMemory;
  readonly teb: number;
}

/** NtCurrentPeb()->SessionId. */
export function BaseGetSessionId(ctx: NamedObjectContext): number {
  const peb = readPointer(ctx.mem, ctx.arch, ctx.teb + TEB[ctx.arch].ProcessEnvironmentBlock);
  return ctx.mem.getUint32(peb + PEB[ctx.arch].SessionId);
}

/** BaseGetNamedObjectDirectory, as a path: the session's BaseNamedObjects directory. */
export function BaseGetNamedObjectDirectory(ctx: NamedObjectContext): string {
  const session = BaseGetSessionId(ctx);
  return session === 0 ? '\\BaseNamedObjects' : `\\Sessions\\${session}\\BaseNamedObjects`;
}

/**
 * BaseFormatObjectAttributes: the OBJECT_ATTRIBUTES a kernel32 routine
 * passes for `lpName` (null: an unnamed object). `attributes` is what the
 * routine adds (CreateFileMappingW: OBJ_OPENIF, and OBJ_INHERIT when the
 * SECURITY_ATTRIBUTES say bInheritHandle); `securityDescriptor` is
 * SECURITY_ATTRIBUTES.lpSecurityDescriptor (0 for none).
 */
export function namedObjectAttributes(ctx: NamedObjectContext, lpName: string | null, attributes = 0, securityDescriptor = 0):
  ObjectAttributesValue {
  return {
    RootDirectory: 0,
    ObjectName: lpName === null ? null : `${BaseGetNamedObjectDirectory(ctx)}\\${lpName}`,
    Attributes: attributes,
    SecurityDescriptor: securityDescriptor,
  };
}
