/**
 * `npm run bench`: the figures of DESIGN.md §9, measured against the host's
 * own limit in the same run, printed as a table and as one JSON line
 * (`BENCH_JSON {...}`) for scripts.
 *
 *   node dist/bench/main.js [--quick]
 *
 * `--quick` takes fewer samples (a smoke run; its figures are noisier).
 * Benchmarks are not tests: nothing here fails a build on a slow machine.
 */
import os from 'node:os';
import { benchIoctl } from './ioctl.js';
import { benchBoot, benchSharingMemory } from './machine.js';
import { benchBulk, benchScalar, perWord, REGION_MIB } from './memory.js';
import { sink } from './measure.js';
import { printTable, type Row } from './report.js';

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`ntshm bench — node ${process.version}, ${os.cpus().length} × ${cpu}${quick ? ' (quick)' : ''}`);

  const rows: Row[] = [];
  const json: Record<string, unknown> = {
    host: { node: process.version, cpus: os.cpus().length, cpu, platform: `${process.platform}-${process.arch}` },
    quick,
  };

  // 1. Bulk copies: ratio = raw time / emulated time, higher is better.
  const bulk: Record<string, unknown> = {};
  for (const arch of ['x64', 'x86'] as const) {
    const b = await benchBulk(arch, quick);
    for (const op of ['getBytes', 'setBytes'] as const) {
      const t = b[op];
      const ratio = t.rawNs / t.emulatedNs;
      rows.push({
        figure: `1. ${op} ${REGION_MIB} MiB (${arch})`, measured: `${(t.emulatedNs / 1e3).toFixed(1)} µs`,
        host: `${(t.rawNs / 1e3).toFixed(1)} µs`, value: `${ratio.toFixed(2)}× raw/emu`, target: '≥ 0.8×', pass: ratio >= 0.8,
      });
      bulk[`${op}_${arch}`] = { emulatedNs: t.emulatedNs, rawNs: t.rawNs, ratio, target: 0.8, pass: ratio >= 0.8 };
    }
  }
  json.bulk = bulk;

  // 2. Scalar 32-bit access: ratio = emulated / raw, lower is better.
  const scalar: Record<string, unknown> = {};
  for (const arch of ['x86', 'x64'] as const) {
    const s = await benchScalar(arch, quick);
    const target = arch === 'x86' ? 3 : 4;
    const entries = [
      ['getUint32', s.getUint32, true], ['setUint32', s.setUint32, true],
      ['direct getUint32', s.direct.getUint32, false], ['direct setUint32', s.direct.setUint32, false],
    ] as const;
    for (const [name, t, scored] of entries) {
      const ratio = t.emulatedNs / t.rawNs;
      rows.push({
        figure: `2. ${name} (${arch})${scored ? '' : ' [diag]'}`, measured: `${perWord(t.emulatedNs).toFixed(2)} ns/op`,
        host: `${perWord(t.rawNs).toFixed(2)} ns/op`, value: `${ratio.toFixed(2)}× emu/raw`, target: `≤ ${target}×`,
        pass: scored ? ratio <= target : undefined,
      });
      scalar[`${name.replace(' ', '_')}_${arch}`] = {
        emulatedNsPerOp: perWord(t.emulatedNs), rawNsPerOp: perWord(t.rawNs), ratio, target, ...(scored ? { pass: ratio <= target } : {}),
      };
    }
  }
  json.scalar = scalar;

  // 3. DeviceIoControl round trip.
  const io = await benchIoctl(quick);
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

  // 4. sharing-memory for 10 virtual seconds.
  const sm = await benchSharingMemory(quick);
  rows.push({
    figure: '4. sharing-memory 10 virtual s', measured: `${sm.wallMs.toFixed(1)} ms`, host: '',
    value: `${sm.wallMs.toFixed(1)} ms wall`, target: '≤ 50 ms', pass: sm.wallMs <= 50,
  });
  json.sharingMemory = { ...sm, target: 50, pass: sm.wallMs <= 50 };

  // 5. Boot with 4 GiB.
  const b = await benchBoot(quick);
  rows.push({
    figure: `5. boot ${b.memoryMiB / 1024} GiB`, measured: `${b.wallMs.toFixed(1)} ms`, host: '',
    value: `${b.wallMs.toFixed(1)} ms wall`, target: '≤ 1000 ms', pass: b.wallMs <= 1000,
  });
  rows.push({
    figure: '5. PFN data per frame', measured: `${b.pfnBytes} B / ${b.frames}`, host: '',
    value: `${b.pfnBytesPerFrame.toFixed(1)} B/frame`, target: '≤ 32 B', pass: b.pfnBytesPerFrame <= 32,
  });
  json.boot = { ...b, targetMs: 1000, targetBytesPerFrame: 32, pass: b.wallMs <= 1000 && b.pfnBytesPerFrame <= 32 };

  printTable(rows);
  json.checksum = sink.value;
  console.log(`BENCH_JSON ${JSON.stringify(json)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
