/**
 * The page: the controls, the worker that runs the machine, the memory
 * picture and the text panels. The choice lives in the URL, so that a link
 * reproduces a run.
 */
import type { Finding, MemoryMap } from 'ntshm';
import { showBlueScreen } from './bluescreen.js';
import { choiceFromQuery, queryOfChoice, readChoice, showChoice } from './choice.js';
import { appendEvents, askInWindow, clearPanels, pfnText, pteText, showFindings, showSharedFrames } from './panels.js';
import { appendTimeline, clearTimeline } from './timeline.js';
import { findingTargets } from './finding-targets.js';
import { MemoryPicture, same, type Target } from './picture.js';
import type { FromWorker, RunState, SampleInfo, ScenarioFile, ToWorker } from './protocol.js';
import { KdConsole } from './kd-console.js';
import { acceptScenarioFiles } from './file-drop.js';
import type { Replay } from './trace-tracks.js';
import MachineWorker from './worker.ts?worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>('picture');
const picture = new MemoryPicture(canvas);
let worker: Worker | undefined;
let samples: SampleInfo[] = [];
let map: MemoryMap | undefined;
let state: RunState | 'idle' = 'idle';
/** The scenario file the person dropped (runs instead of the sample until another sample is chosen). */
let dropped: ScenarioFile | undefined;
const kdConsole = new KdConsole((command) => send({ type: 'kd', command }));

function send(m: ToWorker): void {
  worker?.postMessage(m);
}

function setState(s: RunState | 'idle', virtualMs?: number): void {
  state = s;
  document.body.dataset['state'] = s;
  const pause = $<HTMLButtonElement>('pause');
  pause.disabled = s !== 'running' && s !== 'paused';
  pause.textContent = s === 'paused' ? 'Resume' : 'Pause';
  $<HTMLButtonElement>('step').disabled = s !== 'paused';
  const when = virtualMs === undefined ? '' : ` at ${(virtualMs / 1000).toFixed(3)} virtual seconds`;
  kdConsole.enable(s === 'paused' || s === 'finished');
  $('status').textContent = { idle: 'Choose a sample and press Run.', booting: 'Booting…', running: `Running${when}.`, paused: `Paused${when}.`, finished: `Finished${when}.` }[s];
}

function fillVariants(sample: string, variant = ''): void {
  const info = samples.find((s) => s.name === sample);
  const select = $<HTMLSelectElement>('variant');
  select.textContent = '';
  select.add(new Option('(the right code)', ''));
  for (const v of info?.variants ?? []) select.add(new Option(v.name, v.name));
  select.value = variant;
  $('summary').textContent = info ? `${info.article ? `Article ${info.article}: ` : ''}${info.summary}` : '';
}

function select(t: Target | undefined): void {
  picture.selected = t;
  picture.redraw();
  if (!t) return;
  if (t.kind === 'frame') $('details-text').textContent = pfnText(map, t);
  else {
    $('details-text').textContent = `kd> !pte ${t.page.vaText} …`;
    send({ type: 'pte', pid: t.process.pid, va: t.page.va });
  }
}

/** Highlights in the picture what a finding points at, and says how much that is. */
function highlightFinding(f: Finding): void {
  if (!map) return;
  const targets = findingTargets(f, map);
  picture.highlight = targets;
  picture.redraw();
  document.body.dataset['highlightPages'] = String(targets.pages.size);
  $('details-text').textContent = `${f.kind}: ${f.message}\n\nHighlighted (dashed): ${targets.pages.size} page(s), ${targets.frames.size} frame(s).`;
  canvas.scrollIntoView({ block: 'nearest' });
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'samples': {
      samples = m.samples;
      const s = $<HTMLSelectElement>('sample');
      s.textContent = '';
      for (const info of samples) s.add(new Option(info.name, info.name));
      const c = choiceFromQuery(location.search);
      fillVariants(c.sample, c.variant);
      showChoice(c);
      break;
    }
    case 'snapshot':
      map = m.map;
      picture.draw(m.map);
      appendEvents(m.events);
      appendTimeline(m.events, m.trace, m.bugcheck, m.virtualMs, replayTo, m.state !== 'running');
      showFindings(m.findings, highlightFinding);
      showSharedFrames(m.map, select);
      setState(m.state, m.virtualMs);
      document.body.dataset['virtualMs'] = String(m.virtualMs);
      if (m.outcome) document.body.dataset['outcome'] = m.outcome;
      if (m.bugcheck && $('bluescreen').hidden) {
        showBlueScreen($('bluescreen'), m.bugcheck, m.profile);
        // kd under the blue screen, as a debugger attached to the stopped machine shows it.
        $('bluescreen').insertBefore($('kd-section'), $('bluescreen-kd'));
        // kd's first word on a bug check, as WinDbg's is: !analyze -v.
        if (m.outcome) kdConsole.run('!analyze -v');
      }
      break;
    case 'kd':
      kdConsole.answer(m.command, m.output);
      break;
    case 'scenario':
      $('scenario-file-status').textContent = m.error ?? `Running ${m.name} from the dropped file${m.summary ? `: ${m.summary}` : ''}.`;
      document.body.dataset['scenario'] = m.error ? 'refused' : m.name;
      break;
    case 'pte': {
      const t = picture.selected;
      if (t?.kind === 'page' && t.process.pid === m.pid && t.page.va === m.va) $('details-text').textContent = pteText(m.walk, t.process.name);
      break;
    }
    case 'question':
      askInWindow(m.process, m.question, m.choices, (choice) => send({ type: 'answer', choice }));
      break;
    case 'error':
      $('status').textContent = `The run failed: ${m.message}`;
      document.body.dataset['state'] = 'error';
      break;
  }
}

function newWorker(): void {
  worker?.terminate();
  worker = new MachineWorker();
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
}

function reset(): void {
  newWorker();
  map = undefined;
  picture.selected = undefined;
  picture.highlight = undefined;
  clearPanels();
  clearTimeline();
  closeBlueScreen();
  kdConsole.clear();
  delete document.body.dataset['outcome'];
  canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
  setState('idle');
}

function run(paused = false, until?: Parameters<Replay>[0]): void {
  const c = readChoice();
  history.replaceState(null, '', queryOfChoice(c));
  reset();
  setState('booting');
  const untilEvents = until && 'events' in until ? until.events : undefined;
  const untilTrace = until && 'trace' in until ? until.trace : undefined;
  send({ type: 'run', choice: c, paused, untilEvents, untilTrace, file: dropped });
}

/** The machine as it was just after log line n (all of them for the bug check) or trace event n: the same run replayed from its seed, paused there. */
const replayTo: Replay = (to) => {
  run(false, to);
  $('status').textContent = `Replaying to ${'events' in to ? `log line ${to.events}` : `trace event ${to.trace}`}…`;
};

$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  run();
});
$('sample').addEventListener('change', () => {
  dropped = undefined;
  $('scenario-file-status').textContent = '';
  fillVariants($<HTMLSelectElement>('sample').value);
});
acceptScenarioFiles(document.body, $<HTMLInputElement>('scenario-file'), (file) => {
  dropped = file;
  $('scenario-file-status').textContent = `Loading ${file.name}…`;
  delete document.body.dataset['scenario'];
  run();
});
$('pause').addEventListener('click', () => send({ type: state === 'paused' ? 'resume' : 'pause' }));
$('step').addEventListener('click', () => send({ type: 'step' }));
$('reset').addEventListener('click', reset);
$('speed').addEventListener('change', () => {
  const c = readChoice();
  send({ type: 'speed', speed: c.speed });
  if (state !== 'idle') history.replaceState(null, '', queryOfChoice(c));
});
/** Hides the blue screen; kd goes back to its place in the page. */
function closeBlueScreen(): void {
  $('bluescreen').hidden = true;
  $('findings-section').before($('kd-section'));
}
$('bluescreen-close').addEventListener('click', () => {
  closeBlueScreen();
  $('run').focus();
});
$('bluescreen-kd').addEventListener('click', () => kdConsole.focus());

const point = (e: MouseEvent) => {
  const r = canvas.getBoundingClientRect();
  return picture.at(((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height);
};
canvas.addEventListener('click', (e) => select(point(e)));
canvas.addEventListener('mousemove', (e) => {
  const t = point(e);
  canvas.style.cursor = t ? 'pointer' : 'default';
  if (t && !(picture.selected && same(picture.selected, t))) select(t);
});
// The keyboard walks the pages and frames: arrows move, Escape clears.
canvas.addEventListener('keydown', (e) => {
  const all = picture.targets();
  if (all.length === 0) return;
  const i = picture.selected ? all.findIndex((t) => same(t, picture.selected!)) : -1;
  if (e.key === 'ArrowRight' || e.key === 'ArrowDown') select(all[(i + 1) % all.length]);
  else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') select(all[(i - 1 + all.length) % all.length]);
  else if (e.key === 'Escape') select(undefined);
  else return;
  e.preventDefault();
});

newWorker();
setState('idle');
if (!crossOriginIsolated) $('status').textContent = 'This page is not cross-origin isolated: SharedArrayBuffer is missing, and the machine cannot boot. Serve it with `ntshm ui`.';
// A link that names a sample runs it.
if (new URLSearchParams(location.search).has('sample')) {
  const start = () => (samples.length ? run() : setTimeout(start, 20));
  start();
}
