/**
 * One run of one sample: boot, set up, run, and collect what `ntshm run`
 * reports.
 */
import { boot, type BootOptions, type Machine, type MachineStats, type Process } from '../index.js';
import type { Sample } from '../../samples/registry.js';
import type { ResourceSnapshot, RunReport } from './report-json.js';
import { UsageError, checkMemoryForArch, type Arch } from './usage.js';

/** How long the sample's program runs when `--seconds` is not given. */
export const DEFAULT_SECONDS = 5;

/**
 * Virtual seconds the machine may run past the program's own `seconds`:
 * a guard, since the program ends by itself.
 */
export const GUARD_SECONDS = 60;

/** What the user asked for; a flag left out is undefined and yields to the sample's boot options. */
export interface RunSampleOptions {
  seconds: number;
  variant: string | undefined;
  arch?: Arch | undefined;
  seed?: number | undefined;
  verifier?: boolean | undefined;
  memoryMiB?: number | undefined;
}

/**
 * The boot options of a run: boot()'s defaults, under the sample's options
 * for the variant, under the flags the user gave.
 */
export function runBootOptions(sample: Sample, options: RunSampleOptions): BootOptions & { arch: Arch; seed: number } {
  const user: BootOptions = {};
  if (options.arch !== undefined) user.arch = options.arch;
  if (options.seed !== undefined) user.seed = options.seed;
  if (options.verifier) user.verifier = true;
  if (options.memoryMiB !== undefined) user.memoryMiB = options.memoryMiB;
  const merged = { ...sample.bootOptions?.(options.variant), ...user };
  return { ...merged, arch: merged.arch ?? 'x64', seed: merged.seed ?? 1 };
}

function resources(stats: MachineStats): ResourceSnapshot {
  return {
    freeFrames: stats.frames.free,
    nonPagedBytes: stats.pool.nonPagedBytes,
    pagedBytes: stats.pool.pagedBytes,
    handles: stats.handles,
  };
}

/** Makes `machine.spawn` remember every program the sample starts. */
function recordSpawns(machine: Machine): Process[] {
  const spawned: Process[] = [];
  const spawn = machine.spawn.bind(machine);
  machine.spawn = (...args: Parameters<Machine['spawn']>): Process => {
    const program = spawn(...args);
    spawned.push(program);
    return program;
  };
  return spawned;
}

async function bootFor(options: BootOptions): Promise<Machine> {
  try {
    return await boot(options);
  } catch (e) {
    // boot() checks its options with RangeError; the ones it refuses came from the command line.
    if (e instanceof RangeError) throw new UsageError(e.message, { cause: e });
    throw e;
  }
}

/** Boots a machine for the sample, runs it, and reports what happened. */
export async function runSample(sample: Sample, options: RunSampleOptions): Promise<RunReport> {
  const bootOptions = runBootOptions(sample, options);
  if (options.memoryMiB !== undefined) checkMemoryForArch(options.memoryMiB, bootOptions.arch);
  const machine = await bootFor(bootOptions);
  const before = resources(machine.stats());
  const spawned = recordSpawns(machine);
  sample.setup(machine, { seconds: options.seconds, variant: options.variant });
  const result = await machine.run({ seconds: options.seconds + GUARD_SECONDS });
  const after = resources(machine.stats());

  return {
    sample: sample.name,
    variant: options.variant ?? null,
    arch: bootOptions.arch,
    seed: bootOptions.seed,
    // The log is appended as virtual time advances; the sort (stable) only makes that a guarantee.
    events: [...machine.log]
      .sort((a, b) => a.t - b.t)
      .map((e) => ({ t: e.t, source: e.source, process: e.process, text: e.text })),
    processes: spawned.map((p) => ({ pid: p.pid, name: p.name, exitCode: p.exitCode ?? null, stdout: p.stdout })),
    shared: machine.kernel.sharing.records(),
    resources: { before, after },
    bugcheck: result.bugcheck ?? null,
    findings: result.findings,
  };
}
