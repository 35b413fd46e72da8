/**
 * The report of a run: what `ntshm run` prints and `--json` carries, and
 * what `machine.report()` returns. One plain object, its keys in a fixed
 * order, so that two runs with the same seed give the same JSON bytes.
 */
import type { BugCheck } from './kernel/ke/bugcheck.js';
import type { Finding, LogEvent } from './kernel/ke/log.js';
import type { SharedFrameRecord } from './kernel/sharing.js';
import { ntStatusText } from './include/ntstatus.js';
import type { IoStats } from './kernel/io/io-stats.js';
import { analyzeBugCheck, type AnalysisContext, type BugCheckAnalysis } from './kd/analysis.js';

/** The settings a run used: boot()'s options as the machine took them, and the scenario's seconds. */
export interface ReportSettings {
  arch: 'x64' | 'x86';
  seed: number;
  cpus: number;
  memoryMiB: number;
  profile: 'nt4' | 'win10';
  verifier: boolean;
  /** Driver Verifier's options as verifier /flags has them (0x209bb: the standard settings; 0: off). */
  verifierFlags: number;
  /** boot's memoryPressure: when pageable pages are trimmed without the verifier. */
  memoryPressure: 'none' | 'low' | 'high';
  /** ISO UTC time of the virtual clock at boot. */
  startTime: string;
  /** The seconds a scenario was given (`--seconds`); null for a machine driven by hand. */
  seconds: number | null;
}

/** A program the machine spawned, as it stood when the report was taken. */
export interface ReportProcess {
  pid: number;
  name: string;
  /** Who ran it: `admin` (an elevated administrator) or `user` (a standard user). */
  user: 'admin' | 'user';
  /** null while the program has not exited. */
  exitCode: number | null;
  stdout: string;
}

/** Frames, pool and handles at one moment. */
export interface ResourceSnapshot {
  freeFrames: number;
  nonPagedBytes: number;
  pagedBytes: number;
  handles: number;
  /**
   * Frames holding the System process's own user page tables (its root and
   * kernel tables are not counted): a driver's view in the System process
   * makes them, and they stay for the machine's life, as on Windows. Free
   * frames fall by them; they are no driver's leak.
   */
  systemPageTables: number;
}

/** The bug check as kd shows it: the numbers, and the same numbers as kd prints them. */
export interface ReportBugCheck extends BugCheck {
  /** `0x000000C4`. */
  codeHex: string;
  /** Each parameter as a ULONG_PTR of the architecture: `0xfffff88000001100` (x64 kernel addresses sign-extended), `0x00000077`. */
  paramsHex: [string, string, string, string];
  /** What `!analyze -v` says of it: each parameter's meaning, the driver and routine at fault, a seed article's warning (kd/analysis.ts). */
  analysis: BugCheckAnalysis;
}

/**
 * How the run ended: every program it waited for ran its course
 * (`completed`), the machine stopped (`bugcheck`), the time ran out while a
 * program was still running (`cut`), or every program still running waits
 * for something that can never happen (`stuck`: no thread can wake, no
 * timer or DPC is left to wake one).
 */
export type RunOutcome = 'completed' | 'bugcheck' | 'cut' | 'stuck';

/** Everything a run reports. */
export interface Report {
  /** The scenario's name (a sample's or a user's); null for a machine driven by hand. */
  scenario: string | null;
  variant: string | null;
  settings: ReportSettings;
  outcome: RunOutcome;
  /** Virtual milliseconds since boot when the report was taken. */
  virtualMs: number;
  /** DbgPrint lines and program output, in virtual-time order. */
  events: LogEvent[];
  processes: ReportProcess[];
  /** Every frame mapped at two or more addresses at once during the run, with each address. */
  shared: SharedFrameRecord[];
  /** Before: just after boot. After: when the report was taken. */
  resources: { before: ResourceSnapshot; after: ResourceSnapshot };
  /** Trimming and page faults on trimmed pages since boot (paged pool and private user pages). */
  paging: ReportPaging;
  findings: Finding[];
  /** What the I/O manager moved for drivers, by transfer method (Machine.ioStats()). */
  io: IoStats;
  bugcheck: ReportBugCheck | null;
}

/** The report's `paging` key: page-ins (soft: from the transition list; hard: from the pagefile), page-outs, trims, pagefile use. */
export interface ReportPaging {
  softPageIns: number;
  hardPageIns: number;
  /** Pages written to the pagefile (their frames freed). */
  pageOuts: number;
  /** Resident pages trimmed into transition. */
  trims: number;
  /** Pagefile pages holding a page when the report was taken. */
  pagefilePagesInUse: number;
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

/** A program's exit code as a person reads it: 0, 1, or an NTSTATUS such as `STATUS_ACCESS_VIOLATION (0xC0000005)`. */
export function exitCodeText(code: number): string {
  return code >= 0x8000_0000 ? ntStatusText(code) : String(code);
}

/** The bug check with its numbers also in kd's hex, and its analysis. */
export function reportBugCheck(arch: 'x64' | 'x86', b: BugCheck, context: Omit<AnalysisContext, 'arch'> = { scenario: null, processName: null }): ReportBugCheck {
  const [p1, p2, p3, p4] = b.params.map((p, i) => {
    const exact = b.exact?.[i];
    return exact === undefined ? formatBugCheckParam(arch, p) : `0x${exact.toString(16).padStart(16, '0')}`;
  });
  return {
    code: b.code,
    codeHex: formatBugCheckCode(b.code),
    name: b.name,
    params: [...b.params],
    paramsHex: [p1 ?? '', p2 ?? '', p3 ?? '', p4 ?? ''],
    explanation: b.explanation,
    stack: [...b.stack],
    analysis: analyzeBugCheck(b, { arch, ...context }),
  };
}

/** A log event with its keys in a fixed order (the optional ones only when present). */
export function reportEvent(e: LogEvent): LogEvent {
  const { t, source, process, text, ...rest } = e;
  return { t, source, process, text, ...rest };
}

/** Keeps JSON.stringify from throwing on a bigint a finding may carry. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** The report as `--json` prints it: 2-space indented, keys in {@link Report}'s order, no trailing newline. */
export function reportJson(report: Report): string {
  return JSON.stringify(report, jsonValue, 2);
}
