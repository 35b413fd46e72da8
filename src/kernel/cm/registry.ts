/**
 * The registry: the key tree rooted at \REGISTRY, and the parse of a key
 * name as the object manager and CmpParseKey do it together.
 *
 *   \REGISTRY
 *     ├─ MACHINE
 *     │    ├─ SOFTWARE
 *     │    └─ SYSTEM\CurrentControlSet\Services
 *     └─ USER
 *
 * On Windows each of MACHINE\SOFTWARE, MACHINE\SYSTEM and USER's children is
 * a hive of its own; here they are one tree. CurrentControlSet is an ordinary
 * key (Windows makes it a link to ControlSet001).
 *
 * Named CmRegistry rather than after a Windows structure: Windows has no one
 * object for "the registry" (it is CmpMasterHive, the hive list and the
 * \REGISTRY object together), and this class is exactly that set.
 */
import {
  STATUS_INVALID_PARAMETER, STATUS_KEY_DELETED, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_OBJECT_PATH_NOT_FOUND, STATUS_OBJECT_PATH_SYNTAX_BAD, STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { CmKeyNode } from './key.js';
import { CMP_MAX_KEY_NAME_BYTES, CmpNameBytes, CmpUpcaseName } from './name.js';

/** The NT path of the services key, where the service control manager writes a service's key. */
export const CM_SERVICES_KEY_PATH = '\\Registry\\Machine\\System\\CurrentControlSet\\Services';

/** The result of parsing a key name: the deepest key reached and what remains. */
export type CmpParseResult =
  | { status: typeof STATUS_SUCCESS; key: CmKeyNode }
  | { status: typeof STATUS_OBJECT_NAME_NOT_FOUND; parent: CmKeyNode; missing: string; last: boolean }
  | { status: number };

/** The key tree: \REGISTRY and the keys Windows has from boot. */
export class CmRegistry {
  /** \REGISTRY. */
  readonly root: CmKeyNode;
  /** \REGISTRY\MACHINE (HKEY_LOCAL_MACHINE). */
  readonly machine: CmKeyNode;
  /** \REGISTRY\USER (HKEY_USERS). */
  readonly user: CmKeyNode;

  /** Builds the boot-time tree; every key gets `now` as its LastWriteTime. */
  constructor(now: bigint = 0n) {
    this.root = new CmKeyNode('REGISTRY', null, false, now, '', true);
    const child = (parent: CmKeyNode, name: string, noDelete: boolean): CmKeyNode => {
      const key = new CmKeyNode(name, parent, false, now, '', noDelete);
      parent.addSubkey(key);
      return key;
    };
    this.machine = child(this.root, 'MACHINE', true);
    this.user = child(this.root, 'USER', true);
    child(this.machine, 'SOFTWARE', true);
    const currentControlSet = child(child(this.machine, 'SYSTEM', true), 'CurrentControlSet', false);
    child(currentControlSet, 'Services', false);
  }

  /**
   * Walks a key name to the deepest existing key. `rootKey` is the
   * OBJECT_ATTRIBUTES RootDirectory (null for an absolute name).
   *
   * Absolute names go through the object manager first: '' and a name without
   * a leading '\' are STATUS_OBJECT_PATH_SYNTAX_BAD, '\' alone names the root
   * directory (STATUS_OBJECT_TYPE_MISMATCH: not a key), an empty component
   * before \REGISTRY is STATUS_OBJECT_NAME_INVALID, and a first component other
   * than REGISTRY is STATUS_OBJECT_NAME_NOT_FOUND (last) or
   * STATUS_OBJECT_PATH_NOT_FOUND (more follows). Relative to a key, a leading
   * '\' is STATUS_OBJECT_PATH_SYNTAX_BAD and '' names the key itself.
   *
   * Inside the registry (CmpParseKey): one trailing '\' is allowed; any other
   * empty component, or a component over 512 bytes, is STATUS_INVALID_PARAMETER;
   * a missing component is STATUS_OBJECT_NAME_NOT_FOUND, reported with the
   * parent and whether it was the last one (where a create creates).
   */
  parse(rootKey: CmKeyNode | null, name: string): CmpParseResult {
    let key: CmKeyNode;
    let rest: string;
    if (rootKey === null) {
      if (!name.startsWith('\\')) return { status: STATUS_OBJECT_PATH_SYNTAX_BAD };
      if (name === '\\') return { status: STATUS_OBJECT_TYPE_MISMATCH };
      const end = name.indexOf('\\', 1);
      const first = end < 0 ? name.slice(1) : name.slice(1, end);
      if (first === '') return { status: STATUS_OBJECT_NAME_INVALID };
      if (CmpUpcaseName(first) !== this.root.upcasedName) {
        return { status: end < 0 ? STATUS_OBJECT_NAME_NOT_FOUND : STATUS_OBJECT_PATH_NOT_FOUND };
      }
      key = this.root;
      rest = end < 0 ? '' : name.slice(end + 1);
    } else {
      if (name.startsWith('\\')) return { status: STATUS_OBJECT_PATH_SYNTAX_BAD };
      key = rootKey;
      rest = name;
    }
    if (key.deleted) return { status: STATUS_KEY_DELETED };
    if (rest.endsWith('\\')) rest = rest.slice(0, -1);
    if (rest === '') return { status: STATUS_SUCCESS, key };
    const components = rest.split('\\');
    if (components.some((c) => c === '' || CmpNameBytes(c) > CMP_MAX_KEY_NAME_BYTES)) {
      return { status: STATUS_INVALID_PARAMETER };
    }
    for (let i = 0; i < components.length; i++) {
      const component = components[i]!;
      const next = key.subkey(component);
      if (next === undefined) {
        return { status: STATUS_OBJECT_NAME_NOT_FOUND, parent: key, missing: component, last: i === components.length - 1 };
      }
      key = next;
    }
    return { status: STATUS_SUCCESS, key };
  }
}
