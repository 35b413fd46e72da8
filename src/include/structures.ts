/**
 * Layouts of the structures that cross the user/kernel boundary, as Windows 10
 * lays them out on x64 and on 32-bit x86 (not WOW64): sizeof, alignment and
 * each field's FIELD_OFFSET, in bytes. Pure data, one frozen object per
 * architecture, so `UNICODE_STRING[arch].Buffer` is a property load and
 * allocates nothing.
 *
 * The x86 ABI aligns LONGLONG to 8 inside structures (MSVC /Zp8), so
 * LARGE_INTEGER is 8-aligned on both; pointers, HANDLE and SIZE_T are 4 or 8.
 * https://learn.microsoft.com/cpp/build/x64-software-conventions#types-and-storage
 */

/** The machine a layout is for: x64, or 32-bit x86 (not WOW64). */
export type Arch = 'x64' | 'x86';

/** sizeof(PVOID) (and HANDLE, SIZE_T, ULONG_PTR): 8 on x64, 4 on x86. */
export const pointerSize = (arch: Arch): 4 | 8 => (arch === 'x64' ? 8 : 4);

/** `n` rounded up to a multiple of `a` (ALIGN_UP_BY); exact for any integer below 2^53. */
export const alignUp = (n: number, a: number): number => {
  const r = n % a;
  return r === 0 ? n : n + (a - r);
};

/** Freezes both arch tables and the pair. */
function layout<T extends { readonly x64: object; readonly x86: object }>(l: T): T {
  Object.freeze(l.x64);
  Object.freeze(l.x86);
  return Object.freeze(l);
}

/** LARGE_INTEGER (union of LowPart/HighPart and LONGLONG QuadPart): https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-large_integer-r1 */
export const LARGE_INTEGER = layout({
  x64: { size: 8, align: 8, LowPart: 0, HighPart: 4, QuadPart: 0 },
  x86: { size: 8, align: 8, LowPart: 0, HighPart: 4, QuadPart: 0 },
} as const);

/** FILETIME: https://learn.microsoft.com/windows/win32/api/minwinbase/ns-minwinbase-filetime */
export const FILETIME = layout({
  x64: { size: 8, align: 4, dwLowDateTime: 0, dwHighDateTime: 4 },
  x86: { size: 8, align: 4, dwLowDateTime: 0, dwHighDateTime: 4 },
} as const);

/** SYSTEMTIME (eight WORDs): https://learn.microsoft.com/windows/win32/api/minwinbase/ns-minwinbase-systemtime */
export const SYSTEMTIME = layout({
  x64: { size: 16, align: 2, wYear: 0, wMonth: 2, wDayOfWeek: 4, wDay: 6, wHour: 8, wMinute: 10, wSecond: 12, wMilliseconds: 14 },
  x86: { size: 16, align: 2, wYear: 0, wMonth: 2, wDayOfWeek: 4, wDay: 6, wHour: 8, wMinute: 10, wSecond: 12, wMilliseconds: 14 },
} as const);

/** UNICODE_STRING (x64: 4 bytes of padding before Buffer): https://learn.microsoft.com/windows/win32/api/ntdef/ns-ntdef-_unicode_string */
export const UNICODE_STRING = layout({
  x64: { size: 16, align: 8, Length: 0, MaximumLength: 2, Buffer: 8 },
  x86: { size: 8, align: 4, Length: 0, MaximumLength: 2, Buffer: 4 },
} as const);

/** OBJECT_ATTRIBUTES (x64: padding after Length and after Attributes): https://learn.microsoft.com/windows/win32/api/ntdef/ns-ntdef-_object_attributes */
export const OBJECT_ATTRIBUTES = layout({
  x64: { size: 48, align: 8, Length: 0, RootDirectory: 8, ObjectName: 16, Attributes: 24, SecurityDescriptor: 32, SecurityQualityOfService: 40 },
  x86: { size: 24, align: 4, Length: 0, RootDirectory: 4, ObjectName: 8, Attributes: 12, SecurityDescriptor: 16, SecurityQualityOfService: 20 },
} as const);

/** IO_STATUS_BLOCK (union { NTSTATUS Status; PVOID Pointer; } then ULONG_PTR Information): https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_io_status_block */
export const IO_STATUS_BLOCK = layout({
  x64: { size: 16, align: 8, Status: 0, Pointer: 0, Information: 8 },
  x86: { size: 8, align: 4, Status: 0, Pointer: 0, Information: 4 },
} as const);

/** OVERLAPPED (Internal: the request's NTSTATUS, InternalHigh: its Information; the offset; hEvent): https://learn.microsoft.com/windows/win32/api/minwinbase/ns-minwinbase-overlapped */
export const OVERLAPPED = layout({
  x64: { size: 0x20, align: 8, Internal: 0, InternalHigh: 8, Offset: 0x10, OffsetHigh: 0x14, hEvent: 0x18 },
  x86: { size: 0x14, align: 4, Internal: 0, InternalHigh: 4, Offset: 8, OffsetHigh: 0xc, hEvent: 0x10 },
} as const);

/** CLIENT_ID (two HANDLEs): https://learn.microsoft.com/openspecs/windows_protocols/ms-tsts/a11e7129-685b-4535-8d37-21d4596ac057 */
export const CLIENT_ID = layout({
  x64: { size: 16, align: 8, UniqueProcess: 0, UniqueThread: 8 },
  x86: { size: 8, align: 4, UniqueProcess: 0, UniqueThread: 4 },
} as const);

/**
 * MEMORY_BASIC_INFORMATION; WORD PartitionId exists only `#if defined(_WIN64)` (winnt.h),
 * in what was padding before SIZE_T RegionSize:
 * https://learn.microsoft.com/windows/win32/api/winnt/ns-winnt-memory_basic_information
 */
export const MEMORY_BASIC_INFORMATION = layout({
  x64: { size: 48, align: 8, BaseAddress: 0, AllocationBase: 8, AllocationProtect: 16, PartitionId: 20, RegionSize: 24, State: 32, Protect: 36, Type: 40 },
  x86: { size: 28, align: 4, BaseAddress: 0, AllocationBase: 4, AllocationProtect: 8, RegionSize: 12, State: 16, Protect: 20, Type: 24 },
} as const);

/** SERVICE_STATUS (seven DWORDs): https://learn.microsoft.com/windows/win32/api/winsvc/ns-winsvc-service_status */
export const SERVICE_STATUS = layout({
  x64: { size: 28, align: 4, dwServiceType: 0, dwCurrentState: 4, dwControlsAccepted: 8, dwWin32ExitCode: 12, dwServiceSpecificExitCode: 16, dwCheckPoint: 20, dwWaitHint: 24 },
  x86: { size: 28, align: 4, dwServiceType: 0, dwCurrentState: 4, dwControlsAccepted: 8, dwWin32ExitCode: 12, dwServiceSpecificExitCode: 16, dwCheckPoint: 20, dwWaitHint: 24 },
} as const);

/**
 * KEY_VALUE_PARTIAL_INFORMATION: `size` is sizeof (UCHAR Data[1] padded to 16);
 * the fixed part a caller must leave room for is FIELD_OFFSET(Data) = 12.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_key_value_partial_information
 */
export const KEY_VALUE_PARTIAL_INFORMATION = layout({
  x64: { size: 16, align: 4, TitleIndex: 0, Type: 4, DataLength: 8, Data: 12 },
  x86: { size: 16, align: 4, TitleIndex: 0, Type: 4, DataLength: 8, Data: 12 },
} as const);

/** SECURITY_ATTRIBUTES (x64: padding after nLength and after bInheritHandle): https://learn.microsoft.com/windows/win32/api/wtypesbase/ns-wtypesbase-security_attributes */
export const SECURITY_ATTRIBUTES = layout({
  x64: { size: 24, align: 8, nLength: 0, lpSecurityDescriptor: 8, bInheritHandle: 16 },
  x86: { size: 12, align: 4, nLength: 0, lpSecurityDescriptor: 4, bInheritHandle: 8 },
} as const);

/** CURDIR (UNICODE_STRING DosPath; HANDLE Handle): ReactOS sdk/include/ndk/rtltypes.h */
export const CURDIR = layout({
  x64: { size: 24, align: 8, DosPath: 0, Handle: 16 },
  x86: { size: 12, align: 4, DosPath: 0, Handle: 8 },
} as const);

/**
 * RTL_USER_PROCESS_PARAMETERS, the head of it a kernel32 reads (ReactOS
 * sdk/include/ndk/rtltypes.h; ImagePathName/CommandLine agree with the
 * Reserved1[16] + PVOID Reserved2[10] of winternl.h):
 * https://learn.microsoft.com/windows/win32/api/winternl/ns-winternl-rtl_user_process_parameters
 * `CurrentDirectoryHandle` is CurrentDirectory.Handle (CurrentDirectory + CURDIR.Handle).
 */
export const RTL_USER_PROCESS_PARAMETERS = layout({
  x64: {
    MaximumLength: 0x00, Length: 0x04, Flags: 0x08, DebugFlags: 0x0c, ConsoleHandle: 0x10, ConsoleFlags: 0x18,
    StandardInput: 0x20, StandardOutput: 0x28, StandardError: 0x30, CurrentDirectory: 0x38, CurrentDirectoryHandle: 0x48,
    DllPath: 0x50, ImagePathName: 0x60, CommandLine: 0x70, Environment: 0x80,
  },
  x86: {
    MaximumLength: 0x00, Length: 0x04, Flags: 0x08, DebugFlags: 0x0c, ConsoleHandle: 0x10, ConsoleFlags: 0x14,
    StandardInput: 0x18, StandardOutput: 0x1c, StandardError: 0x20, CurrentDirectory: 0x24, CurrentDirectoryHandle: 0x2c,
    DllPath: 0x30, ImagePathName: 0x38, CommandLine: 0x40, Environment: 0x48,
  },
} as const);

/**
 * TEB offsets a kernel32 uses (no size: the TEB grows every release). Windows 10
 * values asserted by ReactOS sdk/include/ndk/tests/win10_x64.c and win10_x86.c.
 * `Self` is NtTib.Self; `UniqueProcess`/`UniqueThread` are ClientId's halves.
 */
export const TEB = layout({
  x64: { NtTib: 0x00, Self: 0x30, ClientId: 0x40, UniqueProcess: 0x40, UniqueThread: 0x48, ProcessEnvironmentBlock: 0x60, LastErrorValue: 0x68, LastStatusValue: 0x1250 },
  x86: { NtTib: 0x00, Self: 0x18, ClientId: 0x20, UniqueProcess: 0x20, UniqueThread: 0x24, ProcessEnvironmentBlock: 0x30, LastErrorValue: 0x34, LastStatusValue: 0xbf4 },
} as const);

/**
 * PEB offsets a kernel32 uses (no size). ReactOS sdk/include/ndk/peb_teb.h
 * (Mutant, ImageBaseAddress, Ldr, ProcessParameters, SubSystemData, ProcessHeap
 * after four BOOLEANs); Ldr/ProcessParameters agree with winternl.h (SessionId: Windows 10's
 * public symbols, what kernel32's BaseGetNamedObjectDirectory reads):
 * https://learn.microsoft.com/windows/win32/api/winternl/ns-winternl-peb
 */
export const PEB = layout({
  x64: { BeingDebugged: 0x02, ImageBaseAddress: 0x10, Ldr: 0x18, ProcessParameters: 0x20, ProcessHeap: 0x30, SessionId: 0x2c0 },
  x86: { BeingDebugged: 0x02, ImageBaseAddress: 0x08, Ldr: 0x0c, ProcessParameters: 0x10, ProcessHeap: 0x18, SessionId: 0x1d4 },
} as const);

/**
 * PORT_MESSAGE, the header of an LPC message (u1: DataLength, TotalLength;
 * u2: Type, DataInfoOffset; ClientId; MessageId; ClientViewSize). ReactOS
 * sdk/include/ndk/lpctypes.h.
 */
export const PORT_MESSAGE = layout({
  x64: { size: 0x28, align: 8, DataLength: 0x00, TotalLength: 0x02, Type: 0x04, DataInfoOffset: 0x06, ClientId: 0x08, MessageId: 0x18, ClientViewSize: 0x20 },
  x86: { size: 0x18, align: 4, DataLength: 0x00, TotalLength: 0x02, Type: 0x04, DataInfoOffset: 0x06, ClientId: 0x08, MessageId: 0x10, ClientViewSize: 0x14 },
} as const);
