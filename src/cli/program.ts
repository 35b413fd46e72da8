/**
 * The `ntshm` command line: commander set up so that every mistake comes out
 * as one line on stderr and exit code 2, and nothing calls process.exit, so
 * that `main` can run in-process (tests) as well as from the bin.
 */
import { VERIFIER_OPTIONS } from '../index.js';
import { Command, CommanderError, Option } from 'commander';
import { reportJson, type Report, type ScenarioInput } from '../index.js';
import { samples } from '../../samples/registry.js';
import { makeColors, type Colors } from './colors.js';
import { loadScenario } from './load-scenario.js';
import { terminalInput } from './interactive.js';
import { formatEvent, reportText } from './report-text.js';
import { DEFAULT_SECONDS, DEFAULT_VOLUME_FOLDER, runScenarioForCli } from './run-scenario.js';
import { samplesText } from './samples-list.js';
import { parsePort, serveUi } from './ui.js';
import {
  ARCHES, EXIT_USAGE, MEMORY_PRESSURES, PROFILES, USERS, UsageError, parseArch, parseCpus, parseMemory, parseMemoryPressure, parseProfile, parseSeconds,
  parseSeed, parseUser, parseVerifier, type Arch,
} from './usage.js';
import { packageVersion } from './version.js';
import { addKdCommand } from './kd.js';

/** Where the CLI writes. Each call gets whole lines, newline included. */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  /** Colour the text output (the bin sets it when stdout is a terminal); off by default. */
  color?: boolean;
  /** What `--interactive` asks (tests give a script); left out, the terminal's prompt (cli/interactive.ts). */
  input?: ScenarioInput;
  /** Where a bug check's dump is written (default .ntshm/dumps). */
  dumpFolder?: string;
  /** Where `ntshm kd` without `-c` reads its commands (tests give lines); left out, the terminal (cli/kd.ts). */
  kdInput?: AsyncIterable<string>;
}

/** Exit code of a run that ended in a bug check. */
export const EXIT_BUGCHECK = 3;

/** Exit code when the emulator itself failed (not the guest): a bug in ntshm. */
export const EXIT_INTERNAL = 1;

/** Exit code of a run with findings, when `--fail-on-findings` was given. */
export const EXIT_FINDINGS = 4;

/** Exit code of a run cut short: the time ran out while a program was still running, or a program waits forever (stuck). */
export const EXIT_CUT = 5;

interface RunFlags {
  seconds: number;
  arch?: Arch;
  seed?: number;
  variant?: string;
  json?: boolean;
  verifier?: boolean;
  verifierOptions?: { [option: string]: boolean };
  memory?: number;
  cpus?: number;
  profile?: 'nt4' | 'win10';
  memoryPressure?: 'none' | 'low' | 'high';
  user?: 'admin' | 'user';
  failOnFindings?: boolean;
  verbose?: boolean;
  volume?: string;
  interactive?: boolean;
  trace?: string;
  dump?: string;
}

function choices(names: readonly string[]): string {
  return `(choose from: ${names.join(', ')})`;
}

/** The first line of a commander message, without its "error: " prefix. */
function commanderText(err: CommanderError): string {
  return (err.message.split('\n')[0] ?? '').replace(/^error: /, '');
}

/** Turns commander's errors on `cmd` into one-line usage errors that name the valid choices. */
function usageFrom(cmd: Command, err: CommanderError): Error {
  const commands = [...new Set([...cmd.commands.map((c) => c.name()), 'help'])];
  switch (err.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return err; // exit code 0: not a mistake
    case 'commander.help': // `help [command]` (exit 0); or no command at all (`help` of an unknown one is caught before)
      if (err.exitCode === 0) return err;
      return new UsageError(`expected a command ${choices(commands)}`);
    case 'commander.unknownCommand':
      return new UsageError(`${commanderText(err)} ${choices(commands)}`);
    case 'commander.unknownOption': {
      const options = [...cmd.options.map((o) => o.long ?? o.short ?? o.flags), '--help'];
      const where = cmd.parent ? ` for '${cmd.name()}'` : '';
      return new UsageError(`${commanderText(err)}${where} ${choices(options)}`);
    }
    case 'commander.excessArguments': {
      // "too many arguments for 'samples'. Expected 0 arguments but got 1." in the style of the other messages
      const counts = /Expected (\d+) arguments? but got (\d+)/.exec(err.message);
      return new UsageError(`too many arguments for '${cmd.name()}'${counts ? ` (expected ${counts[1]}, got ${counts[2]})` : ''}`);
    }
    case 'commander.missingArgument':
      if (cmd.name() === 'run') return new UsageError(`missing scenario: a sample ${choices(samples.map((s) => s.name))} or a scenario file such as ./my-scenario.ts`);
      return new UsageError(commanderText(err));
    default:
      return new UsageError(commanderText(err), { cause: err });
  }
}

/** The exit status of a run: a bug check, a cut or stuck run, findings if they are to fail it, or clean. */
export function exitStatus(report: Report, failOnFindings: boolean): number {
  if (report.outcome === 'bugcheck') return EXIT_BUGCHECK;
  if (report.outcome === 'cut' || report.outcome === 'stuck') return EXIT_CUT;
  return failOnFindings && report.findings.length > 0 ? EXIT_FINDINGS : 0;
}

function printRun(io: CliIo, colors: Colors, report: Report, flags: Pick<RunFlags, 'json' | 'verbose' | 'failOnFindings'>, dumps: string[] = []): number {
  const failOnFindings = flags.failOnFindings === true;
  io.out(flags.json ? `${reportJson(report)}\n` : reportText(report, colors, { verbose: flags.verbose === true, failOnFindings }));
  // The dump's path: after the text's last line, or on stderr so that --json stays one object.
  for (const file of dumps) (flags.json ? io.err : io.out)(`${flags.json ? 'ntshm: ' : ''}Dump written to ${file} (inspect it: ntshm kd ${file})\n`);
  return exitStatus(report, failOnFindings);
}

/** Builds the commander program; `setExit` receives the exit code of the command that ran. */
function buildProgram(io: CliIo, colors: Colors, setExit: (code: number) => void): Command {
  const program = new Command('ntshm')
    .description('Run Windows driver/program shared-memory scenarios on an emulated machine.')
    .version(packageVersion(), '-V, --version', 'print the version')
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
    .description('run one scenario (a sample, or a scenario file): its log in virtual-time order, then a summary')
    .argument('<scenario>', 'a sample (see `ntshm samples`), or a scenario file: ./my-scenario.ts, .mts or .js')
    .option('--seconds <n>', 'virtual seconds the programs run', parseSeconds, DEFAULT_SECONDS)
    .addOption(new Option('--arch <arch>', `machine architecture (${ARCHES.join(' or ')}; default x64)`).argParser(parseArch))
    .option('--seed <n>', 'scheduler seed (default 1)', parseSeed)
    .option('--variant <name>', 'a misuse variant of the sample')
    .option('--memory <MiB>', 'emulated RAM in MiB (default 64)', parseMemory)
    .option('--cpus <n>', 'emulated processors (default 2)', parseCpus)
    .addOption(new Option('--profile <profile>', `Windows version whose answers to follow (${PROFILES.join(' or ')}; default win10)`).argParser(parseProfile))
    .addOption(new Option('--user <user>', `who runs the programs (${USERS.join(' or ')}: an elevated administrator or a standard user; default admin)`).argParser(parseUser))
    .option('--verifier', 'boot with Driver Verifier on, its standard settings (verifier /standard)')
    .option('--verifier-options <list>', `Driver Verifier with only these options (also --verifier=LIST): ${VERIFIER_OPTIONS.map((o) => o.cli).join(', ')}, standard; or rule class IDs (verifier /rc), or 0x flags`, parseVerifier)
    .addOption(new Option('--memory-pressure <level>', `when pageable pages are trimmed to the pagefile (${MEMORY_PRESSURES.join(', ')}; default none)`).argParser(parseMemoryPressure))
    .option('--volume <dir>', `host folder holding the emulated volume C: (default ${DEFAULT_VOLUME_FOLDER}, made on the first write)`)
    .option('--fail-on-findings', `exit ${EXIT_FINDINGS} when the run has findings`)
    .option('--verbose', 'show the CPU, IRQL and thread of each log line')
    .option('--json', 'print one JSON object instead of text')
    .option('--trace <file>', 'write the run\'s trace (Chrome trace-event JSON: open it in https://ui.perfetto.dev) to <file>')
    .option('--dump <file>', 'write a dump of the whole machine at the end of the run to <file> (a bug check writes one to .ntshm/dumps/ anyway); ntshm kd reads it')
    .option('--interactive', 'you choose the program\'s actions at a prompt (mdl-pages: Allocate, Fill, Release, Quit); the log shows as it comes')
    .action(async (name: string, flags: RunFlags) => {
      const loaded = await loadScenario(name);
      const interactive = flags.interactive === true;
      const dumps: string[] = [];
      const report = await runScenarioForCli(loaded, {
        dump: flags.dump, dumpFolder: io.dumpFolder, onDump: (file) => dumps.push(file),
        seconds: flags.seconds, variant: flags.variant, arch: flags.arch, seed: flags.seed,
        verifier: flags.verifierOptions ?? flags.verifier, memoryMiB: flags.memory, cpus: flags.cpus, profile: flags.profile, volume: flags.volume,
        memoryPressure: flags.memoryPressure,
        user: flags.user, trace: flags.trace,
        input: interactive ? io.input ?? terminalInput() : undefined,
        onEvent: interactive && !flags.json ? (e) => io.out(`${formatEvent(e, colors, flags.verbose === true)}\n`) : undefined,
      });
      setExit(printRun(io, colors, report, flags, dumps));
    });
  run.exitOverride((err) => { throw usageFrom(run, err); });

  const demo = program.command('demo')
    .description('run every sample with its default options, one after another')
    .action(async () => {
      let worst = 0;
      for (const [i, sample] of samples.entries()) {
        if (i > 0) io.out('\n');
        io.out(`${colors.bold(colors.cyan(`=== ${sample.name} (article ${sample.article ?? '-'}) ===`))}\n${colors.dim(sample.summary)}\n\n`);
        const dumps: string[] = [];
        const report = await runScenarioForCli({ scenario: sample, file: undefined }, { seconds: DEFAULT_SECONDS, dumpFolder: io.dumpFolder, onDump: (f) => dumps.push(f) });
        worst = Math.max(worst, printRun(io, colors, report, {}, dumps));
      }
      setExit(worst);
    });
  demo.exitOverride((err) => { throw usageFrom(demo, err); });

  addKdCommand(program, io, setExit, usageFrom);
  const ui = program.command('ui')
    .description('serve the web page (the memory picture, every sample in the browser) on localhost and print its URL')
    .option('--port <n>', 'the port to listen on (default 4178, or the next free one)', parsePort)
    .option('--open', 'open the page in the default browser')
    .action(async (flags: { port?: number; open?: boolean }) => {
      const server = await serveUi(flags);
      io.out(`ntshm ui: ${server.url}\n(Ctrl+C stops it)\n`);
      setExit(0);
    });
  ui.exitOverride((err) => { throw usageFrom(ui, err); });

  // `help X` for a command X that does not exist: commander would print the general help and exit 0.
  program.command('help [command]', { hidden: true })
    .description('show help for a command')
    .action((command: string | undefined) => {
      if (command === undefined) return program.help();
      const sub = program.commands.find((c) => c.name() === command);
      if (!sub) throw new UsageError(`unknown command '${command}' ${choices(program.commands.filter((c) => c.name() !== 'help').map((c) => c.name()))}`);
      sub.help();
    });

  return program;
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Runs the CLI on `argv` (the arguments after the program name) and returns
 * the exit code: 0 clean, 1 failure of the emulator itself, 2 bad usage (or a
 * scenario file that cannot run), 3 bug check, 4 findings with
 * `--fail-on-findings`, 5 a run cut short by `--seconds` or stuck (a program waits forever).
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const colors = makeColors(io.color ?? false);
  let exitCode = 0;
  const program = buildProgram(io, colors, (code) => { exitCode = code; });
  try {
    // `--verifier=LIST` is `--verifier-options LIST`: a bare `--verifier` takes no value, so it never swallows the scenario after it.
    const args = argv.flatMap((a) => (a.startsWith('--verifier=') ? ['--verifier-options', a.slice('--verifier='.length)] : [a]));
    await program.parseAsync(args, { from: 'user' });
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
