/**
 * The page: the controls, the worker that runs the machine, the memory
 * picture and the text panels. The choice lives in the URL, so that a link
 * reproduces a run.
 */
import type { Finding, MemoryMap } from 'ntshm';
import { showBlueScreen } from './bluescreen.js';
import { choiceFromQuery, queryOfChoice, readChoice, showChoice } from './choice.js';
import { appendEvents, askInWindow, clearPanels, pfnText, pteText, showFindings, showSharedFrames, vadText } from './panels.js';
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
/** Log lines and trace events the page has had from this run (a replay says where it stopped by them). */
let logSeen = 0;
let traceSeen = 0;
/** Where the replay in progress was asked to stop. */
let replayTarget: Parameters<Replay>[0] | undefined;

function send(m: ToWorker): void {
  worker?.postMessage(m);
}

/** What the status line says of a run that ended: how (as `ntshm run`'s Result line), and that the picture is the end's. */
function endedText(outcome: string, virtualMs: number, bugcheck: string | undefined): string {
  const at = `${(virtualMs / 1000).toFixed(3)} virtual seconds`;
  const replay = 'Show on a timeline event replays the run to that moment.';
  switch (outcome) {
    case 'completed': return `Finished at ${at}: the programs ran their course and exited, so the picture shows what is left mapped. ${replay}`;
    case 'bugcheck': return `Stopped at ${at} by bug check ${bugcheck ?? ''}: the picture shows the machine as it stopped; kd looks at it. ${replay}`;
    case 'cut': return `Cut at ${at}: the programs were still running when their seconds ran out (give them more Seconds). ${replay}`;
    case 'stuck': return `Stuck at ${at}: every program left waits for something that can never happen. ${replay}`;
    default: return `Finished at ${at}.`;
  }
}

/** Where a replay stopped, said against where it was asked to: the machine stops at a program's next request or between thread turns. */
function replayedText(virtualMs: number): string {
  const at = `Paused at ${(virtualMs / 1000).toFixed(3)} virtual seconds`;
  const target = replayTarget!;
  const [unit, asked, got] = 'events' in target ? ['log line', target.events, logSeen] : ['trace event', target.trace, traceSeen];
  if (got <= asked) return `${at}, just after the event you chose.`;
  const past = got - asked;
  return `${at}, ${past} ${unit}${past === 1 ? '' : 's'} past the event you chose: a thread stops only at its next request to the kernel (DeviceIoControl, a wait, Sleep) or when its turn ends, and the one that was running went on to there.`;
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
      logSeen += m.events.length;
      traceSeen = m.trace.length ? m.trace[m.trace.length - 1]!.n : traceSeen;
      map = m.map;
      picture.draw(m.map);
      appendEvents(m.events);
      appendTimeline(m.events, m.trace, m.bugcheck, m.virtualMs, replayTo, m.state !== 'running');
      showFindings(m.findings, highlightFinding);
      showSharedFrames(m.map, select);
      setState(m.state, m.virtualMs);
      document.body.dataset['virtualMs'] = String(m.virtualMs);
      if (m.outcome) {
        document.body.dataset['outcome'] = m.outcome;
        $('status').textContent = endedText(m.outcome, m.virtualMs, m.bugcheck ? `${m.bugcheck.codeHex} ${m.bugcheck.name}` : undefined);
        replayTarget = undefined;
      } else if (m.state === 'paused' && replayTarget) {
        $('status').textContent = replayedText(m.virtualMs);
        replayTarget = undefined;
      }
      if (m.bugcheck && $('bluescreen').hidden) {
        showBlueScreen($('bluescreen'), m.bugcheck, m.profile, m.images);
        setPageInert(true);
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
      if (t?.kind === 'page' && t.process.pid === m.pid && t.page.va === m.va) {
        // !pte's walk, then !pfn of the frame it maps: its share and lock counts, whose it is.
        const frame = map?.frames.find((f) => f.pfn === t.page.pfn);
        $('details-text').textContent = `${pteText(m.walk, t.process.name)}${vadText(t)}${frame ? `\n\n${pfnText(map, { kind: 'frame', frame })}` : ''}`;
      }
      break;
    }
    case 'question':
      $('status').textContent = `${m.process} waits for you (${m.question.replace(/[.:]\s*$/, '')}): press ${m.choices.slice(0, -1).join(', ')}${m.choices.length > 1 ? ' or ' : ''}${m.choices[m.choices.length - 1] ?? ''} in its window under "The programs".`;
      document.body.dataset['state'] = 'waiting';
      askInWindow(m.process, m.question, m.choices, (choice) => {
        $('status').textContent = `Running: ${m.process} was given ${choice}.`;
        send({ type: 'answer', choice });
      });
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
  logSeen = 0;
  traceSeen = 0;
  replayTarget = undefined;
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
  replayTarget = to;
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
/** While the blue screen covers the page, what is under it takes no focus (Tab stays on the screen). */
function setPageInert(inert: boolean): void {
  for (const el of document.querySelectorAll<HTMLElement>('body > header, body > main')) el.inert = inert;
}

/** Hides the blue screen; kd goes back to its place in the page. */
function closeBlueScreen(): void {
  $('bluescreen').hidden = true;
  setPageInert(false);
  $('findings-section').before($('kd-section'));
}
$('bluescreen-close').addEventListener('click', () => {
  closeBlueScreen();
  $('run').focus();
});
$('bluescreen-kd').addEventListener('click', () => kdConsole.focus());
// Escape closes the blue screen, as it closes a dialog.
$('bluescreen').addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  e.preventDefault();
  closeBlueScreen();
  $('run').focus();
});

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
