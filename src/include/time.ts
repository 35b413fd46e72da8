/**
 * Time as Windows keeps it: FILETIME / LARGE_INTEGER system time, in 100 ns
 * intervals since 1601-01-01 UTC.
 * https://learn.microsoft.com/windows/win32/api/minwinbase/ns-minwinbase-filetime
 */

/** Milliseconds from 1601-01-01 to 1970-01-01 (the Unix epoch), as a number. */
export const FILETIME_UNIX_EPOCH_MS = 11_644_473_600_000;
/** 100 ns intervals per millisecond. */
export const FILETIME_TICKS_PER_MS = 10_000n;

/** Unix milliseconds → FILETIME. */
export const unixMsToFileTime = (ms: number): bigint => (BigInt(ms) + BigInt(FILETIME_UNIX_EPOCH_MS)) * FILETIME_TICKS_PER_MS;
/** FILETIME → Unix milliseconds (whole milliseconds, rounded down). */
export const fileTimeToUnixMs = (ft: bigint): number => Number(ft / FILETIME_TICKS_PER_MS) - FILETIME_UNIX_EPOCH_MS;
