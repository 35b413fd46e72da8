/**
 * The object manager: creates objects in pool, names them, hands out and
 * closes handles, and deletes an object when its last reference goes.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/life-cycle-of-an-object
 */
import { ObpObjectTypeAddress } from '../ke/nt-image.js';
import {
  STATUS_ACCESS_DENIED, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_HANDLE, STATUS_OBJECT_NAME_COLLISION,
  STATUS_OBJECT_NAME_EXISTS, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND,
  STATUS_OBJECT_TYPE_MISMATCH, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { INVALID_KERNEL_HANDLE, REFERENCE_BY_POINTER } from '../../include/bugcodes.js';
import { DISPATCH_LEVEL } from '../../include/wdm-constants.js';
import { NonPagedPool } from '../mm/pool.js';
import type { ObContext, ObProcess } from './context.js';
import { ExpClearHandleTagBits, HandleTable, isKernelHandle, NtCurrentProcess, NtCurrentThread, type HandleEntry } from './handle.js';
import { lookupObjectName, ObjectDirectory, parentOf, SymbolicLinkObject, type LookupResult } from './namespace.js';
import type { ObSecurityMonitor } from './security.js';
import { ObpInitializeNamedObjectDirectories } from './session.js';
import { objectHeaderSize, type KernelObject, type ObjectType, type ObjectTypeProcedures } from './object.js';

import { OBJ_KERNEL_HANDLE, OBJ_OPENIF, OBJ_PERMANENT, KernelMode, UserMode } from '../../include/wdm-constants.js';

/** A four-character pool tag as a ULONG, first character in the low byte ('Proc' → 0x636f7250). */
export const poolTag = (s: string): number =>
  [...s.padEnd(4, ' ').slice(0, 4)].reduce((v, c, i) => v + c.charCodeAt(0) * 2 ** (8 * i), 0);

/** The object manager (Ob): the namespace, objects in nonpaged pool, handles and reference counts. */
export class ObjectManager {
  readonly root: ObjectDirectory;
  /** Each type's procedures on this machine, registered by the subsystem that owns the type. */
  private readonly procedures = new Map<ObjectType, ObjectTypeProcedures>();

  constructor(private readonly k: ObContext) {
    // Deletions deferred from DISPATCH_LEVEL run in a System worker thread.
    const deferred = this.deferred;
    k.workQueue.register({ get pending() { return deferred.length > 0; }, run: () => this.processDeferredDeletes() });
    this.root = this.ObCreateObject(new ObjectDirectory());
    this.root.header.permanent = true;
    for (const name of ['Device', 'Driver', '??', 'BaseNamedObjects', 'ObjectTypes', 'RPC Control']) {
      const dir = this.ObCreateObject(new ObjectDirectory());
      this.insertName(`\\${name}`, dir, 0, true);
    }
    this.insertName('\\DosDevices', this.ObCreateObject(new SymbolicLinkObject('\\??')), 0, true);
    this.insertName('\\GLOBAL??', this.ObCreateObject(new SymbolicLinkObject('\\??')), 0, true);
    ObpInitializeNamedObjectDirectories(this, k.options.profile);
  }

  /** The security reference monitor (se), registered when the kernel is built (ob/security.ts). */
  security!: ObSecurityMonitor;

  /** Registers the security reference monitor: se does this once the kernel's layers exist. */
  registerSecurity(monitor: ObSecurityMonitor): void {
    this.security = monitor;
  }

  /** Registers a type's procedures (ObCreateObjectType's initializer): the owner does this when the kernel is built. */
  registerType<T extends KernelObject>(type: ObjectType, procedures: ObjectTypeProcedures<T>): void {
    this.procedures.set(type, procedures);
  }

  /** Allocates header and body in nonpaged pool; the caller holds the one reference. */
  ObCreateObject<T extends KernelObject>(body: T, extraBytes = 0): T {
    const type = body.header.type;
    const headerSize = objectHeaderSize(this.k.arch);
    const size = headerSize + type.bodySize[this.k.arch] + extraBytes;
    const header = this.k.pool.allocate(NonPagedPool, size, this.tagOf(type));
    if (header === 0) throw new ObjectAllocationFailed();
    body.header.address = header;
    body.address = header + headerSize;
    return body;
  }

  /** Each type's pool tag (the first four letters of its name), computed once: objects are created on hot paths (NtCreateFile). */
  private readonly tags = new Map<ObjectType, number>();

  private tagOf(type: ObjectType): number {
    let tag = this.tags.get(type);
    if (tag === undefined) this.tags.set(type, (tag = poolTag(type.name.slice(0, 4))));
    return tag;
  }

  /** Names an object; with OBJ_OPENIF an existing object of the same type is returned instead. */
  insertName(path: string, body: KernelObject, attributes: number, permanent = false): { status: number; existing?: KernelObject } {
    const parent = parentOf(this.root, path);
    if (parent === 'invalid') return { status: STATUS_OBJECT_NAME_INVALID };
    if (parent === 'path') return { status: STATUS_OBJECT_PATH_NOT_FOUND };
    const key = parent.leaf.toUpperCase();
    const existing = parent.directory.entries.get(key);
    if (existing) {
      if ((attributes & OBJ_OPENIF) !== 0 && existing.header.type === body.header.type) return { status: STATUS_OBJECT_NAME_EXISTS, existing };
      return { status: STATUS_OBJECT_NAME_COLLISION };
    }
    parent.directory.entries.set(key, body);
    body.header.name = parent.leaf;
    body.header.directory = parent.directory;
    body.header.permanent = permanent || (attributes & OBJ_PERMANENT) !== 0;
    if (body.header.permanent) body.header.PointerCount++;
    return { status: STATUS_SUCCESS };
  }

  /** Removes a name (ObMakeTemporaryObject plus the name check). */
  removeName(body: KernelObject): void {
    const dir = body.header.directory;
    if (dir instanceof ObjectDirectory && body.header.name) dir.entries.delete(body.header.name.toUpperCase());
    body.header.directory = undefined;
    if (body.header.permanent) {
      body.header.permanent = false;
      this.ObDereferenceObject(body);
    }
  }

  /** Finds a path (openLink: a symbolic link at its end is the result, not followed; caseInsensitive: see namespace.ts). */
  lookup(path: string, openLink = false, caseInsensitive = true): LookupResult | number {
    const r = lookupObjectName(this.root, path, openLink, caseInsensitive);
    if (r === 'invalid') return STATUS_OBJECT_NAME_INVALID;
    if (r === 'path') return STATUS_OBJECT_PATH_NOT_FOUND;
    if (r === 'name') return STATUS_OBJECT_NAME_NOT_FOUND;
    return r;
  }

  ObReferenceObject(body: KernelObject): void {
    body.header.PointerCount++;
  }

  /** Drops a reference; the last one deletes the object and frees its pool. */
  ObDereferenceObject(body: KernelObject): void {
    const h = body.header;
    if (h.PointerCount <= 0) {
      // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x18--reference-by-pointer
      // P1 the object's type (its OBJECT_TYPE), P2 the object.
      this.k.bugCheck(REFERENCE_BY_POINTER, ObpObjectTypeAddress(this.k.arch, h.type.name), body.address, 0, 0,
        `A ${h.type.name} object at ${this.k.formatAddress(body.address)} was dereferenced more times than it was referenced.`);
    }
    if (--h.PointerCount > 0) return;
    // At DISPATCH_LEVEL the deletion (and a file's IRP_MJ_CLOSE) is left to a System worker
    // thread, as ObpDeferObjectDeletion does.
    if (this.k.irql >= DISPATCH_LEVEL) {
      this.deferred.push(body);
      return;
    }
    this.deleteObject(body);
  }

  /** Objects whose last reference went at DISPATCH_LEVEL, waiting for a worker thread. */
  private readonly deferred: KernelObject[] = [];

  /** Runs the deferred deletions in a System worker thread (called once the IRQL is low again). */
  processDeferredDeletes(): void {
    while (this.deferred.length > 0) {
      const body = this.deferred.shift()!;
      this.k.runInSystemThread(() => this.deleteObject(body), 'ObpProcessRemoveObjectQueue');
    }
  }

  private deleteObject(body: KernelObject): void {
    const h = body.header;
    if (h.directory) this.removeName(body);
    this.procedures.get(h.type)?.delete?.(body);
    this.k.pool.free(h.address);
  }

  /** The handle table a handle value belongs to, seen from `process`. */
  tableFor(handle: number, process: ObProcess): HandleTable {
    return isKernelHandle(handle) ? this.k.systemProcess.ObjectTable : process.ObjectTable;
  }

  /** Creates a handle in `process` (or the kernel table) to an object, which gains a reference. */
  createHandle(process: ObProcess, body: KernelObject, grantedAccess: number, attributes: number): number {
    const table = (attributes & OBJ_KERNEL_HANDLE) !== 0 ? this.k.systemProcess.ObjectTable : process.ObjectTable;
    body.header.HandleCount++;
    body.header.PointerCount++;
    return table.insert({ object: body, grantedAccess, attributes }, this.k.arch);
  }

  /**
   * ObReferenceObjectByHandle: UserMode callers may not use kernel handles
   * and are held to the access the handle was granted.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obreferenceobjectbyhandle
   */
  ObReferenceObjectByHandle(handle: number, desiredAccess: number, type: ObjectType | null, accessMode: number, process: ObProcess):
    { status: number; object?: KernelObject; grantedAccess?: number } {
    const entry = this.ObpReferenceHandleEntry(handle, desiredAccess, type, accessMode, process);
    if (typeof entry === 'number') return { status: entry };
    return { status: STATUS_SUCCESS, object: entry.object, grantedAccess: entry.grantedAccess };
  }

  /**
   * ObReferenceObjectByHandle's work, for the I/O manager's services: the
   * handle's entry, its object referenced, or the failure status. Makes no
   * object on the way (a DeviceIoControl references its file on every call).
   */
  ObpReferenceHandleEntry(handle: number, desiredAccess: number, type: ObjectType | null, accessMode: number, process: ObProcess):
    HandleEntry | number {
    // NtCurrentProcess()/NtCurrentThread() name the caller's own process/thread: any other expected type is a mismatch.
    // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obreferenceobjectbyhandle
    if (handle === NtCurrentProcess || handle === NtCurrentThread) {
      const self: KernelObject = handle === NtCurrentProcess ? process : this.k.currentThread;
      if (type && self.header.type !== type) return STATUS_OBJECT_TYPE_MISMATCH;
      this.ObReferenceObject(self);
      return { object: self, grantedAccess: 0x001f_ffff, attributes: 0 }; // PROCESS_ALL_ACCESS / THREAD_ALL_ACCESS
    }
    handle = ExpClearHandleTagBits(handle);
    if (accessMode === UserMode && isKernelHandle(handle)) return STATUS_INVALID_HANDLE;
    const entry = this.tableFor(handle, process).lookup(handle);
    if (!entry) return STATUS_INVALID_HANDLE;
    if (type && entry.object.header.type !== type) return STATUS_OBJECT_TYPE_MISMATCH;
    if (accessMode === UserMode && (entry.grantedAccess & desiredAccess) !== desiredAccess) return STATUS_ACCESS_DENIED;
    this.ObReferenceObject(entry.object);
    return entry;
  }

  /** NtClose / ZwClose. A bad kernel handle closed from kernel mode is a bug check (0x93). */
  closeHandle(value: number, previousMode: number, process: ObProcess): number {
    const handle = ExpClearHandleTagBits(value);
    if (previousMode === UserMode && isKernelHandle(handle)) return STATUS_INVALID_HANDLE;
    const table = this.tableFor(handle, process);
    const entry = table.lookup(handle);
    if (!entry) {
      if (previousMode === KernelMode && isKernelHandle(handle)) {
        this.k.bugCheck(INVALID_KERNEL_HANDLE, value, 1, 0, 0, `A kernel-mode caller closed ${value}, which is not an open kernel handle.`);
      }
      return STATUS_INVALID_HANDLE;
    }
    table.remove(handle);
    this.releaseHandle(entry, process);
    return STATUS_SUCCESS;
  }

  /** The second half of closing: the close procedure on the last handle in the process, then the reference. */
  private releaseHandle(entry: HandleEntry, process: ObProcess): void {
    const body = entry.object;
    const before = body.header.HandleCount--;
    this.procedures.get(body.header.type)?.close?.(body, before);
    if (body.header.HandleCount === 0 && body.header.directory && !body.header.permanent) this.removeName(body);
    void process;
    this.ObDereferenceObject(body);
  }

  /** Closes every handle of a dying process, lowest value first (ObKillProcess). */
  closeAllHandles(process: ObProcess): void {
    for (const handle of process.ObjectTable.handles()) {
      const entry = process.ObjectTable.remove(handle);
      if (entry) this.releaseHandle(entry, process);
    }
  }

  /** Handles open in every process (for resource accounting). */
  handleCount(): number {
    let n = 0;
    for (const p of this.k.processes) n += p.ObjectTable.count;
    return n;
  }
}

/** Pool was exhausted while creating an object; callers turn it into STATUS_INSUFFICIENT_RESOURCES. */
export class ObjectAllocationFailed extends Error {
  override readonly name = 'ObjectAllocationFailed';
  readonly status = STATUS_INSUFFICIENT_RESOURCES;
}

/**
 * NtClose, as the system service: the caller's mode decides whether a kernel handle may be closed.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntclose
 */
export function NtClose(k: ObContext, Handle: number): number {
  return k.ob.closeHandle(Handle, k.currentThread.PreviousMode, k.currentProcess);
}
