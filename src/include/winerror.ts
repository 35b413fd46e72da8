/**
 * Win32 error codes (winerror.h), as GetLastError returns them, and a
 * value-to-name lookup built from this module's own exports.
 */
import { constantNamer } from './constant-names.js';
import * as winerror from './winerror.js';

// System Error Codes (0-499). https://learn.microsoft.com/windows/win32/debug/system-error-codes--0-499-
/** The operation completed successfully. */
export const ERROR_SUCCESS = 0;
/** Same as ERROR_SUCCESS. */
export const NO_ERROR = 0;
/** Incorrect function. */
export const ERROR_INVALID_FUNCTION = 1;
/** The system cannot find the file specified. */
export const ERROR_FILE_NOT_FOUND = 2;
/** The system cannot find the path specified. */
export const ERROR_PATH_NOT_FOUND = 3;
/** The system cannot open the file (too many open files). */
export const ERROR_TOO_MANY_OPEN_FILES = 4;
/** Access is denied. */
export const ERROR_ACCESS_DENIED = 5;
/** The handle is invalid. */
export const ERROR_INVALID_HANDLE = 6;
/** Not enough memory resources are available to process this command. */
export const ERROR_NOT_ENOUGH_MEMORY = 8;
/** The access code is invalid. */
export const ERROR_INVALID_ACCESS = 12;
/** Not enough memory resources are available to complete this operation. */
export const ERROR_OUTOFMEMORY = 14;
/** There are no more files. */
export const ERROR_NO_MORE_FILES = 18;
/** The media is write protected. */
export const ERROR_WRITE_PROTECT = 19;
/** The system cannot find the device specified. */
export const ERROR_BAD_UNIT = 20;
/** The device is not ready. */
export const ERROR_NOT_READY = 21;
/** The device does not recognize the command. */
export const ERROR_BAD_COMMAND = 22;
/** The program issued a command but the command length is incorrect. */
export const ERROR_BAD_LENGTH = 24;
/** A device attached to the system is not functioning. */
export const ERROR_GEN_FAILURE = 31;
/** The file is being used by another process. */
export const ERROR_SHARING_VIOLATION = 32;
/** Another process has locked a portion of the file. */
export const ERROR_LOCK_VIOLATION = 33;
/** Reached the end of the file. */
export const ERROR_HANDLE_EOF = 38;
/** The request is not supported. */
export const ERROR_NOT_SUPPORTED = 50;
/** The specified network resource or device is no longer available. */
export const ERROR_DEV_NOT_EXIST = 55;
/** An unexpected network error occurred. */
export const ERROR_UNEXP_NET_ERR = 59;
/** The file exists. */
export const ERROR_FILE_EXISTS = 80;
/** The parameter is incorrect. */
export const ERROR_INVALID_PARAMETER = 87;
/** There is not enough space on the disk. */
export const ERROR_DISK_FULL = 112;
/** This function is not supported on this system. */
export const ERROR_CALL_NOT_IMPLEMENTED = 120;
/** The semaphore timeout period has expired. */
export const ERROR_SEM_TIMEOUT = 121;
/** The data area passed to a system call is too small. */
export const ERROR_INSUFFICIENT_BUFFER = 122;
/** The filename, directory name, or volume label syntax is incorrect. */
export const ERROR_INVALID_NAME = 123;
/** The specified module could not be found. */
export const ERROR_MOD_NOT_FOUND = 126;
/** The specified procedure could not be found. */
export const ERROR_PROC_NOT_FOUND = 127;
/** An attempt was made to move the file pointer before the beginning of the file. */
export const ERROR_NEGATIVE_SEEK = 131;
/** The directory is not empty. */
export const ERROR_DIR_NOT_EMPTY = 145;
/** The segment is already unlocked. */
export const ERROR_NOT_LOCKED = 158;
/** The specified path is invalid. */
export const ERROR_BAD_PATHNAME = 161;
/** The requested resource is in use. */
export const ERROR_BUSY = 170;
/** Cannot create a file when that file already exists. */
export const ERROR_ALREADY_EXISTS = 183;
/** %1 is not a valid Win32 application. */
export const ERROR_BAD_EXE_FORMAT = 193;
/** The filename or extension is too long. */
export const ERROR_FILENAME_EXCED_RANGE = 206;
/** More data is available. */
export const ERROR_MORE_DATA = 234;
/** The wait operation timed out (winerror.h defines it among the error codes). */
export const WAIT_TIMEOUT = 258;
/** No more data is available. */
export const ERROR_NO_MORE_ITEMS = 259;
/** The directory name is invalid. */
export const ERROR_DIRECTORY = 267;
/** Attempt to release mutex not owned by caller. */
export const ERROR_NOT_OWNER = 288;
/** Too many posts were made to a semaphore. */
export const ERROR_TOO_MANY_POSTS = 298;
/** Only part of a ReadProcessMemory or WriteProcessMemory request was completed. */
export const ERROR_PARTIAL_COPY = 299;
/** The file cannot be opened because it is in the process of being deleted. */
export const ERROR_DELETE_PENDING = 303;
/** The system cannot find message text for message number 0x%1 (no mapping). */
export const ERROR_MR_MID_NOT_FOUND = 317;
/** Attempt to access invalid address. */
export const ERROR_INVALID_ADDRESS = 487;

// System Error Codes (500-999). https://learn.microsoft.com/windows/win32/debug/system-error-codes--500-999-
/** Arithmetic result exceeded 32 bits. */
export const ERROR_ARITHMETIC_OVERFLOW = 534;
/** {Application Exit by CTRL+C} */
export const ERROR_CONTROL_C_EXIT = 572;
/** The I/O operation has been aborted because of either a thread exit or an application request. */
export const ERROR_OPERATION_ABORTED = 995;
/** Overlapped I/O event is not in a signaled state. */
export const ERROR_IO_INCOMPLETE = 996;
/** Overlapped I/O operation is in progress. */
export const ERROR_IO_PENDING = 997;
/** Invalid access to memory location. */
export const ERROR_NOACCESS = 998;
/** Error performing inpage operation. */
export const ERROR_SWAPERROR = 999;

// System Error Codes (1000-1299). https://learn.microsoft.com/windows/win32/debug/system-error-codes--1000-1299-
/** Recursion too deep; the stack overflowed. */
export const ERROR_STACK_OVERFLOW = 1001;
/** Invalid flags. */
export const ERROR_INVALID_FLAGS = 1004;
/** The volume for a file has been externally altered so that the opened file is no longer valid. */
export const ERROR_FILE_INVALID = 1006;
/** An attempt was made to reference a token that does not exist. */
export const ERROR_NO_TOKEN = 1008;
/** Illegal operation attempted on a registry key that has been marked for deletion. */
export const ERROR_KEY_DELETED = 1018;
/** Cannot create a stable subkey under a volatile parent key. */
export const ERROR_CHILD_MUST_BE_VOLATILE = 1021;
/** A stop control has been sent to a service that other running services are dependent on. */
export const ERROR_DEPENDENT_SERVICES_RUNNING = 1051;
/** The requested control is not valid for this service. */
export const ERROR_INVALID_SERVICE_CONTROL = 1052;
/** The service did not respond to the start or control request in a timely fashion. */
export const ERROR_SERVICE_REQUEST_TIMEOUT = 1053;
/** A thread could not be created for the service. */
export const ERROR_SERVICE_NO_THREAD = 1054;
/** The service database is locked. */
export const ERROR_SERVICE_DATABASE_LOCKED = 1055;
/** An instance of the service is already running. */
export const ERROR_SERVICE_ALREADY_RUNNING = 1056;
/** The account name is invalid or does not exist. */
export const ERROR_INVALID_SERVICE_ACCOUNT = 1057;
/** The service cannot be started: it is disabled. */
export const ERROR_SERVICE_DISABLED = 1058;
/** The specified service does not exist as an installed service. */
export const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
/** The service cannot accept control messages at this time. */
export const ERROR_SERVICE_CANNOT_ACCEPT_CTRL = 1061;
/** The service has not been started. */
export const ERROR_SERVICE_NOT_ACTIVE = 1062;
/** The service has returned a service-specific error code. */
export const ERROR_SERVICE_SPECIFIC_ERROR = 1066;
/** The process terminated unexpectedly. */
export const ERROR_PROCESS_ABORTED = 1067;
/** The specified service database lock is invalid. */
export const ERROR_INVALID_SERVICE_LOCK = 1071;
/** The specified service has been marked for deletion. */
export const ERROR_SERVICE_MARKED_FOR_DELETE = 1072;
/** The specified service already exists. */
export const ERROR_SERVICE_EXISTS = 1073;
/** The name is already in use as either a service name or a service display name. */
export const ERROR_DUPLICATE_SERVICE_NAME = 1078;
/** A dynamic link library (DLL) initialization routine failed. */
export const ERROR_DLL_INIT_FAILED = 1114;
/** The request could not be performed because of an I/O device error. */
export const ERROR_IO_DEVICE = 1117;
/** A potential deadlock condition has been detected. */
export const ERROR_POSSIBLE_DEADLOCK = 1131;
/** Element not found. */
export const ERROR_NOT_FOUND = 1168;

// System Error Codes (1300-1699). https://learn.microsoft.com/windows/win32/debug/system-error-codes--1300-1699-
/** Not all privileges or groups referenced are assigned to the caller. */
export const ERROR_NOT_ALL_ASSIGNED = 1300;
/** The revision level is unknown. */
export const ERROR_UNKNOWN_REVISION = 1305;
/** A required privilege is not held by the client. */
export const ERROR_PRIVILEGE_NOT_HELD = 1314;
/** The access control list (ACL) structure is invalid. */
export const ERROR_INVALID_ACL = 1336;
/** The security descriptor structure is invalid. */
export const ERROR_INVALID_SECURITY_DESCR = 1338;
/** An internal error occurred. */
export const ERROR_INTERNAL_ERROR = 1359;
/** Insufficient system resources exist to complete the requested service. */
export const ERROR_NO_SYSTEM_RESOURCES = 1450;
/** Insufficient quota to complete the requested service (working set). */
export const ERROR_WORKING_SET_QUOTA = 1453;
/** Insufficient quota to complete the requested service (pagefile). */
export const ERROR_PAGEFILE_QUOTA = 1454;
/** The paging file is too small for this operation to complete. */
export const ERROR_COMMITMENT_LIMIT = 1455;
/** This operation returned because the timeout period expired. */
export const ERROR_TIMEOUT = 1460;

// System Error Codes (1700-3999). https://learn.microsoft.com/windows/win32/debug/system-error-codes--1700-3999-
/** The RPC server is unavailable. */
export const RPC_S_SERVER_UNAVAILABLE = 1722;
/** The tag is invalid (a malformed RPC request). */
export const RPC_S_INVALID_TAG = 1733;
/** The procedure number is out of range. */
export const RPC_S_PROCNUM_OUT_OF_RANGE = 1745;
/** The supplied user buffer is not valid for the requested operation. */
export const ERROR_INVALID_USER_BUFFER = 1784;
/** Not enough quota is available to process this command. */
export const ERROR_NOT_ENOUGH_QUOTA = 1816;
/** The specified driver is invalid. */
export const ERROR_BAD_DRIVER = 2001;

/**
 * The name of a Win32 error code ('ERROR_ACCESS_DENIED'), or its hex form
 * ('0x0000FFFF') when ntshm defines no name for it. Where two names share a
 * value the alphabetically first wins (ERROR_SUCCESS over NO_ERROR).
 */
export const win32ErrorName: (code: number) => string = constantNamer(winerror);
