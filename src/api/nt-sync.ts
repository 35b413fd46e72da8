/**
 * `nt`'s dispatcher objects: events, semaphores and mutexes initialised in
 * storage the driver gives (its device extension, nonpaged pool) or reached
 * through a handle (ObReferenceObjectByHandle with *ExEventObjectType: the
 * object's body is its KEVENT), signalled, read, and waited for
 * (kernel/ke/wait.ts). An object argument is the structure's address, or
 * the object ObReferenceObjectByHandle returned.
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION, MAXIMUM_WAIT_OBJECTS_EXCEEDED } from '../include/bugcodes.js';
import { APC_LEVEL, DISPATCH_LEVEL } from '../include/wdm-constants.js';
import { STATUS_SUCCESS } from '../include/ntstatus.js';
import { IopBlockableSystemThread } from '../kernel/io/system-thread.js';
import type { Kernel } from '../kernel/kernel.js';
import { MAXIMUM_WAIT_OBJECTS, THREAD_WAIT_OBJECTS } from '../include/wait-constants.js';
import type { KernelObject } from '../kernel/ob/object.js';
import { ExEventObjectType, ExMutantObjectType, ExSemaphoreObjectType } from '../kernel/ps/sync-objects.js';
import { pointerArgument } from './driver-arguments.js';
import { KTimer } from '../kernel/ke/timer.js';
import { KiTimerStorage } from './nt-timer.js';

/** A dispatcher object as a driver passes it: its address, an object ObReferenceObjectByHandle returned, or a `timer` of KeInitializeTimer. */
export type DispatcherObjectArgument = number | KernelObject | KTimer;

const HIGH = 31;

/** What a wait returns: its status, or in a driver's System thread a Promise of it (await it). */
export type WaitStatus = number | Promise<number>;

type Enter = (name: string, maxIrql: number, violation?: readonly [number, number, number] | null, detail?: number) => void;

/** The routines, for nt.ts. */
export function makeNtSync(k: Kernel, enter: Enter) {
  const w = k.waits;
  const at = (o: DispatcherObjectArgument): number =>
    (o instanceof KTimer ? KiTimerStorage(k, o) : typeof o === 'object' && o !== null ? o.address : pointerArgument(k.arch, o));
  /** A Timeout as KeWaitFor* take it: NULL for ever, negative relative (100 ns), positive absolute, in ns from now. */
  const timeoutNs = (t: number | bigint | null | undefined): number => {
    if (t === null || t === undefined) return Infinity;
    const v = BigInt(t);
    if (v <= 0n) return Number(-v) * 100;
    return Math.max(0, Number(v - k.options.bootSystemTime) * 100 - k.clock.nowNs);
  };
  /**
   * Driver Verifier's IRQL rule of KeWaitForSingleObject / KeWaitForMultipleObjects, checked at the call,
   * whether or not the wait would block: above DISPATCH_LEVEL 0xC4/0x120; at DISPATCH_LEVEL with no timeout
   * 0xC4/0x121, with a nonzero one 0xC4/0x122 (only a zero timeout is allowed there). P2 is the IRQL, P3 the
   * object (the first one of several), P4 the Timeout's address, 0 here: ntshm takes the timeout by value
   * (docs/fidelity.md). Without the verifier a wait that must block is KeWaitInPlace's business (ke/wait.ts).
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
   */
  const VfCheckWaitIrql = (routine: string, object: number, timeout: number | bigint | null | undefined): void => {
    if (!k.options.verifier || k.irql < DISPATCH_LEVEL) return;
    const [subcode, rule] = k.irql > DISPATCH_LEVEL ? [0x120, 'callers must run at IRQL <= DISPATCH_LEVEL']
      : timeout === null || timeout === undefined ? [0x121, 'at DISPATCH_LEVEL the Timeout may not be NULL (only a zero timeout is allowed there)']
        : BigInt(timeout) !== 0n ? [0x122, 'at DISPATCH_LEVEL the Timeout must be zero (a nonzero one needs IRQL <= APC_LEVEL)'] : [0, ''];
    if (subcode === 0) return;
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, subcode, k.irql, object, 0, `${routine} was called at IRQL ${k.irql} on 0x${object.toString(16)}: ${rule}.`);
  };
  const nt = {
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializeevent */
    KeInitializeEvent(Event: DispatcherObjectArgument, Type: number, State: boolean | number): void {
      enter('KeInitializeEvent', HIGH);
      w.KeInitializeEvent(at(Event), Type >>> 0, !!State);
    },
    /**
     * KeSetEvent: the previous state. Wait (TRUE: a KeWaitXxx follows at once) changes nothing here.
     * With the verifier, above DISPATCH_LEVEL is 0xC4/0x80 (P3 the event).
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesetevent
     */
    KeSetEvent(Event: DispatcherObjectArgument, _Increment: number, Wait: boolean | number): number {
      // The DDI rule IrqlKeSetEvent reads Wait: TRUE allows only APC_LEVEL.
      enter('KeSetEvent', DISPATCH_LEVEL, [0x80, at(Event), 0], Wait ? 1 : 0);
      return w.KeSetEvent(at(Event));
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keclearevent */
    KeClearEvent(Event: DispatcherObjectArgument): void {
      enter('KeClearEvent', DISPATCH_LEVEL);
      w.KeResetEvent(at(Event));
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keresetevent */
    KeResetEvent(Event: DispatcherObjectArgument): number {
      enter('KeResetEvent', DISPATCH_LEVEL);
      return w.KeResetEvent(at(Event));
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereadstateevent */
    KeReadStateEvent(Event: DispatcherObjectArgument): number {
      enter('KeReadStateEvent', DISPATCH_LEVEL);
      return w.readState(at(Event));
    },
    /** KePulseEvent (ntifs): set, wake the waiters it satisfies, reset. */
    KePulseEvent(Event: DispatcherObjectArgument, _Increment: number, _Wait: boolean | number): number {
      enter('KePulseEvent', DISPATCH_LEVEL);
      return w.KePulseEvent(at(Event));
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializesemaphore */
    KeInitializeSemaphore(Semaphore: DispatcherObjectArgument, Count: number, Limit: number): void {
      enter('KeInitializeSemaphore', DISPATCH_LEVEL);
      w.KeInitializeSemaphore(at(Semaphore), Count | 0, Limit | 0);
    },
    /**
     * KeReleaseSemaphore: the previous count; past the Limit, STATUS_SEMAPHORE_LIMIT_EXCEEDED is raised.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleasesemaphore
     */
    KeReleaseSemaphore(Semaphore: DispatcherObjectArgument, _Increment: number, Adjustment: number, _Wait: boolean | number): number {
      enter('KeReleaseSemaphore', DISPATCH_LEVEL);
      return w.KeReleaseSemaphore(at(Semaphore), Adjustment | 0);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereadstatesemaphore */
    KeReadStateSemaphore(Semaphore: DispatcherObjectArgument): number {
      enter('KeReadStateSemaphore', DISPATCH_LEVEL);
      return w.readState(at(Semaphore));
    },
    /** KeInitializeMutex: a KMUTANT, free (Level is unused, as on Windows). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializemutex */
    KeInitializeMutex(Mutex: DispatcherObjectArgument, _Level: number): void {
      enter('KeInitializeMutex', DISPATCH_LEVEL);
      w.KeInitializeMutant(at(Mutex), undefined);
    },
    /**
     * KeReleaseMutex: the previous state; a thread that does not own it raises STATUS_MUTANT_NOT_OWNED.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleasemutex
     */
    KeReleaseMutex(Mutex: DispatcherObjectArgument, _Wait: boolean | number): number {
      enter('KeReleaseMutex', DISPATCH_LEVEL);
      return w.KeReleaseMutant(at(Mutex), k.currentThread, false);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereadstatemutex */
    KeReadStateMutex(Mutex: DispatcherObjectArgument): number {
      enter('KeReadStateMutex', DISPATCH_LEVEL);
      return w.readState(at(Mutex));
    },
    /**
     * KeWaitForSingleObject: STATUS_SUCCESS (STATUS_WAIT_0), STATUS_ABANDONED_WAIT_0 or STATUS_TIMEOUT. Timeout:
     * null, or 100 ns units. In a driver's System thread's own code, a Promise of the status: the thread blocks
     * until it settles, and other threads run. Elsewhere the status (ke/wait.ts KeWaitInPlace for what a wait
     * that must block does there).
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kewaitforsingleobject
     */
    KeWaitForSingleObject(Object: DispatcherObjectArgument, _WaitReason: number, _WaitMode: number, _Alertable: boolean | number,
      Timeout: number | bigint | null): WaitStatus {
      enter('KeWaitForSingleObject', DISPATCH_LEVEL, null);
      const object = at(Object);
      const timeout = timeoutNs(Timeout);
      VfCheckWaitIrql('KeWaitForSingleObject', object, Timeout);
      const thread = IopBlockableSystemThread(k);
      if (thread) return Promise.resolve(w.KeWaitForObjects(thread, [object], false, timeout));
      return w.KeWaitInPlace([object], false, timeout, 'KeWaitForSingleObject');
    },
    /** KeWaitForMutexObject: KeWaitForSingleObject on a mutex (a macro in wdm.h). */
    KeWaitForMutexObject(Mutex: DispatcherObjectArgument, WaitReason: number, WaitMode: number, Alertable: boolean | number,
      Timeout: number | bigint | null): WaitStatus {
      return nt.KeWaitForSingleObject(Mutex, WaitReason, WaitMode, Alertable, Timeout);
    },
    /**
     * KeWaitForMultipleObjects: WaitType WaitAll (0) or WaitAny (1). More than THREAD_WAIT_OBJECTS without a
     * WaitBlockArray, or more than MAXIMUM_WAIT_OBJECTS, is bug check 0xC.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kewaitformultipleobjects
     * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc--maximum-wait-objects-exceeded
     */
    KeWaitForMultipleObjects(Count: number, Object: readonly DispatcherObjectArgument[], WaitType: number, _WaitReason: number, _WaitMode: number,
      _Alertable: boolean | number, Timeout: number | bigint | null, WaitBlockArray: number | null): WaitStatus {
      enter('KeWaitForMultipleObjects', DISPATCH_LEVEL, null);
      const count = Count >>> 0;
      if (count > MAXIMUM_WAIT_OBJECTS || (count > THREAD_WAIT_OBJECTS && !WaitBlockArray)) {
        k.bugCheck(MAXIMUM_WAIT_OBJECTS_EXCEEDED, 0, 0, 0, 0,
          `KeWaitForMultipleObjects was given ${count} objects: more than ${count > MAXIMUM_WAIT_OBJECTS ? 'MAXIMUM_WAIT_OBJECTS (64)' : 'THREAD_WAIT_OBJECTS (3) without a WaitBlockArray'}.`);
      }
      const objects = Object.slice(0, count).map(at);
      const timeout = timeoutNs(Timeout);
      VfCheckWaitIrql('KeWaitForMultipleObjects', objects[0] ?? 0, Timeout);
      const thread = IopBlockableSystemThread(k);
      if (thread) return Promise.resolve(w.KeWaitForObjects(thread, objects, (WaitType >>> 0) === 0, timeout));
      return w.KeWaitInPlace(objects, (WaitType >>> 0) === 0, timeout, 'KeWaitForMultipleObjects');
    },
    /**
     * KeDelayExecutionThread(WaitMode, Alertable, Interval): Interval negative is relative (100 ns), positive
     * an absolute system time. In a driver's System thread's own code, a Promise: the thread sleeps and other
     * threads run; elsewhere (below DISPATCH_LEVEL) the CPU passes the time in place (ke/wait.ts KeDelayInPlace).
     * STATUS_SUCCESS. Alertable is accepted: no user APC or alert can end the delay (docs/fidelity.md).
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kedelayexecutionthread
     */
    KeDelayExecutionThread(_WaitMode: number, _Alertable: boolean | number, Interval: number | bigint): WaitStatus {
      enter('KeDelayExecutionThread', APC_LEVEL);
      const v = BigInt(Interval);
      // The most negative LARGE_INTEGER is a delay for ever (Sleep(INFINITE)).
      const ns = v === -(2n ** 63n) ? Infinity : timeoutNs(v);
      const thread = IopBlockableSystemThread(k);
      if (thread) {
        if (ns === 0) return Promise.resolve(k.scheduler.yieldThread(thread)).then(() => STATUS_SUCCESS);
        return k.scheduler.delay(thread, ns === Infinity ? Infinity : k.clock.nowNs + ns).then(() => STATUS_SUCCESS);
      }
      w.KeDelayInPlace(ns);
      return STATUS_SUCCESS;
    },
    /** Object types drivers pass to ObReferenceObjectByHandle for a program's handles (*ExEventObjectType, ...). */
    ExEventObjectType,
    ExSemaphoreObjectType,
    ExMutantObjectType,
  };
  return nt;
}
