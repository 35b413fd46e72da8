/**
 * `ntshm run` for people: the log in virtual-time order, then a summary of
 * the processes, the shared frames, the resources before and after, the
 * findings and the bug check.
 */
import { VERIFIER_STANDARD_FLAGS, verifierOptionsOn } from '../index.js';
import { exitCodeText, type Finding, type LogEvent, type Report, type ReportBugCheck, type ReportPaging, type ReportProcess, type ResourceSnapshot, type SharedFrameRecord } from '../index.js';
import type { Colors } from './colors.js';

/** How much of each log line to show. */
export interface TextOptions {
  /** Also show the CPU, IRQL and thread each line was written from. */
  verbose?: boolean;
  /** Whether `--fail-on-findings` was given (the last line says what findings did to the exit status). */
  failOnFindings?: boolean;
}

/** `[  1.015]`: virtual seconds with milliseconds. */
export function formatTimestamp(ms: number): string {
  return `[${(ms / 1000).toFixed(3).padStart(7)}]`;
}

/**
 * One log line: `[  1.015] SharingMemory.exe | 12:00:01` for program output,
 * `[  0.000] kd (SharingMemory.exe) | SharingMemory: ...` for DbgPrint, which
 * names the process whose context the driver ran in; `verifier (…)` for
 * what Driver Verifier did on purpose (an allocation it failed).
 */
export function formatEvent(e: LogEvent, c: Colors, verbose = false): string {
  const who = e.source === 'dbgprint' ? c.magenta(`kd (${e.process})`) : e.source === 'verifier' ? c.yellow(`verifier (${e.process})`) : c.green(e.process);
  return `${c.dim(formatTimestamp(e.t))} ${who}${verbose ? c.dim(where(e)) : ''} ${c.dim('|')} ${e.text}`;
}

const IRQL_NAMES: Readonly<Record<number, string>> = { 0: 'PASSIVE_LEVEL', 1: 'APC_LEVEL', 2: 'DISPATCH_LEVEL' };

/** ` cpu 0, DISPATCH_LEVEL, tid 264`: where a line was written from, for --verbose. */
function where(e: LogEvent): string {
  const { cpu, irql, thread } = e;
  const parts: string[] = [];
  if (cpu !== undefined) parts.push(`cpu ${cpu}`);
  if (irql !== undefined) parts.push(IRQL_NAMES[irql] ?? `IRQL ${irql}`);
  if (thread !== undefined) parts.push(`tid ${thread}`);
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd());
}

function processLines(processes: readonly ReportProcess[]): string[] {
  if (processes.length === 0) return ['Processes: none'];
  return ['Processes', ...processes.map((p) =>
    `  ${p.name} (pid ${p.pid}, ${p.user === 'user' ? 'standard user' : 'administrator'}) ${p.exitCode === null ? 'still running when the run stopped' : `exited with ${exitCodeText(p.exitCode)}`}`)];
}

function sharedLines(shared: readonly SharedFrameRecord[], c: Colors): string[] {
  if (shared.length === 0) return ['Shared frames: none'];
  const lines = ['Shared frames (every virtual address that mapped each frame during the run)'];
  for (const frame of shared) {
    lines.push(`  PFN ${c.bold(`0x${frame.pfn.toString(16)}`)}  ${frame.label ?? frame.use}`);
    const rows = frame.mappings.map((m) => [m.mode, `${m.process} (pid ${m.pid})`, m.va, m.protection, m.mappedAtEnd ? '' : 'unmapped by the end']);
    const widths = [0, 0, 0, 0];
    for (const row of rows) for (let i = 0; i < 4; i++) widths[i] = Math.max(widths[i] ?? 0, row[i]?.length ?? 0);
    for (const row of rows) {
      const [mode = '', who = '', va = '', protection = '', gone = ''] = row;
      const cells = [mode.padEnd(widths[0] ?? 0), who.padEnd(widths[1] ?? 0), va.padEnd(widths[2] ?? 0), protection.padEnd(widths[3] ?? 0), c.dim(gone)];
      lines.push(`    ${cells.join('  ')}`.trimEnd());
    }
  }
  return lines;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function resourceLines(before: ResourceSnapshot, after: ResourceSnapshot, c: Colors): string[] {
  const rows: [string, keyof ResourceSnapshot][] = [
    ['free frames', 'freeFrames'], ['nonpaged pool bytes', 'nonPagedBytes'], ['paged pool bytes', 'pagedBytes'], ['handles', 'handles'],
    // Part of the free frames' change, but the System process's and kept for good: shown apart (docs/fidelity.md).
    ['System page tables', 'systemPageTables'],
  ];
  const lines = table([
    ['Resources', 'before', 'after', 'change'],
    ...rows.map(([label, key]) => [`  ${label}`, String(before[key]), String(after[key]), signed(after[key] - before[key])]),
  ]);
  // Colour after padding, so escape codes do not upset the column widths.
  return lines.map((line, i) => {
    const row = rows[i - 1];
    return row && row[1] !== 'systemPageTables' && after[row[1]] !== before[row[1]] ? c.yellow(line) : line;
  });
}

/** The Paging block: one line when nothing was trimmed. */
function pagingLines(paging: ReportPaging): string[] {
  const p = paging;
  if (p.trims === 0 && p.softPageIns === 0 && p.hardPageIns === 0 && p.pageOuts === 0) return ['Paging: nothing trimmed'];
  return table([
    ['Paging', ''],
    ['  pages trimmed', String(p.trims)],
    ['  page-ins, soft (transition)', String(p.softPageIns)],
    ['  page-ins, hard (pagefile)', String(p.hardPageIns)],
    ['  page-outs (to the pagefile)', String(p.pageOuts)],
    ['  pagefile pages in use', String(p.pagefilePagesInUse)],
  ]);
}

/** What the I/O manager moved, by transfer method; nothing when the run sent no IOCTL, read or write. */
function ioLines(io: Report['io'] | undefined): string[] {
  if (!io || io.buffered.requests + io.direct.requests + io.neither.requests === 0) return [];
  return [
    'I/O by transfer method',
    `  buffered  ${io.buffered.requests} requests: ${io.buffered.bytesCopiedIn} bytes copied in, ${io.buffered.bytesCopiedOut} bytes copied out`,
    `  direct    ${io.direct.requests} requests: ${io.direct.mdls} MDLs locked, ${io.direct.bytesMapped} bytes mapped`,
    `  neither   ${io.neither.requests} requests: the program's own addresses, nothing copied or locked`,
  ];
}

function findingLines(findings: readonly Finding[], c: Colors): string[] {
  if (findings.length === 0) return ['Findings: none'];
  return ['Findings', ...findings.map((f) => {
    const where = [f.driver, f.routine].filter((s) => s !== undefined).join('!');
    return c.yellow(`  ${f.kind}${where ? ` in ${where}` : ''}: ${f.message}`);
  })];
}

function bugCheckLines(bugcheck: ReportBugCheck | null, c: Colors): string[] {
  if (!bugcheck) return ['Bug check: none'];
  return [
    c.red(c.bold(`Bug check ${bugcheck.codeHex} ${bugcheck.name}`)),
    c.red(`  (${bugcheck.paramsHex.join(', ')})`),
    `  ${bugcheck.explanation}`,
    bugcheck.stack.length === 0 ? '  Stack: no driver routine' : '  Stack (innermost first):',
    ...bugcheck.stack.map((frame) => `    ${frame}`),
    ...analysisLines(bugcheck, c),
  ];
}

/** The bug check as `!analyze -v` explains it: each argument's meaning, the module at fault, a seed article's warning. */
function analysisLines(bugcheck: ReportBugCheck, c: Colors): string[] {
  const a = bugcheck.analysis;
  const lines = [`  Analysis (!analyze -v): ${a.description}`];
  a.args.forEach((arg, i) => lines.push(`    Arg${i + 1}: ${arg.value}, ${arg.meaning}`));
  if (a.symbol) lines.push(`  At fault: ${a.image ?? ''} (${a.symbol})`);
  lines.push(`  Failure bucket: ${a.failureBucket}`);
  if (a.article) {
    lines.push(c.yellow(`  Seed article ${a.article.seed} (${a.article.title}) warns:`));
    lines.push(c.yellow(`    "${a.article.quote}"`), `    ${a.article.why}`);
  }
  return lines;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The last line: how the run ended, and what that does to the exit status. */
function resultLine(report: Report, c: Colors, failOnFindings: boolean): string {
  const n = report.findings.length;
  if (report.outcome === 'bugcheck') return c.red(`Result: bug check ${report.bugcheck?.codeHex ?? ''}${n ? `, and ${plural(n, 'finding')}` : ''}`);
  if (report.outcome === 'stuck') {
    const waiting = report.processes.filter((p) => p.exitCode === null).map((p) => p.name).join(', ');
    return c.red(`Result: stuck: ${waiting} ${waiting.includes(', ') ? 'wait' : 'waits'} forever at ${(report.virtualMs / 1000).toFixed(3)} virtual seconds (no thread can wake, and no timer or DPC is left to wake one)`);
  }
  if (report.outcome === 'cut') {
    const running = report.processes.filter((p) => p.exitCode === null).map((p) => p.name).join(', ');
    return c.red(`Result: cut at ${(report.virtualMs / 1000).toFixed(3)} virtual seconds with ${running} still running (give it more --seconds)`);
  }
  if (n === 0) return c.green('Result: completed, no findings');
  const exit = failOnFindings ? 'exit status 4' : 'exit status 0; --fail-on-findings makes that 4';
  return c.yellow(`Result: completed with ${plural(n, 'finding')} (${exit})`);
}

/** `sharing-memory --variant torn-read (x64, seed 1, verifier)`. */
function runTitle(report: Report): string {
  const s = report.settings;
  const settings = [s.arch, `seed ${s.seed}`, ...(s.verifier ? [s.verifierFlags === VERIFIER_STANDARD_FLAGS || s.verifierFlags === undefined ? 'verifier' : `verifier ${verifierOptionsOn(s.verifierFlags).map((o) => o.cli).join(',')}`] : []),
    ...(s.memoryPressure !== 'none' ? [`memory pressure ${s.memoryPressure}`] : []), ...(s.profile !== 'win10' ? [s.profile] : [])];
  return `${report.scenario ?? 'machine'}${report.variant ? ` --variant ${report.variant}` : ''} (${settings.join(', ')})`;
}

/** The whole text report, every line ending in a newline. */
export function reportText(report: Report, c: Colors, options: TextOptions = {}): string {
  const lines = [
    ...report.events.map((e) => formatEvent(e, c, options.verbose)),
    '',
    c.bold(`Summary of ${runTitle(report)}`),
    ...processLines(report.processes),
    ...sharedLines(report.shared, c),
    ...resourceLines(report.resources.before, report.resources.after, c),
    ...pagingLines(report.paging),
    ...ioLines(report.io),
    ...findingLines(report.findings, c),
    ...bugCheckLines(report.bugcheck, c),
    resultLine(report, c, options.failOnFindings ?? false),
  ];
  return lines.map((line) => `${line}\n`).join('');
}
