/**
 * WDK constants (wdm.h, ntddk.h, ntdef.h) and the IOCTL macros, as numbers.
 * The memory constants shared with Win32 live in memory-constants.ts and are
 * re-exported here.
 */
export * from './memory-constants.js';
import { constantNamer } from './constant-names.js';
import * as wdm from './wdm-constants.js';

// IRP major function codes. https://learn.microsoft.com/windows-hardware/drivers/kernel/irp-major-function-codes
/** IRP_MJ_* major function codes: the index into DriverObject.MajorFunction. */
export const IRP_MJ_CREATE = 0x00; // open of a device or file object
export const IRP_MJ_CREATE_NAMED_PIPE = 0x01;
export const IRP_MJ_CLOSE = 0x02; // last reference to the file object released
export const IRP_MJ_READ = 0x03;
export const IRP_MJ_WRITE = 0x04;
export const IRP_MJ_QUERY_INFORMATION = 0x05;
export const IRP_MJ_SET_INFORMATION = 0x06;
export const IRP_MJ_QUERY_EA = 0x07;
export const IRP_MJ_SET_EA = 0x08;
export const IRP_MJ_FLUSH_BUFFERS = 0x09;
export const IRP_MJ_QUERY_VOLUME_INFORMATION = 0x0a;
export const IRP_MJ_SET_VOLUME_INFORMATION = 0x0b;
export const IRP_MJ_DIRECTORY_CONTROL = 0x0c;
export const IRP_MJ_FILE_SYSTEM_CONTROL = 0x0d;
export const IRP_MJ_DEVICE_CONTROL = 0x0e; // DeviceIoControl
export const IRP_MJ_INTERNAL_DEVICE_CONTROL = 0x0f; // kernel-only IOCTLs
export const IRP_MJ_SHUTDOWN = 0x10;
export const IRP_MJ_LOCK_CONTROL = 0x11;
export const IRP_MJ_CLEANUP = 0x12; // last handle to the file object closed
export const IRP_MJ_CREATE_MAILSLOT = 0x13;
export const IRP_MJ_QUERY_SECURITY = 0x14;
export const IRP_MJ_SET_SECURITY = 0x15;
export const IRP_MJ_POWER = 0x16;
export const IRP_MJ_SYSTEM_CONTROL = 0x17; // WMI
export const IRP_MJ_DEVICE_CHANGE = 0x18;
export const IRP_MJ_QUERY_QUOTA = 0x19;
export const IRP_MJ_SET_QUOTA = 0x1a;
export const IRP_MJ_PNP = 0x1b;
/** The highest major function code (MajorFunction has IRP_MJ_MAXIMUM_FUNCTION + 1 entries). */
export const IRP_MJ_MAXIMUM_FUNCTION = 0x1b;

/**
 * The name of an IRP major function code ('IRP_MJ_DEVICE_CONTROL'), as
 * messages and stacks print it; '0x1C' for a code beyond IRP_MJ_MAXIMUM_FUNCTION.
 */
export const irpMajorFunctionName: (major: number) => string =
  constantNamer(wdm, (key) => key.startsWith('IRP_MJ_') && key !== 'IRP_MJ_MAXIMUM_FUNCTION', 2);

// IOCTL transfer types and required access. https://learn.microsoft.com/windows-hardware/drivers/kernel/defining-i-o-control-codes
/** The I/O manager copies through a system buffer. */
export const METHOD_BUFFERED = 0;
/** Direct I/O; the output buffer is locked for reading by the device (caller passes data in). */
export const METHOD_IN_DIRECT = 1;
/** Direct I/O; the output buffer is locked for writing by the device. */
export const METHOD_OUT_DIRECT = 2;
/** Raw user addresses; the driver must probe and guard them. */
export const METHOD_NEITHER = 3;
/** Any handle may send the IOCTL. */
export const FILE_ANY_ACCESS = 0;
/** Same as FILE_ANY_ACCESS (the I/O manager checks nothing; the driver must). */
export const FILE_SPECIAL_ACCESS = 0;
/** The handle needs read access. */
export const FILE_READ_ACCESS = 0x0001;
/** The handle needs write access. */
export const FILE_WRITE_ACCESS = 0x0002;

/** CTL_CODE: (DeviceType << 16) | (Access << 14) | (Function << 2) | Method, as an unsigned 32-bit number. */
export function CTL_CODE(DeviceType: number, Function: number, Method: number, Access: number): number {
  return ((DeviceType << 16) | (Access << 14) | (Function << 2) | Method) >>> 0;
}
/** DEVICE_TYPE_FROM_CTL_CODE: the high 16 bits. */
export function DEVICE_TYPE_FROM_CTL_CODE(ctrlCode: number): number {
  return ctrlCode >>> 16;
}
/** METHOD_FROM_CTL_CODE: the low 2 bits. */
export function METHOD_FROM_CTL_CODE(ctrlCode: number): number {
  return ctrlCode & 3;
}

// Device types. https://learn.microsoft.com/windows-hardware/drivers/kernel/specifying-device-types
/** Device type values (0x8000 and above are for vendors). */
export const FILE_DEVICE_BEEP = 0x01;
export const FILE_DEVICE_CD_ROM = 0x02;
export const FILE_DEVICE_CD_ROM_FILE_SYSTEM = 0x03;
export const FILE_DEVICE_CONTROLLER = 0x04;
export const FILE_DEVICE_DATALINK = 0x05;
export const FILE_DEVICE_DFS = 0x06;
export const FILE_DEVICE_DISK = 0x07;
export const FILE_DEVICE_DISK_FILE_SYSTEM = 0x08;
export const FILE_DEVICE_FILE_SYSTEM = 0x09;
export const FILE_DEVICE_INPORT_PORT = 0x0a;
export const FILE_DEVICE_KEYBOARD = 0x0b;
export const FILE_DEVICE_MAILSLOT = 0x0c;
export const FILE_DEVICE_MIDI_IN = 0x0d;
export const FILE_DEVICE_MIDI_OUT = 0x0e;
export const FILE_DEVICE_MOUSE = 0x0f;
export const FILE_DEVICE_MULTI_UNC_PROVIDER = 0x10;
export const FILE_DEVICE_NAMED_PIPE = 0x11;
export const FILE_DEVICE_NETWORK = 0x12;
export const FILE_DEVICE_NETWORK_BROWSER = 0x13;
export const FILE_DEVICE_NETWORK_FILE_SYSTEM = 0x14;
export const FILE_DEVICE_NULL = 0x15;
export const FILE_DEVICE_PARALLEL_PORT = 0x16;
export const FILE_DEVICE_PHYSICAL_NETCARD = 0x17;
export const FILE_DEVICE_PRINTER = 0x18;
export const FILE_DEVICE_SCANNER = 0x19;
export const FILE_DEVICE_SERIAL_MOUSE_PORT = 0x1a;
export const FILE_DEVICE_SERIAL_PORT = 0x1b;
export const FILE_DEVICE_SCREEN = 0x1c;
export const FILE_DEVICE_SOUND = 0x1d;
export const FILE_DEVICE_STREAMS = 0x1e;
export const FILE_DEVICE_TAPE = 0x1f;
export const FILE_DEVICE_TAPE_FILE_SYSTEM = 0x20;
export const FILE_DEVICE_TRANSPORT = 0x21;
export const FILE_DEVICE_UNKNOWN = 0x22;
export const FILE_DEVICE_VIDEO = 0x23;
export const FILE_DEVICE_VIRTUAL_DISK = 0x24;
export const FILE_DEVICE_WAVE_IN = 0x25;
export const FILE_DEVICE_WAVE_OUT = 0x26;
export const FILE_DEVICE_8042_PORT = 0x27;
export const FILE_DEVICE_NETWORK_REDIRECTOR = 0x28;
export const FILE_DEVICE_BATTERY = 0x29;
export const FILE_DEVICE_BUS_EXTENDER = 0x2a;
export const FILE_DEVICE_MODEM = 0x2b;
export const FILE_DEVICE_VDM = 0x2c;
export const FILE_DEVICE_MASS_STORAGE = 0x2d;
export const FILE_DEVICE_SMB = 0x2e;
export const FILE_DEVICE_KS = 0x2f;
export const FILE_DEVICE_CHANGER = 0x30;
export const FILE_DEVICE_SMARTCARD = 0x31;
export const FILE_DEVICE_ACPI = 0x32;
export const FILE_DEVICE_DVD = 0x33;
export const FILE_DEVICE_FULLSCREEN_VIDEO = 0x34;
export const FILE_DEVICE_DFS_FILE_SYSTEM = 0x35;
export const FILE_DEVICE_DFS_VOLUME = 0x36;
export const FILE_DEVICE_SERENUM = 0x37;
export const FILE_DEVICE_TERMSRV = 0x38;
export const FILE_DEVICE_KSEC = 0x39;
export const FILE_DEVICE_FIPS = 0x3a;

// POOL_TYPE. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_pool_type
/** POOL_TYPE values for ExAllocatePoolWithTag and friends. */
export const NonPagedPool = 0;
export const NonPagedPoolExecute = 0;
export const PagedPool = 1;
export const NonPagedPoolMustSucceed = 2;
export const DontUseThisType = 3;
export const NonPagedPoolCacheAligned = 4;
export const PagedPoolCacheAligned = 5;
export const NonPagedPoolCacheAlignedMustS = 6;
export const MaxPoolType = 7;
export const NonPagedPoolSession = 32;
export const PagedPoolSession = 33;
export const NonPagedPoolMustSucceedSession = 34;
export const DontUseThisTypeSession = 35;
export const NonPagedPoolCacheAlignedSession = 36;
export const PagedPoolCacheAlignedSession = 37;
export const NonPagedPoolCacheAlignedMustSSession = 38;
export const NonPagedPoolNx = 512;
export const NonPagedPoolNxCacheAligned = 516;
export const NonPagedPoolSessionNx = 544;

// POOL_FLAGS for ExAllocatePool2 (a ULONG64; all fit a JS number). https://learn.microsoft.com/windows-hardware/drivers/kernel/pool_flags
/** POOL_FLAG_* bits. */
export const POOL_FLAG_USE_QUOTA = 0x1;
export const POOL_FLAG_UNINITIALIZED = 0x2;
export const POOL_FLAG_SESSION = 0x4;
export const POOL_FLAG_CACHE_ALIGNED = 0x8;
export const POOL_FLAG_RAISE_ON_FAILURE = 0x20;
export const POOL_FLAG_NON_PAGED = 0x40;
export const POOL_FLAG_NON_PAGED_EXECUTE = 0x80;
export const POOL_FLAG_PAGED = 0x100;
export const POOL_FLAG_SPECIAL_POOL = 0x100000000;

// KPROCESSOR_MODE (MODE). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_mode
/** The caller is kernel code; no probing. */
export const KernelMode = 0;
/** The caller is user code; addresses must be probed. */
export const UserMode = 1;

// MEMORY_CACHING_TYPE. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_memory_caching_type
/** MEMORY_CACHING_TYPE values. */
export const MmNonCached = 0;
export const MmCached = 1;
export const MmWriteCombined = 2;
export const MmHardwareCoherentCached = 3;
export const MmNonCachedUnordered = 4;
export const MmUSWCCached = 5;
export const MmMaximumCacheType = 6;

// MM_ALLOCATE_* flags of MmAllocatePagesForMdlEx. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmallocatepagesformdlex
/** The pages are not zeroed. */
export const MM_DONT_ZERO_ALLOCATION = 0x00000001;
/** Only from the ideal node (NUMA). */
export const MM_ALLOCATE_FROM_LOCAL_NODE_ONLY = 0x00000002;
/** All of it or NULL (Windows 7 and later). */
export const MM_ALLOCATE_FULLY_REQUIRED = 0x00000004;
/** Never block the caller (Windows 7 and later). */
export const MM_ALLOCATE_NO_WAIT = 0x00000008;
/** Avoid fragmenting physical memory; the pages are still not guaranteed contiguous (Windows 7 and later). */
export const MM_ALLOCATE_PREFER_CONTIGUOUS = 0x00000010;
/** Contiguous blocks: one block when SkipBytes is 0, else SkipBytes-long aligned blocks (Windows 7 and later). */
export const MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS = 0x00000020;
/** Only from the large-page cache (Windows 8 and later). */
export const MM_ALLOCATE_FAST_LARGE_PAGES = 0x00000040;

// MM_PAGE_PRIORITY, ORed with MdlMapping* flags. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmgetsystemaddressformdlsafe
/** Mapping may fail when system PTEs run low. */
export const LowPagePriority = 0;
/** Mapping may fail when system PTEs run very low. */
export const NormalPagePriority = 16;
/** Mapping fails only when system PTEs are exhausted. */
export const HighPagePriority = 32;
/** The mapping is read-only. */
export const MdlMappingNoWrite = 0x80000000;
/** The mapping is not executable. */
export const MdlMappingNoExecute = 0x40000000;
/** The mapping is surrounded by guard PTEs. */
export const MdlMappingWithGuardPtes = 0x20000000;

// MDL flags (MdlFlags), from wdm.h. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_mdl
/** MdlFlags bits. */
export const MDL_MAPPED_TO_SYSTEM_VA = 0x0001;
export const MDL_PAGES_LOCKED = 0x0002;
export const MDL_SOURCE_IS_NONPAGED_POOL = 0x0004;
export const MDL_ALLOCATED_FIXED_SIZE = 0x0008;
export const MDL_PARTIAL = 0x0010;
export const MDL_PARTIAL_HAS_BEEN_MAPPED = 0x0020;
export const MDL_IO_PAGE_READ = 0x0040;
export const MDL_WRITE_OPERATION = 0x0080;
export const MDL_LOCKED_PAGE_TABLES = 0x0100;
export const MDL_PARENT_MAPPED_SYSTEM_VA = 0x0100;
export const MDL_FREE_EXTRA_PTES = 0x0200;
export const MDL_DESCRIBES_AWE = 0x0400;
export const MDL_IO_SPACE = 0x0800;
export const MDL_NETWORK_HEADER = 0x1000;
export const MDL_MAPPING_CAN_FAIL = 0x2000;
export const MDL_PAGE_CONTENTS_INVARIANT = 0x4000;
export const MDL_ALLOCATED_MUST_SUCCEED = 0x4000;
export const MDL_INTERNAL = 0x8000;

// LOCK_OPERATION for MmProbeAndLockPages. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_lock_operation
/** The pages will be read. */
export const IoReadAccess = 0;
/** The pages will be written. */
export const IoWriteAccess = 1;
/** The pages will be read and written. */
export const IoModifyAccess = 2;

// IRQLs. https://learn.microsoft.com/windows-hardware/drivers/kernel/managing-hardware-priorities
/** Threads run here; everything is allowed. */
export const PASSIVE_LEVEL = 0;
/** Same as PASSIVE_LEVEL. */
export const LOW_LEVEL = 0;
/** APCs are masked. */
export const APC_LEVEL = 1;
/** The dispatcher and DPCs; no paging, no waiting. */
export const DISPATCH_LEVEL = 2;
/** The device and high IRQLs, which differ by architecture (wdm.h). */
export const IRQL_LEVELS = {
  x64: { CMCI_LEVEL: 5, SYNCH_LEVEL: 12, CLOCK_LEVEL: 13, IPI_LEVEL: 14, DRS_LEVEL: 14, POWER_LEVEL: 14, PROFILE_LEVEL: 15, HIGH_LEVEL: 15 },
  x86: {
    CMCI_LEVEL: 5, SYNCH_LEVEL: 27, PROFILE_LEVEL: 27, CLOCK1_LEVEL: 28, CLOCK2_LEVEL: 28, CLOCK_LEVEL: 28,
    IPI_LEVEL: 29, POWER_LEVEL: 30, HIGH_LEVEL: 31,
  },
} as const;

// Priority boosts for IoCompleteRequest and waits. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocompleterequest
/** No boost. */
export const IO_NO_INCREMENT = 0;
export const IO_CD_ROM_INCREMENT = 1;
export const IO_DISK_INCREMENT = 1;
export const IO_KEYBOARD_INCREMENT = 6;
export const IO_MAILSLOT_INCREMENT = 2;
export const IO_MOUSE_INCREMENT = 6;
export const IO_NAMED_PIPE_INCREMENT = 2;
export const IO_NETWORK_INCREMENT = 2;
export const IO_PARALLEL_INCREMENT = 1;
export const IO_SERIAL_INCREMENT = 2;
export const IO_SOUND_INCREMENT = 8;
export const IO_VIDEO_INCREMENT = 1;
/** Boost for KeSetEvent. */
export const EVENT_INCREMENT = 1;
/** Boost for KeReleaseSemaphore. */
export const SEMAPHORE_INCREMENT = 1;

// ACCESS_MASK bits. https://learn.microsoft.com/windows-hardware/drivers/kernel/access-mask
/** Standard and generic access rights. */
export const DELETE = 0x00010000;
export const READ_CONTROL = 0x00020000;
export const WRITE_DAC = 0x00040000;
export const WRITE_OWNER = 0x00080000;
export const SYNCHRONIZE = 0x00100000;
export const STANDARD_RIGHTS_REQUIRED = 0x000f0000;
export const STANDARD_RIGHTS_READ = READ_CONTROL;
export const STANDARD_RIGHTS_WRITE = READ_CONTROL;
export const STANDARD_RIGHTS_EXECUTE = READ_CONTROL;
export const STANDARD_RIGHTS_ALL = 0x001f0000;
export const SPECIFIC_RIGHTS_ALL = 0x0000ffff;
export const ACCESS_SYSTEM_SECURITY = 0x01000000;
export const MAXIMUM_ALLOWED = 0x02000000;
export const GENERIC_ALL = 0x10000000;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_WRITE = 0x40000000;
export const GENERIC_READ = 0x80000000;

// File-specific access rights. https://learn.microsoft.com/windows/win32/fileio/file-access-rights-constants
/** File access rights (FILE_GENERIC_* are unions of these). */
export const FILE_READ_DATA = 0x0001;
export const FILE_WRITE_DATA = 0x0002;
export const FILE_APPEND_DATA = 0x0004;
export const FILE_READ_EA = 0x0008;
export const FILE_WRITE_EA = 0x0010;
export const FILE_EXECUTE = 0x0020;
export const FILE_DELETE_CHILD = 0x0040;
export const FILE_READ_ATTRIBUTES = 0x0080;
export const FILE_WRITE_ATTRIBUTES = 0x0100;
export const FILE_ALL_ACCESS = (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1ff) >>> 0;
export const FILE_GENERIC_READ =
  (STANDARD_RIGHTS_READ | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE) >>> 0;
export const FILE_GENERIC_WRITE =
  (STANDARD_RIGHTS_WRITE | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE) >>> 0;
export const FILE_GENERIC_EXECUTE = (STANDARD_RIGHTS_EXECUTE | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE) >>> 0;

// Section access rights. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatesection
/** Section access rights. */
export const SECTION_QUERY = 0x0001;
export const SECTION_MAP_WRITE = 0x0002;
export const SECTION_MAP_READ = 0x0004;
export const SECTION_MAP_EXECUTE = 0x0008;
export const SECTION_EXTEND_SIZE = 0x0010;
export const SECTION_MAP_EXECUTE_EXPLICIT = 0x0020;
export const SECTION_ALL_ACCESS = (STANDARD_RIGHTS_REQUIRED | SECTION_QUERY | SECTION_MAP_WRITE | SECTION_MAP_READ |
  SECTION_MAP_EXECUTE | SECTION_EXTEND_SIZE) >>> 0;

// SECTION_INHERIT for ZwMapViewOfSection. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwmapviewofsection
/** The view is inherited by child processes. */
export const ViewShare = 1;
/** The view is not inherited. */
export const ViewUnmap = 2;

// OBJECT_ATTRIBUTES.Attributes. https://learn.microsoft.com/windows-hardware/drivers/ddi/wudfwdm/ns-wudfwdm-_object_attributes
/** OBJ_* attribute bits. */
export const OBJ_INHERIT = 0x00000002;
export const OBJ_PERMANENT = 0x00000010;
export const OBJ_EXCLUSIVE = 0x00000020;
export const OBJ_CASE_INSENSITIVE = 0x00000040;
export const OBJ_OPENIF = 0x00000080;
export const OBJ_OPENLINK = 0x00000100;
export const OBJ_KERNEL_HANDLE = 0x00000200;
export const OBJ_FORCE_ACCESS_CHECK = 0x00000400;
export const OBJ_IGNORE_IMPERSONATED_DEVICEMAP = 0x00000800;
export const OBJ_DONT_REPARSE = 0x00001000;
export const OBJ_VALID_ATTRIBUTES = 0x00001ff2;

// Device characteristics (IoCreateDevice). https://learn.microsoft.com/windows-hardware/drivers/kernel/specifying-device-characteristics
/** DEVICE_OBJECT.Characteristics bits. */
export const FILE_REMOVABLE_MEDIA = 0x00000001;
export const FILE_READ_ONLY_DEVICE = 0x00000002;
export const FILE_FLOPPY_DISKETTE = 0x00000004;
export const FILE_WRITE_ONCE_MEDIA = 0x00000008;
export const FILE_REMOTE_DEVICE = 0x00000010;
export const FILE_DEVICE_IS_MOUNTED = 0x00000020;
export const FILE_VIRTUAL_VOLUME = 0x00000040;
export const FILE_AUTOGENERATED_DEVICE_NAME = 0x00000080;
export const FILE_DEVICE_SECURE_OPEN = 0x00000100;
export const FILE_CHARACTERISTIC_PNP_DEVICE = 0x00000800;
export const FILE_CHARACTERISTIC_TS_DEVICE = 0x00001000;
export const FILE_CHARACTERISTIC_WEBDAV_DEVICE = 0x00002000;
export const FILE_CHARACTERISTIC_CSV = 0x00010000;
export const FILE_DEVICE_ALLOW_APPCONTAINER_TRAVERSAL = 0x00020000;
export const FILE_PORTABLE_DEVICE = 0x00040000;

// DEVICE_OBJECT.Flags. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_device_object
/** DO_* device object flags. */
export const DO_VERIFY_VOLUME = 0x00000002;
export const DO_BUFFERED_IO = 0x00000004;
export const DO_EXCLUSIVE = 0x00000008;
export const DO_DIRECT_IO = 0x00000010;
export const DO_MAP_IO_BUFFER = 0x00000020;
export const DO_DEVICE_INITIALIZING = 0x00000080;
export const DO_SHUTDOWN_REGISTERED = 0x00000800;
export const DO_BUS_ENUMERATED_DEVICE = 0x00001000;
export const DO_POWER_PAGABLE = 0x00002000;
export const DO_POWER_INRUSH = 0x00004000;

// IRP.Flags. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_irp
/** IRP_* flags. */
export const IRP_NOCACHE = 0x00000001;
export const IRP_PAGING_IO = 0x00000002;
export const IRP_MOUNT_COMPLETION = 0x00000002;
export const IRP_SYNCHRONOUS_API = 0x00000004;
export const IRP_ASSOCIATED_IRP = 0x00000008;
export const IRP_BUFFERED_IO = 0x00000010;
export const IRP_DEALLOCATE_BUFFER = 0x00000020;
export const IRP_INPUT_OPERATION = 0x00000040;
export const IRP_SYNCHRONOUS_PAGING_IO = 0x00000040;
export const IRP_CREATE_OPERATION = 0x00000080;
export const IRP_READ_OPERATION = 0x00000100;
export const IRP_WRITE_OPERATION = 0x00000200;
export const IRP_CLOSE_OPERATION = 0x00000400;
export const IRP_DEFER_IO_COMPLETION = 0x00000800;
export const IRP_OB_QUERY_NAME = 0x00001000;
export const IRP_HOLD_DEVICE_QUEUE = 0x00002000;

// NtCreateFile dispositions and options. https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntcreatefile
/** Replace the file if it exists, else create it. */
export const FILE_SUPERSEDE = 0x00000000;
/** Open; fail if it does not exist. */
export const FILE_OPEN = 0x00000001;
/** Create; fail if it exists. */
export const FILE_CREATE = 0x00000002;
/** Open, or create if it does not exist. */
export const FILE_OPEN_IF = 0x00000003;
/** Open and overwrite; fail if it does not exist. */
export const FILE_OVERWRITE = 0x00000004;
/** Open and overwrite, or create. */
export const FILE_OVERWRITE_IF = 0x00000005;
/** All operations on the file are synchronous, waits not alertable. */
export const FILE_SYNCHRONOUS_IO_NONALERT = 0x00000020;
/** The file is not a directory. */
export const FILE_NON_DIRECTORY_FILE = 0x00000040;
/** The file is a directory. */
export const FILE_DIRECTORY_FILE = 0x00000001;
/** All operations on the file are synchronous, waits alertable. */
export const FILE_SYNCHRONOUS_IO_ALERT = 0x00000010;
/** The largest CreateDisposition value. */
export const FILE_MAXIMUM_DISPOSITION = 0x00000005;

// IO_STATUS_BLOCK.Information of a create. https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntcreatefile
export const FILE_SUPERSEDED = 0x00000000;
export const FILE_OPENED = 0x00000001;
export const FILE_CREATED = 0x00000002;
export const FILE_OVERWRITTEN = 0x00000003;
export const FILE_EXISTS = 0x00000004;
export const FILE_DOES_NOT_EXIST = 0x00000005;

// NtReadFile/NtWriteFile ByteOffset with HighPart -1. https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntwritefile
/** LowPart FILE_WRITE_TO_END_OF_FILE: append at the end of the file. */
export const FILE_WRITE_TO_END_OF_FILE = 0xffffffff;
/** LowPart FILE_USE_FILE_POINTER_POSITION: the file object's current byte offset. */
export const FILE_USE_FILE_POINTER_POSITION = 0xfffffffe;

// FILE_OBJECT.Flags. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_file_object
/** Opened with FILE_SYNCHRONOUS_IO_ALERT or _NONALERT: the I/O manager keeps CurrentByteOffset. */
export const FO_SYNCHRONOUS_IO = 0x00000002;
/** Waits of a synchronous file are alertable. */
export const FO_ALERTABLE_IO = 0x00000004;
/** Set at IRP_MJ_CLEANUP. */
export const FO_CLEANUP_COMPLETE = 0x00004000;

// FILE_INFORMATION_CLASS. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_file_information_class
export const FileBasicInformation = 4;
export const FileStandardInformation = 5;
export const FilePositionInformation = 14;
export const FileEndOfFileInformation = 20;

// Memory-manager page geometry (x86 and x64): defined in page.ts.
export { PAGE_SIZE, PAGE_SHIFT } from './page.js';

// Exception filter results. https://learn.microsoft.com/cpp/cpp/try-except-statement
/** Run the __except block. */
export const EXCEPTION_EXECUTE_HANDLER = 1;
/** Keep looking for a handler. */
export const EXCEPTION_CONTINUE_SEARCH = 0;
/** Resume at the faulting instruction (a signed LONG filter result). */
export const EXCEPTION_CONTINUE_EXECUTION = -1;


/** IO_STACK_LOCATION.Control (wdm.h): IoMarkIrpPending's mark, and when IoSetCompletionRoutine's routine runs. */
export const SL_PENDING_RETURNED = 0x01;
export const SL_ERROR_RETURNED = 0x02;
export const SL_INVOKE_ON_CANCEL = 0x20;
export const SL_INVOKE_ON_SUCCESS = 0x40;
export const SL_INVOKE_ON_ERROR = 0x80;

// Dispatcher object types, waits and the access rights of synchronization objects (wait-constants.ts).
export * from './wait-constants.js';
