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
  /** '': the sample's own (section's is NT 4.0, the others boot()'s Windows 10), as `ntshm run` without --profile. */
  profile: 'win10' | 'nt4' | '';
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
  | {
    type: 'run'; choice: RunChoice; paused: boolean; untilEvents?: number | undefined;
    /** Replay until the trace has that many events (a trace event's "show the machine then"). */
    untilTrace?: number | undefined;
    /** A scenario file the person dropped: run it instead of the sample. */
    file?: ScenarioFile | undefined;
  }
  /** A kd command on the stopped (paused, finished or bug-checked) machine. */
  | { type: 'kd'; command: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'speed'; speed: number }
  | { type: 'pte'; pid: number; va: number }
  | { type: 'answer'; choice: string };

/** A scenario file's name and text, as the page read it. */
export interface ScenarioFile {
  name: string;
  source: string;
}

/** A trace event (src/kernel/ke/trace.ts) as the timeline draws it. */
export interface TimelineTraceEvent {
  /** 1-based position in the machine's trace: the replay stops when the trace has this many events. */
  n: number;
  /** Virtual milliseconds since boot. */
  t: number;
  /** Duration in virtual milliseconds (dispatch routines, DPCs). */
  dur?: number;
  name: string;
  /** irp, dpc, interrupt, fault, mapping, paging, bugcheck. */
  cat: string;
  /** Where it ran: the process's name, or "CPU n". */
  track: string;
  /** The event's arguments as one line (IOCTL code, status, va...). */
  detail: string;
}

/** A log line as the timeline places it: with how many trace events came before it, so that the two interleave in the order they happened. */
export interface TimelineLogEvent extends LogEvent {
  /** The trace's length when the line was written. */
  traced: number;
}

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
/** A loaded driver image, as `lm` lists it. */
export interface LoadedImage {
  name: string;
  start: number;
  size: number;
}

export interface Snapshot {
  type: 'snapshot';
  state: RunState;
  virtualMs: number;
  map: MemoryMap;
  /** Log lines since the previous snapshot. */
  events: TimelineLogEvent[];
  /** Trace events since the previous snapshot. */
  trace: TimelineTraceEvent[];
  findings: Finding[];
  bugcheck: ReportBugCheck | null;
  /** With a bug check: the driver images loaded then (NT 4.0's stop screen names the one a parameter points into). */
  images?: LoadedImage[];
  profile: 'win10' | 'nt4';
  /** Set when the run has ended. */
  outcome?: RunOutcome;
}

export type FromWorker =
  | { type: 'samples'; samples: SampleInfo[] }
  | Snapshot
  | { type: 'pte'; pid: number; va: number; walk: PteWalk | undefined }
  | { type: 'question'; process: string; question: string; choices: string[] }
  | { type: 'kd'; command: string; output: string }
  /** The scenario file ran (its name and summary), or was refused (`error`, one line). */
  | { type: 'scenario'; name: string; summary: string; error?: string }
  | { type: 'error'; message: string };
