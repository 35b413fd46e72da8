/**
 * Object headers and reference counts. Every kernel object (process, thread,
 * device, driver, file, symbolic link, directory) has a header in front of
 * its body, and both live in pool, so pool accounting sees every object.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/managing-kernel-objects
 */
import type { GenericMapping, SecurityDescriptor } from '../../include/security.js';
/**
 * What the object manager needs to know about a type (OBJECT_TYPE): its name
 * and size. The type's procedures are a machine's, registered with its
 * object manager by the subsystem that owns the type (ObjectManager.registerType).
 */
export interface ObjectType {
  readonly name: string;
  /** Size of the body, x64 and x86, from the public symbols of Windows 10. */
  readonly bodySize: { readonly x64: number; readonly x86: number };
  /** OBJECT_TYPE_INITIALIZER.GenericMapping: what GENERIC_READ... mean for the type (none: the generic bits map to nothing). */
  readonly GenericMapping?: GenericMapping;
  /**
   * Whether creating one in another session's directory (a session 1
   * program in `\BaseNamedObjects`) needs SeCreateGlobalPrivilege: true for
   * sections and symbolic links, the two types ObpLookupObjectName checks
   * (WRK base/ntos/ob/obdir.c).
   */
  readonly sessionRestricted?: boolean;
  /**
   * OBJECT_TYPE_INITIALIZER.CaseInsensitive: names of this type are looked
   * up without case even without OBJ_CASE_INSENSITIVE (ObpLookupObjectName
   * adds the flag for such types while ObpCaseInsensitive is 1, its
   * default). Directories, symbolic links, devices and keys are; a type
   * without it (sections) compares names with case unless the caller sets
   * OBJ_CASE_INSENSITIVE, which kernel32 does not.
   */
  readonly caseInsensitive?: boolean;
  /**
   * OBJECT_TYPE.DefaultObject, for a type whose body holds a dispatcher
   * object it is waited on through: its offset (a file object's Event).
   * Types whose body is a dispatcher object need none.
   */
  readonly waitObjectOffset?: { readonly x64: number; readonly x86: number };
}

/** OBJECT_TYPE_INITIALIZER's procedures, as one machine's owner of the type registers them. */
export interface ObjectTypeProcedures<T extends KernelObject = KernelObject> {
  /** Called when the last handle in a process is closed (IRP_MJ_CLEANUP for files). */
  close?(body: T, handleCountBefore: number): void;
  /** Called when the last reference goes (IRP_MJ_CLOSE for files, address-space teardown for processes). */
  delete?(body: T): void;
}

/** OBJECT_HEADER, reduced to what ntshm models. */
export class ObjectHeader {
  PointerCount = 1;
  HandleCount = 0;
  /** Name in its directory, if named. */
  name: string | undefined;
  /** Directory holding the name. */
  directory: KernelObject | undefined;
  permanent = false;
  /** Who named it: the process and the caller's mode (for the squatting finding). */
  creator: { process: string; mode: number } | undefined;
  /** The object's security descriptor (OBJECT_HEADER.SecurityDescriptor); none: every access is granted. */
  SecurityDescriptor: SecurityDescriptor | undefined;
  /**
   * Openable by name from kernel mode only: a user-mode open (or one forced
   * to be checked as user mode) is STATUS_ACCESS_DENIED whatever the DACL
   * says, as `\Device\PhysicalMemory` is since Windows Server 2003 SP1
   * ("refused regardless of the user context"; kernel-mode access unchanged):
   * https://technet.microsoft.com/library/cc787565 (Device\PhysicalMemory Object)
   */
  kernelOnly = false;
  /** The process that created it with OBJ_EXCLUSIVE: no other handle may be opened to it (OBJECT_HEADER_QUOTA_INFO.ExclusiveProcess). */
  exclusiveProcess: KernelObject | undefined;
  /** Kernel address of the header (the body follows it). */
  address = 0;

  constructor(readonly type: ObjectType) {}
}

/** Base of every object body. `address` is the body's kernel address, the value a C pointer would hold. */
export abstract class KernelObject {
  readonly header: ObjectHeader;
  address = 0;

  constructor(type: ObjectType) {
    this.header = new ObjectHeader(type);
  }
}

/** OBJECT_HEADER is 0x30 bytes on x64, 0x18 on x86. */
export const objectHeaderSize = (arch: 'x64' | 'x86'): number => (arch === 'x64' ? 0x30 : 0x18);
