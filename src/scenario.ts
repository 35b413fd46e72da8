/**
 * Scenarios: a driver, the programs that use it, and how to set them up on a
 * freshly booted machine, in one module that `ntshm run ./file.ts` (or a test)
 * can run. The built-in samples are scenarios too.
 */
import type { BootOptions } from './machine.js';
import type { Machine } from './machine.js';

/** A misuse variant of a scenario: a name for `--variant`, and one line on what goes wrong and how it ends. */
export interface ScenarioVariant {
  readonly name: string;
  readonly summary: string;
}

/**
 * A person at a terminal (`ntshm run --interactive`), or a script standing in
 * for one: a program of the scenario awaits `choose` for its next action. The
 * core only calls it; the CLI brings the prompt (src/cli/interactive.ts).
 */
export interface ScenarioInput {
  /** Asks `question` and resolves to one of `choices`. */
  choose(question: string, choices: readonly string[]): Promise<string>;
}

/**
 * What setup() is given: the seconds the run was asked to last, the variant
 * (undefined for the right code), and the input a program may await its
 * actions from (undefined: the scenario runs its own script).
 */
export interface ScenarioOptions {
  readonly seconds: number;
  readonly variant: string | undefined;
  /** Who runs the programs spawned without a `user` (`ntshm run --user`): admin unless told. */
  readonly user?: 'admin' | 'user';
  readonly input?: ScenarioInput | undefined;
}

/** Options of runScenario(): the seconds the scenario's programs run (default 5), its variant, and an input for its programs. */
export interface ScenarioRunOptions {
  seconds?: number | undefined;
  variant?: string | undefined;
  input?: ScenarioInput | undefined;
  /** The user of every program the scenario spawns without naming one (`ntshm run --user`). */
  user?: 'admin' | 'user' | undefined;
  /** The scenario's file (`ntshm run ./file.ts` gives it), which a finding's replay scenario imports; a built-in sample needs none. */
  source?: string | undefined;
}

/** What defineScenario() takes. */
export interface ScenarioDefinition {
  /** How `ntshm run` and the report name it (`sharing-memory`). */
  readonly name: string;
  /** One line: what it shows. */
  readonly summary: string;
  /** The seed article a built-in sample ports ("003"); a user's scenario leaves it out. */
  readonly article?: string;
  readonly variants?: readonly ScenarioVariant[];
  /** Boot options the scenario (or a variant) needs; the user's flags override them. */
  bootOptions?(variant: string | undefined): BootOptions;
  /** Installs or loads drivers and spawns programs on a freshly booted machine. */
  setup(machine: Machine, options: ScenarioOptions): void | Promise<void>;
  /**
   * Runs once the programs have run their course (not after a bug check or a
   * cut run): unloads what setup loaded, so that the report's resources show
   * what the drivers gave back.
   */
  teardown?(machine: Machine, options: ScenarioOptions): void | Promise<void>;
}

/** A scenario, checked: `variants` always present. */
export interface Scenario extends ScenarioDefinition {
  readonly variants: readonly ScenarioVariant[];
}

/** A scenario's setup threw: the scenario is wrong, not the machine. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Checks a scenario definition and returns it as a Scenario; a wrong one throws a TypeError naming the field. */
export function defineScenario(definition: ScenarioDefinition): Scenario {
  const d = definition as Partial<ScenarioDefinition> | null;
  if (typeof d !== 'object' || d === null) throw new TypeError('a scenario is an object: defineScenario({ name, summary, setup })');
  if (typeof d.name !== 'string' || d.name === '') throw new TypeError('a scenario needs a name (a non-empty string)');
  if (typeof d.setup !== 'function') throw new TypeError(`scenario ${d.name} needs a setup(machine, options) function`);
  if (d.teardown !== undefined && typeof d.teardown !== 'function') throw new TypeError(`scenario ${d.name}: teardown must be a function`);
  if (d.bootOptions !== undefined && typeof d.bootOptions !== 'function') throw new TypeError(`scenario ${d.name}: bootOptions must be a function of the variant`);
  const variants = d.variants ?? [];
  if (!Array.isArray(variants) || !variants.every((v: Partial<ScenarioVariant>) => typeof v?.name === 'string' && typeof v.summary === 'string')) {
    throw new TypeError(`scenario ${d.name}: variants must be a list of { name, summary }`);
  }
  return { ...definition, summary: d.summary ?? '', variants };
}

/** Whether a value (a module's default export) is a scenario defineScenario() would accept. */
export function isScenario(value: unknown): value is ScenarioDefinition {
  try {
    defineScenario(value as ScenarioDefinition);
    return true;
  } catch {
    return false;
  }
}

/** Refuses a variant the scenario does not have, naming the ones it has. */
export function checkVariant(scenario: Scenario, variant: string | undefined): void {
  if (variant === undefined || scenario.variants.some((v) => v.name === variant)) return;
  const valid = scenario.variants.map((v) => v.name);
  throw new RangeError(`unknown variant '${variant}' of ${scenario.name} ${valid.length ? `(choose from: ${valid.join(', ')})` : '(it has no variants)'}`);
}
