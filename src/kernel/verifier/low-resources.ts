/**
 * Driver Verifier's low resources simulations: allocations a driver asks
 * for fail on purpose, so that its paths for "out of memory" run.
 *
 *   randomized (DRIVER_VERIFIER_INJECT_ALLOCATION_FAILURES): each request
 *     fails with probability 600 in 10 000 (verifier /faults' default), drawn
 *     from a generator seeded by the machine's seed, so a run is repeatable.
 *     Windows waits 7 minutes after boot before it starts, for the system to
 *     come up; ntshm's drivers load after an instant boot, so it starts at once
 *     (docs/fidelity.md).
 *     https://learn.microsoft.com/windows-hardware/drivers/devtest/low-resources-simulation
 *   systematic (VERIFIER_SYSTEMATIC_LOW_RESOURCES): each call site fails the
 *     first time it is seen, then succeeds. Windows tells call sites by their
 *     stack; here a site is driver!routine, the routine called, and which call
 *     of it this is in that run of the routine (its n-th), which is what a
 *     stack of script code can be reduced to.
 *     https://learn.microsoft.com/windows-hardware/drivers/devtest/systematic-low-resource-simulation
 *
 * A failed request returns what the routine returns out of memory (NULL,
 * STATUS_INSUFFICIENT_RESOURCES) and the log says which call was failed.
 */
import { SeededRandom } from '../../hw/random.js';
import { DRIVER_VERIFIER_INJECT_ALLOCATION_FAILURES, VERIFIER_SYSTEMATIC_LOW_RESOURCES, verifierChecks } from '../../include/verifier-flags.js';
import type { MmContext } from '../mm/context.js';
import type { VerifierStatistics } from './statistics.js';

/** What the simulations use of the kernel. */
export type VfLowResourcesContext = MmContext & { readonly verifierStatistics: VerifierStatistics | null };

/** verifier /faults' default probability, in ten-thousandths. */
const FAULT_PROBABILITY = 600;

export class VfLowResources {
  private readonly random: SeededRandom | null;
  private readonly systematic: boolean;
  /** The run of a driver routine now counted (its frame and when it was entered), and its calls of each API so far. */
  private run: { frame: object; enteredNs: number; calls: Map<string, number> } | undefined;
  /** Sites already failed once (systematic). */
  private readonly failed = new Set<string>();

  constructor(private readonly k: VfLowResourcesContext) {
    this.random = verifierChecks(k.options, DRIVER_VERIFIER_INJECT_ALLOCATION_FAILURES) ? new SeededRandom((k.options.seed ^ 0x4c6f5265) >>> 0 || 1) : null;
    this.systematic = verifierChecks(k.options, VERIFIER_SYSTEMATIC_LOW_RESOURCES);
  }

  /** Whether either simulation is on. */
  get active(): boolean {
    return this.random !== null || this.systematic;
  }

  /**
   * Whether the verifier fails this request of `api` on purpose: only requests from a driver's
   * routine; logged when it does.
   */
  VfFailAllocation(api: string): boolean {
    const frame = this.k.attribution.top();
    if (frame === undefined) return false;
    let why: string | undefined;
    if (this.systematic) {
      const enteredNs = this.k.attribution.topEnteredNs();
      if (this.run === undefined || this.run.frame !== frame || this.run.enteredNs !== enteredNs) this.run = { frame, enteredNs, calls: new Map() };
      const counts = this.run.calls;
      const n = (counts.get(api) ?? 0) + 1;
      counts.set(api, n);
      const key = `${frame.driver}!${frame.routine} → ${api} #${n}`;
      if (!this.failed.has(key)) {
        this.failed.add(key);
        why = `systematic low resources simulation: the first time call ${n} of ${api} in a run of ${frame.driver}!${frame.routine} is seen`;
      }
    }
    if (why === undefined && this.random !== null && this.random.below(10_000) < FAULT_PROBABILITY) {
      why = 'randomized low resources simulation';
    }
    if (why === undefined) return false;
    const stats = this.k.verifierStatistics;
    if (stats !== null) stats.counters.AllocationsFailedDeliberately++;
    this.k.emit('verifier', this.k.currentProcess.ImageFileName, `Driver Verifier failed ${api} called by ${frame.driver}!${frame.routine} on purpose (${why}).`);
    return true;
  }
}
