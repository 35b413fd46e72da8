/**
 * The `ntshm` command line: commander set up so that every mistake comes out
 * as one line on stderr and exit code 2, and nothing calls process.exit, so
 * that `main` can run in-process (tests) as well as from the bin.
 */
import { Command, CommanderError, Option } from 'commander';
import { findSample, samples, type Sample } from '../../samples/registry.js';
import { makeColors, type Colors } from './colors.js';
import { reportJson, type RunReport } from './report-json.js';
import { reportText } from './report-text.js';
import { DEFAULT_SECONDS, runSample } from './run-sample.js';
import { samplesText } from './samples-list.js';
import { ARCHES, EXIT_USAGE, UsageError, parseArch, parseMemory, parseSeconds, parseSeed, type Arch } from './usage.js';

/** Where the CLI writes. Each call gets whole lines, newline included. */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  /** Colour the text output (the bin sets it when stdout is a terminal); off by default. */
  color?: boolean;
}

/** Exit code of a run that ended in a bug check. */
export const EXIT_BUGCHECK = 3;

/** Exit code when the emulator itself failed (not the guest): a bug in ntshm. */
export const EXIT_INTERNAL = 1;

interface RunFlags {
  seconds: number;
  arch?: Arch;
  seed?: number;
  variant?: string;
  json?: boolean;
  verifier?: boolean;
  memory?: number;
}

function choices(names: readonly string[]): string {
  return `(choose from: ${names.join(', ')})`;
}

function sampleNamed(name: string): Sample {
  const sample = findSample(name);
  if (!sample) throw new UsageError(`unknown sample '${name}' ${choices(samples.map((s) => s.name))}`);
  return sample;
}

function checkVariant(sample: Sample, variant: string | undefined): void {
  if (variant === undefined || sample.variants.some((v) => v.name === variant)) return;
  const valid = sample.variants.map((v) => v.name);
  throw new UsageError(`unknown variant '${variant}' of ${sample.name} ${valid.length ? choices(valid) : '(it has no variants)'}`);
}

/** The first line of a commander message, without its "error: " prefix. */
function commanderText(err: CommanderError): string {
  return (err.message.split('\n')[0] ?? '').replace(/^error: /, '');
}

/** Turns commander's errors on `cmd` into one-line usage errors that name the valid choices. */
function usageFrom(cmd: Command, err: CommanderError): Error {
  const commands = cmd.commands.map((c) => c.name());
  switch (err.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return err; // exit code 0: not a mistake
    case 'commander.help': // `help [command]` (exit 0); or no command at all, or `help` of an unknown one
      if (err.exitCode === 0) return err;
      return new UsageError(`expected a command ${choices([...commands, 'help'])}`);
    case 'commander.unknownCommand':
      return new UsageError(`${commanderText(err)} ${choices([...commands, 'help'])}`);
    case 'commander.unknownOption': {
      const options = [...cmd.options.map((o) => o.long ?? o.short ?? o.flags), '--help'];
      const where = cmd.parent ? ` for '${cmd.name()}'` : '';
      return new UsageError(`${commanderText(err)}${where} ${choices(options)}`);
    }
    case 'commander.missingArgument':
      if (cmd.name() === 'run') return new UsageError(`missing sample name ${choices(samples.map((s) => s.name))}`);
      return new UsageError(commanderText(err));
    default:
      return new UsageError(commanderText(err), { cause: err });
  }
}

function printRun(io: CliIo, colors: Colors, report: RunReport, json: boolean): number {
  io.out(json ? `${reportJson(report)}\n` : reportText(report, colors));
  return report.bugcheck ? EXIT_BUGCHECK : 0;
}

/** Builds the commander program; `setExit` receives the exit code of the command that ran. */
function buildProgram(io: CliIo, colors: Colors, setExit: (code: number) => void): Command {
  const program = new Command('ntshm')
    .description('Run Windows driver/program shared-memory samples on an emulated machine.')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: () => {}, outputError: () => {} })
    .showSuggestionAfterError(false)
    .exitOverride((err) => { throw usageFrom(program, err); });

  const list = program.command('samples')
    .description('list the samples, their seed article and their misuse variants')
    .action(() => {
      io.out(samplesText(samples, colors));
      setExit(0);
    });
  list.exitOverride((err) => { throw usageFrom(list, err); });

  const run = program.command('run')
    .description('run one sample: its log in virtual-time order, then a summary')
    .argument('<name>', 'the sample (see `ntshm samples`)')
    .option('--seconds <n>', 'virtual seconds the program runs', parseSeconds, DEFAULT_SECONDS)
    .addOption(new Option('--arch <arch>', `machine architecture (${ARCHES.join(' or ')}; default x64)`).argParser(parseArch))
    .option('--seed <n>', 'scheduler seed (default 1)', parseSeed)
    .option('--variant <name>', 'a misuse variant of the sample')
    .option('--memory <MiB>', 'emulated RAM in MiB (default 64)', parseMemory)
    .option('--verifier', 'boot with the driver verifier on')
    .option('--json', 'print one JSON object instead of text')
    .action(async (name: string, flags: RunFlags) => {
      const sample = sampleNamed(name);
      checkVariant(sample, flags.variant);
      const report = await runSample(sample, {
        seconds: flags.seconds, variant: flags.variant, arch: flags.arch, seed: flags.seed,
        verifier: flags.verifier, memoryMiB: flags.memory,
      });
      setExit(printRun(io, colors, report, flags.json === true));
    });
  run.exitOverride((err) => { throw usageFrom(run, err); });

  const demo = program.command('demo')
    .description('run every sample with its default options, one after another')
    .action(async () => {
      let worst = 0;
      for (const [i, sample] of samples.entries()) {
        if (i > 0) io.out('\n');
        io.out(`${colors.bold(colors.cyan(`=== ${sample.name} (seed ${sample.seed}) ===`))}\n${colors.dim(sample.summary)}\n\n`);
        const report = await runSample(sample, { seconds: DEFAULT_SECONDS, variant: undefined });
        worst = Math.max(worst, printRun(io, colors, report, false));
      }
      setExit(worst);
    });
  demo.exitOverride((err) => { throw usageFrom(demo, err); });

  return program;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Runs the CLI on `argv` (the arguments after the program name) and returns
 * the exit code: 0 clean, 3 bug check, 2 bad usage, 1 failure of the
 * emulator itself.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const colors = makeColors(io.color ?? false);
  let exitCode = 0;
  const program = buildProgram(io, colors, (code) => { exitCode = code; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError && e.exitCode === 0) return 0;
    if (e instanceof UsageError) {
      io.err(`ntshm: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.err(`ntshm: internal error: ${describe(e)}\n`);
    return EXIT_INTERNAL;
  }
}
