import { describe, it, expect } from 'vitest';
import * as ntstatus from '../src/include/ntstatus.js';
import * as winerror from '../src/include/winerror.js';
import * as wdm from '../src/include/wdm-constants.js';
import * as win32 from '../src/include/win32-constants.js';
import * as bugchecks from '../src/include/bugcodes.js';
import { RtlNtStatusToDosError, rtlMappedStatuses } from '../src/kernel/ex/status-to-dos.js';
import { MachineHalted, NtException } from '../src/include/errors.js';

const {
  STATUS_SUCCESS, STATUS_ACCESS_VIOLATION, STATUS_BUFFER_OVERFLOW, STATUS_OBJECT_NAME_EXISTS,
  NT_SUCCESS, NT_INFORMATION, NT_WARNING, NT_ERROR, ntStatusName,
} = ntstatus;
const { CTL_CODE, DEVICE_TYPE_FROM_CTL_CODE, METHOD_FROM_CTL_CODE } = wdm;

/** The numeric exports of a module, by name. */
function numbers(module: object): [string, number][] {
  return Object.entries(module).filter((e): e is [string, number] => typeof e[1] === 'number');
}

describe('CTL_CODE encodes I/O control codes as winioctl.h does', () => {
  it.each([
    ['a buffered vendor IOCTL on an unknown device', wdm.FILE_DEVICE_UNKNOWN, 0x800, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS, 0x00222000],
    ['a METHOD_NEITHER IOCTL needing read and write access', wdm.FILE_DEVICE_UNKNOWN, 0x801, wdm.METHOD_NEITHER,
      wdm.FILE_READ_ACCESS | wdm.FILE_WRITE_ACCESS, 0x0022e007],
    ['IOCTL_DISK_SET_PARTITION_INFO (winioctl.h)', wdm.FILE_DEVICE_DISK, 0x002, wdm.METHOD_BUFFERED, wdm.FILE_READ_DATA | wdm.FILE_WRITE_DATA, 0x0007c008],
    ['IOCTL_STORAGE_GET_DEVICE_NUMBER (winioctl.h)', wdm.FILE_DEVICE_MASS_STORAGE, 0x420, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS, 0x002d1080],
    ['a vendor device type (bit 31 set) stays unsigned', 0x8000, 0x800, wdm.METHOD_BUFFERED, wdm.FILE_ANY_ACCESS, 0x80002000],
    ['every field at its maximum gives 0xFFFFFFFF', 0xffff, 0xfff, wdm.METHOD_NEITHER, 3, 0xffffffff],
  ])('%s', (_name, type, fn, method, access, expected) => {
    const code = CTL_CODE(type, fn, method, access);
    expect(code).toBe(expected);
    expect(code).toBeGreaterThanOrEqual(0);
    expect(DEVICE_TYPE_FROM_CTL_CODE(code)).toBe(type);
    expect(METHOD_FROM_CTL_CODE(code)).toBe(method);
  });
});

describe('RtlNtStatusToDosError gives the Win32 error Windows gives', () => {
  it.each([
    // The Win32 errors listed in bugchecks.md, with the statuses that produce them.
    ['STATUS_INVALID_DEVICE_REQUEST', winerror.ERROR_INVALID_FUNCTION],
    ['STATUS_NOT_IMPLEMENTED', winerror.ERROR_INVALID_FUNCTION],
    ['STATUS_OBJECT_NAME_NOT_FOUND', winerror.ERROR_FILE_NOT_FOUND],
    ['STATUS_ACCESS_DENIED', winerror.ERROR_ACCESS_DENIED],
    ['STATUS_INVALID_HANDLE', winerror.ERROR_INVALID_HANDLE],
    ['STATUS_OBJECT_TYPE_MISMATCH', winerror.ERROR_INVALID_HANDLE],
    ['STATUS_NO_MEMORY', winerror.ERROR_NOT_ENOUGH_MEMORY],
    ['STATUS_UNSUCCESSFUL', winerror.ERROR_GEN_FAILURE],
    ['STATUS_INVALID_PARAMETER', winerror.ERROR_INVALID_PARAMETER],
    ['STATUS_BUFFER_TOO_SMALL', winerror.ERROR_INSUFFICIENT_BUFFER],
    ['STATUS_OBJECT_NAME_COLLISION', winerror.ERROR_ALREADY_EXISTS],
    ['STATUS_ACCESS_VIOLATION', winerror.ERROR_NOACCESS],
    ['STATUS_DATATYPE_MISALIGNMENT', winerror.ERROR_NOACCESS],
    // Others the kernel returns often.
    ['STATUS_OBJECT_PATH_NOT_FOUND', winerror.ERROR_PATH_NOT_FOUND],
    ['STATUS_INSUFFICIENT_RESOURCES', winerror.ERROR_NO_SYSTEM_RESOURCES],
    ['STATUS_CANCELLED', winerror.ERROR_OPERATION_ABORTED],
    ['STATUS_PENDING', winerror.ERROR_IO_PENDING],
    ['STATUS_CONFLICTING_ADDRESSES', winerror.ERROR_INVALID_ADDRESS],
    ['STATUS_NOT_MAPPED_VIEW', winerror.ERROR_INVALID_ADDRESS],
    ['STATUS_UNABLE_TO_DELETE_SECTION', winerror.ERROR_INVALID_PARAMETER],
    ['STATUS_INVALID_VIEW_SIZE', winerror.ERROR_ACCESS_DENIED],
    ['STATUS_INVALID_PAGE_PROTECTION', winerror.ERROR_INVALID_PARAMETER],
    ['STATUS_SECTION_PROTECTION', winerror.ERROR_INVALID_PARAMETER],
    ['STATUS_PRIVILEGE_NOT_HELD', winerror.ERROR_PRIVILEGE_NOT_HELD],
    ['STATUS_PROCESS_IS_TERMINATING', winerror.ERROR_ACCESS_DENIED],
    ['STATUS_DEVICE_CONFIGURATION_ERROR', winerror.ERROR_INVALID_PARAMETER],
    ['STATUS_INVALID_ADDRESS', winerror.ERROR_UNEXP_NET_ERR],
    ['STATUS_INVALID_PARAMETER_3', winerror.ERROR_INVALID_PARAMETER],
    ['STATUS_INVALID_PARAMETER_9', winerror.ERROR_INVALID_PARAMETER],
    ['STATUS_BUFFER_OVERFLOW', winerror.ERROR_MORE_DATA],
    ['STATUS_NO_MORE_ENTRIES', winerror.ERROR_NO_MORE_ITEMS],
    ['STATUS_TIMEOUT', winerror.ERROR_TIMEOUT],
    ['STATUS_COMMITMENT_LIMIT', winerror.ERROR_COMMITMENT_LIMIT],
    ['STATUS_DRIVER_UNABLE_TO_LOAD', winerror.ERROR_BAD_DRIVER],
    ['STATUS_IMAGE_ALREADY_LOADED', winerror.ERROR_SERVICE_ALREADY_RUNNING],
    ['STATUS_INTEGER_DIVIDE_BY_ZERO', ntstatus.STATUS_INTEGER_DIVIDE_BY_ZERO],
    ['STATUS_OBJECT_NAME_EXISTS', winerror.ERROR_MR_MID_NOT_FOUND],
  ] as const)('%s', (name, expected) => {
    expect(RtlNtStatusToDosError(ntstatus[name])).toBe(expected);
  });

  it('maps STATUS_SUCCESS to ERROR_SUCCESS', () => {
    expect(RtlNtStatusToDosError(STATUS_SUCCESS)).toBe(winerror.ERROR_SUCCESS);
  });

  it.each([
    ['a warning-severity Win32 status', 0x80070005, winerror.ERROR_ACCESS_DENIED],
    ['an error-severity Win32 status', 0xc0070057, winerror.ERROR_INVALID_PARAMETER],
    ['a Win32 code with no NTSTATUS twin', 0x80071068, 0x1068],
  ])('returns the low word of %s', (_name, status, expected) => {
    expect(RtlNtStatusToDosError(status)).toBe(expected);
  });

  it('accepts the signed form of a status', () => {
    expect(RtlNtStatusToDosError(STATUS_ACCESS_VIOLATION | 0)).toBe(winerror.ERROR_NOACCESS);
  });

  it('returns ERROR_MR_MID_NOT_FOUND for a status Windows does not map', () => {
    expect(RtlNtStatusToDosError(0xc0000999)).toBe(winerror.ERROR_MR_MID_NOT_FOUND);
    expect(RtlNtStatusToDosError(0x40000005)).toBe(winerror.ERROR_MR_MID_NOT_FOUND);
  });

  it('passes customer-defined codes through unchanged', () => {
    expect(RtlNtStatusToDosError(0xe0000001)).toBe(0xe0000001);
  });

  it('treats 0xDxxxxxxx as 0xCxxxxxxx', () => {
    expect(RtlNtStatusToDosError(0xd0000022)).toBe(winerror.ERROR_ACCESS_DENIED);
  });

  it('has an entry for every NTSTATUS ntshm defines', () => {
    const mapped = new Set(rtlMappedStatuses());
    const missing = numbers(ntstatus).filter(([, v]) => v !== STATUS_SUCCESS && !mapped.has(v)).map(([k]) => k);
    expect(missing).toEqual([]);
  });
});

describe('the NTSTATUS severity macros follow the WDK', () => {
  it.each([
    ['STATUS_SUCCESS', 0x00000000, true, false, false, false],
    ['STATUS_OBJECT_NAME_EXISTS', STATUS_OBJECT_NAME_EXISTS, true, true, false, false],
    ['STATUS_BUFFER_OVERFLOW', STATUS_BUFFER_OVERFLOW, false, false, true, false],
    ['STATUS_ACCESS_VIOLATION', STATUS_ACCESS_VIOLATION, false, false, false, true],
    ['STATUS_ACCESS_VIOLATION given signed', STATUS_ACCESS_VIOLATION | 0, false, false, false, true],
  ])('%s', (_name, status, success, information, warning, error) => {
    expect(NT_SUCCESS(status)).toBe(success);
    expect(NT_INFORMATION(status)).toBe(information);
    expect(NT_WARNING(status)).toBe(warning);
    expect(NT_ERROR(status)).toBe(error);
  });
});

describe('names round-trip to values', () => {
  it.each([
    ['NTSTATUS', ntstatus, ntStatusName],
    ['Win32 error', winerror, winerror.win32ErrorName],
    ['bug check', bugchecks, bugchecks.bugCheckName],
  ] as const)('every %s name gives back its value', (_kind, module, nameOf) => {
    const byName = new Map(numbers(module));
    for (const [, value] of byName) expect(byName.get(nameOf(value))).toBe(value);
  });

  it.each([
    [ntStatusName(STATUS_ACCESS_VIOLATION), 'STATUS_ACCESS_VIOLATION'],
    [ntStatusName(0), 'STATUS_SUCCESS'],
    [ntStatusName(0xc0000005 | 0), 'STATUS_ACCESS_VIOLATION'],
    [ntStatusName(0xc0000999), '0xC0000999'],
    [winerror.win32ErrorName(0), 'ERROR_SUCCESS'],
    [winerror.win32ErrorName(998), 'ERROR_NOACCESS'],
    [winerror.win32ErrorName(258), 'WAIT_TIMEOUT'],
    [winerror.win32ErrorName(0xffff), '0x0000FFFF'],
    [bugchecks.bugCheckName(0x76), 'PROCESS_HAS_LOCKED_PAGES'],
    [bugchecks.bugCheckName(0xc4), 'DRIVER_VERIFIER_DETECTED_VIOLATION'],
    [bugchecks.bugCheckName(0x1ff), '0x000001FF'],
  ])('%s is %s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe('messages print a status with its name, an IRP major function by name', () => {
  it.each([
    ['a known status', ntstatus.ntStatusText(STATUS_ACCESS_VIOLATION), 'STATUS_ACCESS_VIOLATION (0xC0000005)'],
    ['a known status given signed', ntstatus.ntStatusText(STATUS_ACCESS_VIOLATION | 0), 'STATUS_ACCESS_VIOLATION (0xC0000005)'],
    ['STATUS_SUCCESS, all eight digits', ntstatus.ntStatusText(STATUS_SUCCESS), 'STATUS_SUCCESS (0x00000000)'],
    ['a status ntshm has no name for, as its value alone', ntstatus.ntStatusText(0xc0001234), '0xC0001234'],
    ['an NtException', new NtException(ntstatus.STATUS_NO_MEMORY).message, 'exception STATUS_NO_MEMORY (0xC0000017)'],
    ['a stopped machine', new MachineHalted(bugchecks.SYSTEM_SERVICE_EXCEPTION).message, 'the machine stopped with bug check SYSTEM_SERVICE_EXCEPTION (0x0000003B)'],
    ['a bug check ntshm has no name for', new MachineHalted(0x1ff).message, 'the machine stopped with bug check 0x000001FF'],
    ['IRP_MJ_CREATE', wdm.irpMajorFunctionName(0), 'IRP_MJ_CREATE'],
    ['IRP_MJ_DEVICE_CONTROL', wdm.irpMajorFunctionName(0x0e), 'IRP_MJ_DEVICE_CONTROL'],
    ['IRP_MJ_PNP, not IRP_MJ_MAXIMUM_FUNCTION', wdm.irpMajorFunctionName(wdm.IRP_MJ_MAXIMUM_FUNCTION), 'IRP_MJ_PNP'],
    ['a code past the table', wdm.irpMajorFunctionName(0x1c), '0x1C'],
  ])('%s: %s', (_what, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('every IRP_MJ_ code has its own name', () => {
    for (const [name, value] of numbers(wdm).filter(([n]) => n.startsWith('IRP_MJ_') && n !== 'IRP_MJ_MAXIMUM_FUNCTION')) {
      expect(wdm.irpMajorFunctionName(value)).toBe(name);
    }
  });
});

describe('constants are the documented unsigned values', () => {
  it.each([
    ['FILE_ALL_ACCESS', wdm.FILE_ALL_ACCESS, 0x001f01ff],
    ['FILE_GENERIC_READ', wdm.FILE_GENERIC_READ, 0x00120089],
    ['FILE_GENERIC_WRITE', wdm.FILE_GENERIC_WRITE, 0x00120116],
    ['FILE_GENERIC_EXECUTE', wdm.FILE_GENERIC_EXECUTE, 0x001200a0],
    ['SECTION_ALL_ACCESS', wdm.SECTION_ALL_ACCESS, 0x000f001f],
    ['FILE_MAP_ALL_ACCESS', win32.FILE_MAP_ALL_ACCESS, 0x000f001f],
    ['SC_MANAGER_ALL_ACCESS', win32.SC_MANAGER_ALL_ACCESS, 0x000f003f],
    ['SERVICE_ALL_ACCESS', win32.SERVICE_ALL_ACCESS, 0x000f01ff],
    ['GENERIC_READ', win32.GENERIC_READ, 0x80000000],
    ['STILL_ACTIVE', win32.STILL_ACTIVE, 0x103],
    ['WAIT_TIMEOUT', win32.WAIT_TIMEOUT, 0x102],
    ['PAGE_EXECUTE_READWRITE', win32.PAGE_EXECUTE_READWRITE, wdm.PAGE_EXECUTE_READWRITE],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it.each([
    ['ntstatus', ntstatus], ['winerror', winerror], ['wdm', wdm], ['win32', win32], ['bug checks', bugchecks],
  ] as const)('every %s number is a non-negative integer (except the documented -1s)', (_name, module) => {
    const signed = new Set(['INVALID_HANDLE_VALUE', 'EXCEPTION_CONTINUE_EXECUTION']);
    for (const [name, value] of numbers(module)) {
      if (signed.has(name)) expect(value).toBe(-1);
      else expect(Number.isSafeInteger(value) && value >= 0, name).toBe(true);
    }
  });
});
