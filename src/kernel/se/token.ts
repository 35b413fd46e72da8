/**
 * A minimal primary token: which privileges a process holds and which of
 * them are enabled, enough for SeSinglePrivilegeCheck and
 * NtAdjustPrivilegesToken. There are no SIDs, groups or DACLs (docs/fidelity.md).
 *
 *   System process        SeLoadDriverPrivilege present, enabled
 *   administrator         present, disabled (an elevated admin's token: enable it first)
 *   standard user         absent
 *
 * https://learn.microsoft.com/windows/win32/secauthz/access-tokens
 */
import { KernelMode } from '../../include/wdm-constants.js';
import type { ObContext } from '../ob/context.js';
import { KernelObject, type ObjectType } from '../ob/object.js';
import type { EProcess } from '../ps/process.js';

/** The Token object type (body size: TOKEN on Windows 10). */
export const SeTokenObjectType: ObjectType = { name: 'Token', bodySize: { x64: 0x498, x86: 0x2b0 } };

/** Privilege LUIDs (ntseapi.h), the LowPart of each. https://learn.microsoft.com/windows/win32/secauthz/privilege-constants */
export const SE_LOAD_DRIVER_PRIVILEGE = 10;
/** SE_DEBUG_PRIVILEGE, SE_SHUTDOWN_PRIVILEGE, SE_CHANGE_NOTIFY_PRIVILEGE: held by administrators as well. */
export const SE_SHUTDOWN_PRIVILEGE = 19;
export const SE_DEBUG_PRIVILEGE = 20;
export const SE_CHANGE_NOTIFY_PRIVILEGE = 23;

/** LUID_AND_ATTRIBUTES.Attributes bits. */
export const SE_PRIVILEGE_ENABLED_BY_DEFAULT = 0x1;
export const SE_PRIVILEGE_ENABLED = 0x2;

/** TOKEN: the privileges held (by LUID) and whether each is enabled. */
export class Token extends KernelObject {
  /** LUID → enabled. A LUID absent from the map is not held. */
  readonly privileges = new Map<number, boolean>();
  constructor() {
    super(SeTokenObjectType);
  }
}

/** The token a process starts with, made from who runs it (EPROCESS.user) on first use. */
function SepCreatePrimaryToken(k: ObContext, process: EProcess): Token {
  const token = k.ob.ObCreateObject(new Token());
  const system = process === (k.systemProcess as unknown);
  token.privileges.set(SE_CHANGE_NOTIFY_PRIVILEGE, true);
  if (system) {
    for (const luid of [SE_LOAD_DRIVER_PRIVILEGE, SE_SHUTDOWN_PRIVILEGE, SE_DEBUG_PRIVILEGE]) token.privileges.set(luid, true);
  } else if (process.user === 'admin') {
    for (const luid of [SE_LOAD_DRIVER_PRIVILEGE, SE_SHUTDOWN_PRIVILEGE, SE_DEBUG_PRIVILEGE]) token.privileges.set(luid, false);
  } else {
    token.privileges.set(SE_SHUTDOWN_PRIVILEGE, false);
  }
  return token;
}

/** PsReferencePrimaryToken without the reference: the process's token (EPROCESS.Token), made on first use. */
export function SeProcessToken(k: ObContext, process: EProcess): Token {
  if (!(process.Token instanceof Token)) process.Token = SepCreatePrimaryToken(k, process);
  return process.Token as Token;
}

/**
 * SeSinglePrivilegeCheck: a kernel-mode caller always passes; a user-mode
 * caller needs the privilege present and enabled in its process's token.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-sesingleprivilegecheck
 */
export function SeSinglePrivilegeCheck(k: ObContext, luid: number, previousMode: number, process: EProcess): boolean {
  if (previousMode === KernelMode) return true;
  return SeProcessToken(k, process).privileges.get(luid) === true;
}
