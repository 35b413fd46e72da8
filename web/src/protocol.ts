/**
 * The messages between the page and the worker that runs the machine: the
 * page asks (run, pause, resume, step, speed, pte, an answer to a program's
 * question), the worker tells (the samples, snapshots as the run goes, the
 * end, a !pte walk, a question).
 */
import type { Finding, LogEvent, MemoryMap, PteWalk, ReportBugCheck, RunOutcome } from 'ntshm';

/** What a run is: the page's controls, and the URL's query. */
export interface RunChoice {
  sample: string;
  /** '' for the right code. */
  variant: string;
  arch: 'x64' | 'x86';
  profile: 'win10' | 'nt4';
  verifier: boolean;
  seed: number;
  /** Virtual seconds the programs run (`ntshm run --seconds`). */
  seconds: number;
  /** Virtual seconds per wall second; 0 for as fast as it goes. */
  speed: number;
  /** The programs ask the page for their actions (mdl-pages: the client's buttons), as `ntshm run --interactive`. */
  interactive: boolean;
}

export type ToWorker =
  /** `untilEvents`: replay until the log has that many lines, and pause there (the timeline's "show the machine then"). */
  | { type: 'run'; choice: RunChoice; paused: boolean; untilEvents?: number | undefined }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'speed'; speed: number }
  | { type: 'pte'; pid: number; va: number }
  | { type: 'answer'; choice: string };

/** A sample as the page lists it. */
export interface SampleInfo {
  name: string;
  summary: string;
  article: string | undefined;
  variants: { name: string; summary: string }[];
}

/** Where the run is. */
export type RunState = 'booting' | 'running' | 'paused' | 'finished';

/** The machine now: the picture's data, what was logged since the last snapshot, findings, the bug check. */
export interface Snapshot {
  type: 'snapshot';
  state: RunState;
  virtualMs: number;
  map: MemoryMap;
  /** Log lines since the previous snapshot. */
  events: LogEvent[];
  findings: Finding[];
  bugcheck: ReportBugCheck | null;
  profile: 'win10' | 'nt4';
  /** Set when the run has ended. */
  outcome?: RunOutcome;
}

export type FromWorker =
  | { type: 'samples'; samples: SampleInfo[] }
  | Snapshot
  | { type: 'pte'; pid: number; va: number; walk: PteWalk | undefined }
  | { type: 'question'; process: string; question: string; choices: string[] }
  | { type: 'error'; message: string };
