/**
 * A registry key and its values: what a hive's CM_KEY_NODE and CM_KEY_VALUE
 * cells hold, and what a key handle will refer to (the key control block and
 * the node are one object here).
 *
 *   CmKeyNode ── subkeys: Map<UPCASED NAME, CmKeyNode>   (order: see CmpSubkeysInOrder)
 *             └─ values:  CmKeyValue[]                    (creation order, like the value list)
 *
 * A deleted key is unlinked from its parent but keeps its `deleted` flag, so
 * that a handle still open on it answers STATUS_KEY_DELETED.
 */
import { CmpCompareUpcased, CmpNameBytes, CmpUpcaseName } from './name.js';

/** A value: its name (case preserved; '' is the key's default value), type and data bytes. */
export class CmKeyValue {
  /** Creates a value; `data` is owned by the value from now on. */
  constructor(
    /** The name as first set, case preserved. */
    readonly name: string,
    /** REG_SZ, REG_DWORD, ...: a tag only, the data is never checked against it. */
    public type: number,
    /** The data bytes. */
    public data: Uint8Array,
  ) {}
}

/** A key: name, subkeys, values, LastWriteTime, volatility and the delete flag. */
export class CmKeyNode {
  /** The upcased name, its key in the parent's subkey map. */
  readonly upcasedName: string;
  /** Subkeys by upcased name. */
  readonly subkeys = new Map<string, CmKeyNode>();
  /** Values in creation order (a deleted value closes the gap, as the value list does). */
  readonly values: CmKeyValue[] = [];
  /** Set when the key has been deleted; the node only answers STATUS_KEY_DELETED. */
  deleted = false;
  /**
   * High-water marks in bytes, as CM_KEY_NODE keeps them: they grow when a
   * longer subkey name, value name or value data arrives and never shrink.
   */
  maxNameLen = 0;
  /** The longest value name ever set, in bytes. */
  maxValueNameLen = 0;
  /** The largest value data ever set, in bytes. */
  maxValueDataLen = 0;
  /** The longest subkey class ever created, in bytes. */
  maxClassLen = 0;

  /** Creates a key node; the caller links it into `parent`'s subkeys. */
  constructor(
    /** The name as created, case preserved ('REGISTRY' for the root). */
    readonly name: string,
    /** The parent key, or null for the root. */
    public parent: CmKeyNode | null,
    /** REG_OPTION_VOLATILE at creation: the key lives in memory only. */
    readonly volatile: boolean,
    /** FILETIME of the last change to the key (its values or its subkey list). */
    public lastWriteTime: bigint,
    /** The class string given at creation ('' if none). */
    readonly className: string = '',
    /** A hive root Windows refuses to delete (KEY_NO_DELETE). */
    readonly noDelete: boolean = false,
  ) {
    this.upcasedName = CmpUpcaseName(name);
  }

  /** The subkey of that name (case-insensitive), if any. */
  subkey(name: string): CmKeyNode | undefined {
    return this.subkeys.get(CmpUpcaseName(name));
  }

  /** The value of that name (case-insensitive), if any. */
  value(name: string): CmKeyValue | undefined {
    return this.values[this.valueIndex(name)];
  }

  /** The index of the value of that name in `values`, or -1. */
  valueIndex(name: string): number {
    const upcased = CmpUpcaseName(name);
    return this.values.findIndex((v) => CmpUpcaseName(v.name) === upcased);
  }

  /** Links a new subkey and raises the name high-water marks. */
  addSubkey(child: CmKeyNode): void {
    this.subkeys.set(child.upcasedName, child);
    this.maxNameLen = Math.max(this.maxNameLen, CmpNameBytes(child.name));
    this.maxClassLen = Math.max(this.maxClassLen, CmpNameBytes(child.className));
  }

  /** The key's full name, `\REGISTRY\MACHINE\...` with each component as created. */
  fullName(): string {
    const parts: string[] = [];
    for (let k: CmKeyNode | null = this; k !== null; k = k.parent) parts.unshift(k.name);
    return `\\${parts.join('\\')}`;
  }
}

/**
 * The subkeys in the order NtEnumerateKey returns them: the stable (non-
 * volatile) subkeys first, then the volatile ones — two separate lists in a
 * hive — each sorted by upcased name, as the hive's subkey index is.
 */
export function CmpSubkeysInOrder(key: CmKeyNode): CmKeyNode[] {
  const byName = (a: CmKeyNode, b: CmKeyNode): number => CmpCompareUpcased(a.upcasedName, b.upcasedName);
  const all = [...key.subkeys.values()];
  return [...all.filter((k) => !k.volatile).sort(byName), ...all.filter((k) => k.volatile).sort(byName)];
}
