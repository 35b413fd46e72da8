/**
 * The fuzz campaign (fuzz/): a short seeded campaign finds nothing; the
 * verdicts of hand-written runs are what the campaign's rules say; the
 * shrinker finds the one call that matters; every saved regression replays
 * as it says (a pending one, a known failure awaiting its issue item, still
 * fails; the others pass). `npm run fuzz` runs the long campaign.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ProgramAction, Scenario } from '../../fuzz/actions.js';
import { DEFAULT_CAMPAIGN, runCampaign } from '../../fuzz/campaign.js';
import { FEATURES, KNOWN_FAILURES } from '../../fuzz/known-failures.js';
import { minimize } from '../../fuzz/minimize.js';
import { loadRegressions } from '../../fuzz/regressions.js';
import { DEFAULT_WORLD_OPTIONS, runWorld, type Outcome } from '../../fuzz/world.js';

const one = (actions: ProgramAction[], arch: 'x64' | 'x86' = 'x64'): Scenario => ({
  arch, cpus: 2, seed: 1, verifier: false, programs: [{ actions, end: { how: 'return', code: 0 } }],
});

describe('the fuzz campaign', () => {
  it('a short seeded campaign makes its calls and checks with no failure', async () => {
    const { totals, failure } = await runCampaign({ ...DEFAULT_CAMPAIGN, seed: 7, calls: 6000, maxActions: 100, fastErrors: true });
    expect(failure?.failures ?? []).toEqual([]);
    expect(totals.calls).toBeGreaterThanOrEqual(6000);
    expect(totals.checks).toBeGreaterThan(100);
    expect(totals.scenarios).toBeGreaterThanOrEqual(3);
  });

  it('a well-behaved run is clean and leaves nothing behind', async () => {
    const o = await runWorld(one([
      { k: 'valloc', address: { at: 'value', value: 0 }, size: 8192, type: 0x3000, protect: 4 },
      { k: 'driver', actions: [{ d: 'alloc', pool: 'nonpaged', size: 4096 }, { d: 'mdl', pick: 0 }, { d: 'map-user', pick: 0, readOnly: false }] },
      { k: 'write', address: { at: 'mapped', pick: 0, offset: 8 }, width: 4, length: 0, value: 7 },
      { k: 'driver', actions: [{ d: 'lock-user', buffer: { at: 'region', pick: 0, offset: 100 }, length: 5000, write: true }] },
      { k: 'sample-map', output: { at: 'region', pick: 0, offset: 0 }, outputLength: 8 },
      { k: 'read', address: { at: 'mapped', pick: 1, offset: 0 }, width: 8, length: 0 },
      { k: 'close', handle: { h: 'open', kind: 'sample', pick: 0 } },
    ]));
    expect(o).toMatchObject({ verdict: 'clean', failures: [], misuses: [] });
    // Seven program calls, and the four driver actions two of them asked for.
    expect(o.calls).toBe(11);
  });

  it("a driver's misuse may stop the machine: reported, not a failure", async () => {
    const o = await runWorld(one([{ k: 'driver', actions: [{ d: 'alloc', pool: 'nonpaged', size: 64 }, { d: 'free', pick: 0 }, { d: 'free', pick: 0, misuse: 'twice' }] }]));
    expect(o).toMatchObject({ verdict: 'bugcheck', bugcheck: 'BAD_POOL_CALLER (0x000000C2)', failures: [] });
    expect(o.misuses).toEqual(['free: twice']);
  });

  it('each program ends with the exit code its script asks for', async () => {
    const sleep: ProgramAction[] = [{ k: 'sleep', ms: 1 }];
    const o = await runWorld({
      ...one(sleep),
      programs: [
        { actions: sleep, end: { how: 'ExitProcess', code: 3 } },
        { actions: sleep, end: { how: 'return', code: 0x7fff_ffff } },
        { actions: sleep, end: { how: 'throw', value: 'ntexception' } },
        { actions: sleep, end: { how: 'throw', value: 'error' } },
      ],
    });
    expect(o).toMatchObject({ verdict: 'clean', failures: [] });
  });

  it('the shrinker finds the one call that fails among many', async () => {
    const calls = (s: Scenario) => s.programs.flatMap((p) => p.actions);
    const fails = (s: Scenario): Outcome => {
      const bad = calls(s).some((a) => a.k === 'vquery' && a.address.at === 'value' && a.address.value === 0xdead_beef);
      return { verdict: bad ? 'failure' : 'clean', calls: 1, checks: 0, failures: bad ? ['it broke'] : [], bugcheck: undefined, misuses: [] };
    };
    const noise: ProgramAction[] = Array.from({ length: 30 }, (_, i) => ({ k: 'sleep', ms: i % 3, n: 2 }));
    const culprit: ProgramAction = { k: 'vquery', address: { at: 'value', value: 0xdead_beef } };
    const scenario: Scenario = {
      arch: 'x86', cpus: 4, seed: 3, verifier: true,
      programs: [{ actions: [...noise, culprit, ...noise], end: { how: 'throw', value: 'error' } }, { actions: noise, end: { how: 'return', code: 0 } }],
    };
    const { scenario: minimal } = await minimize(scenario, async (s) => fails(s));
    expect(minimal).toEqual({ arch: 'x86', cpus: 1, seed: 3, verifier: false, programs: [{ actions: [culprit], end: { how: 'return', code: 0 } }] });
  });

  it('every known failure names its feature and its item', () => {
    for (const k of KNOWN_FAILURES) {
      expect(FEATURES).toContain(k.feature);
      expect(k.item === 'new' || (k.item >= 1 && k.item <= 12)).toBe(true);
    }
  });
});

describe('the saved regressions', () => {
  const dir = fileURLToPath(new URL('./regressions/', import.meta.url));
  const regressions = loadRegressions(dir);

  it('there are some', () => {
    expect(regressions.length).toBeGreaterThan(0);
  });

  for (const { file, regression } of regressions) {
    const title = regression.pending ? `${file} still fails (pending: ${regression.pending})` : `${file} passes`;
    // A run that spins its thread would hang this one: npm run fuzz -- --replay <file> replays it under a watchdog.
    (regression.hangs ? it.skip : it)(title, async () => {
      const o = await runWorld(regression.scenario, { ...DEFAULT_WORLD_OPTIONS, hostTimeoutMs: 2000 });
      if (regression.pending) {
        // When this fails, the fix has landed: remove `pending` from the file (and the feature from KNOWN_FAILURES).
        expect(o.verdict, `${file} passes now: its fix has landed`).toBe('failure');
      } else {
        expect(o.failures).toEqual([]);
      }
    });
  }
});
