/**
 * The machine's trace (Chrome's trace-event format, src/kernel/ke/trace.ts)
 * read for the timeline: each new event with its place in the trace (a
 * replay to it stops when the trace is that long), its track named (the
 * process, or the CPU for DPCs and clock ticks), its arguments as one line.
 */
import type { TraceEvent } from 'ntshm';
import type { TimelineTraceEvent } from './protocol.js';

export class TraceReader {
  /** Trace events already read. */
  private read = 0;
  /** Track names from the trace's metadata ("process_name" and the CPUs' "thread_name"). */
  private readonly processes = new Map<number, string>();
  private readonly cpus = new Map<number, string>();
  private cpuPid = -1;

  /** The events recorded since the last call (none for an untraced machine). */
  since(events: readonly TraceEvent[] | undefined): TimelineTraceEvent[] {
    if (!events) return [];
    const out: TimelineTraceEvent[] = [];
    for (; this.read < events.length; this.read++) {
      const e = events[this.read]!;
      if (e.ph === 'M') {
        const name = String(e.args?.['name'] ?? '');
        if (e.name === 'process_name') {
          this.processes.set(e.pid, name.replace(/ \(pid \d+\)$/, ''));
          if (name === 'CPUs') this.cpuPid = e.pid;
        } else if (e.pid === this.cpuPid) this.cpus.set(e.tid, name);
        continue;
      }
      // An async span's end repeats its begin's name: the timeline shows it as the request's completion.
      const name = e.ph === 'e' ? `${e.name} completed` : e.name;
      const track = e.pid === this.cpuPid ? (this.cpus.get(e.tid) ?? `CPU ${e.tid}`) : (this.processes.get(e.pid) ?? `pid ${e.pid}`);
      const detail = e.args ? Object.entries(e.args).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ') : '';
      out.push({ n: this.read + 1, t: e.ts / 1000, ...(e.dur !== undefined ? { dur: e.dur / 1000 } : {}), name, cat: e.cat, track, detail });
    }
    return out;
  }
}
