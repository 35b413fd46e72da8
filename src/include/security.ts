/**
 * Security structures as winnt.h defines them, in the form the kernel keeps
 * them once captured: SIDs as their string form (S-1-5-18), an ACL as its
 * list of ACEs, a SECURITY_DESCRIPTOR as its owner, group and DACL. The
 * binary layouts (self-relative and absolute) are read and written by
 * kernel/se/security-descriptor.ts; SDDL by kernel/se/sddl.ts.
 * https://learn.microsoft.com/windows/win32/secauthz/security-descriptors
 */

/** A SID in its string form, `S-1-<authority>-<sub>-<sub>...` (ConvertSidToStringSid). */
export type Sid = string;

/** ACE_HEADER.AceType values ntshm models. https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-ace_header */
export const ACCESS_ALLOWED_ACE_TYPE = 0x0;
export const ACCESS_DENIED_ACE_TYPE = 0x1;

/** ACE_HEADER.AceFlags: inheritance. */
export const OBJECT_INHERIT_ACE = 0x01;
export const CONTAINER_INHERIT_ACE = 0x02;
export const NO_PROPAGATE_INHERIT_ACE = 0x04;
export const INHERIT_ONLY_ACE = 0x08;
export const INHERITED_ACE = 0x10;

/** An ACE: allow or deny `Mask` to `Sid`. */
export interface Ace {
  readonly AceType: typeof ACCESS_ALLOWED_ACE_TYPE | typeof ACCESS_DENIED_ACE_TYPE;
  readonly AceFlags: number;
  readonly Mask: number;
  readonly Sid: Sid;
}

/** SECURITY_DESCRIPTOR_CONTROL bits. https://learn.microsoft.com/windows/win32/secauthz/security-descriptor-control */
export const SE_OWNER_DEFAULTED = 0x0001;
export const SE_GROUP_DEFAULTED = 0x0002;
export const SE_DACL_PRESENT = 0x0004;
export const SE_DACL_DEFAULTED = 0x0008;
export const SE_SACL_PRESENT = 0x0010;
export const SE_DACL_AUTO_INHERIT_REQ = 0x0100;
export const SE_DACL_AUTO_INHERITED = 0x0400;
export const SE_DACL_PROTECTED = 0x1000;
export const SE_SELF_RELATIVE = 0x8000;

/** SECURITY_DESCRIPTOR_REVISION, ACL_REVISION, SID_REVISION. */
export const SECURITY_DESCRIPTOR_REVISION = 1;
export const ACL_REVISION = 2;
export const SID_REVISION = 1;

/**
 * A security descriptor: Control (SE_DACL_PRESENT, SE_DACL_PROTECTED, ...),
 * Owner and Group (absent when the descriptor has none), and the DACL's
 * ACEs. `Dacl` is null when SE_DACL_PRESENT is clear or the DACL pointer is
 * NULL (a NULL DACL: everyone gets every right); an empty array is an empty
 * DACL (nobody gets anything but the owner's implicit rights).
 */
export interface SecurityDescriptor {
  readonly Control: number;
  readonly Owner?: Sid;
  readonly Group?: Sid;
  readonly Dacl: readonly Ace[] | null;
}

/** GENERIC_MAPPING: what each generic right means for an object type. https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-generic_mapping */
export interface GenericMapping {
  readonly GenericRead: number;
  readonly GenericWrite: number;
  readonly GenericExecute: number;
  readonly GenericAll: number;
}

/** Directory object rights (ntobapi.h). */
export const DIRECTORY_QUERY = 0x0001;
export const DIRECTORY_TRAVERSE = 0x0002;
export const DIRECTORY_CREATE_OBJECT = 0x0004;
export const DIRECTORY_CREATE_SUBDIRECTORY = 0x0008;
export const DIRECTORY_ALL_ACCESS = 0x000f_000f;
/** Symbolic link rights (ntobapi.h). */
export const SYMBOLIC_LINK_QUERY = 0x0001;
export const SYMBOLIC_LINK_ALL_ACCESS = 0x000f_0001;

/** OBJ_INVALID_SESSION_ID: a directory that belongs to no session (ObpLookupObjectName's check skips it). */
export const OBJ_INVALID_SESSION_ID = 0xffff_ffff;

/**
 * Privilege LUIDs (the LowPart; ntseapi.h / wdm.h SE_*_PRIVILEGE).
 * https://learn.microsoft.com/windows/win32/secauthz/privilege-constants
 */
export const SE_CREATE_TOKEN_PRIVILEGE = 2;
export const SE_ASSIGNPRIMARYTOKEN_PRIVILEGE = 3;
export const SE_LOCK_MEMORY_PRIVILEGE = 4;
export const SE_INCREASE_QUOTA_PRIVILEGE = 5;
export const SE_TCB_PRIVILEGE = 7;
export const SE_SECURITY_PRIVILEGE = 8;
export const SE_TAKE_OWNERSHIP_PRIVILEGE = 9;
export const SE_LOAD_DRIVER_PRIVILEGE = 10;
export const SE_SYSTEM_PROFILE_PRIVILEGE = 11;
export const SE_SYSTEMTIME_PRIVILEGE = 12;
export const SE_PROF_SINGLE_PROCESS_PRIVILEGE = 13;
export const SE_INC_BASE_PRIORITY_PRIVILEGE = 14;
export const SE_CREATE_PAGEFILE_PRIVILEGE = 15;
export const SE_CREATE_PERMANENT_PRIVILEGE = 16;
export const SE_BACKUP_PRIVILEGE = 17;
export const SE_RESTORE_PRIVILEGE = 18;
export const SE_SHUTDOWN_PRIVILEGE = 19;
export const SE_DEBUG_PRIVILEGE = 20;
export const SE_AUDIT_PRIVILEGE = 21;
export const SE_SYSTEM_ENVIRONMENT_PRIVILEGE = 22;
export const SE_CHANGE_NOTIFY_PRIVILEGE = 23;
export const SE_REMOTE_SHUTDOWN_PRIVILEGE = 24;
export const SE_UNDOCK_PRIVILEGE = 25;
export const SE_MANAGE_VOLUME_PRIVILEGE = 28;
export const SE_IMPERSONATE_PRIVILEGE = 29;
export const SE_CREATE_GLOBAL_PRIVILEGE = 30;
export const SE_INC_WORKING_SET_PRIVILEGE = 33;
export const SE_TIME_ZONE_PRIVILEGE = 34;
export const SE_CREATE_SYMBOLIC_LINK_PRIVILEGE = 35;

/** Well-known SIDs. https://learn.microsoft.com/windows/win32/secauthz/well-known-sids */
export const SID_WORLD = 'S-1-1-0';
export const SID_CREATOR_OWNER = 'S-1-3-0';
export const SID_CREATOR_GROUP = 'S-1-3-1';
export const SID_INTERACTIVE = 'S-1-5-4';
export const SID_AUTHENTICATED_USERS = 'S-1-5-11';
export const SID_RESTRICTED_CODE = 'S-1-5-12';
export const SID_LOCAL_SYSTEM = 'S-1-5-18';
export const SID_LOCAL_SERVICE = 'S-1-5-19';
export const SID_NETWORK_SERVICE = 'S-1-5-20';
export const SID_BUILTIN_ADMINISTRATORS = 'S-1-5-32-544';
export const SID_BUILTIN_USERS = 'S-1-5-32-545';
