/**
 * Creating and opening named objects on a caller's behalf: ObInsertObject
 * (name the new object, or with OBJ_OPENIF open the one already there, and
 * make a handle) and ObOpenObjectByName (find a name, check its type, make a
 * handle). Every Nt*Create / Nt*Open service of a named type (sections, and
 * later events) goes through these two.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obopenobjectbyname (ntifs)
 */
import {
  STATUS_INVALID_HANDLE, STATUS_OBJECT_NAME_EXISTS, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, KernelMode, OBJ_KERNEL_HANDLE } from '../../include/wdm-constants.js';
import type { CapturedObjectAttributes } from '../ex/capture.js';
import type { ObContext } from './context.js';
import { DirectoryType, ObjectDirectory } from './namespace.js';
import type { KernelObject, ObjectType } from './object.js';

/** GENERIC_MAPPING: what each generic right means for a type. */
export interface GenericMapping {
  readonly GenericRead: number;
  readonly GenericWrite: number;
  readonly GenericExecute: number;
  readonly GenericAll: number;
}

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

/** The full name of a named object (`\BaseNamedObjects\X`), walking its directories up to the root. */
export function ObQueryNameString(body: KernelObject): string {
  const parts: string[] = [];
  for (let o: KernelObject | undefined = body; o?.header.name !== undefined; o = o.header.directory) parts.unshift(o.header.name);
  return `\\${parts.join('\\')}`;
}

/** What a create or open made: the status, the handle (0 on failure) and the object it refers to. */
export interface ObHandleResult {
  status: number;
  handle: number;
  object?: KernelObject;
}

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

/**
 * ObInsertObject: `body` (just created, holding its creator's one reference)
 * is named as `oa` says, if it names anything, and a handle is made to it.
 * An existing name: with OBJ_OPENIF and the same type, the handle is to the
 * existing object (STATUS_OBJECT_NAME_EXISTS) and `body` goes; otherwise
 * STATUS_OBJECT_NAME_COLLISION (or STATUS_OBJECT_TYPE_MISMATCH), and `body`
 * goes. The creator's reference always passes to the handle.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/object-names
 */
export function ObInsertObject(k: ObContext, body: KernelObject, oa: CapturedObjectAttributes | null, grantedAccess: number,
  previousMode: number): ObHandleResult {
  const attributes = handleAttributes(oa, previousMode);
  if (oa !== null && oa.ObjectName !== null) {
    const path = ObpResolveName(k, oa, previousMode);
    if (typeof path === 'number') {
      k.ob.ObDereferenceObject(body);
      return { status: path, handle: 0 };
    }
    const named = k.ob.insertName(path, body, oa.Attributes);
    if (named.status === STATUS_OBJECT_NAME_EXISTS && named.existing) {
      k.ob.ObDereferenceObject(body);
      const handle = k.ob.createHandle(k.currentProcess, named.existing, grantedAccess, attributes);
      return { status: STATUS_OBJECT_NAME_EXISTS, handle, object: named.existing };
    }
    if (named.status !== STATUS_SUCCESS) {
      k.ob.ObDereferenceObject(body);
      return { status: named.status, handle: 0 };
    }
  }
  const handle = k.ob.createHandle(k.currentProcess, body, grantedAccess, attributes);
  k.ob.ObDereferenceObject(body); // the handle holds it now
  return { status: STATUS_SUCCESS, handle, object: body };
}

/**
 * ObOpenObjectByName: finds the object `oa` names, which must be of `type`,
 * and makes a handle to it granting `grantedAccess`.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-obopenobjectbyname
 */
export function ObOpenObjectByName(k: ObContext, oa: CapturedObjectAttributes, type: ObjectType, previousMode: number,
  grantedAccess: number): ObHandleResult {
  const path = ObpResolveName(k, oa, previousMode);
  if (typeof path === 'number') return { status: path, handle: 0 };
  const found = k.ob.lookup(path);
  if (typeof found === 'number') return { status: found, handle: 0 };
  if (found.remaining !== '') return { status: STATUS_OBJECT_TYPE_MISMATCH, handle: 0 };
  if (found.object.header.type !== type) return { status: STATUS_OBJECT_TYPE_MISMATCH, handle: 0 };
  const handle = k.ob.createHandle(k.currentProcess, found.object, grantedAccess, handleAttributes(oa, previousMode));
  return { status: STATUS_SUCCESS, handle, object: found.object };
}
