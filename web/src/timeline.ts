/**
 * The timeline: every log line (DbgPrint, a program's output) and the bug
 * check, in virtual time, each with a button that replays the run from its
 * seed to just after that line was written (the page's run with
 * `untilEvents`) and pauses there.
 */
import type { LogEvent, ReportBugCheck } from 'ntshm';

const list = () => document.getElementById('timeline')!;
let bugcheckShown = false;

export function clearTimeline(): void {
  list().textContent = '';
  bugcheckShown = false;
}

function item(t: number, n: number, text: string, kind: string, replay: (n: number) => void): HTMLLIElement {
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
  show.addEventListener('click', () => replay(n));
  li.append(when, what, show);
  return li;
}

/** Appends the snapshot's events (and the bug check, once). */
export function appendTimeline(events: readonly LogEvent[], bugcheck: ReportBugCheck | null, virtualMs: number, replay: (n: number) => void): void {
  const ol = list();
  for (const e of events) ol.append(item(e.t, ol.children.length + 1, `[${e.process}] ${e.source === 'dbgprint' ? 'DbgPrint' : 'output'}: ${e.text}`, e.source, replay));
  if (bugcheck && !bugcheckShown) {
    bugcheckShown = true;
    ol.append(item(virtualMs, Infinity, `bug check ${bugcheck.codeHex} ${bugcheck.name}`, 'bugcheck', replay));
  }
}
