/**
 * Fast mutexes and critical regions, spread into `nt`.
 *
 * FAST_MUTEX lives in guest memory, where the driver put it (Count, Owner,
 * Contention, the KEVENT waiters would sleep on, OldIrql), and is taken as
 * Windows 8 and later take it: Count's bit 0 (FM_LOCK_BIT) set means free,
 * and one locked bit test-and-reset acquires it. ExAcquireFastMutex raises
 * to APC_LEVEL and keeps the old IRQL in the mutex.
 *
 * Contention cannot happen yet (no other kernel thread runs while a driver
 * routine does), so a held fast mutex is held by the caller, or by a thread
 * that will never release it: on Windows the thread waits on the event for
 * ever. ntshm ends the caller with a GuestMisuse (STATUS_POSSIBLE_DEADLOCK)
 * naming the mutex and its owner, as it ends any driver routine that would
 * never return (ke/watchdog.ts; docs/fidelity.md, "Locks").
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/fast-mutexes-and-guarded-mutexes
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../include/bugcodes.js';
import { GuestMisuse } from '../include/errors.js';
import { STATUS_POSSIBLE_DEADLOCK } from '../include/ntstatus.js';
import { APC_LEVEL } from '../include/wdm-constants.js';
import type { KThread } from '../kernel/ke/thread.js';
import type { Kernel } from '../kernel/kernel.js';
import { pointerArgument } from './driver-arguments.js';

/** FAST_MUTEX (wdm.h) field offsets: Count, Owner, Contention, Event (a KEVENT), OldIrql. */
const FAST_MUTEX = {
  x64: { Count: 0, Owner: 0x08, Contention: 0x10, Event: 0x18, EventSize: 0x18, OldIrql: 0x30, size: 0x38 },
  x86: { Count: 0, Owner: 0x04, Contention: 0x08, Event: 0x0c, EventSize: 0x10, OldIrql: 0x1c, size: 0x20 },
} as const;
/** Count's free bit (FM_LOCK_BIT, Windows 8 and later). */
const FM_LOCK_BIT = 1n;
/** DISPATCHER_HEADER.Type of a synchronization event. */
const SynchronizationEvent = 1;

/** Driver Verifier's 0xC4 subcodes (bug-check-0xc4--driver-verifier-detected-violation). */
const VI_ACQUIRE_FAST_MUTEX_IRQL = 0x33;
const VI_RELEASE_FAST_MUTEX_IRQL = 0x34;
const VI_LEAVE_CRITICAL_REGION_NOT_IN_ONE = 0x3e;

/** KTHREAD.KernelApcDisable of each thread: 0, or negative inside critical regions (and while holding mutexes). */
const apcDisable = new WeakMap<KThread, number>();
/** The thread's KernelApcDisable count, as the 0xC4 subcodes report it. */
export const KiKernelApcDisable = (thread: KThread): number => apcDisable.get(thread) ?? 0;

/** The fast-mutex and critical-region routines of one driver's `nt`. */
export function makeNtMutex(k: Kernel, driverName: string, enter: (name: string, maxIrql: number, violation?: readonly [number, number, number] | null) => void) {
  const mem = k.kernelMemory;
  const L = FAST_MUTEX[k.arch];
  const hex = (v: number): string => `0x${v.toString(16)}`;
  const caller = (): string => {
    const frame = k.attribution.top();
    return frame ? `${frame.driver}!${frame.routine}` : driverName;
  };
  const arg = (v: unknown): number => pointerArgument(k.arch, v);
  const threadAddress = (): number => k.currentThread.address;

  /** Takes the free bit; on success records the owner and the IRQL to return to. */
  const take = (m: number, oldIrql: number): boolean => {
    const initial = mem.interlocked(m + L.Count, 4, 'and', ~FM_LOCK_BIT, 0n);
    if ((initial & FM_LOCK_BIT) === 0n) return false;
    mem.setPointer(m + L.Owner, threadAddress());
    mem.setUint32(m + L.OldIrql, oldIrql);
    return true;
  };

  const deadlock = (m: number, routine: string): never => {
    const owner = mem.getPointer(m + L.Owner);
    const who = owner === threadAddress()
      ? `the calling thread (${k.currentThread.label}) already owns it: a fast mutex is not recursive, and the thread would wait on its own release for ever`
      : owner === 0
        ? 'it is marked held but has no owner (never initialized with ExInitializeFastMutex, or overwritten)'
        : `it is owned by the thread at ${hex(owner)}, which no running code will release`;
    throw new GuestMisuse(`${caller()} called ${routine} on the fast mutex at ${hex(m)}, but ${who}; ` +
      'Windows would block the thread for ever, and ntshm stops it instead', STATUS_POSSIBLE_DEADLOCK);
  };

  return {
    /**
     * Count = FM_LOCK_BIT, no owner, no contention, the event initialized not signaled.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exinitializefastmutex
     */
    ExInitializeFastMutex(FastMutex: number): void {
      enter('ExInitializeFastMutex', 2);
      const m = arg(FastMutex);
      mem.fill(m, L.size, 0);
      mem.setUint32(m + L.Count, Number(FM_LOCK_BIT));
      // KeInitializeEvent(&Event, SynchronizationEvent, FALSE): Type, Size in LONGs, an empty wait list.
      mem.setUint8(m + L.Event, SynchronizationEvent);
      mem.setUint8(m + L.Event + 2, L.EventSize / 4);
      const waitList = m + L.Event + 8;
      mem.setPointer(waitList, waitList);
      mem.setPointer(waitList + mem.sizeofPointer, waitList);
    },
    /** Raises to APC_LEVEL and takes the mutex. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exacquirefastmutex */
    ExAcquireFastMutex(FastMutex: number): void {
      enter('ExAcquireFastMutex', APC_LEVEL, null);
      const m = arg(FastMutex);
      if (k.options.verifier && k.irql > APC_LEVEL) {
        k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_ACQUIRE_FAST_MUTEX_IRQL, k.irql, m, 0,
          `ExAcquireFastMutex was called at IRQL ${k.irql}; it allows at most APC_LEVEL.`);
      }
      const oldIrql = k.ke.KeRaiseIrql(APC_LEVEL);
      if (!take(m, oldIrql)) {
        k.ke.KeLowerIrql(oldIrql);
        deadlock(m, 'ExAcquireFastMutex');
      }
    },
    /** TRUE and the mutex taken (at APC_LEVEL) if it was free, else FALSE at the caller's IRQL. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-extrytoacquirefastmutex */
    ExTryToAcquireFastMutex(FastMutex: number): boolean {
      enter('ExTryToAcquireFastMutex', APC_LEVEL, null);
      const m = arg(FastMutex);
      if (k.options.verifier && k.irql > APC_LEVEL) {
        k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_ACQUIRE_FAST_MUTEX_IRQL, k.irql, m, 0,
          `ExTryToAcquireFastMutex was called at IRQL ${k.irql}; it allows at most APC_LEVEL.`);
      }
      const oldIrql = k.ke.KeRaiseIrql(APC_LEVEL);
      if (take(m, oldIrql)) return true;
      k.ke.KeLowerIrql(oldIrql);
      return false;
    },
    /** Releases the mutex and lowers to the IRQL saved at the acquire. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exreleasefastmutex */
    ExReleaseFastMutex(FastMutex: number): void {
      enter('ExReleaseFastMutex', APC_LEVEL, null);
      const m = arg(FastMutex);
      if (k.options.verifier && k.irql !== APC_LEVEL) {
        k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_RELEASE_FAST_MUTEX_IRQL, k.irql, m, 0,
          `ExReleaseFastMutex was called at IRQL ${k.irql}, not APC_LEVEL (a fast mutex released twice is released the second time at the IRQL the first restored).`);
      }
      const oldIrql = mem.getUint32(m + L.OldIrql);
      mem.setPointer(m + L.Owner, 0);
      const initial = mem.interlocked(m + L.Count, 4, 'or', FM_LOCK_BIT, 0n);
      if ((initial & FM_LOCK_BIT) !== 0n) {
        k.report({
          kind: 'fast-mutex-not-owned', driver: driverName,
          message: `fast-mutex-not-owned: ${caller()} released the fast mutex at ${hex(m)}, which was not held`,
          details: { fastMutex: m },
        });
      }
      k.ke.KeLowerIrql(oldIrql);
    },
    /** Disables normal kernel APCs: KernelApcDisable decremented. https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-keentercriticalregion */
    KeEnterCriticalRegion(): void {
      enter('KeEnterCriticalRegion', APC_LEVEL, [0x11a, 0, 0]);
      const t = k.currentThread;
      apcDisable.set(t, KiKernelApcDisable(t) - 1);
    },
    /** Re-enables them; leaving a region not entered is 0xC4/0x3E with the verifier. https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-keleavecriticalregion */
    KeLeaveCriticalRegion(): void {
      enter('KeLeaveCriticalRegion', APC_LEVEL, [0x11b, 0, 0]);
      const t = k.currentThread;
      const count = KiKernelApcDisable(t);
      if (count >= 0 && k.options.verifier) {
        k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_LEAVE_CRITICAL_REGION_NOT_IN_ONE, 0, 0, 0,
          `${caller()} called KeLeaveCriticalRegion on ${t.label}, which is not in a critical region.`);
      }
      apcDisable.set(t, count + 1);
    },
  };
}
