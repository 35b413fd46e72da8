/**
 * Regressions: a failure the fuzzer found, shrunk, saved as JSON under
 * test/fuzz/regressions/ with the seed that found it. The campaign test
 * (test/fuzz/campaign.test.ts) replays every file: a regression must pass,
 * unless it says it is `pending` (a known failure an item of issue 7 will
 * fix), in which case it must still fail, so that the fix's landing is
 * noticed and the file's `pending` removed.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from './actions.js';

export interface Regression {
  /** The campaign's seed, and the seed and fast-check path of the round that found it. */
  readonly seed: number;
  readonly roundSeed?: number;
  readonly path?: string;
  /** The command that found it. */
  readonly foundBy: string;
  /** What went wrong, as the fuzzer said it. */
  readonly failures: readonly string[];
  /** Set while the failure is known and its fix has not landed: the issue item that fixes it. */
  readonly pending?: string;
  /**
   * The run spins its thread forever (found by npm run fuzz's watchdog, not
   * shrunk): the campaign test cannot replay it in its own thread, so it
   * skips it; `npm run fuzz -- --replay <file>` replays it under the watchdog.
   */
  readonly hangs?: boolean;
  readonly scenario: Scenario;
}

/** The repository's root (this file is fuzz/regressions.ts, or dist/fuzz/regressions.js once built). */
const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

/** A failure's text without this checkout's paths (host stack frames name files by URL). */
const portable = (s: string): string => s.replaceAll(`file://${root}`, '').replaceAll(root, '');

/** Writes a regression as <dir>/<name>.json; returns its path. */
export function saveRegression(dir: string, name: string, r: Regression): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ ...r, failures: r.failures.map(portable) }, null, 1)}\n`);
  return file;
}

/** Every regression in `dir`, by file name. */
export function loadRegressions(dir: string): { file: string; regression: Regression }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return names.map((file) => ({ file, regression: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Regression }));
}
