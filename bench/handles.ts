/**
 * Figure 6 of the performance targets (README, Performance): a program opens
 * 100 000 handles to a device and then closes them all. Each open is the
 * whole NtCreateFile path (a file object in pool, IRP_MJ_CREATE, a handle);
 * each close is NtClose (IRP_MJ_CLEANUP, IRP_MJ_CLOSE, the pool freed).
 * Handle insertion scanned the table from its start (issue 7, item 11); with
 * the free list it is constant-time, and the figure grows linearly.
 */
import { performance } from 'node:perf_hooks';
import { GENERIC_READ, INVALID_HANDLE_VALUE, OPEN_EXISTING } from '../src/api/win32.js';
import { boot } from '../src/index.js';
import { STATUS_SUCCESS } from '../src/api/wdm.js';
import { benchDriver } from './device.js';
import { inProgram } from './guest.js';
import { median } from './measure.js';

const SERVICE = 'BenchHandles';

/** A driver that completes create, cleanup and close and does nothing else. */
const nullDriver = benchDriver(SERVICE);

export interface HandleFigures {
  handles: number;
  /** Median wall milliseconds to open them all and close them all. */
  wallMs: number;
  /** Of which: opening. */
  openMs: number;
  /** Of which: closing. */
  closeMs: number;
}

export const HANDLE_COUNT = 100_000;

export async function benchHandles(quick: boolean): Promise<HandleFigures> {
  const rounds = quick ? 2 : 5;
  const opens: number[] = [];
  const closes: number[] = [];
  for (let round = 0; round < rounds + 1; round++) {
    // 100 000 file objects need some 30 MiB of nonpaged pool.
    const machine = await boot({ memoryMiB: 256 });
    const loaded = machine.loadDriver(SERVICE, nullDriver);
    if (loaded !== STATUS_SUCCESS) throw new Error(`the driver did not load: 0x${(loaded >>> 0).toString(16)}`);
    const { openMs, closeMs } = await inProgram(machine, 'handles.exe', (k32) => {
      const handles = new Array<number>(HANDLE_COUNT);
      const t0 = performance.now();
      for (let i = 0; i < HANDLE_COUNT; i++) {
        const h = k32.CreateFileW(`\\\\.\\${SERVICE}`, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
        if (h === INVALID_HANDLE_VALUE) throw new Error(`CreateFileW ${i} failed (error ${k32.GetLastError()})`);
        handles[i] = h;
      }
      const t1 = performance.now();
      for (const h of handles) if (!k32.CloseHandle(h)) throw new Error(`CloseHandle(${h}) failed (error ${k32.GetLastError()})`);
      return { openMs: t1 - t0, closeMs: performance.now() - t1 };
    });
    if (machine.stats().handles !== 0) throw new Error(`${machine.stats().handles} handles left open`);
    // The first round warms the code up.
    if (round > 0) {
      opens.push(openMs);
      closes.push(closeMs);
    }
  }
  const openMs = median(opens);
  const closeMs = median(closes);
  return { handles: HANDLE_COUNT, wallMs: openMs + closeMs, openMs, closeMs };
}
