/**
 * The sharing-memory sample (seed 003): what `ntshm run sharing-memory` runs.
 */
import { defineScenario } from 'ntshm';
import { sharingMemoryDriver } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { sharingMemoryProgram } from './program.js';
import { variantBootOptions, variantSetups, variants } from './variants.js';

export const sharingMemory = defineScenario({
  name: 'sharing-memory',
  article: '003',
  summary: "Four-F's SharingMemory: a nonpaged pool page mapped into the client through an MDL; an I/O timer writes the time into it every second",
  variants,
  bootOptions: (variant) => variantBootOptions(variant),
  setup(machine, options) {
    const custom = options.variant ? variantSetups[options.variant] : undefined;
    if (custom) return custom(machine, options.seconds);
    machine.installDriver(SERVICE_NAME, sharingMemoryDriver());
    machine.spawn(sharingMemoryProgram(), { args: ['--seconds', String(options.seconds)] });
  },
});
