/**
 * Win32 constants (winbase.h, winnt.h, fileapi.h, winsvc.h) as numbers. The
 * ones Windows shares with the WDK are re-exported, not retyped.
 */
export * from './memory-constants.js';
export {
  GENERIC_READ, GENERIC_WRITE, GENERIC_EXECUTE, GENERIC_ALL, MAXIMUM_ALLOWED,
  DELETE, READ_CONTROL, WRITE_DAC, WRITE_OWNER, SYNCHRONIZE, STANDARD_RIGHTS_REQUIRED,
  FILE_READ_DATA, FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_EXECUTE, FILE_READ_ATTRIBUTES, FILE_WRITE_ATTRIBUTES,
  FILE_ALL_ACCESS, FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
  SECTION_QUERY, SECTION_MAP_WRITE, SECTION_MAP_READ, SECTION_MAP_EXECUTE, SECTION_EXTEND_SIZE, SECTION_ALL_ACCESS,
  METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT, METHOD_NEITHER,
  FILE_ANY_ACCESS, FILE_SPECIAL_ACCESS, FILE_READ_ACCESS, FILE_WRITE_ACCESS, FILE_DEVICE_UNKNOWN,
  CTL_CODE, DEVICE_TYPE_FROM_CTL_CODE, METHOD_FROM_CTL_CODE,
  EXCEPTION_EXECUTE_HANDLER, EXCEPTION_CONTINUE_SEARCH, EXCEPTION_CONTINUE_EXECUTION,
  EVENT_QUERY_STATE, EVENT_MODIFY_STATE, EVENT_ALL_ACCESS, SEMAPHORE_QUERY_STATE, SEMAPHORE_MODIFY_STATE, SEMAPHORE_ALL_ACCESS,
  MUTANT_QUERY_STATE, MUTANT_ALL_ACCESS, MUTEX_ALL_ACCESS, MAXIMUM_WAIT_OBJECTS,
} from './wdm-constants.js';
export { WAIT_TIMEOUT } from './winerror.js';
import { SECTION_ALL_ACCESS, SECTION_MAP_EXECUTE_EXPLICIT, SECTION_MAP_READ, SECTION_MAP_WRITE, SECTION_QUERY, STANDARD_RIGHTS_REQUIRED } from './wdm-constants.js';
import { STATUS_ABANDONED_WAIT_0, STATUS_PENDING, STATUS_USER_APC, STATUS_WAIT_0 } from './ntstatus.js';

// Handles. https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-createfilew
/** The all-ones HANDLE (ntshm's convention: -1 stands for all-ones HANDLE/SIZE_T/ULONG_PTR). */
export const INVALID_HANDLE_VALUE = -1;

// CreateFile share modes, dispositions, attributes and flags. https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-createfilew
/** Others may open for reading. */
export const FILE_SHARE_READ = 0x00000001;
/** Others may open for writing. */
export const FILE_SHARE_WRITE = 0x00000002;
/** Others may open for deleting. */
export const FILE_SHARE_DELETE = 0x00000004;
/** Create; fail if it exists. */
export const CREATE_NEW = 1;
/** Create or truncate. */
export const CREATE_ALWAYS = 2;
/** Open; fail if it does not exist (the only sensible one for devices). */
export const OPEN_EXISTING = 3;
/** Open or create. */
export const OPEN_ALWAYS = 4;
/** Open and truncate; fail if it does not exist. */
export const TRUNCATE_EXISTING = 5;
/** File attributes. */
export const FILE_ATTRIBUTE_READONLY = 0x00000001;
export const FILE_ATTRIBUTE_HIDDEN = 0x00000002;
export const FILE_ATTRIBUTE_SYSTEM = 0x00000004;
export const FILE_ATTRIBUTE_DIRECTORY = 0x00000010;
export const FILE_ATTRIBUTE_ARCHIVE = 0x00000020;
export const FILE_ATTRIBUTE_NORMAL = 0x00000080;
export const FILE_ATTRIBUTE_TEMPORARY = 0x00000100;
/** CreateFile flags. */
export const FILE_FLAG_WRITE_THROUGH = 0x80000000;
export const FILE_FLAG_OVERLAPPED = 0x40000000;
export const FILE_FLAG_NO_BUFFERING = 0x20000000;
export const FILE_FLAG_RANDOM_ACCESS = 0x10000000;
export const FILE_FLAG_SEQUENTIAL_SCAN = 0x08000000;
export const FILE_FLAG_DELETE_ON_CLOSE = 0x04000000;

// SetFilePointerEx dwMoveMethod. https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-setfilepointerex
/** From the beginning of the file. */
export const FILE_BEGIN = 0;
/** From the current file pointer. */
export const FILE_CURRENT = 1;
/** From the end of the file. */
export const FILE_END = 2;

// Standard handles (GetStdHandle). https://learn.microsoft.com/windows/console/getstdhandle
/** (DWORD)-10: standard input. */
export const STD_INPUT_HANDLE = 0xfffffff6;
/** (DWORD)-11: standard output. */
export const STD_OUTPUT_HANDLE = 0xfffffff5;
/** (DWORD)-12: standard error. */
export const STD_ERROR_HANDLE = 0xfffffff4;

// MapViewOfFile access. https://learn.microsoft.com/windows/win32/api/memoryapi/nf-memoryapi-mapviewoffile
/** Copy-on-write view (same bit as SECTION_QUERY). */
export const FILE_MAP_COPY = SECTION_QUERY;
/** Read/write view. */
export const FILE_MAP_WRITE = SECTION_MAP_WRITE;
/** Read-only view. */
export const FILE_MAP_READ = SECTION_MAP_READ;
/** Executable view. */
export const FILE_MAP_EXECUTE = SECTION_MAP_EXECUTE_EXPLICIT;
/** Every access right on the mapping object. */
export const FILE_MAP_ALL_ACCESS = SECTION_ALL_ACCESS;

// Service Control Manager access. https://learn.microsoft.com/windows/win32/services/service-security-and-access-rights
/** SC_MANAGER_* rights on the SCM database. */
export const SC_MANAGER_CONNECT = 0x0001;
export const SC_MANAGER_CREATE_SERVICE = 0x0002;
export const SC_MANAGER_ENUMERATE_SERVICE = 0x0004;
export const SC_MANAGER_LOCK = 0x0008;
export const SC_MANAGER_QUERY_LOCK_STATUS = 0x0010;
export const SC_MANAGER_MODIFY_BOOT_CONFIG = 0x0020;
export const SC_MANAGER_ALL_ACCESS = (STANDARD_RIGHTS_REQUIRED | 0x003f) >>> 0;
/** SERVICE_* rights on a service. */
export const SERVICE_QUERY_CONFIG = 0x0001;
export const SERVICE_CHANGE_CONFIG = 0x0002;
export const SERVICE_QUERY_STATUS = 0x0004;
export const SERVICE_ENUMERATE_DEPENDENTS = 0x0008;
export const SERVICE_START = 0x0010;
export const SERVICE_STOP = 0x0020;
export const SERVICE_PAUSE_CONTINUE = 0x0040;
export const SERVICE_INTERROGATE = 0x0080;
export const SERVICE_USER_DEFINED_CONTROL = 0x0100;
export const SERVICE_ALL_ACCESS = (STANDARD_RIGHTS_REQUIRED | 0x01ff) >>> 0;

// Service types, start types, error control. https://learn.microsoft.com/windows/win32/api/winsvc/nf-winsvc-createservicew
/** SERVICE_* types. */
export const SERVICE_KERNEL_DRIVER = 0x00000001;
export const SERVICE_FILE_SYSTEM_DRIVER = 0x00000002;
export const SERVICE_ADAPTER = 0x00000004;
export const SERVICE_RECOGNIZER_DRIVER = 0x00000008;
export const SERVICE_WIN32_OWN_PROCESS = 0x00000010;
export const SERVICE_WIN32_SHARE_PROCESS = 0x00000020;
export const SERVICE_INTERACTIVE_PROCESS = 0x00000100;
/** Start types. */
export const SERVICE_BOOT_START = 0;
export const SERVICE_SYSTEM_START = 1;
export const SERVICE_AUTO_START = 2;
export const SERVICE_DEMAND_START = 3;
export const SERVICE_DISABLED = 4;
/** Error control. */
export const SERVICE_ERROR_IGNORE = 0;
export const SERVICE_ERROR_NORMAL = 1;
export const SERVICE_ERROR_SEVERE = 2;
export const SERVICE_ERROR_CRITICAL = 3;
/** ChangeServiceConfig: leave this value unchanged. */
export const SERVICE_NO_CHANGE = 0xffffffff;

// Controls, states, accepted controls. https://learn.microsoft.com/windows/win32/api/winsvc/ns-winsvc-service_status
/** ControlService codes. */
export const SERVICE_CONTROL_STOP = 0x00000001;
export const SERVICE_CONTROL_PAUSE = 0x00000002;
export const SERVICE_CONTROL_CONTINUE = 0x00000003;
export const SERVICE_CONTROL_INTERROGATE = 0x00000004;
export const SERVICE_CONTROL_SHUTDOWN = 0x00000005;
/** SERVICE_STATUS.dwCurrentState. */
export const SERVICE_STOPPED = 0x00000001;
export const SERVICE_START_PENDING = 0x00000002;
export const SERVICE_STOP_PENDING = 0x00000003;
export const SERVICE_RUNNING = 0x00000004;
export const SERVICE_CONTINUE_PENDING = 0x00000005;
export const SERVICE_PAUSE_PENDING = 0x00000006;
export const SERVICE_PAUSED = 0x00000007;
/** SERVICE_STATUS.dwControlsAccepted. */
export const SERVICE_ACCEPT_STOP = 0x00000001;
export const SERVICE_ACCEPT_PAUSE_CONTINUE = 0x00000002;
export const SERVICE_ACCEPT_SHUTDOWN = 0x00000004;
/** EnumServicesStatus dwServiceState. */
export const SERVICE_ACTIVE = 0x00000001;
export const SERVICE_INACTIVE = 0x00000002;
export const SERVICE_STATE_ALL = 0x00000003;

// Heap flags. https://learn.microsoft.com/windows/win32/api/heapapi/nf-heapapi-heapalloc
/** No heap lock. */
export const HEAP_NO_SERIALIZE = 0x00000001;
/** HeapCreate: the heap can grow. */
export const HEAP_GROWABLE = 0x00000002;
/** Raise instead of returning NULL. */
export const HEAP_GENERATE_EXCEPTIONS = 0x00000004;
/** Zero the allocation. */
export const HEAP_ZERO_MEMORY = 0x00000008;

// Waits. https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-waitforsingleobject
/** Wait forever. */
export const INFINITE = 0xffffffff;
/** The (first) object was signaled. */
export const WAIT_OBJECT_0 = STATUS_WAIT_0;
/** The (first) object is an abandoned mutex. */
export const WAIT_ABANDONED = STATUS_ABANDONED_WAIT_0;
/** An APC ended an alertable wait. */
export const WAIT_IO_COMPLETION = STATUS_USER_APC;
/** The wait failed; see GetLastError. */
export const WAIT_FAILED = 0xffffffff;

// Process exit code. https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-getexitcodeprocess
/** GetExitCodeProcess: the process is still running (STATUS_PENDING). */
export const STILL_ACTIVE = STATUS_PENDING;

