/**
 * Dispatcher objects and waits: KEVENT, KSEMAPHORE and KMUTANT live in guest
 * memory, each beginning with a DISPATCHER_HEADER (Type, Size, SignalState,
 * WaitListHead), at an address the driver gives (its device extension, pool)
 * or in the body of an executive object (ps/sync-objects.ts). The state is
 * the memory's: a driver that reads SignalState sees what the kernel wrote.
 *
 * The wait blocks are the kernel's own, kept by object address (Windows
 * threads KWAIT_BLOCKs on WaitListHead; ntshm leaves WaitListHead an empty
 * list, docs/fidelity.md). A waiting program thread sleeps in the scheduler
 * until the wait is satisfied — at the moment an object is signalled, as
 * KiWaitTest does: a synchronization event is reset, a semaphore count
 * taken, a mutant owned, before the thread runs — or until its timeout
 * expires at a clock tick.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/defining-dispatcher-objects
 * ReactOS ntoskrnl/ke/wait.c, ntoskrnl/include/internal/ke_x.h (KiSatisfyObjectWait)
 */
import { STATUS_ABANDONED_WAIT_0, STATUS_MUTANT_NOT_OWNED, STATUS_SEMAPHORE_LIMIT_EXCEEDED, STATUS_TIMEOUT, STATUS_WAIT_0 } from '../../include/ntstatus.js';
import { GuestMisuse, NtException } from '../../include/errors.js';
import { ATTEMPTED_SWITCH_FROM_DPC, IRQL_NOT_LESS_OR_EQUAL } from '../../include/bugcodes.js';
import { DISPATCH_LEVEL } from '../../include/wdm-constants.js';
import { CLOCK_TICK_NS } from './cost.js';
import type { KeContext } from './context.js';
import { KiRoutineAddress, type NtRoutine } from './nt-image.js';
import type { KThread } from './thread.js';
import { KiTestUserApc } from './user-apc.js';

/** KOBJECTS (the DISPATCHER_HEADER's Type). */
export const EventNotificationObject = 0;
export const EventSynchronizationObject = 1;
export const MutantObject = 2;
export const ProcessObject = 3;
export const SemaphoreObject = 5;
export const ThreadObject = 6;
/** A KTIMER's Type: TimerNotificationObject + TIMER_TYPE (NotificationTimer 0, SynchronizationTimer 1). */
export const TimerNotificationObject = 8;
export const TimerSynchronizationObject = 9;

export { NotificationEvent, SynchronizationEvent } from '../../include/wdm-constants.js';
import { SynchronizationEvent } from '../../include/wdm-constants.js';

/**
 * Offsets and sizes from the public symbols of Windows 10 (dt nt!_KEVENT,
 * _KSEMAPHORE, _KMUTANT): the header is Type (UCHAR, 0), Size in LONGs
 * (UCHAR, 2), SignalState (LONG, 4), WaitListHead (LIST_ENTRY, 8).
 */
export const DISPATCHER_LAYOUT = {
  x64: { header: 0x18, KEVENT: 0x18, KSEMAPHORE: 0x20, Limit: 0x18, KMUTANT: 0x38, OwnerThread: 0x28, Abandoned: 0x30, KTIMER: 0x40, DueTime: 0x18, Period: 0x3c },
  x86: { header: 0x10, KEVENT: 0x10, KSEMAPHORE: 0x14, Limit: 0x10, KMUTANT: 0x20, OwnerThread: 0x18, Abandoned: 0x1c, KTIMER: 0x28, DueTime: 0x10, Period: 0x24 },
} as const;

const TYPE = 0;
const SIZE = 2;
const SIGNAL_STATE = 4;
const WAIT_LIST_HEAD = 8;

/** KeWaitForMultipleObjects allows THREAD_WAIT_OBJECTS (3) without a wait-block array, MAXIMUM_WAIT_OBJECTS (64) with one. */
export { MAXIMUM_WAIT_OBJECTS } from '../../include/wait-constants.js';

/** The memory the dispatcher reads and writes dispatcher objects through (kernel mode, the current address space). */
export interface DispatcherMemory {
  getUint8(va: number): number;
  setUint8(va: number, v: number): void;
  getUint32(va: number): number;
  setUint32(va: number, v: number): void;
  getPointer(va: number): number;
  setPointer(va: number, v: number): void;
}

/** One thread's wait: the objects, WaitAll or WaitAny, and how it ended (undefined while it lasts). */
interface KiWaitBlock {
  readonly thread: KThread;
  readonly objects: readonly number[];
  readonly waitAll: boolean;
  status: number | undefined;
  /** Called if the wait is cancelled because its thread ends (the waiter's references on the objects go). */
  readonly onCancel: (() => void) | undefined;
}

/** The kernel's dispatcher objects: their state in guest memory, the threads waiting on them, the mutants each thread owns. */
export class KeWaits {
  private readonly waiters = new Map<number, KiWaitBlock[]>();
  private readonly owned = new Map<KThread, Set<number>>();

  constructor(private readonly k: KeContext, private readonly memory: () => DispatcherMemory) {}

  private get layout() {
    return DISPATCHER_LAYOUT[this.k.arch];
  }

  private get mem(): DispatcherMemory {
    return this.memory();
  }

  private signalState(object: number): number {
    return this.mem.getUint32(object + SIGNAL_STATE) | 0;
  }

  private setSignalState(object: number, state: number): void {
    this.mem.setUint32(object + SIGNAL_STATE, state >>> 0);
  }

  /** The header every initialiser writes: Type, Size (in LONGs), SignalState, an empty WaitListHead. */
  private initHeader(object: number, type: number, size: number, state: number): void {
    const mem = this.mem;
    mem.setUint32(object, 0);
    mem.setUint8(object + TYPE, type);
    mem.setUint8(object + SIZE, size / 4);
    this.setSignalState(object, state);
    mem.setPointer(object + WAIT_LIST_HEAD, object + WAIT_LIST_HEAD);
    mem.setPointer(object + WAIT_LIST_HEAD + (this.k.arch === 'x64' ? 8 : 4), object + WAIT_LIST_HEAD);
    this.waiters.delete(object);
  }

  /**
   * The DISPATCHER_HEADER at the start of a KPROCESS or KTHREAD (KeInitializeProcess, KeInitThread): not
   * signalled while it runs; Size is sizeof in LONGs as a UCHAR holds it.
   */
  KeInitializeDispatcherHeader(object: number, type: number, sizeBytes: number): void {
    this.initHeader(object, type, (sizeBytes & 0x3fc), 0);
  }

  /** A process or thread has ended (PspExitThread, PspExitProcess): its object is signalled for good, every waiter it satisfies runs. */
  KeSignalObject(object: number): void {
    if (this.signalState(object) > 0) return;
    this.setSignalState(object, 1);
    this.KiWaitTest(object);
  }

  /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializeevent */
  KeInitializeEvent(event: number, type: number, state: boolean): void {
    this.initHeader(event, type === SynchronizationEvent ? EventSynchronizationObject : EventNotificationObject, this.layout.KEVENT, state ? 1 : 0);
  }

  /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializesemaphore */
  KeInitializeSemaphore(semaphore: number, count: number, limit: number): void {
    this.initHeader(semaphore, SemaphoreObject, this.layout.KSEMAPHORE, count);
    this.mem.setUint32(semaphore + this.layout.Limit, limit >>> 0);
  }

  /**
   * KeInitializeTimerEx: a KTIMER, not signalled, Type TimerNotificationObject or TimerSynchronizationObject
   * (8 + TIMER_TYPE); DueTime 0 and Period 0 until it is set. `signalled` carries the state of a timer whose
   * storage ntshm supplies late (nt-timer.ts).
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializetimerex
   */
  KeInitializeTimerHeader(timer: number, synchronization: boolean, signalled = false): void {
    this.initHeader(timer, synchronization ? TimerSynchronizationObject : TimerNotificationObject, this.layout.KTIMER, signalled ? 1 : 0);
    this.KeWriteTimerDue(timer, 0n, 0);
  }

  /** KTIMER.DueTime (interrupt time of the expiry, 100 ns) and Period (ms), as KeSetTimerEx writes them. */
  KeWriteTimerDue(timer: number, dueTime: bigint, period: number): void {
    const mem = this.mem;
    const due = BigInt.asUintN(64, dueTime);
    mem.setUint32(timer + this.layout.DueTime, Number(due & 0xffff_ffffn));
    mem.setUint32(timer + this.layout.DueTime + 4, Number(due >> 32n));
    mem.setUint32(timer + this.layout.Period, period >>> 0);
  }

  /** KeSetTimerEx resets the timer's state: not signalled until it expires again. */
  KeClearTimerState(timer: number): void {
    this.setSignalState(timer, 0);
  }

  /** KiTimerExpiration: the timer is signalled; its waiters run (a synchronization timer satisfies one and resets). */
  KeSignalTimer(timer: number): void {
    this.setSignalState(timer, 1);
    this.KiWaitTest(timer);
  }

  /** KeInitializeMutant (KeInitializeMutex is it with InitialOwner FALSE): free is SignalState 1. */
  KeInitializeMutant(mutant: number, initialOwner: KThread | undefined): void {
    this.initHeader(mutant, MutantObject, this.layout.KMUTANT, initialOwner ? 0 : 1);
    this.setOwner(mutant, initialOwner);
    this.mem.setUint8(mutant + this.layout.Abandoned, 0);
  }

  private owner(mutant: number): number {
    return this.mem.getPointer(mutant + this.layout.OwnerThread);
  }

  private setOwner(mutant: number, thread: KThread | undefined): void {
    const current = this.owner(mutant);
    for (const [t, set] of this.owned) if (t.address === current) set.delete(mutant);
    this.mem.setPointer(mutant + this.layout.OwnerThread, thread?.address ?? 0);
    if (thread) {
      let set = this.owned.get(thread);
      if (!set) this.owned.set(thread, (set = new Set()));
      set.add(mutant);
    }
  }

  /** KeReadStateEvent, KeReadStateSemaphore, KeReadStateMutex: the SignalState. */
  readState(object: number): number {
    return this.signalState(object);
  }

  /** KeSetEvent: the previous state; waiters whose wait this satisfies are readied. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesetevent */
  KeSetEvent(event: number): number {
    const previous = this.signalState(event);
    this.setSignalState(event, 1);
    if (previous === 0) this.KiWaitTest(event);
    return previous;
  }

  /** KeResetEvent: the previous state (KeClearEvent is it without the answer). */
  KeResetEvent(event: number): number {
    const previous = this.signalState(event);
    this.setSignalState(event, 0);
    return previous;
  }

  /** KePulseEvent: set, wake who can be woken, reset. */
  KePulseEvent(event: number): number {
    const previous = this.KeSetEvent(event);
    this.setSignalState(event, 0);
    return previous;
  }

  /**
   * KeReleaseSemaphore: the previous count; past the Limit (or a count that
   * would overflow) raises STATUS_SEMAPHORE_LIMIT_EXCEEDED and changes nothing.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleasesemaphore
   */
  KeReleaseSemaphore(semaphore: number, adjustment: number): number {
    const previous = this.signalState(semaphore);
    const limit = this.mem.getUint32(semaphore + this.layout.Limit) | 0;
    const next = previous + adjustment;
    if (adjustment <= 0 || next > limit || next < previous) throw new NtException(STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    this.setSignalState(semaphore, next);
    if (previous === 0) this.KiWaitTest(semaphore);
    return previous;
  }

  /**
   * KeReleaseMutant: the previous state. Released by a thread that does not
   * own it: STATUS_MUTANT_NOT_OWNED raised (unless `abandoned`, the owner's
   * exit). When its last recursion is released it is free and waiters run.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleasemutex
   */
  KeReleaseMutant(mutant: number, thread: KThread, abandoned: boolean): number {
    const previous = this.signalState(mutant);
    if (abandoned) {
      this.setSignalState(mutant, 1);
      this.mem.setUint8(mutant + this.layout.Abandoned, 1);
      this.setOwner(mutant, undefined);
    } else {
      if (this.owner(mutant) !== thread.address || thread.address === 0) throw new NtException(STATUS_MUTANT_NOT_OWNED);
      this.setSignalState(mutant, previous + 1);
      if (previous + 1 === 1) this.setOwner(mutant, undefined);
    }
    if (this.signalState(mutant) === 1) this.KiWaitTest(mutant);
    return previous;
  }

  /** The thread is exiting: every mutant it owns is abandoned (KeRundownThread), and its wait, if any, goes. */
  KeRundownThread(thread: KThread): void {
    for (const mutant of [...this.owned.get(thread) ?? []]) this.KeReleaseMutant(mutant, thread, true);
    this.owned.delete(thread);
    this.cancelWait(thread);
  }

  /** An object's memory is going (its executive object deleted): forget it. */
  forgetObject(object: number): void {
    for (const set of this.owned.values()) set.delete(object);
    this.waiters.delete(object);
  }

  private isSignalled(object: number, thread: KThread): boolean {
    const type = this.mem.getUint8(object + TYPE);
    if (type === MutantObject) return this.signalState(object) > 0 || (thread.address !== 0 && this.owner(object) === thread.address);
    return this.signalState(object) > 0;
  }

  /** KiSatisfyObjectWait: what acquiring the object does; STATUS_ABANDONED for a mutant whose owner died holding it. */
  private satisfy(object: number, thread: KThread): boolean {
    const type = this.mem.getUint8(object + TYPE);
    if (type === EventSynchronizationObject || type === TimerSynchronizationObject) this.setSignalState(object, 0);
    else if (type === SemaphoreObject) this.setSignalState(object, this.signalState(object) - 1);
    else if (type === MutantObject) {
      const state = this.signalState(object) - 1;
      this.setSignalState(object, state);
      if (state === 0) {
        this.setOwner(object, thread);
        if (this.mem.getUint8(object + this.layout.Abandoned)) {
          this.mem.setUint8(object + this.layout.Abandoned, 0);
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the wait can be satisfied now; if so, satisfies it and returns the status (STATUS_WAIT_0 + n, STATUS_ABANDONED_WAIT_0 + n). */
  private trySatisfy(thread: KThread, objects: readonly number[], waitAll: boolean): number | undefined {
    if (waitAll) {
      if (!objects.every((o) => this.isSignalled(o, thread))) return undefined;
      let abandoned = false;
      for (const o of objects) abandoned = this.satisfy(o, thread) || abandoned;
      return abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0;
    }
    for (let i = 0; i < objects.length; i++) {
      if (this.isSignalled(objects[i]!, thread)) return (this.satisfy(objects[i]!, thread) ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + i;
    }
    return undefined;
  }

  /** KiWaitTest: the object was signalled; waiters are satisfied in the order they began waiting while it stays signalled. */
  private KiWaitTest(object: number): void {
    const list = this.waiters.get(object);
    if (!list) return;
    for (const wb of [...list]) {
      if (wb.status !== undefined) continue;
      if (this.signalState(object) <= 0 && this.mem.getUint8(object + TYPE) !== MutantObject) break;
      const status = this.trySatisfy(wb.thread, wb.objects, wb.waitAll);
      if (status === undefined) continue;
      wb.status = status;
      this.removeBlock(wb);
      this.k.scheduler.wake(wb.thread);
    }
  }

  private removeBlock(wb: KiWaitBlock): void {
    for (const o of wb.objects) {
      const list = this.waiters.get(o);
      const i = list?.indexOf(wb) ?? -1;
      if (i >= 0) list!.splice(i, 1);
      if (list && list.length === 0) this.waiters.delete(o);
    }
    if (wb.thread.waitBlock === wb) wb.thread.waitBlock = undefined;
  }

  private cancelWait(thread: KThread): void {
    const wb = thread.waitBlock as KiWaitBlock | undefined;
    if (!wb) return;
    this.removeBlock(wb);
    thread.onWaitTimeout = undefined;
    wb.onCancel?.();
  }

  /**
   * A wait that can be answered now: satisfied (STATUS_WAIT_0 + n, or
   * STATUS_ABANDONED_WAIT_0 + n), or STATUS_TIMEOUT for a zero timeout;
   * undefined when the thread would have to block.
   */
  KiTryWait(thread: KThread, objects: readonly number[], waitAll: boolean, timeoutNs: number): number | undefined {
    const status = this.trySatisfy(thread, objects, waitAll);
    if (status !== undefined) return status;
    return timeoutNs <= 0 ? STATUS_TIMEOUT : undefined;
  }

  /**
   * KeWaitForMultipleObjects for a thread the scheduler can suspend (a
   * program thread in a system call): the status now, or a promise of it
   * once the wait is satisfied or `timeoutNs` (Infinity: none) has passed.
   * If the thread ends while it waits, the promise never settles and
   * `onCancel` runs instead.
   */
  KeWaitForObjects(thread: KThread, objects: readonly number[], waitAll: boolean, timeoutNs: number, onCancel?: () => void,
    alertable = false): number | Promise<number> {
    const satisfied = this.trySatisfy(thread, objects, waitAll);
    if (satisfied !== undefined) return satisfied;
    // An alertable wait with user APCs queued ends before it begins (ke/user-apc.ts), a zero timeout's too.
    const alerted = alertable ? KiTestUserApc(thread) : undefined;
    if (alerted !== undefined) return alerted;
    if (timeoutNs <= 0) return STATUS_TIMEOUT;
    const wb: KiWaitBlock = { thread, objects, waitAll, status: undefined, onCancel };
    for (const o of new Set(objects)) {
      let list = this.waiters.get(o);
      if (!list) this.waiters.set(o, (list = []));
      list.push(wb);
    }
    thread.waitBlock = wb;
    thread.onWaitTimeout = () => this.removeBlock(wb);
    const wakeNs = timeoutNs === Infinity ? Infinity : this.k.clock.nowNs + timeoutNs;
    if (!alertable) return this.k.scheduler.delay(thread, wakeNs).then(() => wb.status ?? STATUS_TIMEOUT);
    thread.alertableWait = true;
    return this.k.scheduler.delay(thread, wakeNs).then(() => {
      thread.alertableWait = false;
      return wb.status ?? STATUS_TIMEOUT;
    });
  }

  /**
   * KiUnwaitThread from outside the wait: a user APC queued to a thread in
   * an alertable wait (or delay) ends it with `status`; the objects are not
   * satisfied.
   */
  KiUnwaitThread(thread: KThread, status: number): void {
    const wb = thread.waitBlock as KiWaitBlock | undefined;
    if (wb) {
      wb.status = status;
      this.removeBlock(wb);
    } else {
      thread.unwaitStatus = status;
    }
    thread.alertableWait = false;
    this.k.scheduler.wake(thread);
  }

  /**
   * KeWaitForSingleObject / KeWaitForMultipleObjects from a driver's
   * synchronous code (a dispatch routine, DriverEntry, a DPC), which JS
   * cannot suspend. A wait that can be answered now is answered. One that
   * must block at DISPATCH_LEVEL or above stops the machine: from a DPC
   * routine with 0xB8 (the switch a wait makes is illegal there), otherwise
   * with 0xA naming the routine (docs/fidelity.md: Windows' free build does
   * not check). Below DISPATCH_LEVEL the CPU waits in place: virtual time
   * passes tick by tick, clock interrupts, timers and DPCs are delivered
   * (a DPC may signal the object), until the wait is satisfied or times out
   * at a clock tick; other threads do not run meanwhile (docs/fidelity.md).
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kewaitforsingleobject
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xb8--attempted-switch-from-dpc
   */
  KeWaitInPlace(objects: readonly number[], waitAll: boolean, timeoutNs: number, routine: NtRoutine): number {
    const k = this.k;
    const thread = k.currentThread;
    const now = this.KiTryWait(thread, objects, waitAll, timeoutNs);
    if (now !== undefined) return now;
    this.KiCheckBlockingIrql(objects[0] ?? 0, `${routine} on 0x${(objects[0] ?? 0).toString(16)}, not signalled, with ${timeoutNs === Infinity ? 'no timeout' : 'a nonzero timeout'}`, routine);
    const tick = (ns: number): number => Math.ceil(ns / CLOCK_TICK_NS) * CLOCK_TICK_NS;
    const deadline = timeoutNs === Infinity ? Infinity : tick(k.clock.nowNs + timeoutNs);
    for (;;) {
      const nowNs = k.clock.nowNs;
      if (nowNs >= deadline) return STATUS_TIMEOUT;
      if (deadline === Infinity && !k.ke.liveTimers && !k.prcbs.some((p) => p.dpcQueue.length > 0)) {
        throw new GuestMisuse(`${routine} with no timeout, from a driver's synchronous code, on an object nothing can signal: while such code waits ` +
          'only interrupts, timers and DPCs run on this machine (no other thread does), and none is pending. Wait in a system thread, or give a timeout.');
      }
      k.charge(Math.max(1, Math.min(deadline, tick(nowNs + 1)) - nowNs));
      const r = this.trySatisfy(thread, objects, waitAll);
      if (r !== undefined) return r;
    }
  }

  /**
   * A wait that must block, at DISPATCH_LEVEL or above, stops the machine: from a DPC routine with 0xB8
   * (the switch a wait makes is illegal there), otherwise with 0xA naming the routine (docs/fidelity.md).
   */
  private KiCheckBlockingIrql(object: number, what: string, routine: NtRoutine): void {
    const k = this.k;
    if (k.irql < DISPATCH_LEVEL) return;
    if (k.current.dpcRoutineActive) {
      k.bugCheck(ATTEMPTED_SWITCH_FROM_DPC, k.currentThread.address, k.current.idleThread.address, 0, 0,
        `A DPC routine called ${what}: a wait must switch threads, which a DPC may never do. Only a zero timeout may be given at DISPATCH_LEVEL.`);
    }
    k.bugCheck(IRQL_NOT_LESS_OR_EQUAL, object, k.irql, 0, KiRoutineAddress(k.arch, routine),
      `${what} was called at IRQL ${k.irql}: a wait that blocks needs IRQL <= APC_LEVEL (only a zero timeout may be given at DISPATCH_LEVEL).`);
  }

  /**
   * KeDelayExecutionThread from a driver's synchronous code: as KeWaitInPlace with nothing to wait for,
   * virtual time passes tick by tick (timers and DPCs run) until `intervalNs` has passed, at the tick that
   * notices it; a zero interval returns at once. At DISPATCH_LEVEL or above, the bug check of a wait.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kedelayexecutionthread
   */
  KeDelayInPlace(intervalNs: number): void {
    const k = this.k;
    this.KiCheckBlockingIrql(0, `KeDelayExecutionThread with ${intervalNs === 0 ? 'a zero' : 'a nonzero'} interval`, 'KeDelayExecutionThread');
    if (intervalNs <= 0) return;
    if (intervalNs === Infinity) {
      throw new GuestMisuse('KeDelayExecutionThread for ever, from a driver\'s synchronous code: while such code waits no other thread runs on this machine, so the machine could only hang. Delay in a system thread (PsCreateSystemThread), or give an interval.');
    }
    const deadline = Math.ceil((k.clock.nowNs + intervalNs) / CLOCK_TICK_NS) * CLOCK_TICK_NS;
    while (k.clock.nowNs < deadline) k.charge(Math.min(deadline, (Math.floor(k.clock.nowNs / CLOCK_TICK_NS) + 1) * CLOCK_TICK_NS) - k.clock.nowNs);
  }

  /** How many threads wait on an object (for tests and the report). */
  waiterCount(object: number): number {
    return this.waiters.get(object)?.length ?? 0;
  }
}

/** Reads a dispatcher object's Type and SignalState (for tests and drivers' own checks). */
export function readDispatcherHeader(mem: { getUint8(va: number): number; getUint32(va: number): number }, object: number) {
  return { Type: mem.getUint8(object + TYPE), Size: mem.getUint8(object + SIZE), SignalState: mem.getUint32(object + SIGNAL_STATE) | 0 };
}
