/**
 * ntshm as another project uses it: the package `npm pack` makes (built from
 * these sources into a scratch folder, so the repository's own dist is left
 * alone) installs into a scratch project, whose TypeScript scenario runs with
 * `npx ntshm run ./scenario.ts --json`, and whose script imports ntshm/testing.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ntshm-package-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Builds the package from the sources into `scratch/pkg` and packs it; returns the tarball's path. */
function pack(): string {
  const pkg = join(scratch, 'pkg');
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', join(pkg, 'dist')], root);
  for (const f of ['package.json', 'README.md']) copyFileSync(join(root, f), join(pkg, f));
  for (const dir of ['docs', 'src', 'samples', 'examples']) cpSync(join(root, dir), join(pkg, dir), { recursive: true });
  run(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', scratch], pkg);
  const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack made no tarball');
  return join(scratch, tarball);
}

let user = '';

beforeAll(() => {
  const tarball = pack();
  user = join(scratch, 'user');
  cpSync(join(root, 'examples/counter/scenario.ts'), join(user, 'scenario.ts'));
  // What `npm init -y` writes: a CommonJS package, where a .ts file is CommonJS too.
  writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'my-driver', version: '1.0.0', type: 'commonjs' }));
  run(npm, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--silent'], user);
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the packed package in a scratch project', () => {
  it('ships the built code, its sources, the samples, the examples, the docs and the bin, and no tests', () => {
    const installed = join(user, 'node_modules/ntshm');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(manifest.bin['ntshm']).toBe('./dist/src/cli/main.js');
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'dist', 'docs', 'examples', 'package.json', 'samples', 'src']);
    expect(readdirSync(join(installed, 'examples/counter')).sort()).toEqual(['counter.test.ts', 'scenario.ts']);
    expect(readdirSync(join(installed, 'dist')).sort()).toEqual(['samples', 'src']);
  });

  it('runs the project\'s TypeScript scenario with npx ntshm run ./scenario.ts --json', () => {
    const report = JSON.parse(run('npx', ['--no-install', 'ntshm', 'run', './scenario.ts', '--json'], user)) as Report;
    expect(report.outcome).toBe('completed');
    expect(report.processes).toEqual([expect.objectContaining({ name: 'Counter.exe', exitCode: 0, stdout: expect.stringMatching(/: 3\n$/) })]);
    const frame = report.shared.find((f) => f.use === 'NonPagedPool');
    expect(frame?.mappings.map((m) => `${m.mode} ${m.process}`)).toEqual(['kernel System', 'user Counter.exe']);
    expect(report.resources.after).toEqual(report.resources.before);
  });

  it('runs it as a .mts (an ES module) and as a .cts too', () => {
    for (const ext of ['mts', 'cts']) {
      cpSync(join(user, 'scenario.ts'), join(user, `scenario.${ext}`));
      const report = JSON.parse(run('npx', ['--no-install', 'ntshm', 'run', `./scenario.${ext}`, '--json'], user)) as Report;
      expect(report.outcome, ext).toBe('completed');
    }
  });

  it('runs the built-in samples from ntshm/samples', () => {
    writeFileSync(join(user, 'sample.mjs'), [
      "import { runScenario } from 'ntshm';",
      "import { sharingMemory } from 'ntshm/samples';",
      "const report = await runScenario(sharingMemory, { variant: 'map-at-dispatch', seconds: 2 });",
      "console.log(report.findings.map((f) => f.kind).join(' '));",
    ].join('\n'));
    expect(run(process.execPath, ['sample.mjs'], user).trim()).toBe('wrong-process-unmap freed-pool-still-mapped');
  });

  it('lets the project test its driver with ntshm/testing', () => {
    // An ES module importing a .ts of a CommonJS package would get its module.exports: import the .mts.
    cpSync(join(user, 'scenario.ts'), join(user, 'counter.mts'));
    writeFileSync(join(user, 'check.mts'), [
      "import { runClean, framesSharedWith } from 'ntshm/testing';",
      "import counter from './counter.mts';",
      'const report = await runClean(counter);',
      "console.log(framesSharedWith(report, 'Counter.exe').length);",
    ].join('\n'));
    expect(run(process.execPath, ['--import', 'tsx', 'check.mts'], user).trim()).toBe('1');
  });
});
