/**
 * Primary tokens: who a process runs as (user SID and groups), the
 * privileges it holds and which are enabled, the owner and DACL its new
 * objects get by default, and its session.
 *
 *                 User                 Groups (enabled)        Owner  Privileges (enabled / held disabled)
 *   System        SY                   BA, WD, AU              BA     all of them enabled (SeCreatePermanent, SeCreateGlobal, SeLoadDriver, SeDebug, ...)
 *   admin         S-1-5-21-...-1000    BA, BU, WD, IU, AU      BA     SeChangeNotify, SeCreateGlobal, SeImpersonate enabled;
 *                 (an elevated administrator)                         SeLoadDriver, SeDebug, SeShutdown, SeSecurity, ... held, disabled
 *   user          S-1-5-21-...-1001    BU, WD, IU, AU          itself SeChangeNotify enabled; SeShutdown, SeUndock,
 *                 (a standard user)                                   SeIncreaseWorkingSet, SeTimeZone held, disabled
 *
 * Default DACLs: System (A;;GA;;;SY)(A;;GRGX;;;BA); admin (A;;GA;;;BA)(A;;GA;;;SY);
 * user (A;;GA;;;<user>)(A;;GA;;;SY). Windows adds the logon SID (GRGX) to the
 * last two; ntshm has no logon sessions (docs/fidelity.md).
 * https://learn.microsoft.com/windows/win32/secauthz/access-tokens
 * https://learn.microsoft.com/windows/win32/secauthz/privilege-constants
 */
import {
  ACCESS_ALLOWED_ACE_TYPE, SE_AUDIT_PRIVILEGE, SE_BACKUP_PRIVILEGE, SE_CHANGE_NOTIFY_PRIVILEGE, SE_CREATE_GLOBAL_PRIVILEGE,
  SE_CREATE_PAGEFILE_PRIVILEGE, SE_CREATE_PERMANENT_PRIVILEGE, SE_CREATE_SYMBOLIC_LINK_PRIVILEGE, SE_CREATE_TOKEN_PRIVILEGE, SE_DEBUG_PRIVILEGE,
  SE_IMPERSONATE_PRIVILEGE, SE_INC_BASE_PRIORITY_PRIVILEGE, SE_INC_WORKING_SET_PRIVILEGE, SE_INCREASE_QUOTA_PRIVILEGE, SE_LOAD_DRIVER_PRIVILEGE,
  SE_LOCK_MEMORY_PRIVILEGE, SE_MANAGE_VOLUME_PRIVILEGE, SE_PROF_SINGLE_PROCESS_PRIVILEGE, SE_REMOTE_SHUTDOWN_PRIVILEGE, SE_RESTORE_PRIVILEGE,
  SE_SECURITY_PRIVILEGE, SE_SHUTDOWN_PRIVILEGE, SE_SYSTEM_ENVIRONMENT_PRIVILEGE, SE_SYSTEM_PROFILE_PRIVILEGE, SE_SYSTEMTIME_PRIVILEGE,
  SE_TAKE_OWNERSHIP_PRIVILEGE, SE_TCB_PRIVILEGE, SE_TIME_ZONE_PRIVILEGE, SE_UNDOCK_PRIVILEGE, SE_ASSIGNPRIMARYTOKEN_PRIVILEGE,
  SID_AUTHENTICATED_USERS, SID_BUILTIN_ADMINISTRATORS, SID_BUILTIN_USERS, SID_INTERACTIVE, SID_LOCAL_SYSTEM, SID_WORLD,
  type Ace, type Sid,
} from '../../include/security.js';
import { GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, KernelMode } from '../../include/wdm-constants.js';
import type { ObContext } from '../ob/context.js';
import { KernelObject, type ObjectType } from '../ob/object.js';
import type { EProcess } from '../ps/process.js';
import { ADMIN_USER_SID, STANDARD_USER_SID } from './sid.js';

export {
  SE_LOAD_DRIVER_PRIVILEGE, SE_SHUTDOWN_PRIVILEGE, SE_DEBUG_PRIVILEGE, SE_CHANGE_NOTIFY_PRIVILEGE, SE_CREATE_GLOBAL_PRIVILEGE,
  SE_CREATE_PERMANENT_PRIVILEGE,
} from '../../include/security.js';

/** The Token object type (body size: TOKEN on Windows 10). */
export const SeTokenObjectType: ObjectType = { name: 'Token', bodySize: { x64: 0x498, x86: 0x2b0 } };

/** LUID_AND_ATTRIBUTES.Attributes bits. */
export const SE_PRIVILEGE_ENABLED_BY_DEFAULT = 0x1;
export const SE_PRIVILEGE_ENABLED = 0x2;

/** SID_AND_ATTRIBUTES.Attributes of a token group. https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-token_groups */
export const SE_GROUP_MANDATORY = 0x1;
export const SE_GROUP_ENABLED_BY_DEFAULT = 0x2;
export const SE_GROUP_ENABLED = 0x4;
export const SE_GROUP_OWNER = 0x8;
export const SE_GROUP_USE_FOR_DENY_ONLY = 0x10;

/** A group of a token. */
export interface TokenGroup {
  readonly Sid: Sid;
  readonly Attributes: number;
}

/** Who a token is made for. */
export type TokenKind = 'system' | 'admin' | 'user';

/** TOKEN: user, groups, privileges (LUID → enabled), default owner, primary group and DACL, session. */
export class Token extends KernelObject {
  /** LUID → enabled. A LUID absent from the map is not held. */
  readonly privileges = new Map<number, boolean>();
  User: Sid = SID_LOCAL_SYSTEM;
  Groups: readonly TokenGroup[] = [];
  /** TokenOwner: the owner of the objects it creates. */
  Owner: Sid = SID_LOCAL_SYSTEM;
  PrimaryGroup: Sid = SID_LOCAL_SYSTEM;
  /** TokenDefaultDacl: the DACL of what it creates where nothing is inherited. */
  DefaultDacl: readonly Ace[] = [];
  SessionId = 0;
  constructor() {
    super(SeTokenObjectType);
  }
}

const allow = (Sid: Sid, Mask: number): Ace => ({ AceType: ACCESS_ALLOWED_ACE_TYPE, AceFlags: 0, Mask, Sid });
const ENABLED_GROUP = SE_GROUP_MANDATORY | SE_GROUP_ENABLED_BY_DEFAULT | SE_GROUP_ENABLED;

/** Privileges an elevated administrator holds; those in ADMIN_ENABLED are enabled. */
const ADMIN_PRIVILEGES = [
  SE_INCREASE_QUOTA_PRIVILEGE, SE_SECURITY_PRIVILEGE, SE_TAKE_OWNERSHIP_PRIVILEGE, SE_LOAD_DRIVER_PRIVILEGE, SE_SYSTEM_PROFILE_PRIVILEGE,
  SE_SYSTEMTIME_PRIVILEGE, SE_PROF_SINGLE_PROCESS_PRIVILEGE, SE_INC_BASE_PRIORITY_PRIVILEGE, SE_CREATE_PAGEFILE_PRIVILEGE, SE_BACKUP_PRIVILEGE,
  SE_RESTORE_PRIVILEGE, SE_SHUTDOWN_PRIVILEGE, SE_DEBUG_PRIVILEGE, SE_SYSTEM_ENVIRONMENT_PRIVILEGE, SE_CHANGE_NOTIFY_PRIVILEGE,
  SE_REMOTE_SHUTDOWN_PRIVILEGE, SE_UNDOCK_PRIVILEGE, SE_MANAGE_VOLUME_PRIVILEGE, SE_IMPERSONATE_PRIVILEGE, SE_CREATE_GLOBAL_PRIVILEGE,
  SE_INC_WORKING_SET_PRIVILEGE, SE_TIME_ZONE_PRIVILEGE, SE_CREATE_SYMBOLIC_LINK_PRIVILEGE,
];
const ADMIN_ENABLED = new Set([SE_CHANGE_NOTIFY_PRIVILEGE, SE_CREATE_GLOBAL_PRIVILEGE, SE_IMPERSONATE_PRIVILEGE]);
/** The System process holds these too (LocalSystem's privileges). */
const SYSTEM_ONLY_PRIVILEGES = [
  SE_CREATE_TOKEN_PRIVILEGE, SE_ASSIGNPRIMARYTOKEN_PRIVILEGE, SE_LOCK_MEMORY_PRIVILEGE, SE_TCB_PRIVILEGE, SE_CREATE_PERMANENT_PRIVILEGE,
  SE_AUDIT_PRIVILEGE,
];
const USER_PRIVILEGES = [SE_SHUTDOWN_PRIVILEGE, SE_CHANGE_NOTIFY_PRIVILEGE, SE_UNDOCK_PRIVILEGE, SE_INC_WORKING_SET_PRIVILEGE, SE_TIME_ZONE_PRIVILEGE];

/** Fills a token for `kind` (SepCreateSystemProcessToken, or what LSA gives a logon). */
export function SepInitializeToken(token: Token, kind: TokenKind, sessionId: number): Token {
  token.SessionId = sessionId;
  token.privileges.clear();
  if (kind === 'system') {
    token.User = SID_LOCAL_SYSTEM;
    token.Groups = [SID_BUILTIN_ADMINISTRATORS, SID_WORLD, SID_AUTHENTICATED_USERS]
      .map((Sid) => ({ Sid, Attributes: ENABLED_GROUP | (Sid === SID_BUILTIN_ADMINISTRATORS ? SE_GROUP_OWNER : 0) }));
    token.Owner = SID_BUILTIN_ADMINISTRATORS;
    token.PrimaryGroup = SID_LOCAL_SYSTEM;
    token.DefaultDacl = [allow(SID_LOCAL_SYSTEM, GENERIC_ALL), allow(SID_BUILTIN_ADMINISTRATORS, (GENERIC_READ | GENERIC_EXECUTE) >>> 0)];
    for (const luid of [...ADMIN_PRIVILEGES, ...SYSTEM_ONLY_PRIVILEGES]) token.privileges.set(luid, true);
  } else if (kind === 'admin') {
    token.User = ADMIN_USER_SID;
    token.Groups = [SID_BUILTIN_ADMINISTRATORS, SID_BUILTIN_USERS, SID_WORLD, SID_INTERACTIVE, SID_AUTHENTICATED_USERS]
      .map((Sid) => ({ Sid, Attributes: ENABLED_GROUP | (Sid === SID_BUILTIN_ADMINISTRATORS ? SE_GROUP_OWNER : 0) }));
    token.Owner = SID_BUILTIN_ADMINISTRATORS;
    token.PrimaryGroup = ADMIN_USER_SID;
    token.DefaultDacl = [allow(SID_BUILTIN_ADMINISTRATORS, GENERIC_ALL), allow(SID_LOCAL_SYSTEM, GENERIC_ALL)];
    for (const luid of ADMIN_PRIVILEGES) token.privileges.set(luid, ADMIN_ENABLED.has(luid));
  } else {
    token.User = STANDARD_USER_SID;
    token.Groups = [SID_BUILTIN_USERS, SID_WORLD, SID_INTERACTIVE, SID_AUTHENTICATED_USERS].map((Sid) => ({ Sid, Attributes: ENABLED_GROUP }));
    token.Owner = STANDARD_USER_SID;
    token.PrimaryGroup = STANDARD_USER_SID;
    token.DefaultDacl = [allow(STANDARD_USER_SID, GENERIC_ALL), allow(SID_LOCAL_SYSTEM, GENERIC_ALL)];
    for (const luid of USER_PRIVILEGES) token.privileges.set(luid, luid === SE_CHANGE_NOTIFY_PRIVILEGE);
  }
  return token;
}

/** The token a process starts with, made from who runs it (EPROCESS.user) on first use. */
function SepCreatePrimaryToken(k: ObContext, process: EProcess): Token {
  const token = k.ob.ObCreateObject(new Token());
  const kind: TokenKind = process === (k.systemProcess as unknown) ? 'system' : process.user;
  return SepInitializeToken(token, kind, process.SessionId);
}

/** PsReferencePrimaryToken without the reference: the process's token (EPROCESS.Token), made on first use. */
export function SeProcessToken(k: ObContext, process: EProcess): Token {
  if (!(process.Token instanceof Token)) process.Token = SepCreatePrimaryToken(k, process);
  return process.Token as Token;
}

/** Whether a token's user or one of its enabled groups is `sid` (deny-only groups count for deny ACEs only). */
export function SepSidInToken(token: Token, sid: Sid, forDeny = false): boolean {
  if (token.User === sid) return true;
  return token.Groups.some((g) => g.Sid === sid && ((g.Attributes & SE_GROUP_ENABLED) !== 0 || (forDeny && (g.Attributes & SE_GROUP_USE_FOR_DENY_ONLY) !== 0)));
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
