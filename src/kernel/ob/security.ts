/**
 * What the object manager asks of the security reference monitor (se),
 * which sits above it in ntshm's layers and registers itself when the
 * kernel is built (kernel.ts): Ob calls Se for every access check, as
 * ObCheckObjectAccess and ObpLookupObjectName call SeAccessCheck and
 * SeSinglePrivilegeCheck on Windows.
 */
import type { GenericMapping, SecurityDescriptor } from '../../include/security.js';
import type { KernelObject } from './object.js';

/** An access check's outcome: STATUS_SUCCESS and the rights granted, or STATUS_ACCESS_DENIED (or another failure) and 0. */
export interface AccessCheckResult {
  status: number;
  grantedAccess: number;
}

/** The security reference monitor, as ob sees it. Every check is made for the current thread's process's primary token. */
export interface ObSecurityMonitor {
  /**
   * SeAccessCheck: the rights `desiredAccess` (generic bits mapped with
   * `mapping`; MAXIMUM_ALLOWED for all the DACL allows) that the object's
   * descriptor grants the caller. An object without a descriptor grants all.
   */
  SeAccessCheck(body: KernelObject, desiredAccess: number, mapping: GenericMapping | undefined): AccessCheckResult;
  /**
   * SeAssignSecurity: the descriptor of a new object, from the one the
   * caller gave (`explicit`), else the inheritable ACEs of its directory
   * (`parent`), else the creator's token's default DACL.
   */
  SeAssignSecurity(parent: KernelObject | undefined, explicit: SecurityDescriptor | undefined, isDirectory: boolean,
    mapping: GenericMapping | undefined): SecurityDescriptor;
  /** SeSinglePrivilegeCheck: a KernelMode caller always has the privilege; a UserMode one needs it held and enabled. */
  SeSinglePrivilegeCheck(luid: number, accessMode: number): boolean;
  /**
   * SeCaptureSecurityDescriptor: reads the SECURITY_DESCRIPTOR at `va`
   * (self-relative or absolute), probed if `previousMode` is UserMode;
   * raises NtException on a bad pointer or a malformed descriptor.
   */
  SeCaptureSecurityDescriptor(va: number, previousMode: number): SecurityDescriptor;
}
