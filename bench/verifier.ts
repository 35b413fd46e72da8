/**
 * Figure 9 (issue 11 §9): Driver Verifier's overhead. The wall time of
 * `machine.run()` for a fixed virtual time of two samples (sharing-memory,
 * event-ring), booted without the verifier and with `verifier: true` (the
 * standard settings: special pool, forced IRQL checking with its trims, pool
 * tracking, the automatic checks); the goal is at most 3× the run without it.
 */
import { boot, type Machine } from '../src/index.js';
import { findSample } from '../samples/registry.js';
import { medianWallMs } from './measure.js';

export interface VerifierSampleFigures {
  sample: string;
  virtualSeconds: number;
  offMs: number;
  onMs: number;
  ratio: number;
}

export interface VerifierFigures {
  samples: VerifierSampleFigures[];
  /** The worst ratio of the samples. */
  ratio: number;
}

async function wallMs(name: string, seconds: number, verifier: boolean, quick: boolean): Promise<number> {
  const sample = findSample(name);
  if (!sample) throw new Error(`the ${name} sample is not registered`);
  return medianWallMs(async () => {
    const machine = await boot({ ...(sample.bootOptions?.(undefined) ?? {}), verifier });
    sample.setup(machine, { seconds, variant: undefined });
    return machine;
  }, async (machine: Machine) => {
    const r = await machine.run();
    if (r.bugcheck) throw new Error(`${name}${verifier ? ' under the verifier' : ''} stopped with ${r.bugcheck.name}`);
  }, { warmup: quick ? 1 : 2, samples: quick ? 3 : 7 });
}

export async function benchVerifier(quick: boolean): Promise<VerifierFigures> {
  const samples: VerifierSampleFigures[] = [];
  for (const [sample, virtualSeconds] of [['sharing-memory', 10], ['event-ring', 3]] as const) {
    const offMs = await wallMs(sample, virtualSeconds, false, quick);
    const onMs = await wallMs(sample, virtualSeconds, true, quick);
    samples.push({ sample, virtualSeconds, offMs, onMs, ratio: onMs / offMs });
  }
  return { samples, ratio: Math.max(...samples.map((s) => s.ratio)) };
}
