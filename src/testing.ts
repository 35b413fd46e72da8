/**
 * `ntshm/testing`: what makes a test of a driver and its program short, in
 * any test runner (vitest, node:test, jest): run a scenario to its end, then
 * check the report. A failed check throws a ReportAssertionError whose
 * message says what the report shows instead.
 */
import { exitCodeText, runScenario, type Report, type SharedFrameRecord } from './index.js';

export { defineScenario, runScenario } from './index.js';
export type { Report, Scenario, ScenarioDefinition, ScenarioRunOptions } from './index.js';

/** A check on a report that did not hold. */
export class ReportAssertionError extends Error {
  override readonly name = 'ReportAssertionError';
}

function fail(message: string): never {
  throw new ReportAssertionError(message);
}

/** What the unhandled-exception findings say, to go with a wrong exit code. */
function crashes(report: Report): string {
  const found = report.findings.filter((f) => f.kind === 'unhandled-exception' || f.kind === 'execution-limit');
  return found.length ? ` (${found.map((f) => f.message).join('; ')})` : '';
}

function findingsText(report: Report): string {
  return report.findings.map((f) => `${f.kind}: ${f.message}`).join('; ');
}

function bugCheckText(report: Report): string {
  const b = report.bugcheck;
  return b ? `bug check ${b.codeHex} ${b.name} (${b.paramsHex.join(', ')}): ${b.explanation}` : 'no bug check';
}

/**
 * The run completed: no bug check, not cut short or stuck, and every program exited
 * with `exitCode` (default 0).
 */
export function expectCompleted(report: Report, options: { exitCode?: number } = {}): void {
  if (report.bugcheck) fail(`expected the run to complete, but it stopped: ${bugCheckText(report)}`);
  const running = report.processes.filter((p) => p.exitCode === null).map((p) => p.name);
  if (report.outcome === 'cut') fail(`expected the run to complete, but it was cut with ${running.join(', ')} still running`);
  if (report.outcome === 'stuck') fail(`expected the run to complete, but it was stuck: ${running.join(', ')} wait(s) forever`);
  const exitCode = options.exitCode ?? 0;
  const wrong = report.processes.filter((p) => p.exitCode !== exitCode);
  if (wrong.length) fail(`expected every program to exit with ${exitCode}: ${wrong.map((p) => `${p.name} ${p.exitCode === null ? 'did not exit' : `exited with ${exitCodeText(p.exitCode)}`}`).join(', ')}${crashes(report)}`);
}

/** ntshm's checks found nothing. */
export function expectNoFindings(report: Report): void {
  if (report.findings.length) fail(`expected no findings, found ${report.findings.length}: ${findingsText(report)}`);
}

/** The run has at least one finding of `kind` ("wrong-process-unmap", "torn-read", ...); returns those findings. */
export function expectFinding(report: Report, kind: string): Report['findings'] {
  const found = report.findings.filter((f) => f.kind === kind);
  if (!found.length) fail(`expected a ${kind} finding, found ${report.findings.length ? findingsText(report) : 'none'}`);
  return found;
}

/** The machine stopped with bug check `code`, and, when given, these leading parameters (numbers, or kd's hex text). */
export function expectBugCheck(report: Report, code: number, ...params: (number | string)[]): void {
  const b = report.bugcheck;
  if (!b || b.code !== code) fail(`expected bug check 0x${code.toString(16).toUpperCase()}, got ${bugCheckText(report)}`);
  params.forEach((want, i) => {
    const got = typeof want === 'string' ? b.paramsHex[i]?.toLowerCase() : b.params[i];
    const expected = typeof want === 'string' ? want.toLowerCase() : want;
    if (got !== expected) fail(`expected parameter ${i + 1} of bug check ${b.codeHex} to be ${String(want)}, got ${b.paramsHex[i]}`);
  });
}

/** Everything the run took came back: free frames, nonpaged and paged pool, and handles as just after boot. */
export function expectNoLeaks(report: Report): void {
  const { before, after } = report.resources;
  const leaks = (['freeFrames', 'nonPagedBytes', 'pagedBytes', 'handles'] as const)
    .filter((key) => before[key] !== after[key])
    .map((key) => `${key} ${before[key]} → ${after[key]}`);
  if (leaks.length) fail(`expected every resource back, but ${leaks.join(', ')}`);
}

/** The frames a program shared with the kernel: mapped in kernel mode and in the program's user space (KUSER_SHARED_DATA left out). */
export function framesSharedWith(report: Report, processName: string): SharedFrameRecord[] {
  return report.shared.filter((f) => f.label === null
    && f.mappings.some((m) => m.mode === 'kernel')
    && f.mappings.some((m) => m.mode === 'user' && m.process === processName));
}

/** Runs a scenario (see runScenario) and checks that it completed with no findings and no leaks; returns the report. */
export async function runClean(...args: Parameters<typeof runScenario>): Promise<Report> {
  const report = await runScenario(...args);
  expectCompleted(report);
  expectNoFindings(report);
  expectNoLeaks(report);
  return report;
}
