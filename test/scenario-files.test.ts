/**
 * `ntshm run ./file.ts`: a user's scenario file runs like a sample, and every
 * way a file can be wrong is one line naming the file, exit 2.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/program.js';
import type { Report } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/scenarios/${name}`, import.meta.url));
const counter = fileURLToPath(new URL('../examples/counter/scenario.ts', import.meta.url));

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

describe('a scenario file', () => {
  it('runs a TypeScript scenario: its program output, the frame it shares with the kernel, and every resource back', async () => {
    const { code, out, err } = await cli('run', counter, '--json');
    expect(err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out) as Report;
    expect(report.scenario).toBe('counter');
    expect(report.outcome).toBe('completed');
    expect(report.processes).toEqual([expect.objectContaining({ name: 'Counter.exe', exitCode: 0 })]);
    expect(report.events.map((e) => e.text)).toEqual([expect.stringMatching(/^counter at [0-9a-f]+: 3$/)]);
    const page = report.shared.find((f) => f.use === 'NonPagedPool');
    expect(page?.mappings.map((m) => [m.mode, m.process, m.mappedAtEnd])).toEqual([
      ['kernel', 'System', false], ['user', 'Counter.exe', false],
    ]);
    expect(report.resources.after).toEqual(report.resources.before);
  });

  it('prints the same text summary as a sample does', async () => {
    const { code, out } = await cli('run', counter);
    expect(code).toBe(0);
    expect(out).toMatch(/^Summary of counter \(x64, seed 1\)$/m);
    expect(out).toMatch(/^Result: completed, no findings$/m);
  });

  const wrong: { name: string; file: string; says: RegExp }[] = [
    { name: 'a missing file', file: 'missing.ts', says: /missing\.ts: no such file$/ },
    { name: 'a file with no default export', file: 'no-default.ts', says: /no-default\.ts: no default export/ },
    { name: 'a default export that is not a scenario', file: 'not-a-scenario.ts', says: /not-a-scenario\.ts: the default export is not a scenario: .*setup/ },
    { name: 'a file that does not parse', file: 'broken.mjs', says: /broken\.mjs: cannot load it: \w*Error: / },
    { name: 'a setup that throws', file: 'setup-throws.ts', says: /setup-throws\.ts: setup of setup-throws threw: no driver installed as Missing$/ },
  ];

  it.each(wrong)('$name: one line naming the file and the problem, exit 2', async ({ file, says }) => {
    const { code, out, err } = await cli('run', fixture(file));
    expect(out).toBe('');
    expect(err).toMatch(/^ntshm: [^\n]+\n$/);
    expect(err.trimEnd()).toMatch(says);
    expect(code).toBe(2);
  });

  it('a variant the scenario does not have is bad usage', async () => {
    const { code, err } = await cli('run', counter, '--variant', 'torn');
    expect(code).toBe(2);
    expect(err).toMatch(/unknown variant 'torn' of counter \(it has no variants\)/);
  });
});

describe('a run cut short', () => {
  it('says plainly that the program was still running and exits 5', async () => {
    const { code, out } = await cli('run', fixture('forever.ts'), '--seconds', '1');
    expect(code).toBe(5);
    expect(out).toMatch(/^ {2}Sleeper\.exe \(pid \d+, administrator\) still running when the run stopped$/m);
    expect(out).toMatch(/^Result: cut at 61\.\d{3} virtual seconds with Sleeper\.exe still running \(give it more --seconds\)$/m);
  });

  it('a program that waits for what can never happen: the run is stuck at once, says so, and exits 5', async () => {
    const { code, out } = await cli('run', fixture('sleep-infinite.ts'), '--seconds', '1');
    expect(code).toBe(5);
    expect(out).toMatch(/^ {2}Sleeper\.exe \(pid \d+, administrator\) still running when the run stopped$/m);
    expect(out).toMatch(/^Result: stuck: Sleeper\.exe waits forever at 0\.000 virtual seconds/m);
  });

  it('sharing-memory runs its full course however many seconds it is given', async () => {
    const { code, out } = await cli('run', 'sharing-memory', '--seconds', '300', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as Report;
    expect(report.outcome).toBe('completed');
    expect(report.processes[0]?.exitCode).toBe(0);
    expect(report.events.filter((e) => e.source === 'stdout')).toHaveLength(300);
  });
});

describe('findings and the exit status', () => {
  const argv = ['run', 'sharing-memory', '--variant', 'map-at-dispatch', '--seconds', '2'];

  it('--fail-on-findings exits 4 when there are findings', async () => {
    const { code, out } = await cli(...argv, '--fail-on-findings');
    expect(code).toBe(4);
    expect(out).toMatch(/^Result: completed with 2 findings \(exit status 4\)$/m);
  });

  it('without it the run exits 0 and its last line says there were findings', async () => {
    const { code, out } = await cli(...argv);
    expect(code).toBe(0);
    expect(out.trimEnd().split('\n').at(-1)).toBe('Result: completed with 2 findings (exit status 0; --fail-on-findings makes that 4)');
  });
});

describe('the JSON report', () => {
  it('labels KUSER_SHARED_DATA, says which mappings outlived the run, and carries the settings', async () => {
    const { out } = await cli('run', 'sharing-memory', '--seconds', '1', '--cpus', '1', '--profile', 'nt4', '--json');
    const report = JSON.parse(out) as Report;
    const kuser = report.shared.filter((f) => f.label === 'KUSER_SHARED_DATA');
    expect(kuser).toHaveLength(1);
    expect(kuser[0]!.mappings.find((m) => m.mode === 'kernel')).toMatchObject({ va: 'fffff780`00000000', mappedAtEnd: true });
    expect(report.settings).toMatchObject({ cpus: 1, profile: 'nt4', seconds: 1, verifier: false });
  });

  it('gives bug-check parameters as kd prints them (x64 kernel addresses sign-extended) and as numbers', async () => {
    const { code, out } = await cli('run', 'sharing-memory', '--variant', 'no-try', '--json');
    expect(code).toBe(3);
    const b = (JSON.parse(out) as Report).bugcheck!;
    expect(b.codeHex).toBe('0x0000003B');
    expect(b.paramsHex[0]).toBe('0x00000000c0000017');
    expect(b.paramsHex[1]).toMatch(/^0xfffff[0-9a-f]{11}$/);
    expect(BigInt.asUintN(48, BigInt(b.paramsHex[1]!))).toBe(BigInt(b.params[1]!));
  });
});

describe('ntshm --version', () => {
  it('prints the package version', async () => {
    const { code, out } = await cli('--version');
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('a program that crashes', () => {
  it('is a finding that names where it threw; --fail-on-findings makes it exit 4', async () => {
    const { code, out } = await cli('run', fixture('crash.ts'), '--json', '--fail-on-findings');
    expect(code).toBe(4);
    const report = JSON.parse(out) as Report;
    expect(report.processes[0]?.exitCode).toBe(0xe06d7363);
    expect(report.findings).toEqual([expect.objectContaining({
      kind: 'unhandled-exception',
      message: expect.stringMatching(/^Oops\.exe ended by an unhandled exception, TypeError: .*null.* \(at .*crash\.ts:\d+:\d+\)\); exit code 0xE06D7363$/),
    })]);
  });
});
