/**
 * The key operations behind NtCreateKey, NtOpenKey, NtDeleteKey,
 * NtEnumerateKey and NtQueryKey, on already-captured arguments. A later step
 * wraps them in system calls (probe, capture, reference by handle).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatekey
 */
import {
  STATUS_CANNOT_DELETE, STATUS_CHILD_MUST_BE_VOLATILE, STATUS_INVALID_PARAMETER, STATUS_KEY_DELETED,
  STATUS_NO_MORE_ENTRIES, STATUS_NOT_SUPPORTED, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import {
  REG_CREATED_NEW_KEY, REG_OPENED_EXISTING_KEY, REG_OPTION_BACKUP_RESTORE, REG_OPTION_CREATE_LINK,
  REG_OPTION_OPEN_LINK, REG_OPTION_VOLATILE,
} from '../../include/registry-constants.js';
import { CmpFillKeyInformation, type CmInformationResult } from './information.js';
import { CmKeyNode, CmpSubkeysInOrder } from './key.js';
import type { CmRegistry } from './registry.js';

/** REG_LEGAL_OPTION: every CreateOptions bit NtCreateKey accepts. */
const REG_LEGAL_OPTION = REG_OPTION_VOLATILE | REG_OPTION_CREATE_LINK | REG_OPTION_BACKUP_RESTORE | REG_OPTION_OPEN_LINK;

/** What CmCreateKey and CmOpenKey give: the key (null on failure) and, for a create, the disposition. */
export interface CmKeyResult {
  /** STATUS_SUCCESS or why not. */
  status: number;
  /** The key opened or created, or null. */
  key: CmKeyNode | null;
  /** REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY; 0 on failure and for an open. */
  disposition: number;
}

const failed = (status: number): CmKeyResult => ({ status, key: null, disposition: 0 });

/**
 * Opens `name` relative to `rootKey` (null: an absolute \Registry\... name),
 * creating its last component if it is missing (ZwCreateKey). Missing
 * intermediate keys are STATUS_OBJECT_NAME_NOT_FOUND: NtCreateKey creates one
 * level only. A non-volatile key under a volatile parent is
 * STATUS_CHILD_MUST_BE_VOLATILE. Creating updates the parent's LastWriteTime.
 * Symbolic links (REG_OPTION_CREATE_LINK) are not modelled: STATUS_NOT_SUPPORTED.
 */
export function CmCreateKey(
  registry: CmRegistry, rootKey: CmKeyNode | null, name: string, options: number, now: bigint, className = '',
): CmKeyResult {
  if ((options & ~REG_LEGAL_OPTION) !== 0) return failed(STATUS_INVALID_PARAMETER);
  if ((options & REG_OPTION_CREATE_LINK) !== 0) return failed(STATUS_NOT_SUPPORTED);
  const parsed = registry.parse(rootKey, name);
  if (parsed.status === STATUS_SUCCESS && 'key' in parsed) {
    return { status: STATUS_SUCCESS, key: parsed.key, disposition: REG_OPENED_EXISTING_KEY };
  }
  if (!('parent' in parsed) || !parsed.last) return failed(parsed.status);
  const volatile = (options & REG_OPTION_VOLATILE) !== 0;
  if (parsed.parent.volatile && !volatile) return failed(STATUS_CHILD_MUST_BE_VOLATILE);
  const key = new CmKeyNode(parsed.missing, parsed.parent, volatile, now, className);
  parsed.parent.addSubkey(key);
  parsed.parent.lastWriteTime = now;
  return { status: STATUS_SUCCESS, key, disposition: REG_CREATED_NEW_KEY };
}

/**
 * Opens an existing key (ZwOpenKey): STATUS_OBJECT_NAME_NOT_FOUND when any
 * component is missing, and the name errors of CmRegistry.parse.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopenkey
 */
export function CmOpenKey(registry: CmRegistry, rootKey: CmKeyNode | null, name: string): CmKeyResult {
  const parsed = registry.parse(rootKey, name);
  if (parsed.status === STATUS_SUCCESS && 'key' in parsed) return { status: STATUS_SUCCESS, key: parsed.key, disposition: 0 };
  return failed(parsed.status);
}

/**
 * Deletes a key (ZwDeleteKey): STATUS_CANNOT_DELETE if it has subkeys or is
 * a hive root, STATUS_KEY_DELETED if it is already deleted. The key leaves its
 * parent's list at once (the parent's LastWriteTime becomes `now`); nodes that
 * still refer to it answer STATUS_KEY_DELETED from then on.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwdeletekey
 */
export function CmDeleteKey(key: CmKeyNode, now: bigint): { status: number } {
  if (key.deleted) return { status: STATUS_KEY_DELETED };
  if (key.subkeys.size > 0 || key.noDelete || key.parent === null) return { status: STATUS_CANNOT_DELETE };
  key.parent.subkeys.delete(key.upcasedName);
  key.parent.lastWriteTime = now;
  key.deleted = true;
  return { status: STATUS_SUCCESS };
}

/**
 * Fills `buffer` (the caller's Length bytes) with the KEY_BASIC_, KEY_NODE_ or
 * KEY_FULL_INFORMATION of subkey `index` (ZwEnumerateKey), in the order of
 * CmpSubkeysInOrder; STATUS_NO_MORE_ENTRIES past the last one.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwenumeratekey
 */
export function CmEnumerateKey(key: CmKeyNode, index: number, infoClass: number, buffer: Uint8Array): CmInformationResult {
  if (key.deleted) return { status: STATUS_KEY_DELETED, resultLength: 0 };
  const subkey = CmpSubkeysInOrder(key)[index];
  if (subkey === undefined) return { status: STATUS_NO_MORE_ENTRIES, resultLength: 0 };
  return CmpFillKeyInformation(subkey, infoClass, buffer);
}

/**
 * Fills `buffer` with the key's own KEY_BASIC_, KEY_NODE_ or
 * KEY_FULL_INFORMATION (ZwQueryKey).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwquerykey
 */
export function CmQueryKey(key: CmKeyNode, infoClass: number, buffer: Uint8Array): CmInformationResult {
  if (key.deleted) return { status: STATUS_KEY_DELETED, resultLength: 0 };
  return CmpFillKeyInformation(key, infoClass, buffer);
}
