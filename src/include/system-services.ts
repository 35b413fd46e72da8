/**
 * The system services: one declaration per service, with ntdll's parameter
 * list (name and kind of each parameter, in order). Both sides of the
 * user/kernel boundary are generated from it:
 *
 *   the kernel's table (kernel/services/table.ts) implements each service
 *     over numbers only — integers, handles, guest addresses — probing and
 *     capturing what the addresses point to, as NT does;
 *   the stubs (api/ntdll.ts) enter the kernel with the arguments as they are;
 *   `k32`'s native routines (api/native.ts) are those stubs with docs/api.md's
 *     conventions: pointers to what a service fills become out-parameters,
 *     returned; in/out pointers take a value and return it updated; a
 *     UNICODE_STRING or OBJECT_ATTRIBUTES may be given as a plain value or as
 *     a guest address. The structures live on the calling thread's stack.
 *
 * Each parameter list is the one its WDK page gives (linked per service below).
 */

/**
 * How a parameter crosses the boundary. The kernel receives a number for
 * every kind; the kinds say what `k32`'s native routine makes of it.
 */
export const ParamKinds = {
  /** An integer: ULONG, ACCESS_MASK, BOOLEAN, an information class, a length. */
  ULONG: 'in',
  /** A HANDLE value. */
  HANDLE: 'in',
  /** A pointer-sized integer passed by value (ULONG_PTR ZeroBits, SIZE_T). */
  ULONG_PTR: 'in',
  /** An address the service reads or writes as raw bytes (a buffer with its length), or an optional pointer passed as is. */
  PVOID: 'in',
  /** A routine of the program the kernel has its thread call back (an ApcRoutine): a JS function, which the loader names by an address, or that address. */
  PROUTINE: 'in',
  /** PUNICODE_STRING the service reads: a JS string, or the address of a UNICODE_STRING. */
  PUNICODE_STRING: 'in',
  /** POBJECT_ATTRIBUTES the service reads: a plain object, or the address of an OBJECT_ATTRIBUTES. */
  POBJECT_ATTRIBUTES: 'in',
  /** PLARGE_INTEGER the service reads (optional): a number or bigint, or null. */
  PLARGE_INTEGER: 'in',
  /** PHANDLE the service fills: returned. */
  OUT_HANDLE: 'out',
  /** PULONG the service fills (optional): returned. */
  OUT_ULONG: 'out',
  /** PSIZE_T the service fills (optional): returned. */
  OUT_SIZE_T: 'out',
  /** PIO_STATUS_BLOCK the service fills: returned as { Status, Information }. */
  OUT_IO_STATUS_BLOCK: 'out',
  /** A MEMORY_BASIC_INFORMATION buffer the service fills (its length is the next parameter): returned decoded on success. */
  OUT_MEMORY_BASIC_INFORMATION: 'out',
  /** PVOID* in and out (NtAllocateVirtualMemory's BaseAddress): a value in, the updated value returned. */
  INOUT_PVOID: 'inout',
  /** PSIZE_T in and out (RegionSize): a value in, the updated value returned. */
  INOUT_SIZE_T: 'inout',
} as const;

/** The kind of a system-service parameter. */
export type ParamKind = keyof typeof ParamKinds;

/** A parameter: its documented name and its kind. */
export type ParamDeclaration = readonly [name: string, kind: ParamKind];

/**
 * A service: its parameters in ntdll's order, and where its stub may
 * suspend the calling thread. A `blocking` service may wait (its stub returns
 * a promise of the status when it does; a wait answered at once may return
 * the status itself); a `preemptible` one never waits, but its quantum may
 * end at its entry, so its stub returns the status itself on the fast path
 * and a promise of it only when the thread must first give up the CPU.
 */
export interface ServiceDeclaration {
  readonly params: readonly ParamDeclaration[];
  readonly blocking?: true;
  readonly preemptible?: true;
}

const service = <const P extends readonly ParamDeclaration[]>(...params: P) => ({ params });
const blocking = <const P extends readonly ParamDeclaration[]>(...params: P) => ({ params, blocking: true as const });
const preemptible = <const P extends readonly ParamDeclaration[]>(...params: P) => ({ params, preemptible: true as const });

/**
 * Every system service, in KiServiceTable order (the order gives each its
 * number and the code address bug checks name for it).
 */
export const SYSTEM_SERVICES = {
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntclose
  NtClose: service(['Handle', 'HANDLE']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntcreatefile
  NtCreateFile: service(['FileHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES'],
    ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK'], ['AllocationSize', 'PLARGE_INTEGER'], ['FileAttributes', 'ULONG'], ['ShareAccess', 'ULONG'],
    ['CreateDisposition', 'ULONG'], ['CreateOptions', 'ULONG'], ['EaBuffer', 'PVOID'], ['EaLength', 'ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntdeviceiocontrolfile
  // Preemptible: a program may loop on it for ever without waiting, so its quantum must be able to end there.
  NtDeviceIoControlFile: preemptible(['FileHandle', 'HANDLE'], ['Event', 'HANDLE'], ['ApcRoutine', 'PROUTINE'], ['ApcContext', 'PVOID'],
    ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK'], ['IoControlCode', 'ULONG'], ['InputBuffer', 'PVOID'], ['InputBufferLength', 'ULONG'],
    ['OutputBuffer', 'PVOID'], ['OutputBufferLength', 'ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntwritefile
  NtWriteFile: service(['FileHandle', 'HANDLE'], ['Event', 'HANDLE'], ['ApcRoutine', 'PVOID'], ['ApcContext', 'PVOID'],
    ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK'], ['Buffer', 'PVOID'], ['Length', 'ULONG'], ['ByteOffset', 'PLARGE_INTEGER'], ['Key', 'PVOID']),
  // Files of the volume (kernel/io/read-write.ts, file-information.ts, flush.ts).
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntreadfile
  NtReadFile: service(['FileHandle', 'HANDLE'], ['Event', 'HANDLE'], ['ApcRoutine', 'PVOID'], ['ApcContext', 'PVOID'],
    ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK'], ['Buffer', 'PVOID'], ['Length', 'ULONG'], ['ByteOffset', 'PLARGE_INTEGER'], ['Key', 'PVOID']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntqueryinformationfile
  NtQueryInformationFile: service(['FileHandle', 'HANDLE'], ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK'], ['FileInformation', 'PVOID'],
    ['Length', 'ULONG'], ['FileInformationClass', 'ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntsetinformationfile
  NtSetInformationFile: service(['FileHandle', 'HANDLE'], ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK'], ['FileInformation', 'PVOID'],
    ['Length', 'ULONG'], ['FileInformationClass', 'ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntflushbuffersfile
  NtFlushBuffersFile: service(['FileHandle', 'HANDLE'], ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntallocatevirtualmemory
  NtAllocateVirtualMemory: service(['ProcessHandle', 'HANDLE'], ['BaseAddress', 'INOUT_PVOID'], ['ZeroBits', 'ULONG_PTR'],
    ['RegionSize', 'INOUT_SIZE_T'], ['AllocationType', 'ULONG'], ['Protect', 'ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntfreevirtualmemory
  NtFreeVirtualMemory: service(['ProcessHandle', 'HANDLE'], ['BaseAddress', 'INOUT_PVOID'], ['RegionSize', 'INOUT_SIZE_T'], ['FreeType', 'ULONG']),
  // https://learn.microsoft.com/windows/win32/devnotes/ntprotectvirtualmemory (ZwProtectVirtualMemory)
  NtProtectVirtualMemory: service(['ProcessHandle', 'HANDLE'], ['BaseAddress', 'INOUT_PVOID'], ['RegionSize', 'INOUT_SIZE_T'],
    ['NewProtect', 'ULONG'], ['OldProtect', 'OUT_ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntqueryvirtualmemory
  NtQueryVirtualMemory: service(['ProcessHandle', 'HANDLE'], ['BaseAddress', 'PVOID'], ['MemoryInformationClass', 'ULONG'],
    ['MemoryInformation', 'OUT_MEMORY_BASIC_INFORMATION'], ['MemoryInformationLength', 'ULONG_PTR'], ['ReturnLength', 'OUT_SIZE_T']),
  // https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-ntdelayexecution (ntdll; DelayInterval in 100 ns, negative = relative)
  NtDelayExecution: blocking(['Alertable', 'ULONG'], ['DelayInterval', 'PLARGE_INTEGER']),
  // NtYieldExecution: SwitchToThread and Sleep(0)'s service.
  NtYieldExecution: blocking(),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-zwterminateprocess
  NtTerminateProcess: service(['ProcessHandle', 'HANDLE'], ['ExitStatus', 'ULONG']),
  // LPC, the transport of the service control manager's RPC (advapi32 → services.exe).
  // https://learn.microsoft.com/windows/win32/devnotes/ntconnectport (ZwConnectPort)
  NtConnectPort: service(['PortHandle', 'OUT_HANDLE'], ['PortName', 'PUNICODE_STRING'], ['SecurityQos', 'PVOID'], ['ClientView', 'PVOID'],
    ['ServerView', 'PVOID'], ['MaxMessageLength', 'OUT_ULONG'], ['ConnectionInformation', 'PVOID'], ['ConnectionInformationLength', 'PVOID']),
  // NtRequestWaitReplyPort: sends a request and waits for the reply (ZwRequestWaitReplyPort).
  NtRequestWaitReplyPort: service(['PortHandle', 'HANDLE'], ['RequestMessage', 'PVOID'], ['ReplyMessage', 'PVOID']),
  // Sections (kernel/section/services.ts).
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatesection
  NtCreateSection: service(['SectionHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES'],
    ['MaximumSize', 'PLARGE_INTEGER'], ['SectionPageProtection', 'ULONG'], ['AllocationAttributes', 'ULONG'], ['FileHandle', 'HANDLE']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopensection
  NtOpenSection: service(['SectionHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwmapviewofsection
  NtMapViewOfSection: service(['SectionHandle', 'HANDLE'], ['ProcessHandle', 'HANDLE'], ['BaseAddress', 'INOUT_PVOID'], ['ZeroBits', 'ULONG_PTR'],
    ['CommitSize', 'ULONG_PTR'], ['SectionOffset', 'PLARGE_INTEGER'], ['ViewSize', 'INOUT_SIZE_T'], ['InheritDisposition', 'ULONG'],
    ['AllocationType', 'ULONG'], ['Win32Protect', 'ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwunmapviewofsection
  NtUnmapViewOfSection: service(['ProcessHandle', 'HANDLE'], ['BaseAddress', 'PVOID']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwquerysection (SectionInformationLength is a SIZE_T)
  NtQuerySection: service(['SectionHandle', 'HANDLE'], ['SectionInformationClass', 'ULONG'], ['SectionInformation', 'PVOID'],
    ['SectionInformationLength', 'ULONG_PTR'], ['ResultLength', 'OUT_SIZE_T']),
  // NtExtendSection(SectionHandle, NewSectionSize): NewSectionSize is a PLARGE_INTEGER read and written back.
  NtExtendSection: service(['SectionHandle', 'HANDLE'], ['NewSectionSize', 'PLARGE_INTEGER']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwflushvirtualmemory
  NtFlushVirtualMemory: service(['ProcessHandle', 'HANDLE'], ['BaseAddress', 'INOUT_PVOID'], ['RegionSize', 'INOUT_SIZE_T'],
    ['IoStatus', 'OUT_IO_STATUS_BLOCK']),
  // The registry (kernel/cm/services.ts).
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatekey
  NtCreateKey: service(['KeyHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES'],
    ['TitleIndex', 'ULONG'], ['Class', 'PUNICODE_STRING'], ['CreateOptions', 'ULONG'], ['Disposition', 'OUT_ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopenkey
  NtOpenKey: service(['KeyHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwsetvaluekey
  NtSetValueKey: service(['KeyHandle', 'HANDLE'], ['ValueName', 'PUNICODE_STRING'], ['TitleIndex', 'ULONG'], ['Type', 'ULONG'],
    ['Data', 'PVOID'], ['DataSize', 'ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwqueryvaluekey
  NtQueryValueKey: service(['KeyHandle', 'HANDLE'], ['ValueName', 'PUNICODE_STRING'], ['KeyValueInformationClass', 'ULONG'],
    ['KeyValueInformation', 'PVOID'], ['Length', 'ULONG'], ['ResultLength', 'OUT_ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwdeletekey
  NtDeleteKey: service(['KeyHandle', 'HANDLE']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwdeletevaluekey
  NtDeleteValueKey: service(['KeyHandle', 'HANDLE'], ['ValueName', 'PUNICODE_STRING']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwenumeratekey
  NtEnumerateKey: service(['KeyHandle', 'HANDLE'], ['Index', 'ULONG'], ['KeyInformationClass', 'ULONG'], ['KeyInformation', 'PVOID'],
    ['Length', 'ULONG'], ['ResultLength', 'OUT_ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwenumeratevaluekey
  NtEnumerateValueKey: service(['KeyHandle', 'HANDLE'], ['Index', 'ULONG'], ['KeyValueInformationClass', 'ULONG'],
    ['KeyValueInformation', 'PVOID'], ['Length', 'ULONG'], ['ResultLength', 'OUT_ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwquerykey
  NtQueryKey: service(['KeyHandle', 'HANDLE'], ['KeyInformationClass', 'ULONG'], ['KeyInformation', 'PVOID'], ['Length', 'ULONG'],
    ['ResultLength', 'OUT_ULONG']),
  // Drivers named by their service key (kernel/cm/load-driver.ts).
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwloaddriver
  NtLoadDriver: service(['DriverServiceName', 'PUNICODE_STRING']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwunloaddriver
  NtUnloadDriver: service(['DriverServiceName', 'PUNICODE_STRING']),
  // Tokens, as far as privileges (kernel/se/token-services.ts).
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwopenprocesstokenex (NtOpenProcessToken: no HandleAttributes)
  NtOpenProcessToken: service(['ProcessHandle', 'HANDLE'], ['DesiredAccess', 'ULONG'], ['TokenHandle', 'OUT_HANDLE']),
  // https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-adjusttokenprivileges (NtAdjustPrivilegesToken, ntifs.h)
  NtAdjustPrivilegesToken: service(['TokenHandle', 'HANDLE'], ['DisableAllPrivileges', 'ULONG'], ['NewState', 'PVOID'],
    ['BufferLength', 'ULONG'], ['PreviousState', 'PVOID'], ['ReturnLength', 'OUT_ULONG']),
  // The object namespace: directories and symbolic links (kernel/ob/services.ts).
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreatedirectoryobject
  NtCreateDirectoryObject: service(['DirectoryHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopendirectoryobject
  NtOpenDirectoryObject: service(['DirectoryHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwcreatesymboliclinkobject
  NtCreateSymbolicLinkObject: service(['LinkHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES'],
    ['LinkTarget', 'PUNICODE_STRING']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwopensymboliclinkobject
  NtOpenSymbolicLinkObject: service(['LinkHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwquerysymboliclinkobject (LinkTarget: the address of a UNICODE_STRING the caller set up)
  NtQuerySymbolicLinkObject: service(['LinkHandle', 'HANDLE'], ['LinkTarget', 'PVOID'], ['ReturnedLength', 'OUT_ULONG']),
  // Threads of a program (kernel/services/thread.ts, ps/user-thread.ts).
  // NtCreateThreadEx (ntdll; the documented kernel-mode counterpart is PsCreateSystemThread): StartRoutine, Argument in the new thread.
  NtCreateThreadEx: service(['ThreadHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES'],
    ['ProcessHandle', 'HANDLE'], ['StartRoutine', 'PVOID'], ['Argument', 'PVOID'], ['CreateFlags', 'ULONG'], ['ZeroBits', 'ULONG_PTR'],
    ['StackSize', 'ULONG_PTR'], ['MaximumStackSize', 'ULONG_PTR'], ['AttributeList', 'PVOID']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-zwterminatethread (NtTerminateThread)
  NtTerminateThread: service(['ThreadHandle', 'HANDLE'], ['ExitStatus', 'ULONG']),
  // https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-ntqueryinformationthread
  NtQueryInformationThread: service(['ThreadHandle', 'HANDLE'], ['ThreadInformationClass', 'ULONG'], ['ThreadInformation', 'PVOID'],
    ['ThreadInformationLength', 'ULONG'], ['ReturnLength', 'OUT_ULONG']),
  // Synchronization objects and waits (kernel/services/sync.ts).
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreateevent
  NtCreateEvent: service(['EventHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES'],
    ['EventType', 'ULONG'], ['InitialState', 'ULONG']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwopenevent
  NtOpenEvent: service(['EventHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES']),
  // https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwsetevent
  NtSetEvent: service(['EventHandle', 'HANDLE'], ['PreviousState', 'OUT_ULONG']),
  // NtResetEvent(EventHandle, PreviousState), NtPulseEvent alike (ntifs.h declares ZwResetEvent... as NtSetEvent).
  NtResetEvent: service(['EventHandle', 'HANDLE'], ['PreviousState', 'OUT_ULONG']),
  NtPulseEvent: service(['EventHandle', 'HANDLE'], ['PreviousState', 'OUT_ULONG']),
  // NtCreateSemaphore(SemaphoreHandle, DesiredAccess, ObjectAttributes, InitialCount, MaximumCount) (LONGs).
  NtCreateSemaphore: service(['SemaphoreHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES'],
    ['InitialCount', 'ULONG'], ['MaximumCount', 'ULONG']),
  NtOpenSemaphore: service(['SemaphoreHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES']),
  NtReleaseSemaphore: service(['SemaphoreHandle', 'HANDLE'], ['ReleaseCount', 'ULONG'], ['PreviousCount', 'OUT_ULONG']),
  // NtCreateMutant(MutantHandle, DesiredAccess, ObjectAttributes, InitialOwner (BOOLEAN)).
  NtCreateMutant: service(['MutantHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES'],
    ['InitialOwner', 'ULONG']),
  NtOpenMutant: service(['MutantHandle', 'OUT_HANDLE'], ['DesiredAccess', 'ULONG'], ['ObjectAttributes', 'POBJECT_ATTRIBUTES']),
  NtReleaseMutant: service(['MutantHandle', 'HANDLE'], ['PreviousCount', 'OUT_ULONG']),
  // https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-ntwaitforsingleobject
  NtWaitForSingleObject: blocking(['Handle', 'HANDLE'], ['Alertable', 'ULONG'], ['Timeout', 'PLARGE_INTEGER']),
  // NtWaitForMultipleObjects(Count, Handles (HANDLE array), WaitType, Alertable, Timeout).
  NtWaitForMultipleObjects: blocking(['Count', 'ULONG'], ['Handles', 'PVOID'], ['WaitType', 'ULONG'], ['Alertable', 'ULONG'],
    ['Timeout', 'PLARGE_INTEGER']),
  // Cancelling I/O (kernel/io/thread-io.ts). NtCancelIoFile waits for the cancelled requests to finish.
  // https://learn.microsoft.com/windows/win32/fileio/cancelio (CancelIo, whose service it is)
  NtCancelIoFile: blocking(['FileHandle', 'HANDLE'], ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK']),
  // NtCancelIoFileEx(FileHandle, IoRequestToCancel (the request's PIO_STATUS_BLOCK, or NULL for all), IoStatusBlock): CancelIoEx's.
  NtCancelIoFileEx: service(['FileHandle', 'HANDLE'], ['IoRequestToCancel', 'PVOID'], ['IoStatusBlock', 'OUT_IO_STATUS_BLOCK']),
  // User APCs (kernel/services/apc.ts, ke/user-apc.ts): QueueUserAPC's service, and the test ntdll makes for queued APCs.
  // NtQueueApcThread(ThreadHandle, ApcRoutine, ApcArgument1, ApcArgument2, ApcArgument3) (ntdll)
  NtQueueApcThread: service(['ThreadHandle', 'HANDLE'], ['ApcRoutine', 'PROUTINE'], ['ApcArgument1', 'ULONG_PTR'], ['ApcArgument2', 'ULONG_PTR'],
    ['ApcArgument3', 'ULONG_PTR']),
  // NtTestAlert (ntdll): STATUS_USER_APC when user APCs are queued to the caller.
  NtTestAlert: service(),
} as const satisfies Record<string, ServiceDeclaration>;

/** The name of a system service. */
export type ServiceName = keyof typeof SYSTEM_SERVICES;

/** Numbers for every parameter: the kernel's view of a parameter list. */
type Numbers<P extends readonly ParamDeclaration[]> = { [I in keyof P]: number };

/**
 * A service as the kernel implements it and the stub enters it: numbers in,
 * an NTSTATUS out (a promise of one if it blocks or its quantum ends: either,
 * for a blocking or preemptible service's stub).
 */
export type RawService<D extends ServiceDeclaration> =
  (...args: Numbers<D['params']>) => D extends { readonly blocking: true } | { readonly preemptible: true } ? number | Promise<number> : number;

/** Whether a service's stub is a preemption point: it may block, or it is preemptible. */
export const isPreemptionPoint = (d: ServiceDeclaration): boolean => d.blocking === true || d.preemptible === true;

/** The kernel's table of system services, typed by the declarations. */
export type SystemServiceTable = { readonly [N in ServiceName]: RawService<(typeof SYSTEM_SERVICES)[N]> };

/** Every service name, in table order. */
export const SERVICE_NAMES = Object.keys(SYSTEM_SERVICES) as ServiceName[];
