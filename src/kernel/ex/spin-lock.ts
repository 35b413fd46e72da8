/**
 * KSPIN_LOCK itself: a ULONG_PTR in guest memory, taken with one locked
 * read-modify-write (bit 0, as x64's `lock bts`) by a caller already at
 * DISPATCH_LEVEL, so a lock in pageable memory faults as on Windows. The
 * executive's spin-lock routines (api/nt-spinlock.ts) and the I/O manager's
 * cancel spin lock (io/cancel.ts) are both built on it.
 *
 * A lock that is held can only be held by this CPU or by one that will never
 * release it: ntshm runs one CPU at a time, and while a CPU holds a spin lock
 * at DISPATCH_LEVEL other CPUs' DPCs wait (ke/dispatcher.ts). So a spin on a
 * held lock is a deadlock: the CPU spins at DISPATCH_LEVEL, in virtual time,
 * until the DPC watchdog stops the machine with 0x133, whose explanation
 * names the lock and its holder (docs/fidelity.md, "Spin locks").
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/introduction-to-spin-locks
 */
import { GuestMisuse } from '../../include/errors.js';
import { STATUS_POSSIBLE_DEADLOCK } from '../../include/ntstatus.js';
import { DISPATCH_LEVEL } from '../../include/wdm-constants.js';
import { CLOCK_TICK_NS, SPIN_LIMIT_NS } from '../ke/cost.js';
import type { MmContext } from '../mm/context.js';

/** Who holds a spin lock: the CPU and the routine that took it. */
interface SpinLockOwner {
  cpu: number;
  by: string;
}

/** The spin locks held on each machine, by lock address. */
const owners = new WeakMap<MmContext, Map<number, SpinLockOwner>>();

function ownersOf(k: MmContext): Map<number, SpinLockOwner> {
  let table = owners.get(k);
  if (!table) owners.set(k, (table = new Map()));
  return table;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/**
 * Spins on a lock that will never be released: virtual time passes a clock
 * tick at a time until the watchdog stops the machine (0x133 at
 * DISPATCH_LEVEL; below it, ntshm's bound on a routine that never returns).
 */
function KiSpinForever(k: MmContext, why: string): never {
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
}

/** Takes the lock at `lock` (KxAcquireSpinLock): one locked bit test-and-set; a held lock is spun on for ever. `caller` names who asks. */
export function KxAcquireSpinLock(k: MmContext, lock: number, routine: string, caller: string): void {
  const table = ownersOf(k);
  const initial = k.kernelMemory.interlocked(lock, k.layout.pointerSize, 'or', 1n, 0n);
  if ((initial & 1n) === 0n) {
    table.set(lock, { cpu: k.current.number, by: caller });
    k.current.spinLocksHeld++;
    return;
  }
  const owner = table.get(lock);
  const why = owner === undefined
    ? `${caller} called ${routine} on the spin lock at ${hex(lock)}, whose value (${hex(Number(initial))}) says it is held, ` +
      'but no CPU acquired it: never initialized with KeInitializeSpinLock, or overwritten'
    : owner.cpu === k.current.number
      ? `${caller} called ${routine} on the spin lock at ${hex(lock)}, which this CPU (${owner.cpu}) already holds ` +
        `(acquired by ${owner.by}): a recursive acquisition spins for ever, a deadlock`
      : `${caller} called ${routine} on the spin lock at ${hex(lock)}, held by CPU ${owner.cpu} (acquired by ${owner.by}), ` +
        'which never released it';
  KiSpinForever(k, why);
}

/** KeTryToAcquireSpinLockAtDpcLevel's test: the lock taken if it was free, false at once otherwise. */
export function KxTryToAcquireSpinLock(k: MmContext, lock: number, caller: string): boolean {
  const initial = k.kernelMemory.interlocked(lock, k.layout.pointerSize, 'or', 1n, 0n);
  if ((initial & 1n) !== 0n) return false;
  ownersOf(k).set(lock, { cpu: k.current.number, by: caller });
  k.current.spinLocksHeld++;
  return true;
}

/** Clears the lock (KxReleaseSpinLock); a lock that is not held is a finding, charged to `driver`. */
export function KxReleaseSpinLock(k: MmContext, lock: number, routine: string, caller: string, driver: string | undefined): void {
  const table = ownersOf(k);
  const initial = k.kernelMemory.interlocked(lock, k.layout.pointerSize, 'exchange', 0n, 0n);
  const owner = table.get(lock);
  if (owner !== undefined) {
    table.delete(lock);
    const prcb = k.prcbs[owner.cpu]!;
    prcb.spinLocksHeld = Math.max(0, prcb.spinLocksHeld - 1);
  }
  if ((initial & 1n) === 0n) {
    k.report({
      kind: 'spin-lock-not-owned', ...(driver === undefined ? {} : { driver }), message: `spin-lock-not-owned: ${caller} called ${routine} on the spin lock at ` +
        `${hex(lock)}, which was not held (a double release, or a release without an acquire)`,
      details: { lock, routine },
    });
  }
  k.ke.KiSpinLockReleased();
}
