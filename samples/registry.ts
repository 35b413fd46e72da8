/**
 * `ntshm/samples`: the samples `ntshm run` knows by name, one scenario per
 * seed article (more as later issues land), each with its misuse variants.
 */
import type { Scenario } from 'ntshm';
import { sharingMemory } from './sharing-memory/index.js';

export { sharingMemory };

export const samples: readonly Scenario[] = [sharingMemory];

export function findSample(name: string): Scenario | undefined {
  return samples.find((s) => s.name === name);
}
