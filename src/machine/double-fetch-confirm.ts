/**
 * Confirming a double fetch (verifier/double-fetch.ts): the scenario runs
 * again from the same seed on a fresh machine, and just before the second
 * fetch the bytes are changed as a write from the user side would change
 * them: first every bit flipped (a length turned huge, a pointer turned
 * wild), then, if that changed nothing, the value plus one (an index or a
 * count moved on by one, which a driver's own bounds may absorb when the
 * flipped value is thrown out). If the run then ends differently — another
 * bug check, another exit code or output, other findings — the double fetch
 * matters: `confirmed`. If nothing the run reports changes either way,
 * `not confirmed` (the second read's value did not change the outcome).
 */
import type { Finding } from '../kernel/ke/log.js';
import type { FetchChange } from '../kernel/verifier/double-fetch.js';
import type { Report } from '../report.js';
import type { ScenarioRunOptions } from '../scenario.js';

/** How the bytes change between the reads, in the order tried. */
const CHANGES: readonly { change: NonNullable<FetchChange['change']>; words: string }[] = [
  { change: 'flip', words: 'every bit flipped' },
  { change: 'plus-one', words: 'the value plus one' },
];

/** At most this many findings are confirmed in one run (each is a rerun of the scenario). */
const MAX_CONFIRMATIONS = 4;

/** What a confirmation needs of Machine: a fresh machine with the same boot options, its run, its findings. */
export interface ConfirmationTarget {
  readonly findings: readonly Finding[];
  rerun(flip: FetchChange): Promise<Report>;
  readonly original: Report;
}

/** What the run came to, as far as a flip could change it. */
function outcomeOf(report: Report): Record<string, unknown> {
  return {
    outcome: report.outcome,
    bugcheck: report.bugcheck ? `${report.bugcheck.codeHex} ${report.bugcheck.paramsHex[0]}` : null,
    processes: report.processes.map((p) => `${p.name} ${p.exitCode} ${p.stdout}`),
    findings: report.findings.filter((f) => f.kind !== 'double-fetch').map((f) => f.kind).sort(),
  };
}

/** The parts of two outcomes that differ, named. */
function changes(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(before).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/** Reruns the scenario once per double-fetch finding and records each one's verdict in it. */
export async function confirmDoubleFetches(target: ConfirmationTarget): Promise<void> {
  const pending = target.findings.filter((f) => f.kind === 'double-fetch').slice(0, MAX_CONFIRMATIONS);
  const before = outcomeOf(target.original);
  for (const finding of pending) {
    const details = finding.details as { flip?: FetchChange; verdict?: string; confirmation?: unknown };
    if (!details.flip) continue;
    let tried: { words: string; changed: string[]; after: Record<string, unknown> } | undefined;
    for (const { change, words } of CHANGES) {
      const after = outcomeOf(await target.rerun({ ...details.flip, change }));
      tried = { words, changed: changes(before, after), after };
      if (tried.changed.length > 0) break;
    }
    const { words, changed, after } = tried!;
    details.verdict = changed.length > 0 ? 'confirmed' : 'not confirmed';
    details.confirmation = {
      change: changed.length > 0 ? words : CHANGES.map((c) => c.words).join(', then '),
      changed,
      bugcheck: after.bugcheck,
      ...(changed.includes('processes') ? { processes: after.processes } : {}),
      ...(changed.includes('findings') ? { findings: after.findings } : {}),
    };
    finding.message = finding.message.replace(/\(a double fetch; unconfirmed[^)]*\)/, changed.length > 0
      ? `(a double fetch, confirmed: with the bytes changed between the reads (${words}) the run ended otherwise — ${changed.join(', ')}${after.bugcheck ? `: bug check ${String(after.bugcheck)}` : ''})`
      : `(a double fetch, not confirmed: with the bytes changed between the reads (${CHANGES.map((c) => c.words).join(', then ')}) the run ended the same)`);
  }
}

/** The options a confirmation rerun takes from the original run: the same, without the scenario's file. */
export function rerunOptions(options: ScenarioRunOptions): ScenarioRunOptions {
  return { seconds: options.seconds, variant: options.variant, user: options.user, input: options.input };
}
