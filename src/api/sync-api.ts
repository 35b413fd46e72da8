/**
 * kernel32's synchronization routines over the Nt services, written as
 * kernelbase writes them (ReactOS dll/win32/kernel32/client/synch.c):
 *
 *   CreateEventW, CreateSemaphoreW, CreateMutexW   Nt*Create with OBJ_OPENIF for a name; finding it
 *                                                  already is success with ERROR_ALREADY_EXISTS
 *   OpenEventW, OpenSemaphoreW, OpenMutexW          Nt*Open; a NULL name is ERROR_INVALID_PARAMETER
 *   SetEvent, ResetEvent, PulseEvent, ReleaseSemaphore, ReleaseMutex
 *   WaitForSingleObject, WaitForMultipleObjects     NtWaitFor*; milliseconds become a relative
 *                                                  timeout (INFINITE: none); the answer is the
 *                                                  NTSTATUS (WAIT_OBJECT_0 + n, WAIT_ABANDONED + n,
 *                                                  WAIT_TIMEOUT) or WAIT_FAILED with the last error
 * https://learn.microsoft.com/windows/win32/api/synchapi/
 */
import { NT_SUCCESS, STATUS_OBJECT_NAME_EXISTS, STATUS_USER_APC } from '../include/ntstatus.js';
import { writeHandleValue, type StructMemory } from '../include/struct-access.js';
import type { Arch } from '../include/structures.js';
import { OBJ_INHERIT, OBJ_OPENIF } from '../include/wdm-constants.js';
import { INFINITE, WAIT_FAILED } from '../include/win32-constants.js';
import { ERROR_ALREADY_EXISTS, ERROR_INVALID_PARAMETER, ERROR_SUCCESS } from '../include/winerror.js';
import type { NativeRoutines, ObjectAttributesValue } from './native.js';
import type { UserStack } from './user-stack.js';

import {
  EVENT_ALL_ACCESS, MUTANT_ALL_ACCESS, NotificationEvent, SEMAPHORE_ALL_ACCESS, SynchronizationEvent,
} from '../include/wdm-constants.js';

/** What the routines need of k32. */
export interface SyncApiContext {
  readonly arch: Arch;
  readonly mem: StructMemory;
  readonly stack: UserStack;
  readonly native: NativeRoutines;
  setLastError(error: number): void;
  fromStatus(status: number): boolean;
  text(s: unknown): string;
  ulong(v: unknown): number;
  namedObject(name: string | null, attributes: number): ObjectAttributesValue;
  /** ntdll's KiUserApcDispatcher: runs the thread's queued user APCs (apc-api.ts), after an alertable wait ended with STATUS_USER_APC. */
  deliverUserApcs(): Promise<void>;
}

/** SECURITY_ATTRIBUTES as a program passes it (bInheritHandle is all ntshm reads of it), or null. */
export interface SecurityAttributesValue {
  bInheritHandle?: boolean;
}

/** The routines, for k32. */
export function makeSyncApi(c: SyncApiContext) {
  const { native } = c;
  const attributes = (sa: SecurityAttributesValue | null | undefined, name: unknown, extra: number): ObjectAttributesValue =>
    c.namedObject(name === null || name === undefined ? null : c.text(name), extra | (sa?.bInheritHandle ? OBJ_INHERIT : 0));
  /** A create routine's answer: the handle, ERROR_ALREADY_EXISTS when the name was there, 0 and the error on failure. */
  const created = (r: { status: number; [k: string]: number }, field: string): number => {
    if (!c.fromStatus(r.status)) return 0;
    c.setLastError(r.status === STATUS_OBJECT_NAME_EXISTS ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return r[field]!;
  };
  const opened = (r: { status: number; [k: string]: number }, field: string): number => (c.fromStatus(r.status) ? r[field]! : 0);
  /** Milliseconds as NtWaitFor*'s Timeout: INFINITE is NULL, else relative 100 ns units (BaseFormatTimeOut). */
  const timeout = (ms: unknown): bigint | null => {
    const v = c.ulong(ms);
    return v === INFINITE ? null : -BigInt(v) * 10_000n;
  };
  const waitResult = (status: number): number => (NT_SUCCESS(status) ? status >>> 0 : (c.fromStatus(status), WAIT_FAILED));
  /** An alertable wait's answer: STATUS_USER_APC (WAIT_IO_COMPLETION) once the APCs have run. */
  const alertableResult = async (status: number): Promise<number> => {
    if (status === STATUS_USER_APC) await c.deliverUserApcs();
    return waitResult(status);
  };
  /** WaitForMultipleObjects(Ex): lpHandles laid out on the stack when given as an array. */
  const waitMultiple = async (nCount: number, lpHandles: readonly number[] | number, bWaitAll: boolean | number, dwMilliseconds: number,
    bAlertable: boolean | number): Promise<number> => {
    const count = c.ulong(nCount);
    return c.stack.frameAsync(async () => {
      let handles = lpHandles as number;
      if (Array.isArray(lpHandles)) {
        const size = c.arch === 'x64' ? 8 : 4;
        handles = c.stack.push(Math.max(count, 1) * size, 8);
        for (let i = 0; i < count; i++) writeHandleValue(c.mem, c.arch, handles + i * size, (lpHandles as readonly number[])[i] ?? 0);
      }
      // WAIT_TYPE: WaitAll 0, WaitAny 1.
      return alertableResult(await native.NtWaitForMultipleObjects(count, handles, bWaitAll ? 0 : 1, bAlertable ? 1 : 0, timeout(dwMilliseconds)));
    });
  };
  return {
    /** CreateEventW(lpEventAttributes, bManualReset, bInitialState, lpName) → HANDLE or 0. */
    CreateEventW(lpEventAttributes: SecurityAttributesValue | null, bManualReset: boolean | number, bInitialState: boolean | number,
      lpName: string | number | null = null): number {
      const type = bManualReset ? NotificationEvent : SynchronizationEvent;
      const oa = attributes(lpEventAttributes, lpName, lpName === null ? 0 : OBJ_OPENIF);
      return created(native.NtCreateEvent(EVENT_ALL_ACCESS, oa, type, bInitialState ? 1 : 0), 'eventHandle');
    },
    /** OpenEventW(dwDesiredAccess, bInheritHandle, lpName) → HANDLE or 0. */
    OpenEventW(dwDesiredAccess: number, bInheritHandle: boolean | number, lpName: string | number | null): number {
      if (lpName === null) return (c.setLastError(ERROR_INVALID_PARAMETER), 0);
      return opened(native.NtOpenEvent(c.ulong(dwDesiredAccess), attributes({ bInheritHandle: !!bInheritHandle }, lpName, 0)), 'eventHandle');
    },
    SetEvent: (hEvent: number): boolean => c.fromStatus(native.NtSetEvent(hEvent).status),
    ResetEvent: (hEvent: number): boolean => c.fromStatus(native.NtResetEvent(hEvent).status),
    PulseEvent: (hEvent: number): boolean => c.fromStatus(native.NtPulseEvent(hEvent).status),

    /** CreateSemaphoreW(lpSemaphoreAttributes, lInitialCount, lMaximumCount, lpName) → HANDLE or 0. */
    CreateSemaphoreW(lpSemaphoreAttributes: SecurityAttributesValue | null, lInitialCount: number, lMaximumCount: number,
      lpName: string | number | null = null): number {
      const oa = attributes(lpSemaphoreAttributes, lpName, lpName === null ? 0 : OBJ_OPENIF);
      return created(native.NtCreateSemaphore(SEMAPHORE_ALL_ACCESS, oa, lInitialCount, lMaximumCount), 'semaphoreHandle');
    },
    OpenSemaphoreW(dwDesiredAccess: number, bInheritHandle: boolean | number, lpName: string | number | null): number {
      if (lpName === null) return (c.setLastError(ERROR_INVALID_PARAMETER), 0);
      return opened(native.NtOpenSemaphore(c.ulong(dwDesiredAccess), attributes({ bInheritHandle: !!bInheritHandle }, lpName, 0)), 'semaphoreHandle');
    },
    /** ReleaseSemaphore(hSemaphore, lReleaseCount) → { ok, previousCount }; past the maximum: ERROR_TOO_MANY_POSTS. */
    ReleaseSemaphore(hSemaphore: number, lReleaseCount: number): { ok: boolean; previousCount: number } {
      const r = native.NtReleaseSemaphore(hSemaphore, lReleaseCount);
      return { ok: c.fromStatus(r.status), previousCount: r.previousCount };
    },

    /** CreateMutexW(lpMutexAttributes, bInitialOwner, lpName) → HANDLE or 0. */
    CreateMutexW(lpMutexAttributes: SecurityAttributesValue | null, bInitialOwner: boolean | number, lpName: string | number | null = null): number {
      const oa = attributes(lpMutexAttributes, lpName, lpName === null ? 0 : OBJ_OPENIF);
      return created(native.NtCreateMutant(MUTANT_ALL_ACCESS, oa, bInitialOwner ? 1 : 0), 'mutantHandle');
    },
    OpenMutexW(dwDesiredAccess: number, bInheritHandle: boolean | number, lpName: string | number | null): number {
      if (lpName === null) return (c.setLastError(ERROR_INVALID_PARAMETER), 0);
      return opened(native.NtOpenMutant(c.ulong(dwDesiredAccess), attributes({ bInheritHandle: !!bInheritHandle }, lpName, 0)), 'mutantHandle');
    },
    /** ReleaseMutex: a thread that does not own it gets ERROR_NOT_OWNER. */
    ReleaseMutex: (hMutex: number): boolean => c.fromStatus(native.NtReleaseMutant(hMutex).status),

    /** WaitForSingleObject(hHandle, dwMilliseconds) → WAIT_OBJECT_0, WAIT_ABANDONED, WAIT_TIMEOUT or WAIT_FAILED. */
    async WaitForSingleObject(hHandle: number, dwMilliseconds: number): Promise<number> {
      return waitResult(await native.NtWaitForSingleObject(hHandle, 0, timeout(dwMilliseconds)));
    },
    /**
     * WaitForSingleObjectEx(hHandle, dwMilliseconds, bAlertable): alertable, a user APC queued to the thread
     * (QueueUserAPC, an I/O request's ApcRoutine) ends the wait; the APCs run, then WAIT_IO_COMPLETION.
     * https://learn.microsoft.com/windows/win32/api/synchapi/nf-synchapi-waitforsingleobjectex
     */
    async WaitForSingleObjectEx(hHandle: number, dwMilliseconds: number, bAlertable: boolean | number): Promise<number> {
      return alertableResult(await native.NtWaitForSingleObject(hHandle, bAlertable ? 1 : 0, timeout(dwMilliseconds)));
    },
    /**
     * WaitForMultipleObjects(nCount, lpHandles, bWaitAll, dwMilliseconds): lpHandles an array of handles (laid
     * out on the stack for the call) or the address of one. WAIT_OBJECT_0 + n names the object for WaitAny.
     */
    async WaitForMultipleObjects(nCount: number, lpHandles: readonly number[] | number, bWaitAll: boolean | number, dwMilliseconds: number): Promise<number> {
      return waitMultiple(nCount, lpHandles, bWaitAll, dwMilliseconds, false);
    },
    /** WaitForMultipleObjectsEx(nCount, lpHandles, bWaitAll, dwMilliseconds, bAlertable): as WaitForSingleObjectEx for several. */
    WaitForMultipleObjectsEx: waitMultiple,
  };
}
