/**
 * What Driver Verifier counts while it runs, as !verifier prints it: the
 * global counters (raises, spin lock acquisitions, pool allocations tried,
 * granted, placed in special pool, untagged, failed, failed on purpose by the
 * low resources simulation, trims) and, per verified driver, its pool in use
 * and the peak of it. Kept only with the verifier on (Kernel.verifierStatistics
 * is null otherwise, and nothing is counted).
 * https://learn.microsoft.com/windows-hardware/drivers/debuggercmds/-verifier
 */

/** One driver's pool as the verifier tracks it: allocations and bytes now, and their peaks. */
export interface VerifierDriverPool {
  currentPagedPoolAllocations: number;
  currentNonPagedPoolAllocations: number;
  peakPagedPoolAllocations: number;
  peakNonPagedPoolAllocations: number;
  pagedPoolUsageInBytes: number;
  nonPagedPoolUsageInBytes: number;
  peakPagedPoolUsageInBytes: number;
  peakNonPagedPoolUsageInBytes: number;
}

/** The global counters, named as in !verifier's output. */
export interface VerifierCounters {
  RaiseIrqls: number;
  AcquireSpinLocks: number;
  SynchronizeExecutions: number;
  AllocationsAttempted: number;
  AllocationsSucceeded: number;
  AllocationsSucceededSpecialPool: number;
  AllocationsWithNoTag: number;
  AllocationsFailed: number;
  AllocationsFailedDeliberately: number;
  Trims: number;
}

/** ExAllocatePool's tag when none is given ('None'), which the verifier counts as untagged. */
const TAG_NONE = 0x656e6f4e;

export class VerifierStatistics {
  readonly counters: VerifierCounters = {
    RaiseIrqls: 0, AcquireSpinLocks: 0, SynchronizeExecutions: 0, AllocationsAttempted: 0, AllocationsSucceeded: 0,
    AllocationsSucceededSpecialPool: 0, AllocationsWithNoTag: 0, AllocationsFailed: 0, AllocationsFailedDeliberately: 0, Trims: 0,
  };
  readonly drivers = new Map<string, VerifierDriverPool>();
  /** The blocks counted in a driver's pool, so that a free takes back only what was counted. */
  private readonly counted = new Set<number>();

  private driver(name: string): VerifierDriverPool {
    let d = this.drivers.get(name);
    if (d === undefined) {
      d = {
        currentPagedPoolAllocations: 0, currentNonPagedPoolAllocations: 0, peakPagedPoolAllocations: 0, peakNonPagedPoolAllocations: 0,
        pagedPoolUsageInBytes: 0, nonPagedPoolUsageInBytes: 0, peakPagedPoolUsageInBytes: 0, peakNonPagedPoolUsageInBytes: 0,
      };
      this.drivers.set(name, d);
    }
    return d;
  }

  /** A driver's pool allocation, granted (`address` not 0) or not; `special` when it went to special pool. */
  allocation(driver: string | undefined, paged: boolean, bytes: number, tag: number, address: number, special: boolean): void {
    const c = this.counters;
    c.AllocationsAttempted++;
    if (tag === TAG_NONE || tag === 0) c.AllocationsWithNoTag++;
    if (address === 0) {
      c.AllocationsFailed++;
      return;
    }
    c.AllocationsSucceeded++;
    if (special) c.AllocationsSucceededSpecialPool++;
    if (driver === undefined) return;
    this.counted.add(address);
    const d = this.driver(driver);
    if (paged) {
      d.currentPagedPoolAllocations++;
      d.pagedPoolUsageInBytes += bytes;
      d.peakPagedPoolAllocations = Math.max(d.peakPagedPoolAllocations, d.currentPagedPoolAllocations);
      d.peakPagedPoolUsageInBytes = Math.max(d.peakPagedPoolUsageInBytes, d.pagedPoolUsageInBytes);
    } else {
      d.currentNonPagedPoolAllocations++;
      d.nonPagedPoolUsageInBytes += bytes;
      d.peakNonPagedPoolAllocations = Math.max(d.peakNonPagedPoolAllocations, d.currentNonPagedPoolAllocations);
      d.peakNonPagedPoolUsageInBytes = Math.max(d.peakNonPagedPoolUsageInBytes, d.nonPagedPoolUsageInBytes);
    }
  }

  /** A driver-owned block went back to the pool (whoever freed it). */
  free(address: number, owner: string | undefined, paged: boolean, bytes: number): void {
    if (owner === undefined || !this.counted.delete(address)) return;
    const d = this.drivers.get(owner);
    if (d === undefined) return;
    if (paged) {
      d.currentPagedPoolAllocations--;
      d.pagedPoolUsageInBytes -= bytes;
    } else {
      d.currentNonPagedPoolAllocations--;
      d.nonPagedPoolUsageInBytes -= bytes;
    }
  }

  /** A copy for a dump. */
  snapshot(): { counters: VerifierCounters; drivers: { [driver: string]: VerifierDriverPool } } {
    return { counters: { ...this.counters }, drivers: Object.fromEntries([...this.drivers].map(([name, d]) => [name, { ...d }])) };
  }
}
