/**
 * The campaign's thread (`npm run fuzz` runs it in a worker, so that a run
 * that spins the thread forever, which no timer inside it can stop, is
 * still caught: the main thread's watchdog hears no more and ends it).
 * It reports each scenario before it runs and the totals after.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Scenario } from './actions.js';
import { replay, runCampaign, type CampaignOptions, type CampaignTotals, type FoundFailure } from './campaign.js';
import type { Outcome } from './world.js';

/** What the worker tells the main thread. */
export type WorkerMessage =
  | { readonly type: 'start'; readonly scenario: string; readonly phase: 'search' | 'shrink' }
  | { readonly type: 'progress'; readonly totals: Omit<CampaignTotals, 'bugchecks' | 'silentMisuses'> & { bugchecks: [string, number][]; silentMisuses: [string, number][] } }
  | { readonly type: 'done'; readonly failure: FoundFailure | undefined }
  | { readonly type: 'replayed'; readonly outcome: Outcome };

const port = parentPort;
if (!port) throw new Error('fuzz/worker.js runs as a worker thread of fuzz/main.js');

const post = (m: WorkerMessage): void => port.postMessage(m);
const snapshot = (t: CampaignTotals) => ({ ...t, bugchecks: [...t.bugchecks], silentMisuses: [...t.silentMisuses] });

const options = workerData as CampaignOptions & { replay?: Scenario };
if (options.replay) {
  post({ type: 'start', scenario: JSON.stringify(options.replay), phase: 'search' });
  post({ type: 'replayed', outcome: await replay(options.replay, options.world) });
  process.exit(0);
}
let lastProgress = 0;
const result = await runCampaign({
  ...options,
  // The watchdog keeps the last scenario: should it hang the thread, it is the reproduction.
  onStart: (scenario: Scenario, phase) => post({ type: 'start', scenario: JSON.stringify(scenario), phase }),
  onScenario: (_outcome, totals) => {
    const now = Date.now();
    if (now - lastProgress < 100) return;
    lastProgress = now;
    post({ type: 'progress', totals: snapshot(totals) });
  },
});
post({ type: 'progress', totals: snapshot(result.totals) });
post({ type: 'done', failure: result.failure });
