/**
 * The section sample (seed 000, KB Q194945): what `ntshm run section` runs.
 */
import { defineScenario } from 'ntshm';
import { sectionDriver } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { secTestProgram } from './program.js';
import { variantBootOptions, variants, variantSetups } from './variants.js';

export const section = defineScenario({
  name: 'section',
  article: '000',
  summary: 'KB Q194945 Section.exe: the program creates a named pagefile-backed section; the driver, in the program\'s context, maps its own view, reads the message and writes a reply',
  variants,
  bootOptions: (variant) => variantBootOptions(variant),
  setup(machine, options) {
    const custom = options.variant ? variantSetups[options.variant] : undefined;
    if (custom) return custom(machine);
    machine.loadDriver(SERVICE_NAME, sectionDriver());
    machine.spawn(secTestProgram());
  },
  teardown(machine) {
    machine.unloadDriver(SERVICE_NAME);
  },
});
