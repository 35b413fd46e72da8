/**
 * The misuse variants of event-ring and what each runs: each is
 * one file under variants/, plugged into the driver in place of the right
 * routine of driver.ts.
 */
import type { Machine, ScenarioVariant } from 'ntshm';
import { eventRingDriver, type EventRingDriverVariant } from './driver.js';
import { eventRingProgram, type EventRingProgramVariant } from './program.js';
import { SERVICE_NAME } from './protocol.js';
import { requestHeadTwice } from './variants/double-fetch-index.js';
import { PROGRAM_CAPACITY, programSizedRing } from './variants/program-sized-ring.js';

export const variants: readonly ScenarioVariant[] = [
  {
    name: 'double-fetch-index',
    summary: 'the driver reads the program-written RequestHead twice, checking one value and using the other: a double fetch (the run ends as the right one; the verifier\'s double-fetch check will find it)',
  },
  {
    name: 'program-sized-ring',
    summary: 'the driver wraps its index at the ring size the program asked for, past the pages it allocated: its write after the last page is bug check 0x50',
  },
  {
    name: 'program-sized-ring-checked',
    summary: 'the fix of program-sized-ring: the same program asks for 4096 records and the driver refuses a size it will not allocate (ERROR_INVALID_PARAMETER)',
  },
];

/** A setup: `driver` is called per run, so that no state is left over from another run's driver. */
const run = (driver: () => EventRingDriverVariant, program: EventRingProgramVariant = {}) => (machine: Machine) => {
  machine.loadDriver(SERVICE_NAME, eventRingDriver(driver()));
  machine.spawn(eventRingProgram(program));
};

export const variantSetups: Record<string, (machine: Machine) => void> = {
  'double-fetch-index': run(() => ({ requestHead: requestHeadTwice() })),
  'program-sized-ring': run(() => ({ ringSize: programSizedRing }), { capacity: PROGRAM_CAPACITY }),
  'program-sized-ring-checked': run(() => ({}), { capacity: PROGRAM_CAPACITY }),
};

export const runRight = run(() => ({}));
