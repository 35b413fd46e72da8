/**
 * The mdl-pages sample (seed 002, Habr): pages from MmAllocatePagesForMdl,
 * written by the driver and read by its client: what `ntshm run mdl-pages`
 * runs (`--interactive` lets you press the client's buttons yourself).
 */
import { defineScenario } from 'ntshm';
import { SERVICE_NAME } from './ioctl.js';
import { bootOptionsFor, setupFor, variants } from './variants.js';

export const mdlPages = defineScenario({
  name: 'mdl-pages',
  article: '002',
  summary: 'Shared memory from MmAllocatePagesForMdl: the driver writes 10..1 through its system mapping, the client reads them at its own address',
  variants,
  bootOptions: bootOptionsFor,
  setup: setupFor,
  teardown(machine) {
    machine.unloadDriver(SERVICE_NAME);
  },
});
