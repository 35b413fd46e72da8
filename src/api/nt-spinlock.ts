/**
 * Executive spin locks, spread into `nt`: KSPIN_LOCK is a ULONG_PTR in guest
 * memory whose address the driver passes, taken with one locked
 * read-modify-write (bit 0, as x64's `lock bts`) after the IRQL is raised, so
 * a lock in pageable memory faults at DISPATCH_LEVEL (0xD1) as on Windows.
 *
 * A lock that is held can only be held by this CPU or by one that will never
 * release it: ntshm runs one CPU at a time, and while a CPU holds a spin lock
 * at DISPATCH_LEVEL other CPUs' DPCs wait (ke/dispatcher.ts). So a spin on a
 * held lock is a deadlock: the CPU spins at DISPATCH_LEVEL, in virtual time,
 * until the DPC watchdog stops the machine with 0x133, whose explanation
 * names the lock and its holder (docs/fidelity.md, "Spin locks").
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/introduction-to-spin-locks
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../include/bugcodes.js';
import { GuestMisuse } from '../include/errors.js';
import { STATUS_POSSIBLE_DEADLOCK } from '../include/ntstatus.js';
import { DISPATCH_LEVEL } from '../include/wdm-constants.js';
import { CLOCK_TICK_NS, SPIN_LIMIT_NS } from '../kernel/ke/cost.js';
import type { Kernel } from '../kernel/kernel.js';
import { pointerArgument } from './driver-arguments.js';

/** Driver Verifier's 0xC4 subcodes for spin locks (bug-check-0xc4--driver-verifier-detected-violation). */
const VI_RELEASE_SPIN_LOCK_IRQL = 0x32;
const VI_ACQUIRE_AT_DPC_LEVEL_IRQL = 0x40;
const VI_RELEASE_FROM_DPC_LEVEL_IRQL = 0x41;
const VI_ACQUIRE_SPIN_LOCK_IRQL = 0x42;

/** Who holds a spin lock: the CPU, the routine that took it, and whether through a KLOCK_QUEUE_HANDLE. */
interface SpinLockOwner {
  cpu: number;
  by: string;
}

/** KLOCK_QUEUE_HANDLE: the lock queue entry (its Lock) and the IRQL to return to. */
export interface KLockQueueHandle {
  LockQueue: { Next: number; Lock: number };
  OldIrql: number;
}

/** The spin locks held on each machine, by lock address. */
const owners = new WeakMap<Kernel, Map<number, SpinLockOwner>>();

/** The spin-lock routines of one driver's `nt`. */
export function makeNtSpinLock(k: Kernel, driverName: string, enter: (name: string, maxIrql: number, violation?: readonly [number, number, number]) => void) {
  const mem = k.kernelMemory;
  const size = k.layout.pointerSize;
  let held = owners.get(k);
  if (!held) owners.set(k, (held = new Map()));
  const table = held;
  const hex = (v: number): string => `0x${v.toString(16)}`;
  const caller = (): string => {
    const frame = k.attribution.top();
    return frame ? `${frame.driver}!${frame.routine}` : driverName;
  };
  const verify = (subcode: number, lock: number, p4: number, explanation: string): void => {
    if (k.options.verifier) k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, subcode, k.irql, lock, p4, explanation);
  };

  /**
   * Spins on a lock that will never be released: virtual time passes a clock
   * tick at a time until the watchdog stops the machine (0x133 at
   * DISPATCH_LEVEL; below it, ntshm's bound on a routine that never returns).
   */
  const spinForever = (why: string): never => {
    const prcb = k.current;
    prcb.spinLockWait = why;
    try {
      const { DpcWatchdogLimit, DpcTimeLimit } = k.ke.watchdog;
      if (k.irql >= DISPATCH_LEVEL && DpcWatchdogLimit === 0 && DpcTimeLimit === 0) {
        throw new GuestMisuse(`${why}; the DPC watchdog is off, so nothing would ever stop this CPU`, STATUS_POSSIBLE_DEADLOCK);
      }
      // Every bound that could stop the spin has passed well before this many ticks; past it, stop it here.
      const ticks = 2 * (DpcWatchdogLimit + DpcTimeLimit + Math.ceil(SPIN_LIMIT_NS / CLOCK_TICK_NS)) + 16;
      for (let i = 0; i < ticks; i++) k.ke.charge(CLOCK_TICK_NS);
      throw new GuestMisuse(`${why}; nothing stopped this CPU's spin`, STATUS_POSSIBLE_DEADLOCK);
    } finally {
      prcb.spinLockWait = undefined;
    }
  };

  /** Takes the lock at `lock` (KxAcquireSpinLock): one locked bit test-and-set; a held lock is spun on for ever. */
  const acquire = (lock: number, routine: string): void => {
    const initial = mem.interlocked(lock, size, 'or', 1n, 0n);
    if ((initial & 1n) === 0n) {
      table.set(lock, { cpu: k.current.number, by: caller() });
      k.current.spinLocksHeld++;
      return;
    }
    const owner = table.get(lock);
    const why = owner === undefined
      ? `${caller()} called ${routine} on the spin lock at ${hex(lock)}, whose value (${hex(Number(initial))}) says it is held, ` +
        'but no CPU acquired it: never initialized with KeInitializeSpinLock, or overwritten'
      : owner.cpu === k.current.number
        ? `${caller()} called ${routine} on the spin lock at ${hex(lock)}, which this CPU (${owner.cpu}) already holds ` +
          `(acquired by ${owner.by}): a recursive acquisition spins for ever, a deadlock`
        : `${caller()} called ${routine} on the spin lock at ${hex(lock)}, held by CPU ${owner.cpu} (acquired by ${owner.by}), ` +
          'which never released it';
    spinForever(why);
  };

  /** Clears the lock (KxReleaseSpinLock); a lock that is not held is a finding. */
  const release = (lock: number, routine: string): void => {
    const initial = mem.interlocked(lock, size, 'exchange', 0n, 0n);
    const owner = table.get(lock);
    if (owner !== undefined) {
      table.delete(lock);
      const prcb = k.prcbs[owner.cpu]!;
      prcb.spinLocksHeld = Math.max(0, prcb.spinLocksHeld - 1);
    }
    if ((initial & 1n) === 0n) {
      k.report({
        kind: 'spin-lock-not-owned', driver: driverName, message: `spin-lock-not-owned: ${caller()} called ${routine} on the spin lock at ` +
          `${hex(lock)}, which was not held (a double release, or a release without an acquire)`,
        details: { lock, routine },
      });
    }
    k.ke.KiSpinLockReleased();
  };

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
      const initial = mem.interlocked(lock, size, 'or', 1n, 0n);
      if ((initial & 1n) !== 0n) return false;
      table.set(lock, { cpu: k.current.number, by: caller() });
      k.current.spinLocksHeld++;
      return true;
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
