/**
 * The kernel-section sample (seed 001, JustKernel): what `ntshm run kernel-section` runs.
 */
import { defineScenario } from 'ntshm';
import { kernelSectionDriver } from './driver.js';
import { SERVICE_NAME } from './names.js';
import { kernelSectionProgram } from './program.js';
import { variants, variantSetups } from './variants.js';

export const kernelSection = defineScenario({
  name: 'kernel-section',
  article: '001',
  summary: 'JustKernel: the driver creates a named section in DriverEntry and maps its view in the System process; the program maps its own view of the same frames',
  variants,
  bootOptions: () => ({ profile: 'nt4' }),
  setup(machine, options) {
    const custom = options.variant ? variantSetups[options.variant] : undefined;
    if (custom) return custom(machine);
    machine.loadDriver(SERVICE_NAME, kernelSectionDriver());
    machine.spawn(kernelSectionProgram);
  },
  teardown(machine) {
    machine.unloadDriver(SERVICE_NAME);
  },
});
