/**
 * Figure 7 of the performance targets (issue 10, item 7): ring throughput for
 * 64-byte records between a driver and a program, in records per second.
 *
 *   ntshm:      the event-ring sample as `ntshm run event-ring` runs it
 *               (x64): 100 000 records written by the driver through its
 *               system mapping at the producer thread's doorbell, read by the
 *               consumer thread at its user address, with the event, the
 *               waits and the IOCTLs. Throughput is records over the time
 *               they take to move: wall time from the program's line saying
 *               where the ring is (the setup IOCTL has returned) to its line
 *               saying what it received (both threads done). The whole
 *               `machine.run()`, which adds the program's start (process,
 *               image, handles, the setup IOCTL that allocates and maps the
 *               ring) and its exit and rundown, is reported beside it.
 *   host limit: the same protocol and the same work on a SharedArrayBuffer
 *               in this thread (hostRun): batches of at most the ring's 1024
 *               records, producer and consumer alternating, as the sample's
 *               threads alternate on one CPU.
 * Rounds alternate between the two, so that the host's load moves both alike.
 */
import { performance } from 'node:perf_hooks';
import { boot, type Machine } from '../src/index.js';
import { findSample } from '../samples/registry.js';
import {
  CHECK_XOR, DEFAULT_CAPACITY, RECORD_SIZE, REC_CHECK, REC_INDEX, REC_PAYLOAD, REC_REQUEST_ID, REC_SEQUENCE, TOTAL_RECORDS,
} from '../samples/event-ring/protocol.js';
import { median, sink } from './measure.js';

export interface RingFigures {
  records: number;
  /** Median records per second through the emulated ring, and wall ms of the records' moving. */
  emulatedRecordsPerSec: number;
  emulatedMs: number;
  /** Median wall ms of the whole run: the program's start and exit too. */
  emulatedRunMs: number;
  /** Median records per second through the host's SharedArrayBuffer ring, and wall ms per run. */
  hostRecordsPerSec: number;
  hostMs: number;
  /** host / emulated, the median of each round's pair: the goal is ≥ 0.5. */
  ratio: number;
  /** The same with the emulated whole run. */
  runRatio: number;
}

/** Wall times of one run of the sample: the records' moving and the whole run; a run that does not move every record once is an error, not a figure. */
async function emulatedRun(): Promise<{ ringMs: number; runMs: number }> {
  const sample = findSample('event-ring');
  if (!sample) throw new Error('the event-ring sample is not registered');
  const machine: Machine = await boot({ arch: 'x64' });
  await sample.setup(machine, { seconds: 10, variant: undefined });
  let ringStart = NaN;
  let ringEnd = NaN;
  machine.kernel.logs.listeners.push((e) => {
    if (e.source !== 'stdout') return;
    if (e.text.startsWith('The ring is at ')) ringStart = performance.now();
    else if (e.text.startsWith('Received ')) ringEnd = performance.now();
  });
  const t0 = performance.now();
  const r = await machine.run();
  const runMs = performance.now() - t0;
  if (r.bugcheck) throw new Error(`event-ring stopped with ${r.bugcheck.name}`);
  const out = machine.log.filter((e) => e.source === 'stdout').map((e) => e.text);
  if (!out.includes(`All ${TOTAL_RECORDS} records arrived once each, in order.`)) throw new Error(`event-ring did not deliver:\n${out.join('\n')}`);
  if (!(ringEnd > ringStart)) throw new Error('event-ring did not print where its ring is and what it received');
  return { ringMs: ringEnd - ringStart, runMs };
}

/**
 * The host's ring: the sample's work without the machine. The producer builds each record in place (the
 * same fields and payload fill as the driver's StageRecord) and publishes the head with Atomics.store; the
 * consumer copies the batch out (slice, as getBytes does), publishes the tail, and checks the copy.
 */
export function hostRun(total: number, capacity: number): number {
  const sab = new SharedArrayBuffer(2 * 4096 + capacity * RECORD_SIZE);
  const control = new Int32Array(sab, 0, 1024);
  const ring = new Uint8Array(sab, 2 * 4096);
  const ringView = new DataView(sab, 2 * 4096);
  const HEAD = 0;
  const TAIL = 16;
  const PER_REQUEST = 250;
  let seq = 0;
  let expected = 0;
  let bad = 0;
  const t0 = performance.now();
  while (expected < total) {
    // Producer: as many records as there is room for.
    let head = control[HEAD]!;
    const tail = Atomics.load(control, TAIL);
    let free = capacity - ((head - tail) >>> 0);
    while (free > 0 && seq < total) {
      const at = ((head >>> 0) % capacity) * RECORD_SIZE;
      const id = Math.floor(seq / PER_REQUEST) + 1;
      ringView.setUint32(at + REC_SEQUENCE, seq >>> 0, true);
      ringView.setUint32(at + REC_SEQUENCE + 4, Math.floor(seq / 2 ** 32), true);
      ringView.setUint32(at + REC_REQUEST_ID, id, true);
      ringView.setUint32(at + REC_INDEX, seq % PER_REQUEST, true);
      ring.fill(id & 0xff, at + REC_PAYLOAD, at + REC_CHECK);
      ringView.setUint32(at + REC_CHECK, (seq ^ CHECK_XOR) >>> 0, true);
      head = (head + 1) | 0;
      free--;
      seq++;
    }
    Atomics.store(control, HEAD, head);
    // Consumer: copy out everything below the head (one slice per contiguous run), publish the tail, check.
    const h = Atomics.load(control, HEAD);
    const t = control[TAIL]!;
    const count = (h - t) >>> 0;
    const from = (t >>> 0) % capacity;
    const first = Math.min(count, capacity - from);
    const runs = [ring.slice(from * RECORD_SIZE, (from + first) * RECORD_SIZE)];
    if (first < count) runs.push(ring.slice(0, (count - first) * RECORD_SIZE));
    Atomics.store(control, TAIL, h);
    for (const run of runs) {
      const v = new DataView(run.buffer, run.byteOffset, run.byteLength);
      for (let at = 0; at < run.byteLength; at += RECORD_SIZE) {
        const low = v.getUint32(at + REC_SEQUENCE, true);
        const s = low + v.getUint32(at + REC_SEQUENCE + 4, true) * 2 ** 32;
        if (v.getUint32(at + REC_CHECK, true) !== ((low ^ CHECK_XOR) >>> 0) || s !== expected) bad++;
        expected = s + 1;
      }
    }
  }
  const ms = performance.now() - t0;
  if (bad !== 0) throw new Error(`the host ring misread ${bad} records`);
  sink.value += expected;
  return ms;
}

export async function benchRing(quick: boolean): Promise<RingFigures> {
  // The emulated side has the whole kernel to compile: its runs take some twenty rounds to reach the speed
  // they keep (measured: 114, 69, 54, 31, ... 23 ms), the host's ring three. The figure is the steady state.
  const warmup = quick ? 1 : 20;
  const samples = quick ? 3 : 15;
  const emulated: number[] = [];
  const runs: number[] = [];
  const host: number[] = [];
  const ratios: number[] = [];
  const runRatios: number[] = [];
  for (let round = 0; round < warmup + samples; round++) {
    const e = await emulatedRun();
    const h = hostRun(TOTAL_RECORDS, DEFAULT_CAPACITY);
    if (round >= warmup) {
      emulated.push(e.ringMs);
      runs.push(e.runMs);
      host.push(h);
      ratios.push(h / e.ringMs);
      runRatios.push(h / e.runMs);
    }
  }
  const emulatedMs = median(emulated);
  const hostMs = median(host);
  const perSec = (ms: number) => (TOTAL_RECORDS / ms) * 1000;
  // Each round's two runs are back to back: the median of their ratios holds up when the host's speed drifts.
  return {
    records: TOTAL_RECORDS, emulatedRecordsPerSec: perSec(emulatedMs), emulatedMs, emulatedRunMs: median(runs),
    hostRecordsPerSec: perSec(hostMs), hostMs, ratio: median(ratios), runRatio: median(runRatios),
  };
}
