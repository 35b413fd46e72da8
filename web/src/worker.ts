/**
 * The machine, in a Web Worker so that the page stays responsive: boots for
 * the page's choice, runs the sample in slices (Machine.pacer), and posts a
 * snapshot of the memory picture, the log, the findings and the bug check
 * after each slice it shows. Pause, step and speed arrive between slices.
 */
import { boot, MemoryVolumeStore, type Machine, type RunPacer, type Scenario, type ScenarioInput } from 'ntshm';
import { findSample, samples } from 'ntshm/samples';
import type { FromWorker, RunChoice, RunState, ScenarioFile, Snapshot, TimelineLogEvent, ToWorker } from './protocol.js';
import { loadScenarioFile } from './scenario-file.js';
import { TraceReader } from './trace-reader.js';

const post = (message: FromWorker) => (self as unknown as Worker).postMessage(message);

let machine: Machine | undefined;
let choice: RunChoice | undefined;
let state: RunState = 'booting';
/** Log lines already posted. */
let posted = 0;
/** When paused: resolves the pause (resume or step). */
let release: (() => void) | undefined;
/** A step: run one scheduler step, then pause again. */
let stepping = false;
/** Wall time and virtual time when the current pace began (speed > 0). */
let paceWallMs = 0;
let paceVirtualNs = 0;
let lastPostMs = 0;
let sliceStartMs = 0;
/** A replay pauses after the step that wrote this many log lines. */
let untilEvents: number | undefined;
/** ...or after the step that recorded this many trace events. */
let untilTrace: number | undefined;
let trace = new TraceReader();
/** For each log line, the trace's length when it was written (the timeline interleaves the two by it). */
let tracedAt: number[] = [];

function snapshot(outcome?: Snapshot['outcome']): Snapshot {
  const m = machine!;
  const log = m.log;
  const events: TimelineLogEvent[] = log.slice(posted).map((e, i) => ({ ...e, traced: tracedAt[posted + i] ?? 0 }));
  posted = log.length;
  const report = outcome ? m.report() : undefined;
  const snap: Snapshot = {
    type: 'snapshot', state, virtualMs: Math.floor(m.kernel.clock.nowNs / 1e6), map: m.memoryMap(), events, trace: trace.since(m.kernel.trace?.events),
    findings: [...m.kernel.findings], bugcheck: report?.bugcheck ?? null, profile: m.kernel.options.profile,
  };
  if (report) {
    snap.outcome = report.outcome;
    if (report.bugcheck) snap.images = [...m.kernel.io.drivers.values()].map((d) => ({ name: `${d.serviceName}.sys`, start: d.DriverStart, size: d.DriverSize }));
  }
  return snap;
}

/** A macrotask's pause, so that messages (pause, step, pte) are taken. */
const yieldToMessages = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const pacer: RunPacer = {
  pauseNow(nowNs) {
    if (untilEvents !== undefined && machine!.log.length >= untilEvents) {
      untilEvents = undefined;
      state = 'paused';
    }
    if (untilTrace !== undefined && (machine!.kernel.trace?.events.length ?? 0) >= untilTrace) {
      untilTrace = undefined;
      state = 'paused';
    }
    if (stepping || state === 'paused') return true;
    const wall = performance.now();
    if (wall - sliceStartMs > 30) return true;
    // A replay goes as fast as it can to its moment.
    const speed = untilEvents === undefined && untilTrace === undefined ? choice!.speed : 0;
    return speed > 0 && nowNs - paceVirtualNs > (wall - paceWallMs) * 1e6 * speed;
  },
  async between() {
    if (stepping) {
      stepping = false;
      state = 'paused';
    }
    const now = performance.now();
    if (state === 'paused' || now - lastPostMs > 50) {
      lastPostMs = now;
      post(snapshot());
    }
    if (state === 'paused') {
      await new Promise<void>((resolve) => (release = resolve));
      release = undefined;
    } else {
      // At a set speed, wait while virtual time is ahead of the wall clock (messages are taken meanwhile).
      const ahead = () => (choice!.speed > 0 && untilEvents === undefined && untilTrace === undefined ? (machine!.kernel.clock.nowNs - paceVirtualNs) / 1e6 / choice!.speed - (performance.now() - paceWallMs) : 0);
      await yieldToMessages();
      while (state === 'running' && ahead() > 0) await yieldToMessages(Math.min(ahead(), 100));
    }
    sliceStartMs = performance.now();
  },
};

function restartPace(): void {
  paceWallMs = performance.now();
  paceVirtualNs = machine?.kernel.clock.nowNs ?? 0;
}

/** A question of a program waits for the page's answer. */
let answer: ((choice: string) => void) | undefined;

/** The page as a ScenarioInput: a program's question becomes buttons in its window. */
const pageInput: ScenarioInput = {
  choose(question, choices) {
    post(snapshot());
    post({ type: 'question', process: machine!.kernel.currentProcess.ImageFileName, question, choices: [...choices] });
    return new Promise<string>((resolve) => {
      answer = (c) => {
        answer = undefined;
        restartPace();
        resolve(c);
      };
    });
  },
};

/** The dropped file's scenario, loaded once per file. */
let loaded: { file: ScenarioFile; scenario: Promise<Scenario> } | undefined;

async function scenarioOf(c: RunChoice, file: ScenarioFile | undefined): Promise<Scenario> {
  if (!file) {
    const sample = findSample(c.sample);
    if (!sample) throw new RangeError(`no sample named ${c.sample}`);
    return sample;
  }
  if (loaded?.file.name !== file.name || loaded.file.source !== file.source) loaded = { file, scenario: loadScenarioFile(file.name, file.source) };
  try {
    const scenario = await loaded.scenario;
    post({ type: 'scenario', name: scenario.name, summary: scenario.summary });
    return scenario;
  } catch (e) {
    loaded = undefined;
    post({ type: 'scenario', name: file.name, summary: '', error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

async function run(c: RunChoice, paused: boolean, until: number | undefined, untilTraceEvents: number | undefined, file: ScenarioFile | undefined): Promise<void> {
  untilEvents = until;
  untilTrace = untilTraceEvents;
  const sample = await scenarioOf(c, file);
  const variant = c.variant && sample.variants.some((v) => v.name === c.variant) ? c.variant : undefined;
  choice = c;
  trace = new TraceReader();
  // Like `ntshm run`'s machine, with the volume C: in memory instead of a host folder; traced, for the timeline.
  machine = await boot({
    volume: new MemoryVolumeStore(), ...sample.bootOptions?.(variant), arch: c.arch, ...(c.profile ? { profile: c.profile } : {}), verifier: c.verifier, seed: c.seed, trace: true,
  });
  machine.pacer = pacer;
  // Lines written while it booted came before the run's trace events.
  tracedAt = machine.log.map(() => 0);
  const m = machine;
  m.kernel.logs.listeners.push(() => tracedAt.push(m.kernel.trace?.events.length ?? 0));
  state = paused ? 'paused' : 'running';
  post(snapshot());
  if (paused) await new Promise<void>((resolve) => (release = resolve));
  restartPace();
  sliceStartMs = performance.now();
  await machine.runScenario(sample, c.interactive ? { variant, seconds: c.seconds, input: pageInput } : { variant, seconds: c.seconds });
  state = 'finished';
  post(snapshot(machine.report().outcome));
}

/** kd's answer on the machine as it stands; refused while it runs (kd breaks in on a stopped machine). */
function kd(command: string): string {
  if (!machine) return 'No machine: run a sample first.';
  if (state === 'running' || state === 'booting') return 'The machine is running: pause it (or let it stop) before kd looks at it.';
  try {
    return machine.kd(command);
  } catch (e) {
    return `kd failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'run':
      run(m.choice, m.paused, m.untilEvents, m.untilTrace, m.file).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
      break;
    case 'kd':
      post({ type: 'kd', command: m.command, output: kd(m.command) });
      break;
    case 'pause':
      if (state === 'running') state = 'paused';
      break;
    case 'resume':
      if (state === 'paused') {
        state = 'running';
        restartPace();
        release?.();
      }
      break;
    case 'step':
      if (state === 'paused') {
        stepping = true;
        state = 'running';
        release?.();
      }
      break;
    case 'speed':
      if (choice) choice.speed = m.speed;
      restartPace();
      break;
    case 'pte':
      post({ type: 'pte', pid: m.pid, va: m.va, walk: machine?.pte(m.pid, m.va) });
      break;
    case 'answer':
      answer?.(m.choice);
      break;
  }
};

post({
  type: 'samples',
  samples: samples.map((s) => ({
    name: s.name, summary: s.summary, article: s.article, variants: (s.variants ?? []).map((v) => ({ name: v.name, summary: v.summary })),
  })),
});
