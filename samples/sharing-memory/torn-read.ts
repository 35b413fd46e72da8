/**
 * The torn-read variant's client: it reads the driver's 8-byte time as two
 * 32-bit loads (low, then high), spinning around the moment the timer
 * routine writes it from DISPATCH_LEVEL. When the write falls between the
 * two loads, the client holds the low half of one time and the high half of
 * the next; when the high half changed with that write, the time it shows is
 * 429 seconds off. KUSER_SHARED_DATA's time, read with the KSYSTEM_TIME
 * protocol (High1Time, LowPart, High2Time; retry until the highs agree),
 * never tears.
 */
import type { BootOptions } from 'ntshm';
import { isoToFileTime, DEFAULT_START_TIME } from 'ntshm';
import type { K32 } from 'ntshm/win32';
import { fileTimeToText } from './time-text.js';

/**
 * The naive read: two 32-bit loads, low then high, as 32-bit code reads a
 * LARGE_INTEGER. The spin-wait pause sits between them, which widens the
 * window a concurrent write must fall into (as a reader interrupted between
 * its two loads would).
 */
function readTwoHalves(k32: K32, p: number): bigint {
  const low = k32.getUint32(p);
  k32.YieldProcessor();
  const high = k32.getUint32(p + 4);
  return (BigInt(high) << 32n) | BigInt(low);
}

/** Spins on the shared page around each timer tick and reports any torn value. */
export async function watchForTornReads(k32: K32, p: number, seconds: number): Promise<void> {
  let previous = readTwoHalves(k32, p);
  k32.print(fileTimeToText(previous));
  for (let i = 1; i < seconds; i++) {
    // Wake one clock tick before the driver's next write, then spin until the value changes.
    await k32.Sleep(980);
    let value = previous;
    for (let n = 0; n < 20_000_000 && value === previous; n++) value = readTwoHalves(k32, p);
    const step = Number(value - previous) / 1e7;
    if (step < 0.5 || step > 1.5) {
      const again = readTwoHalves(k32, p);
      const { systemTimeAsFileTime: ft } = k32.GetSystemTimeAsFileTime();
      const systemTimeAsFileTime = (BigInt(ft.dwHighDateTime) << 32n) | BigInt(ft.dwLowDateTime);
      k32.print(`${fileTimeToText(value)}  torn: low 0x${(value & 0xffff_ffffn).toString(16)} with high 0x${(value >> 32n).toString(16)} is ${step.toFixed(3)} s after the previous value;` +
        ` read again: ${fileTimeToText(again)}; KUSER_SHARED_DATA (KSYSTEM_TIME protocol): ${fileTimeToText(systemTimeAsFileTime)}`);
      value = again;
    } else {
      k32.print(fileTimeToText(value));
    }
    previous = value;
  }
}

/**
 * Boots the variant 2.5 s before the high half of the FILETIME rolls over
 * (it does every 2^32 × 100 ns, about 429.5 s), so that one of the timer's
 * writes changes both halves.
 */
export function tornReadBootOptions(): BootOptions {
  const start = isoToFileTime(DEFAULT_START_TIME);
  const rollover = ((start >> 32n) + 1n) << 32n;
  const boot = rollover - 25_000_000n;
  const ms = Number(boot / 10_000n) - 11_644_473_600_000;
  return { startTime: new Date(ms).toISOString() };
}
