/**
 * A campaign: scenarios from the seed, one after another, until the calls
 * asked for are made or a scenario fails. A failing scenario is shrunk by
 * fast-check (fewer programs, fewer and simpler calls) to a minimal one,
 * which the caller may save as a regression (fuzz/regressions.ts).
 *
 * The scenarios come in rounds of ROUND runs, each round with its own seed
 * derived from the campaign's, so that a campaign can stop after any round
 * and a failure names the one seed that reproduces it.
 */
import fc from 'fast-check';
import { scenarioCalls, type Scenario } from './actions.js';
import { scenarioArbitrary, type GeneratorOptions } from './arbitraries.js';
import { excludedFeatures, type Feature } from './known-failures.js';
import { minimize } from './minimize.js';
import { DEFAULT_WORLD_OPTIONS, runWorld, type Outcome, type WorldOptions } from './world.js';

export interface CampaignOptions {
  readonly seed: number;
  /** Stop once this many calls are made. */
  readonly calls: number;
  /** Include the features of KNOWN_FAILURES. */
  readonly all: boolean;
  /** Features to leave out besides (`--exclude`). */
  readonly exclude?: readonly Feature[];
  readonly world: WorldOptions;
  readonly maxActions: number;
  readonly maxPrograms: number;
  /** Called after every scenario (before any shrinking). */
  readonly onScenario?: (outcome: Outcome, totals: CampaignTotals) => void;
  /** Called before every run, shrinking included (a watchdog keeps the last one, should the run hang the thread). */
  readonly onStart?: (scenario: Scenario, phase: 'search' | 'shrink') => void;
  /**
   * No stack traces while searching (Error.stackTraceLimit = 0): the guest
   * raises an exception object for every fault it takes, and capturing the
   * host's stack for each is a good part of a run's cost. Restored to shrink.
   */
  readonly fastErrors?: boolean;
  /** Shrink a failure (default true). */
  readonly shrink: boolean;
}

export const DEFAULT_CAMPAIGN: Omit<CampaignOptions, 'seed' | 'calls'> = {
  all: false, world: DEFAULT_WORLD_OPTIONS, maxActions: 40, maxPrograms: 3, shrink: true,
};

/** What a campaign has done so far. */
export interface CampaignTotals {
  calls: number;
  checks: number;
  scenarios: number;
  clean: number;
  /** Bug checks after a driver's misuse, by name: reported, not failures. */
  readonly bugchecks: Map<string, number>;
  /** Driver misuses the machine let pass without stopping, by kind. */
  readonly silentMisuses: Map<string, number>;
  readonly startedMs: number;
}

/** A failure, shrunk: what reproduces it. */
export interface FoundFailure {
  /** The seed of the round that found it (fast-check's, with `path`, replays the search). */
  readonly seed: number;
  readonly path: string | undefined;
  readonly scenario: Scenario;
  readonly failures: readonly string[];
}

export interface CampaignResult {
  readonly totals: CampaignTotals;
  readonly failure: FoundFailure | undefined;
}

const ROUND = 50;
/** Host time a round (its search and the shrinking of a failure) may take. */
const SHRINK_LIMIT_MS = 180_000;

/** The seed of a campaign's n-th round. */
export const roundSeed = (seed: number, round: number): number => (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + round * 0x6d2b79f5) >>> 0;

/** Runs a campaign (see the file comment). */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const excluded = new Set([...excludedFeatures(options.all), ...(options.exclude ?? [])]);
  const generator: GeneratorOptions = { excluded, maxActions: options.maxActions, maxPrograms: options.maxPrograms };
  const arbitrary = scenarioArbitrary(generator);
  const totals: CampaignTotals = {
    calls: 0, checks: 0, scenarios: 0, clean: 0, bugchecks: new Map(), silentMisuses: new Map(), startedMs: Date.now(),
  };
  let searching = true;
  const limit = Error.stackTraceLimit;
  if (options.fastErrors) Error.stackTraceLimit = 0;
  const property = fc.asyncProperty(arbitrary, async (scenario) => {
    // The calls asked for are made: the rest of the round is drawn but not run.
    if (searching && totals.calls >= options.calls) return;
    options.onStart?.(scenario, searching ? 'search' : 'shrink');
    // While shrinking, a run that does not settle is given less time: it fails the same way sooner.
    const outcome = await runWorld(scenario, searching ? options.world : { ...options.world, hostTimeoutMs: Math.min(options.world.hostTimeoutMs, 3000) });
    if (searching) {
      tally(totals, outcome);
      options.onScenario?.(outcome, totals);
    }
    if (outcome.verdict === 'failure') {
      searching = false;
      Error.stackTraceLimit = limit;
      throw new ScenarioFailed(outcome.failures);
    }
  });
  try {
    return await search(options, property, totals);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

async function search(options: CampaignOptions, property: fc.IAsyncPropertyWithHooks<[Scenario]>, totals: CampaignTotals): Promise<CampaignResult> {
  for (let round = 0; totals.calls < options.calls; round++) {
    const seed = roundSeed(options.seed, round);
    const details = await fc.check(property, {
      seed, numRuns: ROUND, endOnFailure: !options.shrink, interruptAfterTimeLimit: SHRINK_LIMIT_MS, markInterruptAsFailure: false,
    });
    if (details.failed) {
      const scenario = details.counterexample?.[0];
      if (!scenario) throw new Error(`round ${round} failed without a counterexample`, { cause: details.errorInstance });
      const error = details.errorInstance;
      if (!(error instanceof ScenarioFailed)) throw new Error(`round ${round}: the property threw`, { cause: error });
      const path = details.counterexamplePath ?? undefined;
      if (!options.shrink) return { totals, failure: { seed, path, scenario, failures: error.failures } };
      const shrinking = { ...options.world, hostTimeoutMs: Math.min(options.world.hostTimeoutMs, 3000) };
      const minimal = await minimize(scenario, (s) => {
        options.onStart?.(s, 'shrink');
        return runWorld(s, shrinking);
      });
      return { totals, failure: { seed, path, scenario: minimal.scenario, failures: minimal.outcome.failures } };
    }
  }
  return { totals, failure: undefined };
}

/** Replays one scenario (a saved regression): its outcome. */
export function replay(scenario: Scenario, world: WorldOptions = DEFAULT_WORLD_OPTIONS): Promise<Outcome> {
  return runWorld(scenario, world);
}

class ScenarioFailed extends Error {
  constructor(readonly failures: readonly string[]) {
    super(failures.join('\n'));
  }
}

function tally(t: CampaignTotals, o: Outcome): void {
  t.calls += o.calls;
  t.checks += o.checks;
  t.scenarios++;
  if (o.verdict === 'clean') t.clean++;
  if (o.bugcheck && o.verdict === 'bugcheck') t.bugchecks.set(o.bugcheck, (t.bugchecks.get(o.bugcheck) ?? 0) + 1);
  // A misuse is silent when the run went on to its end without a bug check.
  if (!o.bugcheck) for (const m of new Set(o.misuses)) t.silentMisuses.set(m, (t.silentMisuses.get(m) ?? 0) + 1);
}

export { scenarioCalls };
