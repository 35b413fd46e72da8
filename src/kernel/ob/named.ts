/**
 * Creating and opening named objects on a caller's behalf: ObInsertObject
 * (name the new object, or with OBJ_OPENIF open the one already there, and
 * make a handle) and ObOpenObjectByName (find a name, check its type, make a
 * handle). Every Nt*Create / Nt*Open service of a named type (sections,
 * directories, symbolic links) goes through these two, and so every access
 * check of a create or an open is made here:
 *
 *   the access check mode is the caller's previous mode, or UserMode when
 *     OBJ_FORCE_ACCESS_CHECK is set (ObpLookupObjectName's AccessCheckMode):
 *     a KernelMode caller without it is never checked;
 *   creating a name needs DIRECTORY_CREATE_OBJECT (DIRECTORY_CREATE_SUBDIRECTORY
 *     for a directory) on its directory (ObCheckCreateObjectAccess), and a
 *     section or symbolic link created in another session's directory needs
 *     SeCreateGlobalPrivilege (STATUS_ACCESS_DENIED otherwise);
 *   OBJ_PERMANENT needs SeCreatePermanentPrivilege in the previous mode
 *     (STATUS_PRIVILEGE_NOT_HELD);
 *   opening an existing object (ObOpenObjectByName, or a create with
 *     OBJ_OPENIF that finds one) is SeAccessCheck against its descriptor;
 *   the creator of a new object gets the access it asked for, unchecked.
 *
 * The handle keeps the access granted; ObReferenceObjectByHandle holds every
 * UserMode use of it to that access.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-obopenobjectbyname
 * WRK base/ntos/ob/obdir.c (ObpLookupObjectName), obcreate.c, obinsert.c.
 */
import {
  STATUS_ACCESS_DENIED, STATUS_INVALID_HANDLE, STATUS_OBJECT_NAME_COLLISION, STATUS_OBJECT_NAME_EXISTS, STATUS_OBJECT_NAME_INVALID,
  STATUS_OBJECT_PATH_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS, ntStatusName, ntStatusText,
} from '../../include/ntstatus.js';
import {
  DIRECTORY_CREATE_OBJECT, DIRECTORY_CREATE_SUBDIRECTORY, OBJ_INVALID_SESSION_ID, SE_CREATE_GLOBAL_PRIVILEGE, SE_CREATE_PERMANENT_PRIVILEGE,
  type GenericMapping, type SecurityDescriptor,
} from '../../include/security.js';
import {
  GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, KernelMode, MAXIMUM_ALLOWED, OBJ_CASE_INSENSITIVE, OBJ_EXCLUSIVE, OBJ_FORCE_ACCESS_CHECK, OBJ_KERNEL_HANDLE,
  OBJ_OPENIF, OBJ_PERMANENT, UserMode,
} from '../../include/wdm-constants.js';
import { NtException } from '../../include/errors.js';
import type { CapturedObjectAttributes } from '../ex/capture.js';
import type { ObContext } from './context.js';
import { DirectoryType, ObjectDirectory, parentOf, SymbolicLinkType } from './namespace.js';
import type { KernelObject, ObjectType } from './object.js';

export type { GenericMapping } from '../../include/security.js';

/**
 * RtlMapGenericMask: the generic bits of `access` replaced by the type's
 * specific rights.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-rtlmapgenericmask
 */
export function RtlMapGenericMask(access: number, mapping: GenericMapping): number {
  let specific = access & 0x0fff_ffff;
  if (access & GENERIC_READ) specific |= mapping.GenericRead;
  if (access & GENERIC_WRITE) specific |= mapping.GenericWrite;
  if (access & GENERIC_EXECUTE) specific |= mapping.GenericExecute;
  if (access & GENERIC_ALL) specific |= mapping.GenericAll;
  return specific >>> 0;
}

/** A type's generic mapping, or one that maps the generic bits to nothing. */
const NO_MAPPING: GenericMapping = { GenericRead: 0, GenericWrite: 0, GenericExecute: 0, GenericAll: 0 };
const mappingOf = (type: ObjectType): GenericMapping => type.GenericMapping ?? NO_MAPPING;

/** The full name of a named object (`\BaseNamedObjects\X`), walking its directories up to the root. */
export function ObQueryNameString(body: KernelObject): string {
  const parts: string[] = [];
  for (let o: KernelObject | undefined = body; o?.header.name !== undefined; o = o.header.directory) parts.unshift(o.header.name);
  return `\\${parts.join('\\')}`;
}

/** What a create or open made: the status, the handle (0 on failure), the object it refers to and the access the handle grants. */
export interface ObHandleResult {
  status: number;
  handle: number;
  object?: KernelObject;
  grantedAccess: number;
}

const failed = (status: number): ObHandleResult => ({ status, handle: 0, grantedAccess: 0 });

/**
 * The absolute path an OBJECT_ATTRIBUTES names: its ObjectName, relative to
 * RootDirectory when one is given (a Directory handle, referenced with the
 * caller's mode), or a status.
 */
export function ObpResolveName(k: ObContext, oa: CapturedObjectAttributes, previousMode: number): string | number {
  if (oa.ObjectName === null) return STATUS_OBJECT_NAME_INVALID;
  if (oa.RootDirectory === 0) return oa.ObjectName;
  if (oa.ObjectName.startsWith('\\')) return STATUS_OBJECT_NAME_INVALID;
  const ref = k.ob.ObReferenceObjectByHandle(oa.RootDirectory, 0, DirectoryType, previousMode, k.currentProcess);
  if (!ref.object) return ref.status === STATUS_INVALID_HANDLE ? STATUS_INVALID_HANDLE : ref.status;
  const base = ObQueryNameString(ref.object);
  k.ob.ObDereferenceObject(ref.object);
  if (!(ref.object instanceof ObjectDirectory)) return STATUS_OBJECT_TYPE_MISMATCH;
  if (oa.ObjectName === '') return base;
  return base === '\\' ? `\\${oa.ObjectName}` : `${base}\\${oa.ObjectName}`;
}

/** A handle's attributes: OBJ_KERNEL_HANDLE only for a kernel-mode caller (user mode cannot ask for a kernel handle). */
const handleAttributes = (oa: CapturedObjectAttributes | null, previousMode: number): number =>
  oa === null ? 0 : previousMode === KernelMode ? oa.Attributes : oa.Attributes & ~OBJ_KERNEL_HANDLE;

/** The mode access is checked in: UserMode for OBJ_FORCE_ACCESS_CHECK, the caller's mode otherwise. */
export const ObpAccessCheckMode = (oa: CapturedObjectAttributes | null, previousMode: number): number =>
  oa !== null && (oa.Attributes & OBJ_FORCE_ACCESS_CHECK) !== 0 ? UserMode : previousMode;

/**
 * Whether a lookup ignores case: OBJ_CASE_INSENSITIVE, or (ObpCaseInsensitive
 * being 1, its default) any type that is case-insensitive, or no type given.
 * WRK/ReactOS ObpLookupObjectName; docs/fidelity.md.
 */
export const ObpCaseInsensitive = (oa: CapturedObjectAttributes, type: ObjectType | null): boolean =>
  (oa.Attributes & OBJ_CASE_INSENSITIVE) !== 0 || type === null || type.caseInsensitive === true;

/** What an unchecked caller gets: the rights asked for, generic ones mapped; MAXIMUM_ALLOWED is all the type has. */
function ObpUncheckedAccess(desiredAccess: number, mapping: GenericMapping): number {
  const wanted = (desiredAccess & MAXIMUM_ALLOWED) !== 0 ? (desiredAccess & ~MAXIMUM_ALLOWED) | GENERIC_ALL : desiredAccess;
  return RtlMapGenericMask(wanted >>> 0, mapping);
}

/**
 * OBJ_EXCLUSIVE (ObpIncrementHandleCount): a handle opened with it needs the
 * object to have no handle yet or to be the same process's exclusive
 * object; an object opened exclusively takes no other handle at all.
 */
function ObpCheckExclusive(object: KernelObject, attributes: number, process: KernelObject): boolean {
  const owner = object.header.exclusiveProcess;
  if ((attributes & OBJ_EXCLUSIVE) !== 0) return owner === undefined ? object.header.HandleCount === 0 : owner === process;
  return owner === undefined;
}

/** Opens a handle to an object found by name: exclusivity, then the access check in `checkMode`. */
function ObpOpenExisting(k: ObContext, object: KernelObject, desiredAccess: number, checkMode: number, attributes: number,
  success: number): ObHandleResult {
  if (!ObpCheckExclusive(object, attributes, k.currentProcess)) return failed(STATUS_ACCESS_DENIED);
  if (object.header.kernelOnly && checkMode === UserMode) return failed(STATUS_ACCESS_DENIED);
  const mapping = mappingOf(object.header.type);
  let grantedAccess: number;
  if (checkMode === UserMode) {
    const check = k.ob.security.SeAccessCheck(object, desiredAccess, mapping);
    if (check.status !== STATUS_SUCCESS) return failed(check.status);
    grantedAccess = check.grantedAccess;
  } else {
    grantedAccess = ObpUncheckedAccess(desiredAccess, mapping);
    ObpCheckBypassedAccess(k, object, desiredAccess, mapping);
  }
  if ((attributes & OBJ_EXCLUSIVE) !== 0) object.header.exclusiveProcess = k.currentProcess;
  const handle = k.ob.createHandle(k.currentProcess, object, grantedAccess, attributes);
  return { status: success, handle, object, grantedAccess };
}

/**
 * Misuse `no-force-access-check` (reference/misuse.md): a driver running in
 * a program's context opens a name with KernelMode and without
 * OBJ_FORCE_ACCESS_CHECK, so no access check is made, and the object is one
 * the program's token may not open: the driver has opened it on the
 * program's behalf. Not an error on Windows; the finding
 * `access-check-bypassed`. The check is the one OBJ_FORCE_ACCESS_CHECK would
 * have made, for the token of the process the driver runs in.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wudfwdm/nf-wudfwdm-initializeobjectattributes
 */
function ObpCheckBypassedAccess(k: ObContext, object: KernelObject, desiredAccess: number, mapping: GenericMapping | undefined): void {
  const frame = k.attribution.top();
  if (!frame || k.currentProcess === k.systemProcess || object.header.kernelOnly) return;
  const would = k.ob.security.SeAccessCheck(object, desiredAccess, mapping);
  if (would.status === STATUS_SUCCESS) return;
  const name = ObQueryNameString(object);
  k.report({
    kind: 'access-check-bypassed',
    driver: frame.driver,
    routine: frame.routine,
    message: `access-check-bypassed: ${frame.driver}!${frame.routine} opened ${name} in the context of ${k.currentProcess.ImageFileName} without OBJ_FORCE_ACCESS_CHECK; that process's token may not open it (${ntStatusText(would.status)}), and no access check was made`,
    details: { name, process: k.currentProcess.ImageFileName, desiredAccess, status: would.status, statusName: ntStatusName(would.status) },
  });
}

/** The caller's SECURITY_DESCRIPTOR (OBJECT_ATTRIBUTES.SecurityDescriptor), captured, or a status. */
function ObpCaptureSecurity(k: ObContext, oa: CapturedObjectAttributes | null, previousMode: number): SecurityDescriptor | undefined | number {
  if (oa === null || oa.SecurityDescriptor === 0) return undefined;
  try {
    return k.ob.security.SeCaptureSecurityDescriptor(oa.SecurityDescriptor, previousMode);
  } catch (e) {
    if (e instanceof NtException) return e.status;
    throw e;
  }
}

/**
 * ObInsertObject: `body` (just created, holding its creator's one reference)
 * is named as `oa` says, if it names anything, and a handle is made to it
 * granting `desiredAccess` (generic rights mapped with the type's mapping).
 * An existing name: with OBJ_OPENIF and the same type, the handle is to the
 * existing object, access-checked (STATUS_OBJECT_NAME_EXISTS) and `body`
 * goes; otherwise STATUS_OBJECT_NAME_COLLISION (STATUS_OBJECT_TYPE_MISMATCH
 * for OBJ_OPENIF on another type), and `body` goes. The creator's reference
 * always passes to the handle or is dropped.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/object-names
 */
export function ObInsertObject(k: ObContext, body: KernelObject, oa: CapturedObjectAttributes | null, desiredAccess: number,
  previousMode: number): ObHandleResult {
  const fail = (status: number): ObHandleResult => {
    k.ob.ObDereferenceObject(body);
    return failed(status);
  };
  const attributes = handleAttributes(oa, previousMode);
  const checkMode = ObpAccessCheckMode(oa, previousMode);
  const type = body.header.type;
  const mapping = mappingOf(type);
  const isDirectory = type === DirectoryType;
  // ObCreateObject's check: a permanent object needs SeCreatePermanentPrivilege in the previous mode.
  if (oa !== null && (oa.Attributes & OBJ_PERMANENT) !== 0 && !k.ob.security.SeSinglePrivilegeCheck(SE_CREATE_PERMANENT_PRIVILEGE, previousMode)) {
    return fail(STATUS_PRIVILEGE_NOT_HELD);
  }
  const explicit = ObpCaptureSecurity(k, oa, previousMode);
  if (typeof explicit === 'number') return fail(explicit);
  let parent: ObjectDirectory | undefined;
  let path: string | undefined;
  if (oa !== null && oa.ObjectName !== null) {
    const resolved = ObpResolveName(k, oa, previousMode);
    if (typeof resolved === 'number') return fail(resolved);
    path = resolved;
    const where = parentOf(k.ob.root, path, ObpCaseInsensitive(oa, type));
    if (where === 'invalid') return fail(STATUS_OBJECT_NAME_INVALID);
    if (where === 'path') return fail(STATUS_OBJECT_PATH_NOT_FOUND);
    // A name that differs only in case from one there is a collision even where names compare with case (docs/fidelity.md).
    const existing = where.directory.entries.get(where.leaf.toUpperCase());
    if (existing) {
      if ((oa.Attributes & OBJ_OPENIF) === 0) return fail(STATUS_OBJECT_NAME_COLLISION);
      if (existing.header.type !== type) return fail(STATUS_OBJECT_TYPE_MISMATCH);
      k.ob.ObDereferenceObject(body);
      if (previousMode === KernelMode && existing.header.creator?.mode === UserMode) ObpReportSquatted(k, path, existing.header.creator.process);
      return ObpOpenExisting(k, existing, desiredAccess, checkMode, attributes, STATUS_OBJECT_NAME_EXISTS);
    }
    parent = where.directory;
    if (checkMode === UserMode) {
      const create = k.ob.security.SeAccessCheck(parent, isDirectory ? DIRECTORY_CREATE_SUBDIRECTORY : DIRECTORY_CREATE_OBJECT, DirectoryType.GenericMapping);
      if (create.status !== STATUS_SUCCESS) return fail(create.status);
    }
    // A section or symbolic link in another session's directory needs SeCreateGlobalPrivilege (WRK ObpLookupObjectName).
    if (type.sessionRestricted === true && parent.SessionId !== OBJ_INVALID_SESSION_ID && parent.SessionId !== k.currentProcess.SessionId
      && !k.ob.security.SeSinglePrivilegeCheck(SE_CREATE_GLOBAL_PRIVILEGE, checkMode)) {
      return fail(STATUS_ACCESS_DENIED);
    }
  }
  body.header.SecurityDescriptor = k.ob.security.SeAssignSecurity(parent, explicit, isDirectory, mapping);
  if (path !== undefined) {
    const named = k.ob.insertName(path, body, (oa?.Attributes ?? 0) & OBJ_PERMANENT);
    if (named.status !== STATUS_SUCCESS) return fail(named.status);
  }
  const grantedAccess = ObpUncheckedAccess(desiredAccess, mapping);
  body.header.creator = { process: k.currentProcess.ImageFileName, mode: previousMode };
  if ((attributes & OBJ_EXCLUSIVE) !== 0) body.header.exclusiveProcess = k.currentProcess;
  const handle = k.ob.createHandle(k.currentProcess, body, grantedAccess, attributes);
  k.ob.ObDereferenceObject(body); // the handle holds it now
  return { status: STATUS_SUCCESS, handle, object: body, grantedAccess };
}

/**
 * Boundary case 15: kernel-mode code meant to create a name, and with
 * OBJ_OPENIF opened an object a user-mode program had made there first; it
 * now trusts an object the program controls (its contents, its DACL).
 */
function ObpReportSquatted(k: ObContext, path: string, squatter: string): void {
  const frame = k.attribution.top();
  k.report({
    kind: 'squatted',
    ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
    message: `squatted: ${path} was created first by ${squatter} from user mode, and a kernel-mode create with OBJ_OPENIF opened that object (STATUS_OBJECT_NAME_EXISTS) instead of making its own`,
    details: { name: path, squatter },
  });
}

/**
 * ObOpenObjectByName: finds the object `oa` names, which must be of `type`
 * (any type when null), and makes a handle to it granting `desiredAccess`,
 * checked against its descriptor unless the caller is KernelMode without
 * OBJ_FORCE_ACCESS_CHECK.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-obopenobjectbyname
 */
export function ObOpenObjectByName(k: ObContext, oa: CapturedObjectAttributes, type: ObjectType | null, previousMode: number,
  desiredAccess: number): ObHandleResult {
  const path = ObpResolveName(k, oa, previousMode);
  if (typeof path === 'number') return failed(path);
  // A symbolic link opened as one is the link itself, not what it names (ObpParseSymbolicLink).
  const found = k.ob.lookup(path, type === SymbolicLinkType, ObpCaseInsensitive(oa, type));
  if (typeof found === 'number') return failed(found);
  if (found.remaining !== '') return failed(STATUS_OBJECT_TYPE_MISMATCH);
  if (type !== null && found.object.header.type !== type) return failed(STATUS_OBJECT_TYPE_MISMATCH);
  return ObpOpenExisting(k, found.object, desiredAccess, ObpAccessCheckMode(oa, previousMode), handleAttributes(oa, previousMode), STATUS_SUCCESS);
}
