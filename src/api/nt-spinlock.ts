/**
 * Executive spin locks, spread into `nt`: KSPIN_LOCK is a ULONG_PTR in guest
 * memory whose address the driver passes; these routines raise or check the
 * IRQL (with the verifier's 0xC4 checks) and take or clear the lock itself
 * with kernel/ex/spin-lock.ts, where the locked bit and a held lock's
 * deadlock live.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/introduction-to-spin-locks
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../include/bugcodes.js';
import { DISPATCH_LEVEL } from '../include/wdm-constants.js';
import { KxAcquireSpinLock, KxReleaseSpinLock, KxTryToAcquireSpinLock } from '../kernel/ex/spin-lock.js';
import type { Kernel } from '../kernel/kernel.js';
import { pointerArgument } from './driver-arguments.js';

/** Driver Verifier's 0xC4 subcodes for spin locks (bug-check-0xc4--driver-verifier-detected-violation). */
const VI_RELEASE_SPIN_LOCK_IRQL = 0x32;
const VI_ACQUIRE_AT_DPC_LEVEL_IRQL = 0x40;
const VI_RELEASE_FROM_DPC_LEVEL_IRQL = 0x41;
const VI_ACQUIRE_SPIN_LOCK_IRQL = 0x42;

/** KLOCK_QUEUE_HANDLE: the lock queue entry (its Lock) and the IRQL to return to. */
export interface KLockQueueHandle {
  LockQueue: { Next: number; Lock: number };
  OldIrql: number;
}

/** The spin-lock routines of one driver's `nt`. */
export function makeNtSpinLock(k: Kernel, driverName: string, enter: (name: string, maxIrql: number, violation?: readonly [number, number, number]) => void) {
  const mem = k.kernelMemory;
  const size = k.layout.pointerSize;
  const caller = (): string => {
    const frame = k.attribution.top();
    return frame ? `${frame.driver}!${frame.routine}` : driverName;
  };
  const verify = (subcode: number, lock: number, p4: number, explanation: string): void => {
    if (k.options.verifier) k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, subcode, k.irql, lock, p4, explanation);
  };

  const acquire = (lock: number, routine: string): void => KxAcquireSpinLock(k, lock, routine, caller());
  const release = (lock: number, routine: string): void => KxReleaseSpinLock(k, lock, routine, caller(), driverName);

  const lockArg = (v: unknown): number => pointerArgument(k.arch, v);

  return {
    /** Sets the ULONG_PTR at SpinLock to 0. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializespinlock */
    KeInitializeSpinLock(SpinLock: number): void {
      enter('KeInitializeSpinLock', 31);
      mem.interlocked(lockArg(SpinLock), size, 'exchange', 0n, 0n);
    },
    /** Raises to DISPATCH_LEVEL, then takes the lock; returns OldIrql. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keacquirespinlock */
    KeAcquireSpinLock(SpinLock: number): { oldIrql: number } {
      enter('KeAcquireSpinLock', 31);
      const lock = lockArg(SpinLock);
      if (k.irql > DISPATCH_LEVEL) verify(VI_ACQUIRE_SPIN_LOCK_IRQL, lock, 0, `KeAcquireSpinLock was called at IRQL ${k.irql}, above DISPATCH_LEVEL.`);
      if (k.verifierStatistics !== null) k.verifierStatistics.counters.AcquireSpinLocks++;
      const oldIrql = k.ke.KeRaiseIrql(DISPATCH_LEVEL);
      acquire(lock, 'KeAcquireSpinLock');
      return { oldIrql };
    },
    /** Releases the lock, then lowers to NewIrql. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleasespinlock */
    KeReleaseSpinLock(SpinLock: number, NewIrql: number): void {
      enter('KeReleaseSpinLock', 31);
      const lock = lockArg(SpinLock);
      if (k.irql !== DISPATCH_LEVEL) {
        verify(VI_RELEASE_SPIN_LOCK_IRQL, lock, 0,
          `KeReleaseSpinLock was called at IRQL ${k.irql}, not DISPATCH_LEVEL (a spin lock released twice is released the second time at the IRQL the first restored).`);
      }
      release(lock, 'KeReleaseSpinLock');
      k.ke.KeLowerIrql(NewIrql);
    },
    /** Takes the lock; the caller is at DISPATCH_LEVEL. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keacquirespinlockatdpclevel */
    KeAcquireSpinLockAtDpcLevel(SpinLock: number): void {
      enter('KeAcquireSpinLockAtDpcLevel', 31);
      const lock = lockArg(SpinLock);
      if (k.irql < DISPATCH_LEVEL) verify(VI_ACQUIRE_AT_DPC_LEVEL_IRQL, lock, 0, `KeAcquireSpinLockAtDpcLevel was called at IRQL ${k.irql}, below DISPATCH_LEVEL.`);
      acquire(lock, 'KeAcquireSpinLockAtDpcLevel');
    },
    /** Releases the lock, leaving the IRQL. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleasespinlockfromdpclevel */
    KeReleaseSpinLockFromDpcLevel(SpinLock: number): void {
      enter('KeReleaseSpinLockFromDpcLevel', 31);
      const lock = lockArg(SpinLock);
      if (k.irql < DISPATCH_LEVEL) verify(VI_RELEASE_FROM_DPC_LEVEL_IRQL, lock, 0, `KeReleaseSpinLockFromDpcLevel was called at IRQL ${k.irql}, below DISPATCH_LEVEL.`);
      release(lock, 'KeReleaseSpinLockFromDpcLevel');
    },
    /** TRUE and the lock taken if it was free; FALSE at once otherwise (never spins). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ketrytoacquirespinlockatdpclevel */
    KeTryToAcquireSpinLockAtDpcLevel(SpinLock: number): boolean {
      enter('KeTryToAcquireSpinLockAtDpcLevel', 31);
      const lock = lockArg(SpinLock);
      if (k.irql < DISPATCH_LEVEL) verify(VI_ACQUIRE_AT_DPC_LEVEL_IRQL, lock, 0, `KeTryToAcquireSpinLockAtDpcLevel was called at IRQL ${k.irql}, below DISPATCH_LEVEL.`);
      return KxTryToAcquireSpinLock(k, lock, caller());
    },
    /**
     * Raises to DISPATCH_LEVEL and takes the lock; the KLOCK_QUEUE_HANDLE (an
     * out-parameter) is returned, to be passed to the release.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keacquireinstackqueuedspinlock
     */
    KeAcquireInStackQueuedSpinLock(SpinLock: number): { lockHandle: KLockQueueHandle } {
      enter('KeAcquireInStackQueuedSpinLock', DISPATCH_LEVEL);
      const lock = lockArg(SpinLock);
      const OldIrql = k.ke.KeRaiseIrql(DISPATCH_LEVEL);
      acquire(lock, 'KeAcquireInStackQueuedSpinLock');
      return { lockHandle: { LockQueue: { Next: 0, Lock: lock }, OldIrql } };
    },
    /** Releases the lock and lowers to LockHandle.OldIrql. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleaseinstackqueuedspinlock */
    KeReleaseInStackQueuedSpinLock(LockHandle: KLockQueueHandle): void {
      enter('KeReleaseInStackQueuedSpinLock', 31);
      release(LockHandle.LockQueue.Lock, 'KeReleaseInStackQueuedSpinLock');
      k.ke.KeLowerIrql(LockHandle.OldIrql);
    },
    /** At DISPATCH_LEVEL: takes the lock, leaving the IRQL. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keacquireinstackqueuedspinlockatdpclevel */
    KeAcquireInStackQueuedSpinLockAtDpcLevel(SpinLock: number): { lockHandle: KLockQueueHandle } {
      enter('KeAcquireInStackQueuedSpinLockAtDpcLevel', 31);
      const lock = lockArg(SpinLock);
      acquire(lock, 'KeAcquireInStackQueuedSpinLockAtDpcLevel');
      return { lockHandle: { LockQueue: { Next: 0, Lock: lock }, OldIrql: k.irql } };
    },
    /** Releases the lock, leaving the IRQL. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleaseinstackqueuedspinlockfromdpclevel */
    KeReleaseInStackQueuedSpinLockFromDpcLevel(LockHandle: KLockQueueHandle): void {
      enter('KeReleaseInStackQueuedSpinLockFromDpcLevel', 31);
      release(LockHandle.LockQueue.Lock, 'KeReleaseInStackQueuedSpinLockFromDpcLevel');
    },
  };
}
