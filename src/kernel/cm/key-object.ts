/**
 * The Key object type: what a registry handle refers to. Each open makes a
 * key body of its own (CM_KEY_BODY) pointing at the key node, as Windows
 * makes one per open pointing at the key control block; the node outlives it
 * in the registry, and a body whose node was deleted answers STATUS_KEY_DELETED.
 *
 * The registry is not in the object namespace's directories: NtCreateKey and
 * NtOpenKey parse every absolute name themselves (CmRegistry.parse), which
 * accepts exactly the names under \Registry, as the parse procedure of the
 * \REGISTRY key object would.
 */
import { KernelObject, type ObjectType } from '../ob/object.js';
import type { CmKeyNode } from './key.js';

/** CmKeyObjectType (body: CM_KEY_BODY). */
export const CmKeyObjectType: ObjectType = { name: 'Key', bodySize: { x64: 0x58, x86: 0x34 } };

/** CM_KEY_BODY: one open of a key. */
export class KeyObject extends KernelObject {
  constructor(readonly node: CmKeyNode) {
    super(CmKeyObjectType);
  }
}
