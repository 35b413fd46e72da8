/**
 * `ntshm run` for people: the log in virtual-time order, then a summary of
 * the processes, the shared frames, the resources before and after, the
 * findings and the bug check.
 */
import type { BugCheck, Finding, SharedFrameRecord } from '../index.js';
import type { Colors } from './colors.js';
import type { ResourceSnapshot, RunEvent, RunProcess, RunReport } from './report-json.js';

/** `[  1.015]`: virtual seconds with milliseconds. */
export function formatTimestamp(ms: number): string {
  return `[${(ms / 1000).toFixed(3).padStart(7)}]`;
}

/**
 * One log line: `[  1.015] SharingMemory.exe | 12:00:01` for program output,
 * `[  0.000] kd (SharingMemory.exe) | SharingMemory: ...` for DbgPrint, which
 * names the process whose context the driver ran in.
 */
export function formatEvent(e: RunEvent, c: Colors): string {
  const who = e.source === 'dbgprint' ? c.magenta(`kd (${e.process})`) : c.green(e.process);
  return `${c.dim(formatTimestamp(e.t))} ${who} ${c.dim('|')} ${e.text}`;
}

/** `0x000000D1`: a bug check code as kd prints it. */
export function formatBugCheckCode(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** A bug check parameter as a ULONG_PTR of the architecture; x64 kernel addresses are sign-extended. */
export function formatBugCheckParam(arch: 'x64' | 'x86', value: number): string {
  if (arch === 'x86') return `0x${BigInt.asUintN(32, BigInt(value)).toString(16).padStart(8, '0')}`;
  let v = BigInt.asUintN(64, BigInt(value));
  if (v >= 1n << 47n && v < 1n << 48n) v |= 0xffff_0000_0000_0000n;
  return `0x${v.toString(16).padStart(16, '0')}`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd());
}

function processLines(processes: readonly RunProcess[]): string[] {
  if (processes.length === 0) return ['Processes: none'];
  return ['Processes', ...processes.map((p) =>
    `  ${p.name} (pid ${p.pid}) ${p.exitCode === null ? 'still running when the run stopped' : `exited with ${p.exitCode}`}`)];
}

function sharedLines(shared: readonly SharedFrameRecord[], c: Colors): string[] {
  if (shared.length === 0) return ['Shared frames: none'];
  const lines = ['Shared frames (every virtual address that mapped each frame during the run)'];
  for (const frame of shared) {
    // The system's own shared page is always there: say what it is.
    const kuser = frame.mappings.some((m) => m.mode === 'kernel' && (m.va === 'fffff780`00000000' || m.va === 'ffdf0000'));
    lines.push(`  PFN ${c.bold(`0x${frame.pfn.toString(16)}`)}${kuser ? '  KUSER_SHARED_DATA' : ''}`);
    const rows = frame.mappings.map((m) => [m.mode, `${m.process} (pid ${m.pid})`, m.va, m.protection]);
    const widths = [0, 0, 0];
    for (const row of rows) for (let i = 0; i < 3; i++) widths[i] = Math.max(widths[i] ?? 0, row[i]?.length ?? 0);
    for (const [mode = '', who = '', va = '', protection = ''] of rows) {
      lines.push(`    ${mode.padEnd(widths[0] ?? 0)}  ${who.padEnd(widths[1] ?? 0)}  ${va.padEnd(widths[2] ?? 0)}  ${protection}`);
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
  ];
  const lines = table([
    ['Resources', 'before', 'after', 'change'],
    ...rows.map(([label, key]) => [`  ${label}`, String(before[key]), String(after[key]), signed(after[key] - before[key])]),
  ]);
  // Colour after padding, so escape codes do not upset the column widths.
  return lines.map((line, i) => {
    const row = rows[i - 1];
    return row && after[row[1]] !== before[row[1]] ? c.yellow(line) : line;
  });
}

function findingLines(findings: readonly Finding[], c: Colors): string[] {
  if (findings.length === 0) return ['Findings: none'];
  return ['Findings', ...findings.map((f) => {
    const where = [f.driver, f.routine].filter((s) => s !== undefined).join('!');
    return c.yellow(`  ${f.kind}${where ? ` in ${where}` : ''}: ${f.message}`);
  })];
}

function bugCheckLines(bugcheck: BugCheck | null, arch: 'x64' | 'x86', c: Colors): string[] {
  if (!bugcheck) return ['Bug check: none'];
  const params = bugcheck.params.map((p) => formatBugCheckParam(arch, p)).join(', ');
  return [
    c.red(c.bold(`Bug check ${formatBugCheckCode(bugcheck.code)} ${bugcheck.name}`)),
    c.red(`  (${params})`),
    `  ${bugcheck.explanation}`,
    bugcheck.stack.length === 0 ? '  Stack: no driver routine' : '  Stack (innermost first):',
    ...bugcheck.stack.map((frame) => `    ${frame}`),
  ];
}

/** The whole text report, every line ending in a newline. */
export function reportText(report: RunReport, c: Colors): string {
  const lines = [
    ...report.events.map((e) => formatEvent(e, c)),
    '',
    c.bold(`Summary of ${report.sample}${report.variant ? ` --variant ${report.variant}` : ''} (${report.arch}, seed ${report.seed})`),
    ...processLines(report.processes),
    ...sharedLines(report.shared, c),
    ...resourceLines(report.resources.before, report.resources.after, c),
    ...findingLines(report.findings, c),
    ...bugCheckLines(report.bugcheck, report.arch, c),
  ];
  return lines.map((line) => `${line}\n`).join('');
}
