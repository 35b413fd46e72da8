/**
 * A second shrinking pass, after fast-check's: fast-check shrinks an array
 * by dropping items from its front, so a failing call that comes first keeps
 * everything after it. This pass drops each program, each call, each driver
 * action (nested ones too) in turn, turns repetitions into one call and a
 * program's end into a plain return, and keeps each change under which the
 * scenario still fails the same way (same first failure, numbers aside).
 */
import type { DriverAction, ProgramAction, ProgramScript, Scenario } from './actions.js';
import type { Outcome } from './world.js';

/** The failure's kind: its first message without the numbers. */
export const failureSignature = (o: Outcome): string => (o.failures[0] ?? '').replace(/0x[0-9a-f]+|\d+/gi, '#').replace(/\{.*\}/, '{…}').slice(0, 160);

/** Every scenario one step simpler than `s`, simplest changes first. */
function* simpler(s: Scenario): Generator<Scenario> {
  const withPrograms = (programs: ProgramScript[]): Scenario => ({ ...s, programs });
  for (let i = 0; i < s.programs.length && s.programs.length > 1; i++) yield withPrograms(s.programs.filter((_, j) => j !== i));
  if (s.cpus !== 1) yield { ...s, cpus: 1 };
  if (s.verifier) yield { ...s, verifier: false };
  for (let i = 0; i < s.programs.length; i++) {
    const p = s.programs[i]!;
    const replace = (q: ProgramScript): Scenario => withPrograms(s.programs.map((x, j) => (j === i ? q : x)));
    // Halves first, then single calls.
    for (const chunk of [Math.floor(p.actions.length / 2), 1]) {
      if (chunk < 1) continue;
      for (let a = 0; a + chunk <= p.actions.length; a += chunk) {
        if (p.actions.length - chunk < 1) continue;
        yield replace({ ...p, actions: [...p.actions.slice(0, a), ...p.actions.slice(a + chunk)] });
      }
    }
    if (p.end.how !== 'return' || p.end.code !== 0) yield replace({ ...p, end: { how: 'return', code: 0 } });
    for (let a = 0; a < p.actions.length; a++) {
      const action = p.actions[a]!;
      const replaceAction = (b: ProgramAction): Scenario => replace({ ...p, actions: p.actions.map((x, j) => (j === a ? b : x)) });
      if ((action.n ?? 1) > 1) {
        const { n: _n, ...one } = action;
        yield replaceAction(one as ProgramAction);
      }
      if (action.k === 'driver') for (const list of simplerDriverLists(action.actions)) yield replaceAction({ ...action, actions: list });
    }
  }
}

/** Driver action lists one step simpler: an action dropped, or a nested list simplified. */
function* simplerDriverLists(list: readonly DriverAction[]): Generator<DriverAction[]> {
  for (let i = 0; i < list.length; i++) if (list.length > 1) yield list.filter((_, j) => j !== i);
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if ('actions' in a && a.actions.length > 0) {
      for (const nested of [[], ...simplerDriverLists(a.actions)]) yield list.map((x, j) => (j === i ? { ...a, actions: nested } as DriverAction : x));
    }
  }
}

/**
 * Simplifies `scenario` while `run` still fails with the same signature;
 * stops after `budget` runs. Returns the simplest failing scenario found.
 */
export async function minimize(scenario: Scenario, run: (s: Scenario) => Promise<Outcome>, budget = 400): Promise<{ scenario: Scenario; outcome: Outcome }> {
  let best = scenario;
  let outcome = await run(best);
  const signature = failureSignature(outcome);
  let runs = 1;
  for (let improved = true; improved && runs < budget;) {
    improved = false;
    for (const candidate of simpler(best)) {
      if (runs++ >= budget) break;
      const o = await run(candidate);
      if (o.verdict === 'failure' && failureSignature(o) === signature) {
        best = candidate;
        outcome = o;
        improved = true;
        break;
      }
    }
  }
  return { scenario: best, outcome };
}
