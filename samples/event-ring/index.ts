/**
 * The event-ring sample (beyond the seed articles): a ring of 64-byte records in pages the
 * driver maps into its program, an event the driver sets when the ring stops
 * being empty, a producer thread and a consumer thread: what
 * `ntshm run event-ring` runs.
 */
import { defineScenario } from 'ntshm';
import { SERVICE_NAME } from './protocol.js';
import { runRight, variants, variantSetups } from './variants.js';

export const eventRing = defineScenario({
  name: 'event-ring',
  summary: 'A single-producer/single-consumer ring of 64-byte records in MDL pages mapped into the program; the driver sets the program\'s event when the ring goes from empty to non-empty; 100 000 records, each once',
  variants,
  setup(machine, options) {
    const custom = options.variant ? variantSetups[options.variant] : undefined;
    (custom ?? runRight)(machine);
  },
  teardown(machine) {
    machine.unloadDriver(SERVICE_NAME);
  },
});
