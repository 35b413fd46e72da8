/**
 * Dangerous primitives, proven: a driver that maps the physical address its
 * caller sends is found (finding `dangerous-primitive` with the IOCTL code
 * and the request's bytes), and the finding's replay scenario, run again,
 * shows it again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from 'ntshm';
import { main } from '../src/cli/program.js';

const fixture = fileURLToPath(new URL('./fixtures/scenarios/physical-map.ts', import.meta.url));
// Inside the package, so that the replay file's `import ... from 'ntshm'` resolves to this copy.
const dir = mkdtempSync(join(dirname(fixture), '.replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runJson(...argv: string[]): Promise<Report> {
  let out = '';
  let err = '';
  const code = await main(['run', ...argv, '--json', '--volume', join(dir, 'C')], { out: (s) => { out += s; }, err: (s) => { err += s; } });
  expect(err).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out) as Report;
}

describe.each(['x64', 'x86'])('a driver that maps physical memory for its caller, on %s', (arch) => {
  it('is found with the IOCTL and the bytes, and its replay scenario shows it again', async () => {
    const report = await runJson(fixture, '--arch', arch);
    const found = report.findings.filter((f) => f.kind === 'dangerous-primitive');
    expect(found).toHaveLength(1);
    const details = found[0]!.details as { primitive: string; ioctl: string; input: string; matches: { value: string; offset: number }[]; replay: { path: string; ioctl: number; input: string; outputLength: number; scenario: string } };
    expect(found[0]!.driver).toBe('PhysRead');
    expect(found[0]!.routine).toBe('DispatchControl');
    expect(details).toMatchObject({ primitive: 'physical-memory', ioctl: '0x222400', input: '00a0050000000000', matches: [{ value: '0x5a000', offset: 0 }] });
    expect(details.replay).toMatchObject({ path: '\\\\.\\PhysRead', ioctl: 0x222400, input: '00a0050000000000', outputLength: 8 });
    const replayFile = join(dir, `replay-${arch}.ts`);
    writeFileSync(replayFile, details.replay.scenario);
    const again = await runJson(replayFile, '--arch', arch);
    expect(again.findings.filter((f) => f.kind === 'dangerous-primitive')).toHaveLength(2);
    expect(again.processes.map((p) => p.name).sort()).toEqual(['PhysPeek.exe', 'Replay.exe']);
    expect(again.processes.find((p) => p.name === 'Replay.exe')?.stdout).toMatch(/replay: IOCTL 0x222400 with 8 input bytes: ok, 4 bytes back/);
  });
});
