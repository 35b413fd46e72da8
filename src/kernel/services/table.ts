/**
 * The kernel's table of system services (KiServiceTable): each service of
 * include/system-services.ts bound to this kernel, numbers in, NTSTATUS out.
 * Its type comes from the declarations, so a service whose parameter list
 * differs from its declaration does not compile.
 */
import type { SystemServiceTable } from '../../include/system-services.js';
import type { CmContext } from '../cm/context.js';
import { NtLoadDriver, NtUnloadDriver } from '../cm/load-driver.js';
import {
  NtCreateKey, NtDeleteKey, NtDeleteValueKey, NtEnumerateKey, NtEnumerateValueKey, NtOpenKey, NtQueryKey, NtQueryValueKey, NtSetValueKey,
} from '../cm/services.js';
import { NtCreateFile } from '../io/file.js';
import { NtDeviceIoControlFile } from '../io/ioctl.js';
import { NtCancelIoFile, NtCancelIoFileEx } from '../io/thread-io.js';
import { NtQueueApcThread, NtTestAlert } from './apc.js';
import { NtReadFile, NtWriteFile } from '../io/read-write.js';
import { NtQueryInformationFile, NtSetInformationFile } from '../io/file-information.js';
import { NtFlushBuffersFile } from '../io/flush.js';
import { NtConnectPort, NtRequestWaitReplyPort } from '../lpc/port.js';
import { NtClose } from '../ob/manager.js';
import {
  NtCreateSection, NtExtendSection, NtFlushVirtualMemory, NtMapViewOfSection, NtOpenSection, NtQuerySection, NtUnmapViewOfSection,
} from '../section/services.js';
import {
  NtCreateDirectoryObject, NtCreateSymbolicLinkObject, NtOpenDirectoryObject, NtOpenSymbolicLinkObject, NtQuerySymbolicLinkObject,
} from '../ob/services.js';
import { NtAdjustPrivilegesToken, NtOpenProcessToken } from '../se/token-services.js';
import { NtAllocateVirtualMemory, NtFreeVirtualMemory, NtProtectVirtualMemory, NtQueryVirtualMemory } from './memory.js';
import {
  NtCreateThreadEx, NtDelayExecution, NtQueryInformationThread, NtTerminateProcess, NtTerminateThread, NtYieldExecution,
} from './thread.js';
import {
  NtCreateEvent, NtCreateMutant, NtCreateSemaphore, NtOpenEvent, NtOpenMutant, NtOpenSemaphore, NtPulseEvent, NtReleaseMutant, NtReleaseSemaphore,
  NtResetEvent, NtSetEvent, NtWaitForMultipleObjects, NtWaitForSingleObject,
} from './sync.js';

/** Builds a kernel's service table. */
export function KiServiceTable(k: CmContext): SystemServiceTable {
  return {
    NtClose: (h) => NtClose(k, h),
    NtCreateFile: (...a) => NtCreateFile(k, ...a),
    // Spelled out: the commonest call of a driver/program protocol, kept free of a rest array.
    NtDeviceIoControlFile: (FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, IoControlCode, InputBuffer, InputBufferLength,
      OutputBuffer, OutputBufferLength) => NtDeviceIoControlFile(k, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, IoControlCode,
      InputBuffer, InputBufferLength, OutputBuffer, OutputBufferLength),
    NtWriteFile: (...a) => NtWriteFile(k, ...a),
    NtReadFile: (...a) => NtReadFile(k, ...a),
    NtQueryInformationFile: (...a) => NtQueryInformationFile(k, ...a),
    NtSetInformationFile: (...a) => NtSetInformationFile(k, ...a),
    NtFlushBuffersFile: (...a) => NtFlushBuffersFile(k, ...a),
    NtAllocateVirtualMemory: (...a) => NtAllocateVirtualMemory(k, ...a),
    NtFreeVirtualMemory: (...a) => NtFreeVirtualMemory(k, ...a),
    NtProtectVirtualMemory: (...a) => NtProtectVirtualMemory(k, ...a),
    NtQueryVirtualMemory: (...a) => NtQueryVirtualMemory(k, ...a),
    NtDelayExecution: (...a) => NtDelayExecution(k, ...a),
    NtYieldExecution: () => NtYieldExecution(k),
    NtTerminateProcess: (...a) => NtTerminateProcess(k, ...a),
    NtConnectPort: (...a) => NtConnectPort(k, ...a),
    NtRequestWaitReplyPort: (...a) => NtRequestWaitReplyPort(k, ...a),
    NtCreateSection: (...a) => NtCreateSection(k, ...a),
    NtOpenSection: (...a) => NtOpenSection(k, ...a),
    NtMapViewOfSection: (...a) => NtMapViewOfSection(k, ...a),
    NtUnmapViewOfSection: (...a) => NtUnmapViewOfSection(k, ...a),
    NtQuerySection: (...a) => NtQuerySection(k, ...a),
    NtExtendSection: (...a) => NtExtendSection(k, ...a),
    NtFlushVirtualMemory: (...a) => NtFlushVirtualMemory(k, ...a),
    NtCreateKey: (...a) => NtCreateKey(k, ...a),
    NtOpenKey: (...a) => NtOpenKey(k, ...a),
    NtSetValueKey: (...a) => NtSetValueKey(k, ...a),
    NtQueryValueKey: (...a) => NtQueryValueKey(k, ...a),
    NtDeleteKey: (...a) => NtDeleteKey(k, ...a),
    NtDeleteValueKey: (...a) => NtDeleteValueKey(k, ...a),
    NtEnumerateKey: (...a) => NtEnumerateKey(k, ...a),
    NtEnumerateValueKey: (...a) => NtEnumerateValueKey(k, ...a),
    NtQueryKey: (...a) => NtQueryKey(k, ...a),
    NtLoadDriver: (...a) => NtLoadDriver(k, ...a),
    NtUnloadDriver: (...a) => NtUnloadDriver(k, ...a),
    NtOpenProcessToken: (...a) => NtOpenProcessToken(k, ...a),
    NtAdjustPrivilegesToken: (...a) => NtAdjustPrivilegesToken(k, ...a),
    NtCreateDirectoryObject: (...a) => NtCreateDirectoryObject(k, ...a),
    NtOpenDirectoryObject: (...a) => NtOpenDirectoryObject(k, ...a),
    NtCreateSymbolicLinkObject: (...a) => NtCreateSymbolicLinkObject(k, ...a),
    NtOpenSymbolicLinkObject: (...a) => NtOpenSymbolicLinkObject(k, ...a),
    NtQuerySymbolicLinkObject: (...a) => NtQuerySymbolicLinkObject(k, ...a),
    NtCreateThreadEx: (...a) => NtCreateThreadEx(k, ...a),
    NtTerminateThread: (...a) => NtTerminateThread(k, ...a),
    NtQueryInformationThread: (...a) => NtQueryInformationThread(k, ...a),
    NtCreateEvent: (...a) => NtCreateEvent(k, ...a),
    NtOpenEvent: (...a) => NtOpenEvent(k, ...a),
    NtSetEvent: (...a) => NtSetEvent(k, ...a),
    NtResetEvent: (...a) => NtResetEvent(k, ...a),
    NtPulseEvent: (...a) => NtPulseEvent(k, ...a),
    NtCreateSemaphore: (...a) => NtCreateSemaphore(k, ...a),
    NtOpenSemaphore: (...a) => NtOpenSemaphore(k, ...a),
    NtReleaseSemaphore: (...a) => NtReleaseSemaphore(k, ...a),
    NtCreateMutant: (...a) => NtCreateMutant(k, ...a),
    NtOpenMutant: (...a) => NtOpenMutant(k, ...a),
    NtReleaseMutant: (...a) => NtReleaseMutant(k, ...a),
    NtWaitForSingleObject: (...a) => NtWaitForSingleObject(k, ...a),
    NtWaitForMultipleObjects: (...a) => NtWaitForMultipleObjects(k, ...a),
    NtCancelIoFile: (...a) => NtCancelIoFile(k, ...a),
    NtCancelIoFileEx: (...a) => NtCancelIoFileEx(k, ...a),
    NtQueueApcThread: (...a) => NtQueueApcThread(k, ...a),
    NtTestAlert: () => NtTestAlert(k),
  };
}
