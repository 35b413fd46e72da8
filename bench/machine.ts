/**
 * Figures 4 and 5 of the performance targets (README, Performance): whole-machine costs.
 *
 *   sharing-memory: wall time of `machine.run()` for 10 virtual seconds of
 *                   the sample, after boot and setup (untimed);
 *   boot 4 GiB:     wall time of boot({ memoryMiB: 4096 }), and the bytes of
 *                   the PFN database's typed arrays per physical frame.
 */
import { performance } from 'node:perf_hooks';
import { boot, type Machine } from '../src/index.js';
import { findSample } from '../samples/registry.js';
import { median, medianWallMs } from './measure.js';

export interface SampleFigures {
  wallMs: number;
  virtualMs: number;
  stdoutLines: number;
}

export async function benchSharingMemory(quick: boolean): Promise<SampleFigures> {
  const sample = findSample('sharing-memory');
  if (!sample) throw new Error('the sharing-memory sample is not registered');
  const seconds = 10;
  let last: { machine: Machine; virtualMs: number } | undefined;
  const wallMs = await medianWallMs(async () => {
    const machine = await boot(sample.bootOptions?.(undefined) ?? {});
    sample.setup(machine, { seconds, variant: undefined });
    return machine;
  }, async (machine) => {
    const r = await machine.run();
    if (r.bugcheck) throw new Error(`sharing-memory stopped with ${r.bugcheck.name}`);
    last = { machine, virtualMs: r.virtualMs };
  }, { warmup: quick ? 1 : 3, samples: quick ? 3 : 11 });
  if (!last) throw new Error('sharing-memory did not run');
  const lines = last.machine.log.filter((e) => e.source === 'stdout').length;
  // The client shows the time at once and then after each of seconds - 1 Sleep(1000)s.
  if (lines < seconds) throw new Error(`sharing-memory printed ${lines} lines, not ${seconds}`);
  return { wallMs, virtualMs: last.virtualMs, stdoutLines: lines };
}

export interface BootFigures {
  memoryMiB: number;
  wallMs: number;
  frames: number;
  pfnBytes: number;
  pfnBytesPerFrame: number;
}

/** Bytes of every typed array the PFN database holds (its own fields, not the physical memory). */
function pfnBytes(machine: Machine): number {
  let bytes = 0;
  for (const value of Object.values(machine.kernel.pfn)) {
    if (ArrayBuffer.isView(value)) bytes += value.byteLength;
  }
  return bytes;
}

export async function benchBoot(quick: boolean): Promise<BootFigures> {
  const memoryMiB = 4096;
  const times: number[] = [];
  let figures = { frames: 0, pfnBytes: 0 };
  const rounds = quick ? 2 : 6;
  for (let round = 0; round < rounds; round++) {
    const t0 = performance.now();
    const machine = await boot({ memoryMiB });
    const ms = performance.now() - t0;
    if (round > 0) times.push(ms); // the first boot warms the code up
    figures = { frames: machine.kernel.memory.frameCount, pfnBytes: pfnBytes(machine) };
  }
  return { memoryMiB, wallMs: median(times), ...figures, pfnBytesPerFrame: figures.pfnBytes / figures.frames };
}
