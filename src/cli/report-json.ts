/**
 * The result of `ntshm run`, in the shape `--json` prints: one object whose
 * keys come in a fixed order, so that two runs with the same seed print the
 * same bytes.
 */
import type { BugCheck, Finding, LogEvent, SharedFrameRecord } from '../index.js';

/** One DbgPrint line or one line of program output, at its virtual time in ms. */
export type RunEvent = Pick<LogEvent, 't' | 'source' | 'process' | 'text'>;

/** A program the sample spawned, as it stood at the end of the run. */
export interface RunProcess {
  pid: number;
  name: string;
  /** null while the program had not exited when the run stopped. */
  exitCode: number | null;
  stdout: string;
}

/** Frames, pool and handles at one moment. */
export interface ResourceSnapshot {
  freeFrames: number;
  nonPagedBytes: number;
  pagedBytes: number;
  handles: number;
}

/** Everything `ntshm run` reports about one run of one sample. */
export interface RunReport {
  sample: string;
  variant: string | null;
  arch: 'x64' | 'x86';
  seed: number;
  events: RunEvent[];
  processes: RunProcess[];
  shared: SharedFrameRecord[];
  resources: { before: ResourceSnapshot; after: ResourceSnapshot };
  bugcheck: BugCheck | null;
  findings: Finding[];
}

/** Keeps JSON.stringify from throwing on a bigint a finding may carry. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** The report as `--json` prints it: 2-space indented, keys in RunReport's order, no trailing newline. */
export function reportJson(report: RunReport): string {
  const ordered: RunReport = {
    sample: report.sample,
    variant: report.variant,
    arch: report.arch,
    seed: report.seed,
    events: report.events.map((e) => ({ t: e.t, source: e.source, process: e.process, text: e.text })),
    processes: report.processes.map((p) => ({ pid: p.pid, name: p.name, exitCode: p.exitCode, stdout: p.stdout })),
    shared: report.shared.map((f) => ({
      pfn: f.pfn,
      mappings: f.mappings.map((m) => ({ process: m.process, pid: m.pid, va: m.va, mode: m.mode, protection: m.protection })),
    })),
    resources: { before: snapshot(report.resources.before), after: snapshot(report.resources.after) },
    bugcheck: report.bugcheck && {
      code: report.bugcheck.code,
      name: report.bugcheck.name,
      params: report.bugcheck.params,
      explanation: report.bugcheck.explanation,
      stack: report.bugcheck.stack,
    },
    findings: report.findings,
  };
  return JSON.stringify(ordered, jsonValue, 2);
}

function snapshot(s: ResourceSnapshot): ResourceSnapshot {
  return { freeFrames: s.freeFrames, nonPagedBytes: s.nonPagedBytes, pagedBytes: s.pagedBytes, handles: s.handles };
}
