/**
 * How far a run may take the virtual clock (Machine.run's `seconds`), kept
 * out of machine.ts.
 */
/**
 * The virtual clock counts nanoseconds in a double, exactly up to 2^53 ns
 * (about 104 days after boot): no run goes past it. A run without `seconds`
 * stops there at the latest (reason `seconds`).
 */
export const MAX_VIRTUAL_NS = 2 ** 53;

/** The clock time a run with these options stops at; a RangeError for `seconds` that is not a number of seconds the clock can reach. */
export function runLimitNs(nowNs: number, options: { seconds?: number }): number {
  if (typeof options !== 'object') throw new RangeError(`run's options must be an object ({ seconds? }), not ${typeof options}`);
  const seconds: unknown = options.seconds;
  if (seconds === undefined) return MAX_VIRTUAL_NS;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`run's seconds must be a finite number, 0 or more, not ${typeof seconds === 'number' ? seconds : typeof seconds}`);
  }
  const limit = nowNs + seconds * 1e9;
  if (limit > MAX_VIRTUAL_NS) {
    const left = Math.floor((MAX_VIRTUAL_NS - nowNs) / 1e9);
    throw new RangeError(`run's seconds (${seconds}) would take the virtual clock past 2^53 ns (about 104 days after boot), where it stops counting exactly: at most ${left} more seconds`);
  }
  return limit;
}
