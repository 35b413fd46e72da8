/**
 * `npm run bench`: the figures of the performance targets (README, Performance), measured against the host's
 * own limit in the same run, printed as a table and as one JSON line
 * (`BENCH_JSON {...}`) for scripts.
 *
 *   node dist/bench/main.js [--quick] [--only ID[,ID...]]   (IDs: figures.ts, verifier among them)
 *
 * Each figure runs in a child process of its own (`--figure ID`), which
 * prints one `FIGURE_JSON {...}` line; this process collects them. `--quick`
 * takes fewer samples (a smoke run; its figures are noisier).
 * Benchmarks are not tests: nothing here fails a build on a slow machine.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { figureIds, isFigureId, runFigure, type FigureId, type FigureResults } from './figures.js';
import { sink } from './measure.js';
import { perWord, REGION_MIB } from './memory.js';
import { printTable, type Row } from './report.js';

const FIGURE_PREFIX = 'FIGURE_JSON ';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Child mode: measure one figure and print it. */
async function measureOne(id: string, quick: boolean): Promise<void> {
  if (!isFigureId(id)) throw new RangeError(`unknown figure ${id}; known: ${figureIds.join(', ')}`);
  const result = await runFigure(id, quick);
  console.log(`${FIGURE_PREFIX}${JSON.stringify({ result, checksum: sink.value })}`);
}

/** Runs one figure in a fresh node process and returns its result. */
function measureInChild<F extends FigureId>(id: F, quick: boolean): FigureResults[F] {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--figure', id, ...(quick ? ['--quick'] : [])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.split('\n').find((l) => l.startsWith(FIGURE_PREFIX));
  if (!line) throw new Error(`figure ${id} printed no result:\n${out}`);
  return (JSON.parse(line.slice(FIGURE_PREFIX.length)) as { result: FigureResults[F] }).result;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const figure = argValue('--figure');
  if (figure) return measureOne(figure, quick);

  const only = argValue('--only')?.split(',');
  const wanted = (id: FigureId) => !only || only.includes(id);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = () => os.loadavg()[0]!.toFixed(2);
  const loadBefore = load();
  console.log(`ntshm bench — node ${process.version}, ${os.cpus().length} × ${cpu}${quick ? ' (quick)' : ''}; each figure in its own process; load ${loadBefore}`);

  const rows: Row[] = [];
  const json: Record<string, unknown> = {
    host: { node: process.version, cpus: os.cpus().length, cpu, platform: `${process.platform}-${process.arch}` },
    quick,
  };

  // 1. Bulk copies: ratio = raw time / emulated time, higher is better.
  const bulk: Record<string, unknown> = {};
  for (const id of ['bulk-x64', 'bulk-x86'] as const) {
    if (!wanted(id)) continue;
    const b = measureInChild(id, quick);
    for (const op of ['getBytes', 'setBytes'] as const) {
      const t = b[op];
      const ratio = t.rawNs / t.emulatedNs;
      rows.push({
        figure: `1. ${op} ${REGION_MIB} MiB (${b.arch})`, measured: `${(t.emulatedNs / 1e3).toFixed(1)} µs`,
        host: `${(t.rawNs / 1e3).toFixed(1)} µs`, value: `${ratio.toFixed(2)}× raw/emu`, target: '≥ 0.8×', pass: ratio >= 0.8,
      });
      bulk[`${op}_${b.arch}`] = { emulatedNs: t.emulatedNs, rawNs: t.rawNs, ratio, target: 0.8, pass: ratio >= 0.8 };
    }
  }
  json.bulk = bulk;

  // 2. Scalar 32-bit access: ratio = emulated / raw, lower is better.
  const scalar: Record<string, unknown> = {};
  for (const id of ['scalar-x86', 'scalar-x64'] as const) {
    if (!wanted(id)) continue;
    const s = measureInChild(id, quick);
    const target = s.arch === 'x86' ? 3 : 4;
    const entries = [
      ['getUint32', s.getUint32, true], ['setUint32', s.setUint32, true],
      ['direct getUint32', s.direct.getUint32, false], ['direct setUint32', s.direct.setUint32, false],
    ] as const;
    for (const [name, t, scored] of entries) {
      const ratio = t.emulatedNs / t.rawNs;
      rows.push({
        figure: `2. ${name} (${s.arch})${scored ? '' : ' [diag]'}`, measured: `${perWord(t.emulatedNs).toFixed(2)} ns/op`,
        host: `${perWord(t.rawNs).toFixed(2)} ns/op`, value: `${ratio.toFixed(2)}× emu/raw`, target: `≤ ${target}×`,
        pass: scored ? ratio <= target : undefined,
      });
      scalar[`${name.replace(' ', '_')}_${s.arch}`] = {
        emulatedNsPerOp: perWord(t.emulatedNs), rawNsPerOp: perWord(t.rawNs), ratio, target, ...(scored ? { pass: ratio <= target } : {}),
      };
    }
  }
  json.scalar = scalar;

  // 3. DeviceIoControl round trip.
  if (wanted('ioctl')) {
    const io = measureInChild('ioctl', quick);
    rows.push({
      figure: '3. DeviceIoControl BUFFERED 64/64', measured: `${io.deviceIoControlNs.toFixed(0)} ns`,
      host: `await ${io.awaitFloorNs.toFixed(0)} ns`, value: `${io.deviceIoControlNs.toFixed(0)} ns/call`, target: '≤ 1000 ns (aim 100)',
      pass: io.deviceIoControlNs <= 1000,
    });
    rows.push({
      figure: '3. NtDeviceIoControlFile only [diag]', measured: `${io.kernelServiceNs.toFixed(0)} ns`, host: '',
      value: `${io.kernelServiceNs.toFixed(0)} ns/call`, target: '', pass: undefined,
    });
    json.ioctl = { ...io, target: 1000, aim: 100, pass: io.deviceIoControlNs <= 1000 };
  }

  // 4. sharing-memory for 10 virtual seconds.
  if (wanted('sharing-memory')) {
    const sm = measureInChild('sharing-memory', quick);
    rows.push({
      figure: '4. sharing-memory 10 virtual s', measured: `${sm.wallMs.toFixed(1)} ms`, host: '',
      value: `${sm.wallMs.toFixed(1)} ms wall`, target: '≤ 50 ms', pass: sm.wallMs <= 50,
    });
    json.sharingMemory = { ...sm, target: 50, pass: sm.wallMs <= 50 };
  }

  // 5. Boot with 4 GiB.
  if (wanted('boot')) {
    const b = measureInChild('boot', quick);
    rows.push({
      figure: `5. boot ${b.memoryMiB / 1024} GiB`, measured: `${b.wallMs.toFixed(1)} ms`, host: '',
      value: `${b.wallMs.toFixed(1)} ms wall`, target: '≤ 1000 ms', pass: b.wallMs <= 1000,
    });
    rows.push({
      figure: '5. PFN data per frame', measured: `${b.pfnBytes} B / ${b.frames}`, host: '',
      value: `${b.pfnBytesPerFrame.toFixed(1)} B/frame`, target: '≤ 32 B', pass: b.pfnBytesPerFrame <= 32,
    });
    json.boot = { ...b, targetMs: 1000, targetBytesPerFrame: 32, pass: b.wallMs <= 1000 && b.pfnBytesPerFrame <= 32 };
  }

  // 6. 100 000 handles opened and closed.
  if (wanted('handles')) {
    const h = measureInChild('handles', quick);
    rows.push({
      figure: `6. open and close ${h.handles.toLocaleString('en-US').replace(/,/g, ' ')} handles`, measured: `${h.wallMs.toFixed(0)} ms`,
      host: '', value: `${h.wallMs.toFixed(0)} ms wall (open ${h.openMs.toFixed(0)}, close ${h.closeMs.toFixed(0)})`, target: '≤ 1000 ms',
      pass: h.wallMs <= 1000,
    });
    json.handles = { ...h, target: 1000, pass: h.wallMs <= 1000 };
  }

  // 7. Ring throughput, 64-byte records, driver to program (the event-ring sample), against a SharedArrayBuffer ring.
  if (wanted('ring')) {
    const r = measureInChild('ring', quick);
    const rate = (n: number) => `${(n / 1e6).toFixed(2)} M records/s`;
    rows.push({
      figure: '7. ring of 64 B records, driver → program', measured: rate(r.emulatedRecordsPerSec), host: rate(r.hostRecordsPerSec),
      value: `${r.ratio.toFixed(3)}× emu/host`, target: '≥ 0.5×', pass: r.ratio >= 0.5,
    });
    rows.push({
      figure: '7. the same, the whole run: program start to exit [diag]', measured: `${r.emulatedRunMs.toFixed(1)} ms`,
      host: `${r.hostMs.toFixed(1)} ms`, value: `${r.runRatio.toFixed(3)}× emu/host`, target: '', pass: undefined,
    });
    json.ring = { ...r, target: 0.5, pass: r.ratio >= 0.5 };
  }

  // 8. A pending IRP completed from a DPC, seen by a program waiting on an event.
  if (wanted('pending')) {
    const p = measureInChild('pending', quick);
    const pass = p.roundTripNs <= 2000;
    rows.push({
      figure: '8. pending IRP completed from a DPC, event waited on', measured: `${p.roundTripNs.toFixed(0)} ns`, host: '',
      value: `${p.roundTripNs.toFixed(0)} ns/round trip`, target: '≤ 2000 ns', pass,
    });
    rows.push({
      figure: '8. two DeviceIoControl completed at once [diag]', measured: `${p.twoCallsNs.toFixed(0)} ns`, host: '',
      value: `${p.twoCallsNs.toFixed(0)} ns/pair`, target: '', pass: undefined,
    });
    json.pending = { ...p, target: 2000, pass };
  }

  // 9. Driver Verifier's overhead: the samples' runs with verifier: true against the same runs without it.
  if (wanted('verifier')) {
    const v = measureInChild('verifier', quick);
    for (const s of v.samples) {
      rows.push({
        figure: `9. ${s.sample} ${s.virtualSeconds} virtual s, verifier on / off`, measured: `${s.onMs.toFixed(1)} ms`, host: `${s.offMs.toFixed(1)} ms off`,
        value: `${s.ratio.toFixed(2)}× on/off`, target: '≤ 3×', pass: s.ratio <= 3,
      });
    }
    json.verifier = { ...v, target: 3, pass: v.ratio <= 3 };
  }

  printTable(rows);
  // Other work on the host moves every figure; the load average says how much there was.
  json.loadAverage = { before: Number(loadBefore), after: Number(load()) };
  console.log(`load average before ${loadBefore}, after ${load()}`);
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
