/**
 * The timeline's tracks: a canvas with one row per kind of trace event (IRPs
 * and dispatch routines, DPCs, clock ticks, faults, mappings, paging, the
 * bug check), virtual time across. A dispatch routine or DPC is a bar as
 * long as it ran; the rest are ticks. Each row has its name written (colour
 * is not the only carrier of what a mark is); clicking a mark replays the
 * run to it. The list under the canvas says the same in text.
 */
import type { TimelineTraceEvent } from './protocol.js';

/** Where a replay stops: after that many log lines, or that many trace events. */
export type Replay = (to: { events: number } | { trace: number }) => void;

const ROWS = [
  { cat: 'irp', label: 'IRPs', color: '#2b6cb0' },
  { cat: 'dpc', label: 'DPCs', color: '#805ad5' },
  { cat: 'interrupt', label: 'clock ticks', color: '#718096' },
  { cat: 'fault', label: 'faults', color: '#c05621' },
  { cat: 'mapping', label: 'mappings', color: '#2f855a' },
  { cat: 'paging', label: 'paging', color: '#b7791f' },
  { cat: 'bugcheck', label: 'bug check', color: '#c53030' },
] as const;
const LABEL_W = 90;
const ROW_H = 18;

export class TraceTracks {
  private events: TimelineTraceEvent[] = [];
  private endMs = 1;
  private replay: Replay | undefined;

  constructor(private readonly canvas: HTMLCanvasElement) {
    canvas.height = ROWS.length * ROW_H + 16;
    canvas.addEventListener('click', (e) => {
      const r = canvas.getBoundingClientRect();
      const hit = this.at(((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height);
      if (hit) this.replay?.({ trace: hit.n });
    });
  }

  clear(): void {
    this.events = [];
    this.endMs = 1;
    this.draw(1);
  }

  add(events: readonly TimelineTraceEvent[], replay: Replay): void {
    this.replay = replay;
    for (const e of events) this.events.push(e);
  }

  private x(t: number): number {
    return LABEL_W + (t / this.endMs) * (this.canvas.width - LABEL_W - 4);
  }

  /** The event whose mark is nearest (within a few pixels) to the point. */
  at(x: number, y: number): TimelineTraceEvent | undefined {
    const row = ROWS[Math.floor(y / ROW_H)];
    if (!row || x < LABEL_W) return undefined;
    let best: TimelineTraceEvent | undefined;
    let bestD = 6;
    for (const e of this.events) {
      if (e.cat !== row.cat) continue;
      const x0 = this.x(e.t);
      const x1 = this.x(e.t + (e.dur ?? 0));
      const d = x < x0 ? x0 - x : x > x1 ? x - x1 : 0;
      if (d < bestD) {
        bestD = d;
        best = e;
      }
    }
    return best;
  }

  draw(virtualMs: number): void {
    const c = this.canvas.getContext('2d');
    if (!c) return;
    this.endMs = Math.max(1, virtualMs, ...this.events.slice(-1).map((e) => e.t + (e.dur ?? 0)));
    const { width, height } = this.canvas;
    c.clearRect(0, 0, width, height);
    c.font = '11px system-ui, sans-serif';
    c.textBaseline = 'middle';
    ROWS.forEach((row, i) => {
      const y = i * ROW_H;
      c.fillStyle = i % 2 ? '#f7fafc' : '#edf2f7';
      c.fillRect(0, y, width, ROW_H);
      c.fillStyle = '#1a202c';
      c.fillText(row.label, 4, y + ROW_H / 2);
    });
    const rowOf = new Map<string, number>(ROWS.map((r, i) => [r.cat, i]));
    for (const e of this.events) {
      const i = rowOf.get(e.cat);
      if (i === undefined) continue;
      const x0 = this.x(e.t);
      const w = Math.max(1.5, this.x(e.t + (e.dur ?? 0)) - x0);
      c.fillStyle = ROWS[i]!.color;
      c.fillRect(x0, i * ROW_H + 3, w, ROW_H - 6);
    }
    // The time axis: seconds.
    c.fillStyle = '#1a202c';
    const y = ROWS.length * ROW_H + 8;
    const step = this.endMs > 5000 ? 1000 : this.endMs > 1000 ? 500 : 100;
    for (let t = 0; t <= this.endMs; t += step) c.fillText(`${(t / 1000).toFixed(1)} s`, Math.min(this.x(t) - 8, width - 34), y);
  }
}
