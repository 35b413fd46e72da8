/**
 * Timing helpers for the benchmarks: warm up, repeat, take the median.
 *
 * Figures are never absolute: each emulated timing is set beside the host's
 * own limit for the same work, measured in the same run and interleaved with
 * it sample by sample, so that a slow or noisy machine moves both alike.
 */
import { performance } from 'node:perf_hooks';

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Where loops put what they read, so that the JIT cannot drop the loads.
 * Printed (as a checksum) only to keep it observable.
 */
export const sink = { value: 0 };

/** Wall time of `reps` calls of `body`, in nanoseconds per call. */
export function timePerCall(body: () => void, reps: number): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) body();
  return ((performance.now() - t0) * 1e6) / reps;
}

/** As `timePerCall`, for a body that must be awaited. */
export async function timePerCallAsync(body: () => Promise<unknown>, reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await body();
  return ((performance.now() - t0) * 1e6) / reps;
}

export interface PairedTiming {
  /** Median ns per call of the emulated operation. */
  emulatedNs: number;
  /** Median ns per call of the host's own version of the same work. */
  rawNs: number;
}

/**
 * Times an emulated operation and its raw host counterpart: `warmup` rounds
 * discarded, then `samples` rounds, each timing `reps` calls of one and then
 * of the other (alternating which goes first). Medians per call.
 */
export function paired(emulated: () => void, raw: () => void, options: { reps: number; warmup: number; samples: number }): PairedTiming {
  const e: number[] = [];
  const r: number[] = [];
  for (let round = 0; round < options.warmup + options.samples; round++) {
    let te: number;
    let tr: number;
    if (round % 2 === 0) {
      te = timePerCall(emulated, options.reps);
      tr = timePerCall(raw, options.reps);
    } else {
      tr = timePerCall(raw, options.reps);
      te = timePerCall(emulated, options.reps);
    }
    if (round >= options.warmup) {
      e.push(te);
      r.push(tr);
    }
  }
  return { emulatedNs: median(e), rawNs: median(r) };
}

/** Median wall milliseconds of an async run; `prepare` (untimed) builds what each run needs. */
export async function medianWallMs<T>(prepare: () => Promise<T>, run: (prepared: T) => Promise<void>,
  options: { warmup: number; samples: number }): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < options.warmup + options.samples; round++) {
    const prepared = await prepare();
    const t0 = performance.now();
    await run(prepared);
    const ms = performance.now() - t0;
    if (round >= options.warmup) times.push(ms);
  }
  return median(times);
}
