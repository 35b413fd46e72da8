/**
 * Bug check codes (KeBugCheckEx's BugCheckCode) and a code-to-name lookup
 * built from this module's own exports.
 */
import { constantNamer } from './constant-names.js';
import * as codes from './bugcodes.js';

// Codes and names: Bug Check Code Reference.
// https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-code-reference2

// Scheduler, IRQL and APC state (0x01-0x20).
/** An APC state index or APC-disable count was unbalanced on return to user mode. */
export const APC_INDEX_MISMATCH = 0x01;
/** KeSetAffinityThread with an invalid affinity set. */
export const INVALID_AFFINITY_SET = 0x03;
/** KeAttachProcess while already attached or at an invalid point. */
export const INVALID_PROCESS_ATTACH_ATTEMPT = 0x05;
/** KeDetachProcess with no matching attach. */
export const INVALID_PROCESS_DETACH_ATTEMPT = 0x06;
/** A routine that must run at DISPATCH_LEVEL was called at another IRQL. */
export const IRQL_NOT_DISPATCH_LEVEL = 0x08;
/** IRQL was lower than a routine requires. */
export const IRQL_NOT_GREATER_OR_EQUAL = 0x09;
/** Pageable or invalid memory touched at raised IRQL (not attributed to a driver). */
export const IRQL_NOT_LESS_OR_EQUAL = 0x0a;
/** No exception handling support (exception raised too early). */
export const NO_EXCEPTION_HANDLING_SUPPORT = 0x0b;
/** A wait on more objects than MAXIMUM_WAIT_OBJECTS. */
export const MAXIMUM_WAIT_OBJECTS_EXCEEDED = 0x0c;
/** Acquiring a spin lock the processor already holds. */
export const SPIN_LOCK_ALREADY_OWNED = 0x0f;
/** Releasing a spin lock that is not held. */
export const SPIN_LOCK_NOT_OWNED = 0x10;
/** Releasing a mutex the thread does not own. */
export const THREAD_NOT_MUTEX_OWNER = 0x11;
/** An object's reference count went wrong (dereferenced too often). */
export const REFERENCE_BY_POINTER = 0x18;
/** The pool header is corrupt. */
export const BAD_POOL_HEADER = 0x19;
/** A memory-manager invariant broke (P1 says which). */
export const MEMORY_MANAGEMENT = 0x1a;
/** A kernel-mode exception was not handled. */
export const KMODE_EXCEPTION_NOT_HANDLED = 0x1e;
/** A thread exited with a kernel APC pending or APCs disabled. */
export const KERNEL_APC_PENDING_DURING_EXIT = 0x20;

// System services, PTEs and I/O (0x35-0x50).
/** IoCallDriver ran out of stack locations. */
export const NO_MORE_IRP_STACK_LOCATIONS = 0x35;
/** A device object was deleted while still referenced. */
export const DEVICE_REFERENCE_COUNT_NOT_ZERO = 0x36;
/** A thread exited owning a mutex. */
export const SYSTEM_EXIT_OWNED_MUTEX = 0x39;
/** An exception in a system-service path was not handled. */
export const SYSTEM_SERVICE_EXCEPTION = 0x3b;
/** System PTEs were exhausted. */
export const NO_MORE_SYSTEM_PTES = 0x3f;
/** An MDL is too small for the range IoBuildPartialMdl was asked to describe. */
export const TARGET_MDL_TOO_SMALL = 0x40;
/** IoCompleteRequest on an IRP that was already completed. */
export const MULTIPLE_IRP_COMPLETE_REQUESTS = 0x44;
/** A completed IRP still had a cancel routine set. */
export const CANCEL_STATE_IN_COMPLETED_IRP = 0x48;
/** Return to user mode from a system call at IRQL above PASSIVE_LEVEL. */
export const IRQL_GT_ZERO_AT_SYSTEM_SERVICE = 0x4a;
/** The PFN database is corrupt. */
export const PFN_LIST_CORRUPT = 0x4e;
/** Invalid system memory was referenced. */
export const PAGE_FAULT_IN_NONPAGED_AREA = 0x50;

// Processes, threads and handles (0x76-0xBF).
/** A process ended with pages still locked by a driver. */
export const PROCESS_HAS_LOCKED_PAGES = 0x76;
/** An exception in a system thread was not handled. */
export const SYSTEM_THREAD_EXCEPTION_NOT_HANDLED = 0x7e;
/** An unexpected kernel-mode trap (double fault, ...). */
export const UNEXPECTED_KERNEL_MODE_TRAP = 0x7f;
/** A kernel-mode exception was not handled (the 0x1E variant). */
export const KERNEL_MODE_EXCEPTION_NOT_HANDLED = 0x8e;
/** An invalid or protected kernel handle was closed. */
export const INVALID_KERNEL_HANDLE = 0x93;
/** A thread exited with its kernel stack locked. */
export const KERNEL_STACK_LOCKED_AT_EXIT = 0x94;
/** A work item was queued twice or corrupted. */
export const INVALID_WORK_QUEUE_ITEM = 0x96;
/** A driver left a device in an inconsistent power state. */
export const DRIVER_POWER_STATE_FAILURE = 0x9f;
/** The handle table is corrupt. */
export const BAD_EXHANDLE = 0xa7;
/** A session ended with pool still allocated. */
export const SESSION_HAS_VALID_POOL_ON_EXIT = 0xab;
/** A context switch was attempted from a DPC routine. */
export const ATTEMPTED_SWITCH_FROM_DPC = 0xb8;
/** A driver wrote to read-only memory. */
export const ATTEMPTED_WRITE_TO_READONLY_MEMORY = 0xbe;
/** A thread acquired a mutex it already owns. */
export const MUTEX_ALREADY_OWNED = 0xbf;

// Driver Verifier and special pool (0xC1-0xDB).
/** Special pool caught corruption (P4 says how). */
export const SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION = 0xc1;
/** A bad pool request (wrong IRQL, double free, ...). */
export const BAD_POOL_CALLER = 0xc2;
/** Driver Verifier caught a violation (P1 says which). */
export const DRIVER_VERIFIER_DETECTED_VIOLATION = 0xc4;
/** A driver touched pool at too high an IRQL or corrupted it. */
export const DRIVER_CORRUPTED_EXPOOL = 0xc5;
/** A driver modified freed pool. */
export const DRIVER_CAUGHT_MODIFYING_FREED_POOL = 0xc6;
/** A pool block being freed holds an active timer or DPC. */
export const TIMER_OR_DPC_INVALID = 0xc7;
/** The IRQL is not what the system expected. */
export const IRQL_UNEXPECTED_VALUE = 0xc8;
/** Driver Verifier's I/O verification caught a violation. */
export const DRIVER_VERIFIER_IOMANAGER_VIOLATION = 0xc9;
/** A driver left pages locked after an I/O (tracked). */
export const DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS = 0xcb;
/** A reference to freed special pool. */
export const PAGE_FAULT_IN_FREED_SPECIAL_POOL = 0xcc;
/** A reference beyond the end of a special-pool allocation. */
export const PAGE_FAULT_BEYOND_END_OF_ALLOCATION = 0xcd;
/** A driver unloaded with timers, DPCs, worker threads or lookasides still pending. */
export const DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS = 0xce;
/** A driver corrupted memory-manager pool. */
export const DRIVER_CORRUPTED_MMPOOL = 0xd0;
/** A driver touched pageable or invalid memory at raised IRQL. */
export const DRIVER_IRQL_NOT_LESS_OR_EQUAL = 0xd1;
/** A driver referenced freed special pool (attributed to a driver). */
export const DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL = 0xd5;
/** A driver referenced beyond the end of its special-pool allocation. */
export const DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION = 0xd6;
/** A driver unmapped a view that was not mapped. */
export const DRIVER_UNMAPPING_INVALID_VIEW = 0xd7;
/** A driver used too many system PTEs. */
export const DRIVER_USED_EXCESSIVE_PTES = 0xd8;
/** The locked-pages tracker is corrupt. */
export const LOCKED_PAGES_TRACKER_CORRUPTION = 0xd9;
/** A system PTE was used wrongly. */
export const SYSTEM_PTE_MISUSE = 0xda;
/** A driver corrupted system PTEs. */
export const DRIVER_CORRUPTED_SYSPTES = 0xdb;

// Worker threads, crashes on request, and later codes (0xE1 and above).
/** A worker routine returned at raised IRQL. */
export const WORKER_THREAD_RETURNED_AT_BAD_IRQL = 0xe1;
/** The user asked for a crash (keyboard or debugger). */
export const MANUALLY_INITIATED_CRASH = 0xe2;
/** Releasing a resource the thread does not own. */
export const RESOURCE_NOT_OWNED = 0xe3;
/** A work item was freed or queued while still active. */
export const WORKER_INVALID = 0xe4;
/** A process or thread critical to the system ended. */
export const CRITICAL_PROCESS_DIED = 0xef;
/** A critical object (process or thread) was terminated. */
export const CRITICAL_OBJECT_TERMINATION = 0xf4;
/** A driver overran a stack-based buffer (/GS cookie). */
export const DRIVER_OVERRAN_STACK_BUFFER = 0xf7;
/** A driver returned STATUS_REPARSE for a volume open. */
export const DRIVER_RETURNED_STATUS_REPARSE_FOR_VOLUME_OPEN = 0xf9;
/** Execution of no-execute memory was attempted. */
export const ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY = 0xfc;
/** A driver returned holding the cancel spin lock. */
export const DRIVER_RETURNED_HOLDING_CANCEL_LOCK = 0x11b;
/** A driver handle was invalid. */
export const INVALID_DRIVER_HANDLE = 0x11f;
/** An MDL range is invalid. */
export const INVALID_MDL_RANGE = 0x12e;
/** A DPC ran too long (or too many DPCs in a row). */
export const DPC_WATCHDOG_VIOLATION = 0x133;
/** A kernel data structure failed an integrity check (e.g. LIST_ENTRY). */
export const KERNEL_SECURITY_CHECK_FAILURE = 0x139;

/** The name of a bug check code ('PROCESS_HAS_LOCKED_PAGES'), or its hex form ('0x000001FF') when unknown. */
export const bugCheckName: (code: number) => string = constantNamer(codes);
