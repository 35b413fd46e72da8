/**
 * The page's text parts: the DbgPrint console, each program's window (its
 * output; SharingMemory's dialog shows its clock), the findings, the list of
 * frames mapped more than once (what the canvas shows, for a screen reader
 * and for tests), and the !pte / !pfn details of the selection.
 */
import type { Finding, LogEvent, MemoryMap, PteWalk } from 'ntshm';
import type { Target } from './picture.js';
import { SECTION_PROGRAM, sectionDialog } from './section-window.js';

const $ = (id: string) => document.getElementById(id)!;

/** Virtual time as DebugView's column shows it: seconds since boot. */
const seconds = (ms: number) => (ms / 1000).toFixed(3).padStart(9, ' ');

export function clearPanels(): void {
  $('console').textContent = '';
  $('program-windows').textContent = '';
  $('findings').innerHTML = '<li class="none">None.</li>';
  $('shared-frames').textContent = '';
  $('details-text').textContent = 'Nothing selected.';
}

/** Appends log lines: DbgPrint to the console, a program's output to its window. */
export function appendEvents(events: readonly LogEvent[]): void {
  const console = $('console');
  const lines: string[] = [];
  for (const e of events) {
    if (e.source === 'dbgprint') lines.push(`${seconds(e.t)}  [${e.process}]  ${e.text}`);
    else programWindow(e.process).append(e.text);
  }
  if (lines.length) {
    console.append(`${lines.join('\n')}\n`);
    console.scrollTop = console.scrollHeight;
  }
}

/** A program's window, made the first time it writes. */
function programWindow(process: string): { append(text: string): void } {
  const host = $('program-windows');
  let win = host.querySelector<HTMLElement>(`[data-process="${CSS.escape(process)}"]`);
  if (!win) {
    win = document.createElement('figure');
    win.className = 'program-window';
    win.dataset['process'] = process;
    const title = document.createElement('figcaption');
    title.textContent = process;
    const last = document.createElement('output');
    last.className = 'last';
    last.setAttribute('aria-label', `${process}: last line`);
    const out = document.createElement('pre');
    out.className = 'stdout';
    // It scrolls (long lines, many lines): focusable, so that the keyboard can scroll it too.
    out.tabIndex = 0;
    out.setAttribute('aria-label', `${process}: output`);
    win.append(title, last, out);
    host.append(win);
  }
  const w = win;
  return {
    append(text: string) {
      w.querySelector('.stdout')!.append(`${text}\n`);
      const last = w.querySelector<HTMLElement>('.last')!;
      last.textContent = text;
      // The big line is for a clock's few characters (SharingMemory's dialog); a sentence reads at a smaller size.
      last.classList.toggle('long', text.length > 24);
      if (process === SECTION_PROGRAM) sectionDialog(w, text);
    },
  };
}

/** The findings, each a button that highlights in the picture what it points at. */
export function showFindings(findings: readonly Finding[], choose: (f: Finding) => void): void {
  const list = $('findings');
  if (findings.length === 0) return;
  if (list.children.length === findings.length && !list.querySelector('.none')) return;
  list.textContent = '';
  for (const f of findings) {
    const li = document.createElement('li');
    li.dataset['kind'] = f.kind;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'finding';
    button.textContent = `${f.kind}${f.driver ? ` (${f.driver}${f.routine ? `!${f.routine}` : ''})` : ''}: ${f.message}`;
    button.addEventListener('click', () => choose(f));
    li.append(button);
    list.append(li);
  }
}

/** The frames mapped more than once, each with the addresses that map it: the canvas's meaning in text. */
export function showSharedFrames(map: MemoryMap, select: (t: Target) => void): void {
  const list = $('shared-frames');
  list.textContent = '';
  for (const frame of map.frames.filter((f) => f.shareCount > 1)) {
    const maps = map.processes.flatMap((process) => process.pages.filter((p) => p.pfn === frame.pfn).map((page) => ({ process, page })));
    const li = document.createElement('li');
    li.dataset['pfn'] = frame.pfn.toString(16);
    li.dataset['lines'] = String(maps.length);
    li.dataset['processes'] = [...new Set(maps.map((m) => m.process.name))].join(',');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `pfn ${frame.pfn.toString(16)} (${frame.use}${frame.label ? `, ${frame.label}` : ''}): ×${frame.shareCount} — `
      + maps.map((m) => `${m.process.name} ${m.page.vaText} (${m.page.user ? 'user' : 'kernel'})`).join('; ');
    button.addEventListener('click', () => select({ kind: 'frame', frame }));
    li.append(button);
    list.append(li);
  }
  if (!list.children.length) list.innerHTML = '<li class="none">None yet.</li>';
}

/** `!pfn` for a frame, as kd prints its counts, with the mappings the picture knows. */
export function pfnText(map: MemoryMap | undefined, t: Extract<Target, { kind: 'frame' }>): string {
  const f = t.frame;
  const maps = map?.processes.flatMap((p) => p.pages.filter((pg) => pg.pfn === f.pfn).map((pg) => `    ${p.name} ${pg.vaText} ${pg.user ? 'user' : 'kernel'} ${pg.writable ? 'writable' : 'read-only'}`)) ?? [];
  return [
    `kd> !pfn ${f.pfn.toString(16)}`,
    `    PFN ${f.pfn.toString(16).toUpperCase().padStart(8, '0')}`,
    `    share count ${f.shareCount.toString(16).padStart(8, '0')}  lock count ${f.lockCount}  ${f.use}${f.label ? `  ${f.label}` : ''}`,
    '',
    `mapped at (the page tables' reverse map):`,
    ...(maps.length ? maps : ['    nowhere (locked only)']),
  ].join('\n');
}

/** The VAD that holds a user page, as a line under `!pte` (kd's `!vad` gives the same range and kind). */
export function vadText(t: Extract<Target, { kind: 'page' }>): string {
  const vad = t.process.vads.find((v) => t.page.va >= v.start && t.page.va < v.end);
  if (!t.page.user) return '';
  if (!vad) return `\n\nVAD: none holds it (${t.process.name} did not reserve this range)`;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return `\n\nVAD ${hex(vad.start)}-${hex(vad.end - 1)} (${(vad.end - vad.start) / 4096} page(s)) ${vad.kind}, protection 0x${vad.protection.toString(16)}`;
}

/** `!pte` for a page, from the worker's walk. */
export function pteText(walk: PteWalk | undefined, processName: string): string {
  if (!walk) return `${processName} has exited: its page tables are gone.`;
  return [
    `kd> !pte ${walk.va}   (in ${processName})`,
    ...walk.levels.map((l) => `${l.name} at ${l.entryVa}  contains ${l.contains}  ${l.valid ? `pfn ${l.pfn.toString(16)} ${l.flags}` : 'not valid'}`),
  ].join('\n');
}

/** A program's question (the mdl-pages client's buttons): a button per choice in its window; one press answers it. */
export function askInWindow(process: string, question: string, choices: readonly string[], answer: (choice: string) => void): void {
  programWindow(process);
  const win = $('program-windows').querySelector<HTMLElement>(`[data-process="${CSS.escape(process)}"]`)!;
  const bar = document.createElement('div');
  bar.className = 'buttons';
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', question);
  for (const choice of choices) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = choice;
    b.addEventListener('click', () => {
      bar.remove();
      answer(choice);
    });
    bar.append(b);
  }
  win.querySelector('figcaption')!.after(bar);
  (bar.firstElementChild as HTMLButtonElement | null)?.focus();
}
