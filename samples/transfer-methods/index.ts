/**
 * The transfer-methods sample (seed 004, part 3): what
 * `ntshm run transfer-methods` runs. The report's "I/O by transfer method"
 * (Machine.ioStats()) sums up what was copied and what was mapped.
 */
import { defineScenario } from 'ntshm';
import { SERVICE_NAME } from './ioctl.js';
import { runRight, variants, variantSetups } from './variants.js';

export const transferMethods = defineScenario({
  name: 'transfer-methods',
  article: '004',
  summary: 'The three transfer methods: the same message in and reply out through METHOD_BUFFERED (copied), METHOD_IN/OUT_DIRECT (locked in an MDL) and METHOD_NEITHER (the program\'s own addresses)',
  variants,
  setup(machine, options) {
    const custom = options.variant ? variantSetups[options.variant] : undefined;
    (custom ?? runRight)(machine);
  },
  teardown(machine) {
    machine.unloadDriver(SERVICE_NAME);
  },
});
