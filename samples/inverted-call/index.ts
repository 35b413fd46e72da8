/**
 * The inverted-call sample (beyond the seed articles; OSR, "The Inverted Call Model"): what
 * `ntshm run inverted-call` runs.
 */
import { defineScenario } from 'ntshm';
import { invertedCallDriver } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { invertedCallProgram } from './program.js';
import { variants, variantSetups } from './variants.js';

export const invertedCall = defineScenario({
  name: 'inverted-call',
  summary: 'the program keeps 4 IOCTLs pending (overlapped); the driver holds them in a cancel-safe queue and completes one per event of its ' +
    '250 ms timer\'s DPC; the program prints each event and re-arms; after 10 it cancels what is pending (CancelIoEx) and leaves',
  variants,
  setup(machine, options) {
    const custom = options.variant ? variantSetups[options.variant] : undefined;
    if (custom) return custom(machine);
    machine.loadDriver(SERVICE_NAME, invertedCallDriver());
    machine.spawn(invertedCallProgram());
  },
  teardown(machine) {
    machine.unloadDriver(SERVICE_NAME);
  },
});
