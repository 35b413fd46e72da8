/**
 * The machine's trace, in Chrome's trace-event format (the JSON Perfetto and
 * chrome://tracing open): what ran when, in virtual time. Off unless
 * `boot({ trace: true })`; every hook is one null check when it is off.
 *
 * Tracks: one process per guest process (its pid), one thread per guest
 * thread (its thread id), named by metadata events; and a process "CPUs"
 * with one thread per processor, where what runs in no thread of its own
 * (DPCs, clock ticks) goes. Events: dispatch routines as complete events
 * ("X", with their duration in virtual time), requests held pending as
 * async spans ("b"/"e", id the IRP), and instants ("i") for clock ticks,
 * faults, mappings and unmappings, page-ins and page-outs, bug checks.
 * https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU (Trace Event Format)
 */
import type { KeContext } from './context.js';
import type { Prcb } from './prcb.js';
import type { KProcess, KThread } from './thread.js';

/** One trace event (the fields the format defines that ntshm uses). */
export interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'i' | 'b' | 'e' | 'M';
  /** Virtual time in microseconds since boot. */
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  id?: string;
  /** An instant's scope: thread, process or global. */
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

/** The JSON object a trace file holds. */
export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData: Record<string, unknown>;
}

/** The pid of the "CPUs" track (no guest process has it: pids are multiples of 4 below it). */
export const CPU_TRACK_PID = 0x7fff_fffc;

/** Where a trace event goes: a guest thread's track or a CPU's. */
interface Track {
  pid: number;
  tid: number;
}

/** The recorder: events in the order they happened. */
export class KeTrace {
  readonly events: TraceEvent[] = [];
  private readonly namedProcesses = new Set<number>();
  private readonly namedThreads = new Set<string>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(private readonly k: KeContext, private readonly settings: Record<string, unknown>) {
    this.metadata('process_name', CPU_TRACK_PID, 0, { name: 'CPUs' });
    for (const p of k.prcbs) this.metadata('thread_name', CPU_TRACK_PID, p.number, { name: `CPU ${p.number}` });
  }

  /** Virtual time now, in µs. */
  get now(): number {
    return this.k.clock.nowNs / 1000;
  }

  /** A complete event that began at `startNs` and ends now, on the current thread's track (a CPU's inside a DPC). */
  complete(name: string, cat: string, startNs: number, args?: Record<string, unknown>): void {
    const track = this.currentTrack();
    this.events.push({ name, cat, ph: 'X', ts: startNs / 1000, dur: Math.max(0, this.k.clock.nowNs - startNs) / 1000, pid: track.pid, tid: track.tid, ...(args ? { args } : {}) });
  }

  /** An instant on the current track (`scope` 'g' for one every track shows). */
  instant(name: string, cat: string, args?: Record<string, unknown>, scope: 't' | 'g' = 't'): void {
    const track = this.currentTrack();
    this.events.push({ name, cat, ph: 'i', s: scope, ts: this.now, pid: track.pid, tid: track.tid, ...(args ? { args } : {}) });
  }

  /** An instant on a CPU's track. */
  cpuInstant(prcb: Prcb, name: string, cat: string, args?: Record<string, unknown>): void {
    this.events.push({ name, cat, ph: 'i', s: 't', ts: this.now, pid: CPU_TRACK_PID, tid: prcb.number, ...(args ? { args } : {}) });
  }

  /** A complete event on a CPU's track (a DPC). */
  cpuComplete(prcb: Prcb, name: string, cat: string, startNs: number, args?: Record<string, unknown>): void {
    this.events.push({ name, cat, ph: 'X', ts: startNs / 1000, dur: Math.max(0, this.k.clock.nowNs - startNs) / 1000, pid: CPU_TRACK_PID, tid: prcb.number, ...(args ? { args } : {}) });
  }

  /** The start of an asynchronous span (a request held pending), on `thread`'s track. */
  asyncBegin(name: string, cat: string, id: number, thread: KThread | null, args?: Record<string, unknown>): void {
    const track = thread ? this.threadTrack(thread) : this.currentTrack();
    this.events.push({ name, cat, ph: 'b', id: `0x${id.toString(16)}`, ts: this.now, pid: track.pid, tid: track.tid, ...(args ? { args } : {}) });
  }

  asyncEnd(name: string, cat: string, id: number, thread: KThread | null, args?: Record<string, unknown>): void {
    const track = thread ? this.threadTrack(thread) : this.currentTrack();
    this.events.push({ name, cat, ph: 'e', id: `0x${id.toString(16)}`, ts: this.now, pid: track.pid, tid: track.tid, ...(args ? { args } : {}) });
  }

  /** The trace as its file holds it. */
  file(): TraceFile {
    return { traceEvents: [...this.events], displayTimeUnit: 'ns', otherData: { producer: 'ntshm', clock: 'virtual', ...this.settings } };
  }

  private currentTrack(): Track {
    const prcb = this.k.current;
    if (prcb.dpcRoutineActive) return { pid: CPU_TRACK_PID, tid: prcb.number };
    return this.threadTrack(prcb.currentThread);
  }

  private threadTrack(thread: KThread): Track {
    const process = thread.process;
    const pid = this.pidOf(process);
    const tid = this.tidOf(thread);
    const key = `${pid}/${tid}`;
    if (!this.namedThreads.has(key)) {
      this.namedThreads.add(key);
      this.metadata('thread_name', pid, tid, { name: thread.label });
    }
    return { pid, tid };
  }

  private pidOf(process: KProcess): number {
    const pid = (process as { UniqueProcessId?: unknown }).UniqueProcessId;
    const value = typeof pid === 'number' ? pid : this.idOf(process);
    if (!this.namedProcesses.has(value)) {
      this.namedProcesses.add(value);
      this.metadata('process_name', value, 0, { name: `${process.ImageFileName} (pid ${value})` });
    }
    return value;
  }

  private tidOf(thread: KThread): number {
    const cid = (thread as { Cid?: unknown }).Cid;
    return typeof cid === 'number' ? cid : this.idOf(thread);
  }

  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, (id = 0x7000_0000 + this.nextId++));
    return id;
  }

  private metadata(name: 'process_name' | 'thread_name', pid: number, tid: number, args: Record<string, unknown>): void {
    this.events.push({ name, cat: '__metadata', ph: 'M', ts: 0, pid, tid, args });
  }
}
