/**
 * The locked-user-buffer sample (seed 004, method 1): what
 * `ntshm run locked-user-buffer` runs.
 */
import { defineScenario } from 'ntshm';
import { SERVICE_NAME } from './ioctl.js';
import { runRight, variants, variantSetups } from './variants.js';

export const lockedUserBuffer = defineScenario({
  name: 'locked-user-buffer',
  article: '004',
  summary: 'Shared memory through an MDL, method 1: the program\'s buffer probed, locked and mapped into kernel space; the article\'s MDL fields shown',
  variants,
  setup(machine, options) {
    const custom = options.variant ? variantSetups[options.variant] : undefined;
    (custom ?? runRight)(machine);
  },
  teardown(machine) {
    machine.unloadDriver(SERVICE_NAME);
  },
});
