/**
 * NTSTATUS values (ntstatus.h) as unsigned 32-bit numbers, the WDK severity
 * macros, and a value-to-name lookup built from this module's own exports.
 *
 *   31 30 29 28  27 ........ 16  15 ......... 0
 *   Sev   C  N   Facility        Code
 *   Sev: 0 success, 1 informational, 2 warning, 3 error; C: customer bit.
 */
import { constantNamer, hex } from './constant-names.js';
import * as ntstatus from './ntstatus.js';

// Values: [MS-ERREF] 2.3.1 NTSTATUS Values
// https://learn.microsoft.com/openspecs/windows_protocols/ms-erref/596a1078-e883-4972-9bbc-49e60bebca55

// Success and informational.
/** The operation completed successfully. */
export const STATUS_SUCCESS = 0x00000000;
/** A wait was satisfied by the first object (same value as STATUS_SUCCESS). */
export const STATUS_WAIT_0 = 0x00000000;
/** A wait was satisfied by an abandoned mutant. */
export const STATUS_ABANDONED = 0x00000080;
/** A wait was satisfied by abandoned mutant 0 (same value as STATUS_ABANDONED). */
export const STATUS_ABANDONED_WAIT_0 = 0x00000080;
/** A user APC was delivered during an alertable wait. */
export const STATUS_USER_APC = 0x000000c0;
/** The wait was alerted. */
export const STATUS_ALERTED = 0x00000101;
/** The wait timed out. */
export const STATUS_TIMEOUT = 0x00000102;
/** The operation will complete later (IRP pended). */
export const STATUS_PENDING = 0x00000103;
/** The name must be reparsed (object manager). */
export const STATUS_REPARSE = 0x00000104;
/** More entries are available than fit the buffer. */
export const STATUS_MORE_ENTRIES = 0x00000105;
/** Not every privilege NtAdjustPrivilegesToken was asked to change is held (a success code). */
export const STATUS_NOT_ALL_ASSIGNED = 0x00000106;
/** The object was opened, not created: the name already existed. */
export const STATUS_OBJECT_NAME_EXISTS = 0x40000000;
/** NtYieldExecution found no other thread ready to run. */
export const STATUS_NO_YIELD_PERFORMED = 0x40000024;

// Warnings (0x8xxxxxxx).
/** A guard page was touched. */
export const STATUS_GUARD_PAGE_VIOLATION = 0x80000001;
/** A misaligned data reference. */
export const STATUS_DATATYPE_MISALIGNMENT = 0x80000002;
/** A breakpoint was hit. */
export const STATUS_BREAKPOINT = 0x80000003;
/** A single step completed. */
export const STATUS_SINGLE_STEP = 0x80000004;
/** The data was too large for the buffer; part was returned. */
export const STATUS_BUFFER_OVERFLOW = 0x80000005;
/** No more files match. */
export const STATUS_NO_MORE_FILES = 0x80000006;
/** Only part of a read or write of process memory completed. */
export const STATUS_PARTIAL_COPY = 0x8000000d;
/** The device is busy. */
export const STATUS_DEVICE_BUSY = 0x80000011;
/** No more entries to enumerate. */
export const STATUS_NO_MORE_ENTRIES = 0x8000001a;

// Errors 0xC0000001-0xC00000FF.
/** The operation failed (unspecified). */
export const STATUS_UNSUCCESSFUL = 0xc0000001;
/** The routine is not implemented. */
export const STATUS_NOT_IMPLEMENTED = 0xc0000002;
/** Invalid information class. */
export const STATUS_INVALID_INFO_CLASS = 0xc0000003;
/** The buffer length does not match the information class. */
export const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
/** Access violation. */
export const STATUS_ACCESS_VIOLATION = 0xc0000005;
/** A page could not be read in. */
export const STATUS_IN_PAGE_ERROR = 0xc0000006;
/** The pagefile quota was exceeded. */
export const STATUS_PAGEFILE_QUOTA = 0xc0000007;
/** An invalid handle was used. */
export const STATUS_INVALID_HANDLE = 0xc0000008;
/** An invalid client ID. */
export const STATUS_INVALID_CID = 0xc000000b;
/** An invalid parameter. */
export const STATUS_INVALID_PARAMETER = 0xc000000d;
/** A message passed to NtRequestWaitReplyPort is longer than the port allows. */
export const STATUS_PORT_MESSAGE_TOO_LONG = 0xc000002f;
/** The device does not exist. */
export const STATUS_NO_SUCH_DEVICE = 0xc000000e;
/** The file does not exist. */
export const STATUS_NO_SUCH_FILE = 0xc000000f;
/** The request is not valid for this device. */
export const STATUS_INVALID_DEVICE_REQUEST = 0xc0000010;
/** End of file. */
export const STATUS_END_OF_FILE = 0xc0000011;
/** A completion routine keeps the IRP: IoCompleteRequest stops walking the stack (ntstatus.h). */
export const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;
/** Not enough virtual memory or pagefile quota. */
export const STATUS_NO_MEMORY = 0xc0000017;
/** The range conflicts with an existing allocation or mapping. */
export const STATUS_CONFLICTING_ADDRESSES = 0xc0000018;
/** The address is not a mapped view. */
export const STATUS_NOT_MAPPED_VIEW = 0xc0000019;
/** The virtual memory cannot be freed. */
export const STATUS_UNABLE_TO_FREE_VM = 0xc000001a;
/** The section cannot be deleted (unmapped). */
export const STATUS_UNABLE_TO_DELETE_SECTION = 0xc000001b;
/** An invalid system service was called. */
export const STATUS_INVALID_SYSTEM_SERVICE = 0xc000001c;
/** An illegal instruction was executed. */
export const STATUS_ILLEGAL_INSTRUCTION = 0xc000001d;
/** An invalid lock sequence. */
export const STATUS_INVALID_LOCK_SEQUENCE = 0xc000001e;
/** The view size is invalid. */
export const STATUS_INVALID_VIEW_SIZE = 0xc000001f;
/** The file cannot back a section. */
export const STATUS_INVALID_FILE_FOR_SECTION = 0xc0000020;
/** The section cannot be extended (it is not backed by a file). */
export const STATUS_SECTION_NOT_EXTENDED = 0xc0000087;
/** The file is not a valid image (no MZ signature). */
export const STATUS_INVALID_IMAGE_NOT_MZ = 0xc000012f;
/** The range is already committed. */
export const STATUS_ALREADY_COMMITTED = 0xc0000021;
/** Access is denied. */
export const STATUS_ACCESS_DENIED = 0xc0000022;
/** The buffer is too small for any of the data. */
export const STATUS_BUFFER_TOO_SMALL = 0xc0000023;
/** The handle refers to an object of another type. */
export const STATUS_OBJECT_TYPE_MISMATCH = 0xc0000024;
/** Execution continued after a noncontinuable exception. */
export const STATUS_NONCONTINUABLE_EXCEPTION = 0xc0000025;
/** An exception handler returned an invalid disposition. */
export const STATUS_INVALID_DISPOSITION = 0xc0000026;
/** The range was not locked. */
export const STATUS_NOT_LOCKED = 0xc000002a;
/** The virtual memory cannot be decommitted. */
export const STATUS_UNABLE_TO_DECOMMIT_VM = 0xc000002c;
/** The range is not committed. */
export const STATUS_NOT_COMMITTED = 0xc000002d;
/** An invalid combination of parameters. */
export const STATUS_INVALID_PARAMETER_MIX = 0xc0000030;
/** The object name is invalid. */
export const STATUS_OBJECT_NAME_INVALID = 0xc0000033;
/** The object name was not found. */
export const STATUS_OBJECT_NAME_NOT_FOUND = 0xc0000034;
/** The object name already exists (create). */
export const STATUS_OBJECT_NAME_COLLISION = 0xc0000035;
/** The port is disconnected. */
export const STATUS_PORT_DISCONNECTED = 0xc0000037;
/** The object path is invalid. */
export const STATUS_OBJECT_PATH_INVALID = 0xc0000039;
/** The object path was not found. */
export const STATUS_OBJECT_PATH_NOT_FOUND = 0xc000003a;
/** The object path has bad syntax. */
export const STATUS_OBJECT_PATH_SYNTAX_BAD = 0xc000003b;
/** The section is too big. */
export const STATUS_SECTION_TOO_BIG = 0xc0000040;
/** A sharing violation. */
export const STATUS_SHARING_VIOLATION = 0xc0000043;
/** A quota was exceeded. */
export const STATUS_QUOTA_EXCEEDED = 0xc0000044;
/** The page protection is invalid. */
export const STATUS_INVALID_PAGE_PROTECTION = 0xc0000045;
/** The mutant is not owned by the caller. */
export const STATUS_MUTANT_NOT_OWNED = 0xc0000046;
/** The semaphore limit would be exceeded. */
export const STATUS_SEMAPHORE_LIMIT_EXCEEDED = 0xc0000047;
/** The section is not an image. */
export const STATUS_SECTION_NOT_IMAGE = 0xc0000049;
/** The thread is terminating. */
export const STATUS_THREAD_IS_TERMINATING = 0xc000004b;
/** The view's protection is incompatible with the file. */
export const STATUS_INCOMPATIBLE_FILE_MAP = 0xc000004d;
/** The view's protection is incompatible with the section's. */
export const STATUS_SECTION_PROTECTION = 0xc000004e;
/** A delete is pending on the file. */
export const STATUS_DELETE_PENDING = 0xc0000056;
/** The revision of a security descriptor, ACL or SID is unknown. */
export const STATUS_UNKNOWN_REVISION = 0xc0000058;
/** A required privilege is not held. */
export const STATUS_PRIVILEGE_NOT_HELD = 0xc0000061;
/** The ACL is malformed. */
export const STATUS_INVALID_ACL = 0xc0000077;
/** The security descriptor is malformed. */
export const STATUS_INVALID_SECURITY_DESCR = 0xc0000079;
/** The procedure was not found. */
export const STATUS_PROCEDURE_NOT_FOUND = 0xc000007a;
/** The image format is invalid. */
export const STATUS_INVALID_IMAGE_FORMAT = 0xc000007b;
/** No token. */
export const STATUS_NO_TOKEN = 0xc000007c;
/** The range is not locked. */
export const STATUS_RANGE_NOT_LOCKED = 0xc000007e;
/** The disk is full. */
export const STATUS_DISK_FULL = 0xc000007f;
/** Array bounds exceeded. */
export const STATUS_ARRAY_BOUNDS_EXCEEDED = 0xc000008c;
/** Integer division by zero. */
export const STATUS_INTEGER_DIVIDE_BY_ZERO = 0xc0000094;
/** Integer overflow. */
export const STATUS_INTEGER_OVERFLOW = 0xc0000095;
/** A privileged instruction in user mode. */
export const STATUS_PRIVILEGED_INSTRUCTION = 0xc0000096;
/** The file is invalid. */
export const STATUS_FILE_INVALID = 0xc0000098;
/** Insufficient system resources (pool, PTEs, ...). */
export const STATUS_INSUFFICIENT_RESOURCES = 0xc000009a;
/** The base address is not the base of a region. */
export const STATUS_FREE_VM_NOT_AT_BASE = 0xc000009f;
/** The memory was not allocated. */
export const STATUS_MEMORY_NOT_ALLOCATED = 0xc00000a0;
/** The working-set quota was exceeded. */
export const STATUS_WORKING_SET_QUOTA = 0xc00000a1;
/** The media is write-protected. */
export const STATUS_MEDIA_WRITE_PROTECTED = 0xc00000a2;
/** The device is not ready. */
export const STATUS_DEVICE_NOT_READY = 0xc00000a3;
/** The I/O timed out. */
export const STATUS_IO_TIMEOUT = 0xc00000b5;
/** The file is a directory. */
export const STATUS_FILE_IS_A_DIRECTORY = 0xc00000ba;
/** The request is not supported. */
export const STATUS_NOT_SUPPORTED = 0xc00000bb;
/** The device does not exist. */
export const STATUS_DEVICE_DOES_NOT_EXIST = 0xc00000c0;
/** An internal error. */
export const STATUS_INTERNAL_ERROR = 0xc00000e5;
/** An invalid user buffer. */
export const STATUS_INVALID_USER_BUFFER = 0xc00000e8;
/** Invalid first parameter. */
export const STATUS_INVALID_PARAMETER_1 = 0xc00000ef;
/** Invalid second parameter. */
export const STATUS_INVALID_PARAMETER_2 = 0xc00000f0;
/** Invalid third parameter. */
export const STATUS_INVALID_PARAMETER_3 = 0xc00000f1;
/** Invalid fourth parameter. */
export const STATUS_INVALID_PARAMETER_4 = 0xc00000f2;
/** Invalid fifth parameter. */
export const STATUS_INVALID_PARAMETER_5 = 0xc00000f3;
/** Invalid sixth parameter. */
export const STATUS_INVALID_PARAMETER_6 = 0xc00000f4;
/** Invalid seventh parameter. */
export const STATUS_INVALID_PARAMETER_7 = 0xc00000f5;
/** Invalid eighth parameter. */
export const STATUS_INVALID_PARAMETER_8 = 0xc00000f6;
/** Invalid ninth parameter. */
export const STATUS_INVALID_PARAMETER_9 = 0xc00000f7;
/** Invalid tenth parameter. */
export const STATUS_INVALID_PARAMETER_10 = 0xc00000f8;
/** Invalid eleventh parameter. */
export const STATUS_INVALID_PARAMETER_11 = 0xc00000f9;
/** Invalid twelfth parameter. */
export const STATUS_INVALID_PARAMETER_12 = 0xc00000fa;
/** Stack overflow. */
export const STATUS_STACK_OVERFLOW = 0xc00000fd;

// Errors 0xC0000100 and above.
/** The directory is not empty. */
export const STATUS_DIRECTORY_NOT_EMPTY = 0xc0000101;
/** The file is not a directory. */
export const STATUS_NOT_A_DIRECTORY = 0xc0000103;
/** The name is too long. */
export const STATUS_NAME_TOO_LONG = 0xc0000106;
/** The process is terminating. */
export const STATUS_PROCESS_IS_TERMINATING = 0xc000010a;
/** The image (driver) is already loaded. */
export const STATUS_IMAGE_ALREADY_LOADED = 0xc000010e;
/** A file of size zero cannot be mapped. */
export const STATUS_MAPPED_FILE_SIZE_ZERO = 0xc000011e;
/** Too many files are open. */
export const STATUS_TOO_MANY_OPENED_FILES = 0xc000011f;
/** The I/O request was cancelled. */
export const STATUS_CANCELLED = 0xc0000120;
/** The file cannot be deleted. */
export const STATUS_CANNOT_DELETE = 0xc0000121;
/** The file was deleted. */
export const STATUS_FILE_DELETED = 0xc0000123;
/** The file handle was closed. */
export const STATUS_FILE_CLOSED = 0xc0000128;
/** The commit limit was reached. */
export const STATUS_COMMITMENT_LIMIT = 0xc000012d;
/** A DLL was not found. */
export const STATUS_DLL_NOT_FOUND = 0xc0000135;
/** An entry point was not found. */
export const STATUS_ENTRYPOINT_NOT_FOUND = 0xc0000139;
/** The process was ended by Ctrl+C. */
export const STATUS_CONTROL_C_EXIT = 0xc000013a;
/** An invalid (network) address. */
export const STATUS_INVALID_ADDRESS = 0xc0000141;
/** A DLL initialisation routine failed. */
export const STATUS_DLL_INIT_FAILED = 0xc0000142;
/** A service key in the registry lacks what the loader needs (a driver's Type). */
export const STATUS_ILL_FORMED_SERVICE_ENTRY = 0xc0000160;
/** The key was marked for deletion; the handle can only be closed. */
export const STATUS_KEY_DELETED = 0xc000017c;
/** A non-volatile key cannot be created under a volatile parent. */
export const STATUS_CHILD_MUST_BE_VOLATILE = 0xc0000181;
/** The device is configured wrongly. */
export const STATUS_DEVICE_CONFIGURATION_ERROR = 0xc0000182;
/** A driver internal error. */
export const STATUS_DRIVER_INTERNAL_ERROR = 0xc0000183;
/** The device is in a state that does not allow the request. */
export const STATUS_INVALID_DEVICE_STATE = 0xc0000184;
/** An I/O device error. */
export const STATUS_IO_DEVICE_ERROR = 0xc0000185;
/** A possible deadlock condition (EXCEPTION_POSSIBLE_DEADLOCK: a critical-section wait timed out); ntshm's exit status for a program that spins on memory. */
export const STATUS_POSSIBLE_DEADLOCK = 0xc0000194;
/** The buffer size is invalid. */
export const STATUS_INVALID_BUFFER_SIZE = 0xc0000206;
/** The object was not found. */
export const STATUS_NOT_FOUND = 0xc0000225;
/** The handle is protected from closing. */
export const STATUS_HANDLE_NOT_CLOSABLE = 0xc0000235;
/** The driver's entry point was not found. */
export const STATUS_DRIVER_ENTRYPOINT_NOT_FOUND = 0xc0000263;
/** The driver could not be loaded. */
export const STATUS_DRIVER_UNABLE_TO_LOAD = 0xc000026c;

// Severity macros. https://learn.microsoft.com/windows-hardware/drivers/kernel/using-ntstatus-values
/** NT_SUCCESS: success or informational (0x00000000-0x7FFFFFFF). */
export function NT_SUCCESS(status: number): boolean {
  return status >>> 0 < 0x80000000;
}
/** NT_INFORMATION: informational (0x40000000-0x7FFFFFFF). */
export function NT_INFORMATION(status: number): boolean {
  return status >>> 30 === 1;
}
/** NT_WARNING: warning (0x80000000-0xBFFFFFFF). */
export function NT_WARNING(status: number): boolean {
  return status >>> 30 === 2;
}
/** NT_ERROR: error (0xC0000000-0xFFFFFFFF). */
export function NT_ERROR(status: number): boolean {
  return status >>> 30 === 3;
}

/**
 * The name of an NTSTATUS value ('STATUS_ACCESS_VIOLATION'), or its hex form
 * ('0xC0000999') when ntshm defines no name for it. Where two names share a
 * value the alphabetically first wins (STATUS_SUCCESS over STATUS_WAIT_0).
 */
export const ntStatusName: (status: number) => string = constantNamer(ntstatus);

/**
 * An NTSTATUS value as ntshm's messages, findings and bug-check explanations
 * print it: its name and value ('STATUS_ACCESS_VIOLATION (0xC0000005)'), or
 * the value alone ('0xC0001234') when ntshm defines no name for it.
 */
export function ntStatusText(status: number): string {
  const name = ntStatusName(status);
  const value = hex(status);
  return name === value ? value : `${name} (${value})`;
}
