/**
 * What `ntshm run <scenario>` names: a built-in sample, or a scenario file
 * (.ts, .mts, .cts, .js, .mjs) whose default export is a scenario.
 * TypeScript files load through tsx, so nothing else needs installing.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/**
 * Lets import() load TypeScript: tsx's loader hooks, registered once per
 * process, for ES modules and for CommonJS (a .ts file in a package without
 * "type": "module" is CommonJS, and so is every .cts).
 */
async function registerTypeScript(): Promise<void> {
  if (tsxRegistered) return;
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register();
  cjs.register();
  tsxRegistered = true;
}

/** An error on one line: a compiler's "Transform failed with 1 error:" is useless without the lines after it. */
function problem(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.split('\n').map((line) => line.trim()).filter(Boolean).slice(0, 4).join(' ');
}

/** `export` in a .js file of a CommonJS package: say what to do about it. */
function moduleTypeHint(path: string, e: unknown): string {
  const esmSyntax = e instanceof SyntaxError && /\b(export|import)\b/.test(e.message);
  return esmSyntax && path.endsWith('.js') ? ' (an ES module in a CommonJS package: name it .mjs, or set "type": "module" in package.json)' : '';
}

/** A CommonJS module's exports arrive as the default export: `{ default: scenario, ... }`. */
function defaultExport(module: { default?: unknown }): unknown {
  const value = module.default;
  if (typeof value === 'object' && value !== null && !('setup' in value) && 'default' in value) return (value as { default: unknown }).default;
  return value;
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
    // A .cts is CommonJS whatever the package says: require it (through tsx's CommonJS hook).
    module = /\.cts$/.test(path)
      ? { default: createRequire(import.meta.url)(path) as unknown }
      : (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new UsageError(`${file}: cannot load it: ${problem(e)}${moduleTypeHint(path, e)}`, { cause: e });
  }
  const scenario = defaultExport(module);
  if (scenario === undefined) throw new UsageError(`${file}: no default export (end it with \`export default defineScenario({ ... })\`)`);
  try {
    return defineScenario(scenario as Scenario);
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
