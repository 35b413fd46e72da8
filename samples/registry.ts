/**
 * `ntshm/samples`: the samples `ntshm run` knows by name, one scenario per
 * seed article (more as later issues land), each with its misuse variants.
 */
import type { Scenario } from 'ntshm';
import { eventRing } from './event-ring/index.js';
import { invertedCall } from './inverted-call/index.js';
import { kernelSection } from './kernel-section/index.js';
import { lockedUserBuffer } from './locked-user-buffer/index.js';
import { mdlPages } from './mdl-pages/index.js';
import { poolToUser } from './pool-to-user/index.js';
import { section } from './section/index.js';
import { sharingMemory } from './sharing-memory/index.js';
import { transferMethods } from './transfer-methods/index.js';

export { eventRing, invertedCall, kernelSection, lockedUserBuffer, mdlPages, poolToUser, section, sharingMemory, transferMethods };

export const samples: readonly Scenario[] = [section, kernelSection, mdlPages, sharingMemory, lockedUserBuffer, poolToUser, transferMethods, eventRing, invertedCall];

export function findSample(name: string): Scenario | undefined {
  return samples.find((s) => s.name === name);
}
