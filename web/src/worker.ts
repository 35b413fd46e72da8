/**
 * The machine, in a Web Worker so that the page stays responsive: boots for
 * the page's choice, runs the sample in slices (Machine.pacer), and posts a
 * snapshot of the memory picture, the log, the findings and the bug check
 * after each slice it shows. Pause, step and speed arrive between slices.
 */
import { boot, MemoryVolumeStore, type Machine, type RunPacer, type ScenarioInput } from 'ntshm';
import { findSample, samples } from 'ntshm/samples';
import type { FromWorker, RunChoice, RunState, Snapshot, ToWorker } from './protocol.js';

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

function snapshot(outcome?: Snapshot['outcome']): Snapshot {
  const m = machine!;
  const log = m.log;
  const events = log.slice(posted);
  posted = log.length;
  const report = outcome ? m.report() : undefined;
  const snap: Snapshot = {
    type: 'snapshot', state, virtualMs: Math.floor(m.kernel.clock.nowNs / 1e6), map: m.memoryMap(), events,
    findings: [...m.kernel.findings], bugcheck: report?.bugcheck ?? null, profile: choice!.profile,
  };
  if (report) {
    snap.outcome = report.outcome;
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
    if (stepping || state === 'paused') return true;
    const wall = performance.now();
    if (wall - sliceStartMs > 30) return true;
    // A replay goes as fast as it can to its moment.
    const speed = untilEvents === undefined ? choice!.speed : 0;
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
      const ahead = () => (choice!.speed > 0 && untilEvents === undefined ? (machine!.kernel.clock.nowNs - paceVirtualNs) / 1e6 / choice!.speed - (performance.now() - paceWallMs) : 0);
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

async function run(c: RunChoice, paused: boolean, until: number | undefined): Promise<void> {
  untilEvents = until;
  const sample = findSample(c.sample);
  if (!sample) throw new RangeError(`no sample named ${c.sample}`);
  const variant = c.variant || undefined;
  choice = c;
  // Like `ntshm run`'s machine, with the volume C: in memory instead of a host folder.
  machine = await boot({
    volume: new MemoryVolumeStore(), ...sample.bootOptions?.(variant), arch: c.arch, profile: c.profile, verifier: c.verifier, seed: c.seed,
  });
  machine.pacer = pacer;
  state = paused ? 'paused' : 'running';
  post(snapshot());
  if (paused) await new Promise<void>((resolve) => (release = resolve));
  restartPace();
  sliceStartMs = performance.now();
  await machine.runScenario(sample, c.interactive ? { variant, seconds: c.seconds, input: pageInput } : { variant, seconds: c.seconds });
  state = 'finished';
  post(snapshot(machine.report().outcome));
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'run':
      run(m.choice, m.paused, m.untilEvents).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
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
