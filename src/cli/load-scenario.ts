/**
 * What `ntshm run <scenario>` names: a built-in sample, or a scenario file
 * (.ts, .mts, .cts, .js, .mjs) whose default export is a scenario.
 * TypeScript files load through tsx, so nothing else needs installing.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineScenario, type Scenario } from '../index.js';
import { findSample, samples } from '../../samples/registry.js';
import { UsageError } from './usage.js';

/** A scenario to run, and the file it came from (undefined for a sample). */
export interface LoadedScenario {
  scenario: Scenario;
  file: string | undefined;
}

const SCENARIO_FILE = /\.(?:[cm]?ts|m?js)$/;

/** Whether `ntshm run` takes the argument as a file rather than a sample's name. */
export function looksLikeFile(arg: string): boolean {
  return arg.includes('/') || arg.includes('\\') || SCENARIO_FILE.test(arg);
}

let tsxRegistered = false;

/** Lets import() load TypeScript: tsx's loader hooks, registered once per process. */
async function registerTypeScript(): Promise<void> {
  if (tsxRegistered) return;
  const { register } = await import('tsx/esm/api');
  register();
  tsxRegistered = true;
}

function problem(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.split('\n')[0]}`;
  return String(e);
}

/** Loads a scenario file; every way it can be wrong is a one-line UsageError naming the file. */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`${file}: no such file`);
  if (!statSync(path).isFile()) throw new UsageError(`${file}: not a file`);
  if (!SCENARIO_FILE.test(path)) throw new UsageError(`${file}: not a scenario file (expected .ts, .mts, .cts, .js or .mjs)`);
  if (/\.[cm]?ts$/.test(path)) await registerTypeScript();
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new UsageError(`${file}: cannot load it: ${problem(e)}`, { cause: e });
  }
  if (module.default === undefined) throw new UsageError(`${file}: no default export (end it with \`export default defineScenario({ ... })\`)`);
  try {
    return defineScenario(module.default as Scenario);
  } catch (e) {
    throw new UsageError(`${file}: the default export is not a scenario: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** The sample or file `ntshm run` was given. */
export async function loadScenario(arg: string): Promise<LoadedScenario> {
  if (looksLikeFile(arg)) return { scenario: await loadScenarioFile(arg), file: arg };
  const sample = findSample(arg);
  if (sample) return { scenario: sample, file: undefined };
  const names = samples.map((s) => s.name).join(', ');
  throw new UsageError(`unknown sample '${arg}' (choose from: ${names}; or give a scenario file such as ./my-scenario.ts)`);
}
