/**
 * `ntshm kd DUMP`: WinDbg's kernel debugger commands on a dump. `-c "a; b"`
 * runs the commands and exits; otherwise a prompt (`kd> `) with history and
 * completion of command names, from node's readline.
 */
import process from 'node:process';
import { createInterface } from 'node:readline';
import type { Command, CommanderError } from 'commander';
import { KD_COMMANDS, type LoadedDump } from '../index.js';
import { readDumpFile } from './dump-file.js';
import type { CliIo } from './program.js';
import { EXIT_USAGE } from './usage.js';

/** The command names the prompt completes, `!pte` from `!p`. */
export function kdCompleter(line: string): [string[], string] {
  const names = [...Object.keys(KD_COMMANDS), 'dt nt!_MDL', 'dt nt!_IRP', '!analyze -v', 'q'];
  const hits = names.filter((n) => n.startsWith(line.trimStart().toLowerCase()));
  return [hits.length ? hits : names, line];
}

/** Runs `a; b; c`: each command after its prompt line; a mistake goes to stderr in one line, and the exit code is 2. */
function runCommands(dump: LoadedDump, commands: string, io: CliIo): number {
  let failed = false;
  for (const c of commands.split(';').map((x) => x.trim()).filter((x) => x !== '')) {
    const { output, error } = dump.kdRun(c);
    if (error) {
      io.err(`ntshm: kd: ${output.split('\n')[0] ?? ''}\n`);
      failed = true;
    } else io.out(`kd> ${c}\n${output}\n`);
  }
  return failed ? EXIT_USAGE : 0;
}

/** The terminal's lines, with history (up/down) and completion (tab). */
async function* terminalLines(): AsyncIterable<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, completer: kdCompleter, historySize: 500, prompt: 'kd> ' });
  rl.prompt();
  try {
    for await (const line of rl) {
      yield line;
      rl.prompt();
    }
  } finally {
    rl.close();
  }
}

/** The prompt: each line a command, until `q` (or the end of input). */
async function repl(dump: LoadedDump, io: CliIo): Promise<void> {
  const s = dump.snapshot;
  io.out(`Loading Dump File [ntshm dump format ${dump.version}] ${s.scenario ?? 'machine'}${s.variant ? ` --variant ${s.variant}` : ''} (${s.arch})\n`);
  if (s.bugcheck) io.out(`Bugcheck ${s.bugcheck.code.toString(16).toUpperCase()}, {${s.bugcheck.analysis.args.map((a) => a.value.replace(/^0+(?=.)/, '')).join(', ')}}\n`);
  io.out('Type a command (!analyze -v, !process 0 0, !pte VA, db ADDR, ...); q quits.\n');
  const lines = io.kdInput ?? terminalLines();
  for await (const line of lines) {
    const c = line.trim();
    if (c === 'q' || c === 'qq' || c === 'quit') break;
    if (c === '') continue;
    io.out(`${dump.kd(c)}\n`);
  }
}

/** Adds `kd` to the program. */
export function addKdCommand(program: Command, io: CliIo, setExit: (code: number) => void, usageFrom: (cmd: Command, err: CommanderError) => Error): void {
  const kd = program.command('kd')
    .description('inspect a dump with WinDbg\'s commands (!analyze -v, !process 0 0, !pte VA, !pfn N, db ADDR, !lockedpages, ...)')
    .argument('<dump>', 'a dump file (.ntshmdmp): ntshm run writes one on every bug check (.ntshm/dumps/), or with --dump FILE')
    .option('-c, --commands <commands>', 'run these commands (separated by ;) and exit')
    .action(async (file: string, flags: { commands?: string }) => {
      const dump = readDumpFile(file);
      if (flags.commands !== undefined) {
        setExit(runCommands(dump, flags.commands, io));
        return;
      }
      await repl(dump, io);
      setExit(0);
    });
  kd.exitOverride((err) => { throw usageFrom(kd, err); });
}
