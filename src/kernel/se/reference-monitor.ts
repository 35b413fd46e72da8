/**
 * The security reference monitor as the object manager calls it
 * (ob/security.ts): every check for the current thread's process's primary
 * token (ntshm has no impersonation). Registered with ob when the kernel is
 * built (kernel.ts).
 */
import type { GenericMapping } from '../../include/security.js';
import type { ObContext } from '../ob/context.js';
import type { ObSecurityMonitor } from '../ob/security.js';
import type { EProcess } from '../ps/process.js';
import { SepAccessCheck } from './access-check.js';
import { SepAssignSecurity } from './assign.js';
import { SeCaptureSecurityDescriptor } from './security-descriptor.js';
import { SeProcessToken, SeSinglePrivilegeCheck, type Token } from './token.js';

const NO_MAPPING: GenericMapping = { GenericRead: 0, GenericWrite: 0, GenericExecute: 0, GenericAll: 0 };

/** The subject of a check: the primary token of the current thread's own process (not the one it is attached to). */
export const SepSubjectToken = (k: ObContext): Token => SeProcessToken(k, k.currentThread.process as unknown as EProcess);

/** Registers the reference monitor with the object manager. */
export function SeInitializeReferenceMonitor(k: ObContext): void {
  const monitor: ObSecurityMonitor = {
    SeAccessCheck: (body, desiredAccess, mapping) =>
      SepAccessCheck(body.header.SecurityDescriptor, SepSubjectToken(k), desiredAccess, mapping ?? NO_MAPPING),
    SeAssignSecurity: (parent, explicit, isDirectory, mapping) =>
      SepAssignSecurity(SepSubjectToken(k), parent?.header.SecurityDescriptor, explicit, isDirectory, mapping ?? NO_MAPPING),
    SeSinglePrivilegeCheck: (luid, accessMode) =>
      SeSinglePrivilegeCheck(k, luid, accessMode, k.currentThread.process as unknown as EProcess),
    SeCaptureSecurityDescriptor: (va, previousMode) => SeCaptureSecurityDescriptor(k, va, previousMode),
  };
  k.ob.registerSecurity(monitor);
}
