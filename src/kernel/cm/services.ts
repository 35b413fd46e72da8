/**
 * The registry's system services (NtCreateKey, NtOpenKey, NtSetValueKey,
 * NtQueryValueKey, NtDeleteKey, NtDeleteValueKey, NtEnumerateKey,
 * NtEnumerateValueKey, NtQueryKey) over numbers, with the shape of every
 * service: probe and capture, reference the key by handle (the handle's
 * granted access is checked for user-mode callers), do the work with the
 * operations of key-ops.ts and value-ops.ts, dereference, write back.
 *
 * Security is a simplification (docs/fidelity.md): there are no security
 * descriptors. A standard user's process (EPROCESS.user === 'user') may open
 * keys under \Registry\Machine for reading only: any write right (or
 * creating a key there) is STATUS_ACCESS_DENIED. Everything else is granted
 * as asked. Kernel-mode callers (Zw*, nt-registry.ts) are never refused.
 */
import { NtException } from '../../include/errors.js';
import {
  STATUS_ACCESS_DENIED, STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_OBJECT_NAME_INVALID, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import {
  KEY_ALL_ACCESS, KEY_CREATE_LINK, KEY_CREATE_SUB_KEY, KEY_ENUMERATE_SUB_KEYS, KEY_EXECUTE, KEY_QUERY_VALUE, KEY_READ,
  KEY_SET_VALUE, KEY_WRITE,
} from '../../include/registry-constants.js';
import {
  DELETE, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, KernelMode, MAXIMUM_ALLOWED, OBJ_KERNEL_HANDLE, UserMode,
  WRITE_DAC, WRITE_OWNER,
} from '../../include/wdm-constants.js';
import {
  captureOrStatus, ProbeAndCaptureObjectAttributes, ProbeAndCaptureUnicodeString, ProbeForWritePointer, ProbeForWriteUlong,
  writeHandle, writeOutUlong, type CapturedObjectAttributes,
} from '../ex/capture.js';
import { ProbeForRead, ProbeForWrite } from '../ex/probe.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import { CmpNow, type CmContext } from './context.js';
import type { CmInformationResult } from './information.js';
import type { CmKeyNode } from './key.js';
import { CmKeyObjectType, KeyObject } from './key-object.js';
import { CmCreateKey, CmDeleteKey, CmEnumerateKey, CmOpenKey, CmQueryKey } from './key-ops.js';
import { CmDeleteValueKey, CmEnumerateValueKey, CmQueryValueKey, CmSetValueKey } from './value-ops.js';

/** The rights that change a key: what a standard user never gets under \Registry\Machine. */
const KEY_WRITE_RIGHTS = KEY_SET_VALUE | KEY_CREATE_SUB_KEY | KEY_CREATE_LINK | DELETE | WRITE_DAC | WRITE_OWNER;

/** The largest value data ntshm accepts (Windows' limit is available memory; this keeps a bad DataSize from exhausting the host). */
const CM_MAX_VALUE_DATA = 16 * 1024 * 1024;

/** Generic rights mapped to a key's specific rights (CmKeyObjectType's GENERIC_MAPPING). */
export function CmpMapGenericKeyAccess(access: number): number {
  let specific = access & 0x0fff_ffff & ~MAXIMUM_ALLOWED;
  if (access & GENERIC_READ) specific |= KEY_READ;
  if (access & GENERIC_WRITE) specific |= KEY_WRITE;
  if (access & GENERIC_EXECUTE) specific |= KEY_EXECUTE;
  if (access & GENERIC_ALL) specific |= KEY_ALL_ACCESS;
  return specific >>> 0;
}

/** Whether a key lies under \Registry\Machine (HKEY_LOCAL_MACHINE). */
function CmpIsMachineKey(k: CmContext, node: CmKeyNode): boolean {
  for (let n: CmKeyNode | null = node; n !== null; n = n.parent) if (n === k.registry.machine) return true;
  return false;
}

/** Whether the caller is a standard user's code (user mode, EPROCESS.user === 'user'). */
const CmpIsStandardUser = (k: CmContext, previousMode: number): boolean => previousMode === UserMode && k.currentProcess.user === 'user';

/** The access a caller is granted to a key (SeAccessCheck, simplified: see the file comment), or STATUS_ACCESS_DENIED. */
function CmpAccessCheck(k: CmContext, node: CmKeyNode, desiredAccess: number, previousMode: number): { status: number; granted: number } {
  let granted = CmpMapGenericKeyAccess(desiredAccess);
  const restricted = CmpIsStandardUser(k, previousMode) && CmpIsMachineKey(k, node);
  if (desiredAccess & MAXIMUM_ALLOWED) granted |= restricted ? KEY_READ : KEY_ALL_ACCESS;
  if (restricted && (granted & KEY_WRITE_RIGHTS) !== 0) return { status: STATUS_ACCESS_DENIED, granted: 0 };
  return { status: STATUS_SUCCESS, granted };
}

/** ObReferenceObjectByHandle(KeyHandle, access, CmKeyObjectType): the key body, or why not. */
export function CmpReferenceKeyByHandle(k: CmContext, handle: number, desiredAccess: number, previousMode: number):
  { status: number; key?: KeyObject } {
  const ref = k.ob.ObReferenceObjectByHandle(handle, desiredAccess, CmKeyObjectType, previousMode, k.currentProcess);
  if (!ref.object) return { status: ref.status };
  return { status: STATUS_SUCCESS, key: ref.object as KeyObject };
}

/** Runs `body` on a referenced key and dereferences it on every path. */
export function CmpWithKey<T>(k: CmContext, handle: number, desiredAccess: number, previousMode: number,
  body: (node: CmKeyNode) => T, failed: (status: number) => T): T {
  const { status, key } = CmpReferenceKeyByHandle(k, handle, desiredAccess, previousMode);
  if (!key) return failed(status);
  try {
    return body(key.node);
  } finally {
    k.ob.ObDereferenceObject(key);
  }
}

/** What CmpCreateOrOpenKey gives: the status, the new handle (0 on failure) and, for a create, the disposition. */
export interface CmOpenResult {
  status: number;
  handle: number;
  disposition: number;
}

/**
 * The work of NtCreateKey (`create` given) and NtOpenKey on captured
 * arguments, for a caller of `previousMode`: resolve RootDirectory, parse the
 * name, check access, create or open, and make a handle granting the access.
 * OBJ_KERNEL_HANDLE is honoured for kernel-mode callers only.
 */
export function CmpCreateOrOpenKey(k: CmContext, previousMode: number, desiredAccess: number, oa: CapturedObjectAttributes,
  create: { options: number; className: string } | null): CmOpenResult {
  const fail = (status: number): CmOpenResult => ({ status, handle: 0, disposition: 0 });
  if (oa.ObjectName === null) return fail(STATUS_OBJECT_NAME_INVALID);
  let root: KeyObject | null = null;
  if (oa.RootDirectory !== 0) {
    const ref = CmpReferenceKeyByHandle(k, oa.RootDirectory, 0, previousMode);
    if (!ref.key) return fail(ref.status);
    root = ref.key;
  }
  try {
    const rootNode = root?.node ?? null;
    const parsed = k.registry.parse(rootNode, oa.ObjectName);
    let node: CmKeyNode;
    let disposition = 0;
    if ('key' in parsed) {
      node = parsed.key;
      if (create) disposition = CmCreateKey(k.registry, rootNode, oa.ObjectName, create.options, CmpNow(k), create.className).disposition;
    } else if (create && 'parent' in parsed && parsed.last) {
      // Creating a subkey needs KEY_CREATE_SUB_KEY on its parent.
      const parentAccess = CmpAccessCheck(k, parsed.parent, KEY_CREATE_SUB_KEY, previousMode);
      if (parentAccess.status !== STATUS_SUCCESS) return fail(parentAccess.status);
      const made = CmCreateKey(k.registry, rootNode, oa.ObjectName, create.options, CmpNow(k), create.className);
      if (!made.key) return fail(made.status);
      node = made.key;
      disposition = made.disposition;
    } else {
      const opened = create ? { status: parsed.status } : CmOpenKey(k.registry, rootNode, oa.ObjectName);
      return fail(opened.status);
    }
    const access = CmpAccessCheck(k, node, desiredAccess, previousMode);
    if (access.status !== STATUS_SUCCESS) return fail(access.status);
    let body: KeyObject;
    try {
      body = k.ob.ObCreateObject(new KeyObject(node));
    } catch (e) {
      if (e instanceof ObjectAllocationFailed) return fail(STATUS_INSUFFICIENT_RESOURCES);
      throw e;
    }
    const attributes = previousMode === KernelMode ? oa.Attributes : oa.Attributes & ~OBJ_KERNEL_HANDLE;
    const handle = k.ob.createHandle(k.currentProcess, body, access.granted, attributes);
    k.ob.ObDereferenceObject(body); // the handle holds it now
    return { status: STATUS_SUCCESS, handle, disposition };
  } finally {
    if (root) k.ob.ObDereferenceObject(root);
  }
}

/** Captures a value name: NULL is an access violation, as touching it would be. */
function CmpCaptureValueName(k: CmContext, va: number): string {
  if (va === 0) throw new NtException(STATUS_ACCESS_VIOLATION);
  return ProbeAndCaptureUnicodeString(k, va);
}

/**
 * Returns the information a Cm* query fills into the caller's buffer: probes
 * the buffer (Length bytes, ULONG-aligned) and ResultLength, fills a kernel
 * copy no larger than the information needs, then copies it out (nothing for
 * STATUS_BUFFER_TOO_SMALL) and writes ResultLength.
 */
function CmpReturnInformation(k: CmContext, Buffer: number, Length: number, ResultLength: number,
  fill: (buffer: Uint8Array) => CmInformationResult): number {
  const probed = captureOrStatus(() => {
    if (k.currentThread.PreviousMode === UserMode) {
      ProbeForWrite(k, Buffer, Length >>> 0, 4);
      ProbeForWriteUlong(k, ResultLength);
    }
  });
  if (typeof probed === 'number') return probed;
  const sizing = fill(new Uint8Array(0));
  if (sizing.status !== STATUS_BUFFER_TOO_SMALL && sizing.status !== STATUS_SUCCESS && sizing.status !== STATUS_BUFFER_OVERFLOW) return sizing.status;
  const kernelCopy = new Uint8Array(Math.min(Length >>> 0, sizing.resultLength));
  const r = fill(kernelCopy);
  const written = captureOrStatus(() => {
    if (r.status === STATUS_SUCCESS || r.status === STATUS_BUFFER_OVERFLOW) k.kernelMemory.setBytes(Buffer, kernelCopy);
    if (ResultLength !== 0) writeOutUlong(k, ResultLength, r.resultLength);
  });
  return typeof written === 'number' ? written : r.status;
}

/**
 * NtCreateKey. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatekey
 */
export function NtCreateKey(k: CmContext, KeyHandle: number, DesiredAccess: number, ObjectAttributes: number, _TitleIndex: number,
  Class: number, CreateOptions: number, Disposition: number): number {
  const captured = captureOrStatus(() => {
    ProbeForWritePointer(k, KeyHandle);
    if (Disposition !== 0) ProbeForWriteUlong(k, Disposition);
    const oa = ProbeAndCaptureObjectAttributes(k, ObjectAttributes);
    const className = Class === 0 ? '' : ProbeAndCaptureUnicodeString(k, Class);
    return { oa, className };
  });
  if (typeof captured === 'number') return captured;
  const r = CmpCreateOrOpenKey(k, k.currentThread.PreviousMode, DesiredAccess >>> 0, captured.oa,
    { options: CreateOptions >>> 0, className: captured.className });
  if (r.status !== STATUS_SUCCESS) return r.status;
  const written = captureOrStatus(() => {
    writeHandle(k, KeyHandle, r.handle);
    if (Disposition !== 0) writeOutUlong(k, Disposition, r.disposition);
  });
  return typeof written === 'number' ? written : STATUS_SUCCESS;
}

/** NtOpenKey. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopenkey */
export function NtOpenKey(k: CmContext, KeyHandle: number, DesiredAccess: number, ObjectAttributes: number): number {
  const oa = captureOrStatus(() => {
    ProbeForWritePointer(k, KeyHandle);
    return ProbeAndCaptureObjectAttributes(k, ObjectAttributes);
  });
  if (typeof oa === 'number') return oa;
  const r = CmpCreateOrOpenKey(k, k.currentThread.PreviousMode, DesiredAccess >>> 0, oa, null);
  if (r.status !== STATUS_SUCCESS) return r.status;
  const written = captureOrStatus(() => writeHandle(k, KeyHandle, r.handle));
  return typeof written === 'number' ? written : STATUS_SUCCESS;
}

/** NtSetValueKey. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwsetvaluekey */
export function NtSetValueKey(k: CmContext, KeyHandle: number, ValueName: number, _TitleIndex: number, Type: number, Data: number,
  DataSize: number): number {
  const mode = k.currentThread.PreviousMode;
  return CmpWithKey(k, KeyHandle, KEY_SET_VALUE, mode, (node) => {
    if (DataSize >>> 0 > CM_MAX_VALUE_DATA) return STATUS_INSUFFICIENT_RESOURCES;
    const captured = captureOrStatus(() => {
      const name = CmpCaptureValueName(k, ValueName);
      if (mode === UserMode) ProbeForRead(k, Data, DataSize >>> 0, 1);
      const data = DataSize === 0 ? new Uint8Array(0) : k.kernelMemory.getBytes(Data, DataSize >>> 0);
      return { name, data };
    });
    if (typeof captured === 'number') return captured;
    return CmSetValueKey(node, captured.name, Type >>> 0, captured.data, CmpNow(k)).status;
  }, (status) => status);
}

/** NtQueryValueKey. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwqueryvaluekey */
export function NtQueryValueKey(k: CmContext, KeyHandle: number, ValueName: number, KeyValueInformationClass: number,
  KeyValueInformation: number, Length: number, ResultLength: number): number {
  return CmpWithKey(k, KeyHandle, KEY_QUERY_VALUE, k.currentThread.PreviousMode, (node) => {
    const name = captureOrStatus(() => CmpCaptureValueName(k, ValueName));
    if (typeof name === 'number') return name;
    return CmpReturnInformation(k, KeyValueInformation, Length, ResultLength,
      (buffer) => CmQueryValueKey(node, name, KeyValueInformationClass, buffer));
  }, (status) => status);
}

/** NtEnumerateValueKey. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwenumeratevaluekey */
export function NtEnumerateValueKey(k: CmContext, KeyHandle: number, Index: number, KeyValueInformationClass: number,
  KeyValueInformation: number, Length: number, ResultLength: number): number {
  return CmpWithKey(k, KeyHandle, KEY_QUERY_VALUE, k.currentThread.PreviousMode, (node) =>
    CmpReturnInformation(k, KeyValueInformation, Length, ResultLength,
      (buffer) => CmEnumerateValueKey(node, Index >>> 0, KeyValueInformationClass, buffer)), (status) => status);
}

/** NtEnumerateKey. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwenumeratekey */
export function NtEnumerateKey(k: CmContext, KeyHandle: number, Index: number, KeyInformationClass: number, KeyInformation: number,
  Length: number, ResultLength: number): number {
  return CmpWithKey(k, KeyHandle, KEY_ENUMERATE_SUB_KEYS, k.currentThread.PreviousMode, (node) =>
    CmpReturnInformation(k, KeyInformation, Length, ResultLength,
      (buffer) => CmEnumerateKey(node, Index >>> 0, KeyInformationClass, buffer)), (status) => status);
}

/** NtQueryKey (KEY_QUERY_VALUE access). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwquerykey */
export function NtQueryKey(k: CmContext, KeyHandle: number, KeyInformationClass: number, KeyInformation: number, Length: number,
  ResultLength: number): number {
  return CmpWithKey(k, KeyHandle, KEY_QUERY_VALUE, k.currentThread.PreviousMode, (node) =>
    CmpReturnInformation(k, KeyInformation, Length, ResultLength, (buffer) => CmQueryKey(node, KeyInformationClass, buffer)),
  (status) => status);
}

/** NtDeleteKey (DELETE access). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwdeletekey */
export function NtDeleteKey(k: CmContext, KeyHandle: number): number {
  return CmpWithKey(k, KeyHandle, DELETE, k.currentThread.PreviousMode, (node) => CmDeleteKey(node, CmpNow(k)).status, (status) => status);
}

/** NtDeleteValueKey (KEY_SET_VALUE access). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwdeletevaluekey */
export function NtDeleteValueKey(k: CmContext, KeyHandle: number, ValueName: number): number {
  return CmpWithKey(k, KeyHandle, KEY_SET_VALUE, k.currentThread.PreviousMode, (node) => {
    const name = captureOrStatus(() => CmpCaptureValueName(k, ValueName));
    if (typeof name === 'number') return name;
    return CmDeleteValueKey(node, name, CmpNow(k)).status;
  }, (status) => status);
}
