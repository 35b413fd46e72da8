/**
 * runScenario(): a machine booted for one scenario, the scenario run on it,
 * its report.
 */
import { boot, BOOT_OPTIONS, checkOptionNames, type BootOptions, type ScenarioRunOptions } from '../machine.js';
import type { Report } from '../report.js';
import { checkVariant, defineScenario, type ScenarioDefinition } from '../scenario.js';

/**
 * Boots a machine with the scenario's boot options (for the variant) under
 * `options`' own, runs the scenario on it, and returns the report.
 */
export async function runScenario(scenario: ScenarioDefinition, options: ScenarioRunOptions & BootOptions = {}): Promise<Report> {
  checkOptionNames(options, ['seconds', 'variant', ...BOOT_OPTIONS, 'user', 'input'], 'runScenario');
  const { seconds, variant, user, input, ...bootOptions } = options;
  const checked = defineScenario(scenario);
  checkVariant(checked, variant);
  const machine = await boot({ ...checked.bootOptions?.(variant), ...definedOnly(bootOptions) });
  return machine.runScenario(checked, { seconds, variant, user, input });
}

/** The options that were given (an undefined one yields to the scenario's). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
