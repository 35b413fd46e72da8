/**
 * One run of one scenario for `ntshm run`: the boot options from the flags
 * over the scenario's, the run, and its report. Mistakes of the user (a flag
 * boot() refuses, a scenario file whose setup throws) become UsageErrors.
 */
import { ScenarioError, boot, checkVariant, type BootOptions, type LogEvent, type Machine, type Report, type ScenarioInput } from '../index.js';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HostFolderStore } from '../host/host-folder.js';
import type { LoadedScenario } from './load-scenario.js';
import { defaultDumpPath, writeDumpFile } from './dump-file.js';
import { UsageError, checkMemoryForArch, type Arch } from './usage.js';

/** The host folder that holds the volume C: when `--volume` is not given (made on the first write). */
export const DEFAULT_VOLUME_FOLDER = './.ntshm/C';

/** How long the scenario's programs run when `--seconds` is not given. */
export const DEFAULT_SECONDS = 5;

/** What the user asked for; a flag left out is undefined and yields to the scenario's boot options. */
export interface RunScenarioOptions {
  seconds: number;
  variant?: string | undefined;
  arch?: Arch | undefined;
  seed?: number | undefined;
  /** `--verifier` (true: the standard settings) or `--verifier=LIST` (those options). */
  verifier?: boolean | { [option: string]: boolean } | undefined;
  memoryMiB?: number | undefined;
  cpus?: number | undefined;
  profile?: 'nt4' | 'win10' | undefined;
  memoryPressure?: 'none' | 'low' | 'high' | undefined;
  /** Who runs the programs the scenario spawns without naming a user (default admin). */
  user?: 'admin' | 'user' | undefined;
  /** The host folder of the volume C: (default {@link DEFAULT_VOLUME_FOLDER}). */
  volume?: string | undefined;
  /** `--interactive`: where the scenario's programs take their actions from. */
  input?: ScenarioInput | undefined;
  /** Called with each log line as it is written (an interactive run shows them as they come). */
  onEvent?: ((e: LogEvent) => void) | undefined;
  /** `--trace FILE`: where the run's trace (Chrome trace-event JSON) is written. */
  trace?: string | undefined;
  /** `--dump FILE`: where the machine's dump is written at the end of the run, bug check or not. */
  dump?: string | undefined;
  /** Where a bug check's dump goes when `dump` is not given (default {@link DEFAULT_DUMP_FOLDER}). */
  dumpFolder?: string | undefined;
  /** Told the path of each dump written. */
  onDump?: ((file: string) => void) | undefined;
}

/**
 * The boot options of a run: boot()'s defaults, under the scenario's options
 * for the variant, under the flags the user gave.
 */
export function runBootOptions(loaded: LoadedScenario, options: RunScenarioOptions): BootOptions & { arch: Arch } {
  const user: BootOptions = {};
  if (options.arch !== undefined) user.arch = options.arch;
  if (options.seed !== undefined) user.seed = options.seed;
  if (options.verifier) user.verifier = options.verifier;
  if (options.memoryMiB !== undefined) user.memoryMiB = options.memoryMiB;
  if (options.cpus !== undefined) user.cpus = options.cpus;
  if (options.profile !== undefined) user.profile = options.profile;
  if (options.memoryPressure !== undefined) user.memoryPressure = options.memoryPressure;
  if (options.volume !== undefined) user.volume = new HostFolderStore(options.volume);
  if (options.trace !== undefined) user.trace = true;
  // The CLI's machine has a C: in a host folder, unless the scenario brings its own volume.
  const merged = { volume: new HostFolderStore(DEFAULT_VOLUME_FOLDER), ...loaded.scenario.bootOptions?.(options.variant), ...user };
  return { ...merged, arch: merged.arch ?? 'x64' };
}

/** What the scenario is called in a message: its file, or the sample's name. */
function label(loaded: LoadedScenario): string {
  return loaded.file ?? loaded.scenario.name;
}

async function bootFor(loaded: LoadedScenario, options: BootOptions): Promise<Machine> {
  try {
    return await boot(options);
  } catch (e) {
    // boot() checks its options with RangeError: the flags, or the scenario's own boot options.
    if (e instanceof RangeError) throw new UsageError(loaded.file ? `${loaded.file}: ${e.message}` : e.message, { cause: e });
    throw e;
  }
}

/** Writes the run's trace to `file` (made or replaced); a path that cannot be written is the user's mistake. */
function writeTrace(file: string, machine: Machine): void {
  try {
    writeFileSync(file, JSON.stringify(machine.trace()));
  } catch (e) {
    throw new UsageError(`cannot write the trace to ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Boots a machine for the scenario, runs it, and returns the report. */
export async function runScenarioForCli(loaded: LoadedScenario, options: RunScenarioOptions): Promise<Report> {
  try {
    checkVariant(loaded.scenario, options.variant);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  const bootOptions = runBootOptions(loaded, options);
  if (options.memoryMiB !== undefined) checkMemoryForArch(options.memoryMiB, bootOptions.arch);
  const machine = await bootFor(loaded, bootOptions);
  try {
    if (options.onEvent) machine.kernel.logs.listeners.push(options.onEvent);
    const report = await machine.runScenario(loaded.scenario, {
      seconds: options.seconds, variant: options.variant, user: options.user, input: options.input, source: loaded.file === undefined ? undefined : resolve(loaded.file),
    });
    if (options.trace !== undefined) writeTrace(options.trace, machine);
    // Every bug check leaves a dump (issue 11); `--dump` asks for one whatever the outcome.
    if (options.dump !== undefined || report.outcome === 'bugcheck') {
      const file = options.dump ?? defaultDumpPath(report, options.dumpFolder);
      writeDumpFile(file, machine.dump());
      options.onDump?.(file);
    }
    return report;
  } catch (e) {
    // A user's scenario that throws in setup is the user's to fix: name the file.
    if (e instanceof ScenarioError && loaded.file) throw new UsageError(`${label(loaded)}: ${e.message}`, { cause: e });
    throw e;
  }
}
