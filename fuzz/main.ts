/**
 * `npm run fuzz -- --calls N --seed S`: a long fuzz campaign (fuzz/campaign.ts)
 * with a progress bar, then its figures: calls made and calls per second,
 * invariant checks made, scenarios, the bug checks drivers' misuses earned,
 * and the misuses the machine let pass. A failure is shrunk and saved as a
 * regression (test/fuzz/regressions/<seed>.json), which `npm test` replays;
 * the exit code is then 1.
 *
 * The campaign runs in a worker thread; this thread is its watchdog: a run
 * that spins its thread forever (no timer inside can fire) is ended after
 * --hang-seconds without news, and the scenario it was running is saved.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import type { Scenario } from './actions.js';
import { DEFAULT_CAMPAIGN, type CampaignOptions } from './campaign.js';
import { FEATURES, KNOWN_FAILURES, type Feature } from './known-failures.js';
import { saveRegression, type Regression } from './regressions.js';
import type { WorkerMessage } from './worker.js';

const REGRESSIONS = fileURLToPath(new URL('../../test/fuzz/regressions/', import.meta.url));

const program = new Command('fuzz')
  .description('Runs a fuzz campaign against ntshm: generated programs and drivers, invariants after every call.')
  .option('--calls <n>', 'stop after this many calls', (v) => positive(v, '--calls'), 1_000_000)
  .option('--seed <n>', 'the campaign seed', (v) => positive(v, '--seed', true), Date.now() % 2 ** 31)
  .option('--all', 'include the features KNOWN_FAILURES leaves out', false)
  .addOption(new Option('--exclude <features>', 'leave these features out too (comma separated)').argParser(features))
  .option('--check-every <n>', 'full invariant check after every n calls', (v) => positive(v, '--check-every'), DEFAULT_CAMPAIGN.world.checkEvery)
  .option('--actions <n>', 'calls per program, at most', (v) => positive(v, '--actions'), 150)
  .option('--hang-seconds <n>', 'seconds without news before the worker counts as hung', (v) => positive(v, '--hang-seconds'), 60)
  .option('--no-shrink', 'save a failure as found, without shrinking it')
  .option('--no-save', 'do not save a failure as a regression')
  .option('--known', 'list the features left out, and why, then exit')
  .option('--replay <file>', 'run the scenario of one saved regression (under the watchdog), print its outcome');

function positive(v: string, name: string, zero = false): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < (zero ? 0 : 1)) throw new Error(`${name} must be a ${zero ? 'non-negative' : 'positive'} integer, not ${v}`);
  return n;
}

function features(v: string): Feature[] {
  const list = v.split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of list) if (!(FEATURES as readonly string[]).includes(f)) throw new Error(`unknown feature ${f}; known: ${FEATURES.join(', ')}`);
  return list as Feature[];
}

const o = program.parse().opts<{
  calls: number; seed: number; all: boolean; exclude?: Feature[]; checkEvery: number; actions: number; hangSeconds: number;
  shrink: boolean; save: boolean; known?: boolean; replay?: string;
}>();

if (o.known) {
  for (const k of KNOWN_FAILURES) console.log(`${k.feature.padEnd(40)} ${k.item === 'new' ? 'new, not in issue 7' : `issue 7 item ${k.item}`}: ${k.failure}`);
  process.exit(0);
}

const command = `npm run fuzz -- --calls ${o.calls} --seed ${o.seed}${o.all ? ' --all' : ''}${o.exclude ? ` --exclude ${o.exclude.join(',')}` : ''}`;
console.log(`${command}  (node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, load ${os.loadavg()[0]!.toFixed(2)})`);
if (!o.all) console.log(`${KNOWN_FAILURES.length} known failures left out (--known lists them, --all includes them)`);

const options: CampaignOptions & { replay?: Scenario } = {
  ...DEFAULT_CAMPAIGN, seed: o.seed, calls: o.calls, all: o.all, exclude: o.exclude ?? [], shrink: o.shrink, maxActions: o.actions,
  world: { ...DEFAULT_CAMPAIGN.world, checkEvery: o.checkEvery }, fastErrors: true,
  ...(o.replay ? { replay: (JSON.parse(readFileSync(o.replay, 'utf8')) as Regression).scenario, calls: 0 } : {}),
};
const bar = new cliProgress.SingleBar({
  format: 'calls {bar} {percentage}% | {value}/{total} | {rate} calls/s | {checks} checks | {scenarios} runs, {bugchecks} bug checks | {phase}',
  hideCursor: true, etaBuffer: 50,
  // Without a terminal (a CI log), a line every ten seconds.
  noTTYOutput: true, notTTYSchedule: 10_000,
}, cliProgress.Presets.shades_classic);
bar.start(o.calls, 0, { rate: 0, checks: 0, scenarios: 0, bugchecks: 0, phase: 'searching' });

const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: options });
let lastNews = Date.now();
let lastScenario: string | undefined;
let totals: Extract<WorkerMessage, { type: 'progress' }>['totals'] | undefined;
let finished = false;

const exitCode = await new Promise<number>((resolve) => {
  const watchdog = setInterval(() => {
    if (Date.now() - lastNews < o.hangSeconds * 1000) return;
    clearInterval(watchdog);
    bar.stop();
    void worker.terminate();
    console.log(`\nFAILURE: the campaign's thread made no progress for ${o.hangSeconds} s: a run hangs its thread (a synchronous loop no timer can stop).`);
    if (lastScenario && o.save && !o.replay) {
      const file = saveRegression(REGRESSIONS, `${o.seed}-hang`, {
        seed: o.seed, foundBy: command, failures: [`the run hung its thread for ${o.hangSeconds} s`], hangs: true, scenario: JSON.parse(lastScenario) as Scenario,
      });
      console.log(`the scenario it was running (not shrunk) is saved as ${file}`);
    }
    resolve(1);
  }, 1000);
  worker.on('message', (m: WorkerMessage) => {
    lastNews = Date.now();
    if (m.type === 'start') {
      lastScenario = m.scenario;
      if (m.phase === 'shrink') bar.update({ phase: 'shrinking a failure' });
    } else if (m.type === 'progress') {
      totals = m.totals;
      const seconds = (Date.now() - m.totals.startedMs) / 1000;
      const bugchecks = m.totals.bugchecks.reduce((n, [, c]) => n + c, 0);
      bar.update(Math.min(m.totals.calls, o.calls), {
        rate: Math.round(m.totals.calls / Math.max(seconds, 1e-3)), checks: m.totals.checks, scenarios: m.totals.scenarios, bugchecks,
      });
    } else if (m.type === 'replayed') {
      finished = true;
      clearInterval(watchdog);
      bar.stop();
      console.log(`\n${o.replay}: ${m.outcome.verdict}${m.outcome.bugcheck ? `, ${m.outcome.bugcheck}` : ''}, ${m.outcome.calls} calls`);
      for (const f of m.outcome.failures) console.log(`  ${f}`);
      resolve(m.outcome.verdict === 'failure' ? 1 : 0);
    } else {
      finished = true;
      clearInterval(watchdog);
      bar.stop();
      resolve(report(m.failure));
    }
  });
  worker.on('error', (e) => {
    clearInterval(watchdog);
    bar.stop();
    console.error('\nthe campaign itself failed:', e);
    resolve(2);
  });
  worker.on('exit', (code) => {
    if (finished) return;
    clearInterval(watchdog);
    bar.stop();
    resolve(code === 0 ? 2 : code);
  });
});
process.exitCode = exitCode;
await worker.terminate();

/** Prints the campaign's figures and saves a failure; returns the exit code. */
function report(failure: Extract<WorkerMessage, { type: 'done' }>['failure']): number {
  if (totals) {
    const seconds = (Date.now() - totals.startedMs) / 1000;
    console.log(`\n${totals.calls.toLocaleString('en-US')} calls in ${seconds.toFixed(1)} s: ${Math.round(totals.calls / seconds).toLocaleString('en-US')} calls per second`);
    console.log(`${totals.checks.toLocaleString('en-US')} full invariant checks (and the counters after every call); ${totals.scenarios} runs, ${totals.clean} clean`);
    if (totals.bugchecks.length > 0) console.log(`bug checks after a driver's misuse (reported, not failures): ${totals.bugchecks.map(([n, c]) => `${n} ×${c}`).join(', ')}`);
    if (totals.silentMisuses.length > 0) console.log(`misuses the machine let pass: ${totals.silentMisuses.map(([n, c]) => `${n} ×${c}`).join(', ')}`);
  }
  if (!failure) {
    console.log('no failure');
    return 0;
  }
  console.log(`\nFAILURE (round seed ${failure.seed}):\n  ${failure.failures.join('\n  ')}`);
  console.log(`shrunk scenario: ${JSON.stringify(failure.scenario)}`);
  if (o.save) {
    const file = saveRegression(REGRESSIONS, String(o.seed), {
      seed: o.seed, roundSeed: failure.seed, ...(failure.path ? { path: failure.path } : {}), foundBy: command, failures: failure.failures, scenario: failure.scenario,
    });
    console.log(`saved as ${file}: npm test replays it`);
  }
  return 1;
}
