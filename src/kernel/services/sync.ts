/**
 * The synchronization services: events, semaphores and mutants created,
 * opened (by name, in the object namespace of sections: \BaseNamedObjects),
 * signalled and waited for. Arguments are probed and captured as the other
 * services do; a wait holds a reference on each object until it ends.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwcreateevent
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwwaitforsingleobject
 * https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-ntwaitforsingleobject
 */
import { NtException } from '../../include/errors.js';
import {
  NT_SUCCESS, STATUS_INVALID_PARAMETER, STATUS_INVALID_PARAMETER_1, STATUS_INVALID_PARAMETER_MIX, STATUS_OBJECT_TYPE_MISMATCH,
  STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { readHandleValue } from '../../include/struct-access.js';
import { SYNCHRONIZE } from '../../include/wdm-constants.js';
import {
  captureOrStatus, ProbeAndCaptureLargeInteger, ProbeAndCaptureObjectAttributes, ProbeForWritePointer, ProbeForWriteUlong, writeHandle,
  writeOutUlong, type CapturedObjectAttributes,
} from '../ex/capture.js';
import { ProbeForRead } from '../ex/probe.js';
import { MAXIMUM_WAIT_OBJECTS, SynchronizationEvent } from '../ke/wait.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import { ObInsertObject, ObOpenObjectByName } from '../ob/named.js';
import { isThrownInstance } from '../../include/thrown.js';
import type { KernelObject, ObjectType } from '../ob/object.js';
import type { PsContext } from '../ps/context.js';
import {
  DispatcherObjectBody, EVENT_MODIFY_STATE, ExEventObjectType, ExMutantObjectType, ExSemaphoreObjectType, SEMAPHORE_MODIFY_STATE, WAITABLE_TYPES,
} from '../ps/sync-objects.js';

const previousMode = (k: PsContext): number => k.currentThread.PreviousMode;

/** WAIT_TYPE. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kewaitformultipleobjects */
export const WaitAll = 0;
export const WaitAny = 1;

/** Writes a new handle through a probed PHANDLE. */
function returnHandle(k: PsContext, va: number, status: number, handle: number): number {
  if (!NT_SUCCESS(status)) return status;
  const written = captureOrStatus(() => writeHandle(k, va, handle));
  return typeof written === 'number' ? written : status;
}

/** Creates the object (its dispatcher object initialised by `init`) and inserts it, named or not. */
function create(k: PsContext, handleVa: number, desiredAccess: number, objectAttributes: number, type: ObjectType,
  init: (address: number) => void): number {
  const oa = captureOrStatus(() => {
    ProbeForWritePointer(k, handleVa);
    return objectAttributes === 0 ? null : ProbeAndCaptureObjectAttributes(k, objectAttributes);
  });
  if (typeof oa === 'number') return oa;
  let body: DispatcherObjectBody;
  try {
    body = k.ob.ObCreateObject(new DispatcherObjectBody(type));
  } catch (e) {
    if (isThrownInstance(e, ObjectAllocationFailed)) return e.status;
    throw e;
  }
  init(body.address);
  const r = ObInsertObject(k, body, oa as CapturedObjectAttributes | null, desiredAccess >>> 0, previousMode(k));
  return returnHandle(k, handleVa, r.status, r.handle);
}

function open(k: PsContext, handleVa: number, desiredAccess: number, objectAttributes: number, type: ObjectType): number {
  const oa = captureOrStatus(() => {
    ProbeForWritePointer(k, handleVa);
    return ProbeAndCaptureObjectAttributes(k, objectAttributes);
  });
  if (typeof oa === 'number') return oa;
  const r = ObOpenObjectByName(k, oa, type, previousMode(k), desiredAccess >>> 0);
  return returnHandle(k, handleVa, r.status, r.handle);
}

/** Runs `body` on the dispatcher object a handle names; an optional ULONG out-parameter receives its answer. */
function withObject(k: PsContext, handle: number, access: number, type: ObjectType, out: number, body: (address: number) => number): number {
  if (out !== 0) {
    const probed = captureOrStatus(() => ProbeForWriteUlong(k, out));
    if (probed !== undefined) return probed;
  }
  const ref = k.ob.ObReferenceObjectByHandle(handle, access, type, previousMode(k), k.currentProcess);
  if (!ref.object) return ref.status;
  try {
    let answer: number;
    try {
      answer = body(ref.object.address);
    } catch (e) {
      // KeReleaseSemaphore and KeReleaseMutant raise their refusals; the service returns them.
      if (e instanceof NtException) return e.status;
      throw e;
    }
    if (out !== 0) {
      const w = captureOrStatus(() => writeOutUlong(k, out, answer));
      if (typeof w === 'number') return w;
    }
    return STATUS_SUCCESS;
  } finally {
    k.ob.ObDereferenceObject(ref.object);
  }
}

export function NtCreateEvent(k: PsContext, EventHandle: number, DesiredAccess: number, ObjectAttributes: number, EventType: number,
  InitialState: number): number {
  if (EventType >>> 0 > SynchronizationEvent) return STATUS_INVALID_PARAMETER;
  return create(k, EventHandle, DesiredAccess, ObjectAttributes, ExEventObjectType,
    (a) => k.waits.KeInitializeEvent(a, EventType >>> 0, (InitialState & 0xff) !== 0));
}

export function NtOpenEvent(k: PsContext, EventHandle: number, DesiredAccess: number, ObjectAttributes: number): number {
  return open(k, EventHandle, DesiredAccess, ObjectAttributes, ExEventObjectType);
}

/** NtSetEvent: PreviousState (optional) receives the state before. */
export function NtSetEvent(k: PsContext, EventHandle: number, PreviousState: number): number {
  return withObject(k, EventHandle, EVENT_MODIFY_STATE, ExEventObjectType, PreviousState, (a) => k.waits.KeSetEvent(a));
}

export function NtResetEvent(k: PsContext, EventHandle: number, PreviousState: number): number {
  return withObject(k, EventHandle, EVENT_MODIFY_STATE, ExEventObjectType, PreviousState, (a) => k.waits.KeResetEvent(a));
}

export function NtPulseEvent(k: PsContext, EventHandle: number, PreviousState: number): number {
  return withObject(k, EventHandle, EVENT_MODIFY_STATE, ExEventObjectType, PreviousState, (a) => k.waits.KePulseEvent(a));
}

/** NtCreateSemaphore: 0 <= InitialCount <= MaximumCount, MaximumCount > 0 (else STATUS_INVALID_PARAMETER). */
export function NtCreateSemaphore(k: PsContext, SemaphoreHandle: number, DesiredAccess: number, ObjectAttributes: number, InitialCount: number,
  MaximumCount: number): number {
  const initial = InitialCount | 0;
  const maximum = MaximumCount | 0;
  if (maximum <= 0 || initial < 0 || initial > maximum) return STATUS_INVALID_PARAMETER;
  return create(k, SemaphoreHandle, DesiredAccess, ObjectAttributes, ExSemaphoreObjectType, (a) => k.waits.KeInitializeSemaphore(a, initial, maximum));
}

export function NtOpenSemaphore(k: PsContext, SemaphoreHandle: number, DesiredAccess: number, ObjectAttributes: number): number {
  return open(k, SemaphoreHandle, DesiredAccess, ObjectAttributes, ExSemaphoreObjectType);
}

/** NtReleaseSemaphore: STATUS_SEMAPHORE_LIMIT_EXCEEDED past the maximum; PreviousCount (optional) receives the count before. */
export function NtReleaseSemaphore(k: PsContext, SemaphoreHandle: number, ReleaseCount: number, PreviousCount: number): number {
  if ((ReleaseCount | 0) <= 0) return STATUS_INVALID_PARAMETER;
  return withObject(k, SemaphoreHandle, SEMAPHORE_MODIFY_STATE, ExSemaphoreObjectType, PreviousCount,
    (a) => k.waits.KeReleaseSemaphore(a, ReleaseCount | 0));
}

/** NtCreateMutant: InitialOwner makes the calling thread its owner. */
export function NtCreateMutant(k: PsContext, MutantHandle: number, DesiredAccess: number, ObjectAttributes: number, InitialOwner: number): number {
  const owner = (InitialOwner & 0xff) !== 0 ? k.currentThread : undefined;
  return create(k, MutantHandle, DesiredAccess, ObjectAttributes, ExMutantObjectType, (a) => k.waits.KeInitializeMutant(a, owner));
}

export function NtOpenMutant(k: PsContext, MutantHandle: number, DesiredAccess: number, ObjectAttributes: number): number {
  return open(k, MutantHandle, DesiredAccess, ObjectAttributes, ExMutantObjectType);
}

/** NtReleaseMutant: STATUS_MUTANT_NOT_OWNED from a thread that does not own it; PreviousCount receives the state before. */
export function NtReleaseMutant(k: PsContext, MutantHandle: number, PreviousCount: number): number {
  // MUTANT_QUERY_STATE is not needed to release: ownership is the check (NtReleaseMutant asks for no access).
  return withObject(k, MutantHandle, 0, ExMutantObjectType, PreviousCount, (a) => k.waits.KeReleaseMutant(a, k.currentThread, false));
}

/** A captured timeout in ns: NULL waits for ever; negative is relative (100 ns units); positive an absolute system time. */
function timeoutNs(k: PsContext, timeout: bigint | undefined): number {
  if (timeout === undefined) return Infinity;
  if (timeout <= 0n) return Number(-timeout) * 100;
  return Math.max(0, Number(timeout - k.options.bootSystemTime) * 100 - k.clock.nowNs);
}

/**
 * References each handle for SYNCHRONIZE (a waitable type, else STATUS_OBJECT_TYPE_MISMATCH) and waits; the references go when it ends.
 * A wait answered at once (an object already signalled, a zero timeout, an error) is the status itself, no promise: the stub and
 * k32 then need no tick to pass it on (bench figure 8).
 */
function waitForHandles(k: PsContext, handles: readonly number[], waitAll: boolean, timeout: bigint | undefined, alertable: boolean): number | Promise<number> {
  const objects: KernelObject[] = [];
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    for (const o of objects) k.ob.ObDereferenceObject(o);
  };
  for (const h of handles) {
    const ref = k.ob.ObReferenceObjectByHandle(h, SYNCHRONIZE, null, previousMode(k), k.currentProcess);
    if (!ref.object) {
      release();
      return ref.status;
    }
    objects.push(ref.object);
    const type = ref.object.header.type;
    if (!WAITABLE_TYPES.includes(type) && type.waitObjectOffset === undefined) {
      release();
      return STATUS_OBJECT_TYPE_MISMATCH;
    }
  }
  // A type waited on through a dispatcher object inside its body (a file's Event) is waited on there.
  const addresses = objects.map((o) => o.address + (o.header.type.waitObjectOffset?.[k.arch] ?? 0));
  // WaitAll on the same object twice: STATUS_INVALID_PARAMETER_MIX (ObpWaitForMultipleObjects).
  if (waitAll && new Set(addresses).size !== addresses.length) {
    release();
    return STATUS_INVALID_PARAMETER_MIX;
  }
  // A thread that ends while it waits (its process exits) drops the references then: its promise never settles.
  // Alertable from user mode: a user APC ends the wait (ke/user-apc.ts); a kernel caller's Alertable is not modelled.
  const r = k.waits.KeWaitForObjects(k.currentThread, addresses, waitAll, timeoutNs(k, timeout), release, alertable && previousMode(k) !== 0);
  if (typeof r === 'number') {
    release();
    return r;
  }
  return r.finally(release);
}

/** NtWaitForSingleObject: Alertable (a BOOLEAN) lets a user APC end the wait with STATUS_USER_APC (ke/user-apc.ts). */
export function NtWaitForSingleObject(k: PsContext, Handle: number, Alertable: number, Timeout: number): number | Promise<number> {
  const timeout = captureOrStatus(() => ProbeAndCaptureLargeInteger(k, Timeout));
  if (typeof timeout === 'number') return timeout;
  return waitForHandles(k, [Handle], false, timeout, (Alertable & 0xff) !== 0);
}

/** NtWaitForMultipleObjects: Count 1..MAXIMUM_WAIT_OBJECTS handles at Handles; WaitType WaitAll (0) or WaitAny (1). */
export function NtWaitForMultipleObjects(k: PsContext, Count: number, Handles: number, WaitType: number, Alertable: number,
  Timeout: number): number | Promise<number> {
  const count = Count >>> 0;
  if (count === 0 || count > MAXIMUM_WAIT_OBJECTS) return STATUS_INVALID_PARAMETER_1;
  if (WaitType >>> 0 !== WaitAll && WaitType >>> 0 !== WaitAny) return STATUS_INVALID_PARAMETER;
  const captured = captureOrStatus(() => {
    const size = k.layout.pointerSize;
    if (previousMode(k) !== 0) ProbeForRead(k, Handles, count * size, size);
    const handles: number[] = [];
    for (let i = 0; i < count; i++) handles.push(readHandleValue(k.kernelMemory, k.arch, Handles + i * size));
    return { handles, timeout: ProbeAndCaptureLargeInteger(k, Timeout) };
  });
  if (typeof captured === 'number') return captured;
  return waitForHandles(k, captured.handles, WaitType >>> 0 === WaitAll, captured.timeout, (Alertable & 0xff) !== 0);
}
