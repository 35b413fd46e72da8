/**
 * The timeline: every log line (DbgPrint, a program's output), the kernel's
 * trace events (IRPs with their major function, IOCTL code and status,
 * dispatch routines, DPCs, clock ticks, faults, mappings and unmappings,
 * page-ins and outs) and the bug check, in virtual time. A canvas draws
 * them on tracks, one per kind of event; the list under it gives each event
 * in text with a button that replays the run from its seed to just after
 * it (the page's run with `untilEvents` or `untilTrace`) and pauses there.
 * Clicking a mark on the tracks does the same.
 */
import type { ReportBugCheck } from 'ntshm';
import type { TimelineLogEvent, TimelineTraceEvent } from './protocol.js';
import { TraceTracks, type Replay } from './trace-tracks.js';

const list = () => document.getElementById('timeline')!;
let bugcheckShown = false;
/** Log lines seen (a log line's replay stops when the log is that long). */
let logLines = 0;
/** Trace events listed (clock ticks and DPCs are many: they are on the tracks, not in the list); the list stops at a bound. */
let listed = 0;
const LIST_LIMIT = 2000;
let tracks: TraceTracks | undefined;
let lastDrawMs = 0;
/** Ids for the events' text, which their Show buttons point at. */
let itemIds = 0;

export function clearTimeline(): void {
  list().textContent = '';
  bugcheckShown = false;
  logLines = 0;
  listed = 0;
  tracks ??= new TraceTracks(document.getElementById('tracks') as HTMLCanvasElement);
  tracks.clear();
}

function item(t: number, text: string, kind: string, onShow: () => void): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset['t'] = String(t);
  li.dataset['kind'] = kind;
  const when = document.createElement('span');
  when.className = 'when';
  when.textContent = `${(t / 1000).toFixed(3)} s`;
  const what = document.createElement('span');
  what.textContent = ` ${text} `;
  const show = document.createElement('button');
  show.type = 'button';
  show.textContent = 'Show';
  show.setAttribute('aria-label', `Show the machine at ${(t / 1000).toFixed(3)} virtual seconds`);
  // Many events share a millisecond: the event's own text tells the buttons apart to a screen reader.
  what.id = `timeline-event-${++itemIds}`;
  show.setAttribute('aria-describedby', what.id);
  show.addEventListener('click', onShow);
  li.append(when, what, show);
  return li;
}

/** What the list says of a kind of trace event. */
const LABELS: Record<string, string> = { irp: 'IRP', mapping: 'mapping', fault: 'fault', paging: 'paging', bugcheck: 'bug check', dpc: 'DPC', interrupt: 'interrupt' };
/** The kinds the list shows (all kinds are on the tracks). */
const LISTED = new Set(['irp', 'mapping', 'fault', 'paging']);

/** Appends the snapshot's log lines and trace events in time order (and the bug check, once). */
export function appendTimeline(events: readonly TimelineLogEvent[], traced: readonly TimelineTraceEvent[], bugcheck: ReportBugCheck | null, virtualMs: number, replay: Replay, stopped: boolean): void {
  const ol = list();
  tracks ??= new TraceTracks(document.getElementById('tracks') as HTMLCanvasElement);
  // In the order they happened, which virtual time alone cannot give (a whole request often runs within one
  // millisecond): a log line comes after the trace events recorded before it was written.
  const rows: { order: number; li: () => HTMLLIElement }[] = [];
  for (const e of events) {
    const n = ++logLines;
    rows.push({ order: e.traced + 0.5, li: () => item(e.t, `[${e.process}] ${e.source === 'dbgprint' ? 'DbgPrint' : 'output'}: ${e.text}`, e.source, () => replay({ events: n })) });
  }
  for (const e of traced) {
    if (!LISTED.has(e.cat) || listed >= LIST_LIMIT) continue;
    listed++;
    // A dispatch routine is recorded when it returns (what it printed comes before it): listed then, at its end.
    const end = e.t + (e.dur ?? 0);
    const what = `${e.name}${e.dur !== undefined ? ' returned' : ''}`;
    rows.push({ order: e.n, li: () => item(end, `[${e.track}] ${LABELS[e.cat] ?? e.cat}: ${what}${e.detail ? ` (${e.detail})` : ''}`, `trace-${e.cat}`, () => replay({ trace: e.n })) });
  }
  rows.sort((a, b) => a.order - b.order);
  for (const r of rows) ol.append(r.li());
  tracks.add(traced, replay);
  if (bugcheck && !bugcheckShown) {
    bugcheckShown = true;
    ol.append(item(virtualMs, `bug check ${bugcheck.codeHex} ${bugcheck.name}`, 'bugcheck', () => replay({ events: Infinity })));
  }
  // A long run's tracks hold hundreds of thousands of marks: redrawn a few times a second while it runs, and when it stops.
  if (stopped || performance.now() - lastDrawMs > 250) {
    lastDrawMs = performance.now();
    tracks.draw(virtualMs);
  }
}
