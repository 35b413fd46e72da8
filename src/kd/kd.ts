/**
 * kd: WinDbg's kernel debugger commands over a KdTarget (a live machine or a
 * loaded dump). One session keeps the implicit process (`.process`); each
 * command reads a fresh snapshot of the target and returns its text.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/debugger-commands
 */
import type { KdProcess } from './snapshot.js';
import { KdError, type KdContext, type KdTarget } from './target.js';
import { displayDwordsChars, displayMemory, displayPointersSymbols, displayString, formats } from './commands/memory.js';
import { devobj, devstack, drvobj } from './commands/devices.js';
import { thread } from './commands/threads.js';
import { dpcs, timer } from './commands/timers.js';
import { pfn, pte, vtop } from './commands/pte.js';
import { handle, lm, process, setProcess, stack, vad } from './commands/process.js';
import { dtIrp, dtMdl, irpCommand, lockedPages, mdlCommand } from './commands/structures.js';
import { analyze, object, pool, poolUsed, verifier } from './commands/system.js';

type Command = (ctx: KdContext, args: string[]) => string[];

/** The commands kd knows, by the name typed (lower case). */
export const KD_COMMANDS: Readonly<Record<string, Command>> = {
  '!analyze': analyze,
  '!process': process,
  '.process': setProcess,
  '!vad': vad,
  '!pte': pte,
  '!vtop': vtop,
  '!pfn': pfn,
  '!handle': handle,
  '!poolused': poolUsed,
  '!pool': pool,
  '!lockedpages': lockedPages,
  '!irp': irpCommand,
  '!object': object,
  '!verifier': verifier,
  '!drvobj': drvobj,
  '!devobj': devobj,
  '!devstack': devstack,
  '!thread': thread,
  '!mdl': mdlCommand,
  '!timer': timer,
  '!dpcs': dpcs,
  'lm': lm,
  'k': stack,
  'db': (ctx, args) => displayMemory(ctx, 'db', args),
  'dw': (ctx, args) => displayMemory(ctx, 'dw', args),
  'dd': (ctx, args) => displayMemory(ctx, 'dd', args),
  'dq': (ctx, args) => displayMemory(ctx, 'dq', args),
  'dc': displayDwordsChars,
  'da': (ctx, args) => displayString(ctx, 'da', args),
  'du': (ctx, args) => displayString(ctx, 'du', args),
  'dps': displayPointersSymbols,
  '.formats': (_ctx, args) => formats(args),
  'dt': (ctx, args) => displayType(ctx, args),
};

/** WinDbg commands ntshm's kd does not have yet: they answer so, in one line. */
export const KD_NOT_IMPLEMENTED: readonly string[] = ['!stacks', '!address', '!pool -v', 'u', 'r', 'ed', 'eb', 'bp', 'g', 'p', 't', '!locks'];

function displayType(ctx: KdContext, args: string[]): string[] {
  const type = (args[0] ?? '').toLowerCase();
  if (type === 'nt!_mdl' || type === '_mdl') return dtMdl(ctx, args.slice(1));
  if (type === 'nt!_irp' || type === '_irp') return dtIrp(ctx, args.slice(1));
  throw new KdError(`dt ${args[0] ?? ''}: ntshm's kd knows the types nt!_MDL and nt!_IRP (not implemented in ntshm yet: other types)`);
}

/** Splits a command line: the command (lower case) and its arguments. */
export function parseCommand(line: string): { name: string; args: string[] } {
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  const first = (words[0] ?? '').toLowerCase();
  // `!analyze -v`: the flag changes nothing here (the analysis is always verbose).
  return { name: first, args: words.slice(1).filter((w) => !(first === '!analyze' && w === '-v')) };
}

/** A kd session over a target: `execute(command)` returns the command's output, `\n`-separated. */
export class KdSession {
  private implicitPid: number | null = null;

  constructor(private readonly target: KdTarget) {}

  /** Runs one command: its output, `\n`-separated (a mistake in it is answered in one line). */
  execute(line: string): string {
    return this.run(line).output;
  }

  /** Runs one command: its output, and whether it was a mistake (an unknown command, a bad argument). */
  run(line: string): { output: string; error: boolean } {
    const { name, args } = parseCommand(line);
    if (name === '') return { output: '', error: false };
    const command = KD_COMMANDS[name];
    if (!command) {
      if (KD_NOT_IMPLEMENTED.includes(name)) return { output: `${name}: not implemented in ntshm yet`, error: true };
      return { output: `No export ${name} found (ntshm's kd knows: ${Object.keys(KD_COMMANDS).join(', ')})`, error: true };
    }
    const s = this.target.snapshot;
    const implicit = s.processes.find((p) => p.pid === (this.implicitPid ?? s.currentProcess)) ?? s.processes[0];
    if (!implicit) return { output: 'The target has no process', error: true };
    const ctx: KdContext = {
      s, memory: this.target.memory, arch: s.arch, process: implicit as KdProcess,
      setProcess: (pid) => { this.implicitPid = pid; },
    };
    try {
      return { output: command(ctx, args).join('\n'), error: false };
    } catch (e) {
      if (e instanceof KdError) return { output: e.message, error: true };
      throw e;
    }
  }

  /** Runs `a; b; c` one after the other, each command's output after its prompt line. */
  executeAll(commands: string): string {
    return commands.split(';').map((c) => c.trim()).filter((c) => c !== '').map((c) => `kd> ${c}\n${this.execute(c)}`).join('\n');
  }
}
