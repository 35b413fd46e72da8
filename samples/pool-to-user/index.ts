/**
 * The pool-to-user sample (seed 004, method 2): what `ntshm run pool-to-user` runs.
 */
import { defineScenario } from 'ntshm';
import { SERVICE_NAME } from './ioctl.js';
import { runRight, variants, variantSetups } from './variants.js';

export const poolToUser = defineScenario({
  name: 'pool-to-user',
  article: '004',
  summary: 'Shared memory through an MDL, method 2: a page of nonpaged pool described by MmBuildMdlForNonPagedPool and mapped into the program',
  variants,
  setup(machine, options) {
    const custom = options.variant ? variantSetups[options.variant] : undefined;
    (custom ?? runRight)(machine);
  },
  teardown(machine) {
    machine.unloadDriver(SERVICE_NAME);
  },
});
