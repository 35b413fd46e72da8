/**
 * The misuse variants of locked-user-buffer (reference/misuse.md, seed 004
 * method 1) and what each runs: each is one switch in driver.ts or program.ts.
 */
import type { Machine, ScenarioVariant } from 'ntshm';
import { lockedUserBufferDriver, type LockingDriverVariant } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { lockedUserBufferProgram, type LockingProgramVariant } from './program.js';

export const variants: readonly ScenarioVariant[] = [
  { name: 'no-unlock', summary: 'the program exits while the driver, which has no IRP_MJ_CLEANUP, holds its pages locked: bug check 0x76 (0xCB with the verifier)' },
  { name: 'unlock-twice', summary: 'the driver calls MmUnlockPages twice: bug check 0x76 with P1 = 1 (0xC4/0x7C with the verifier)' },
  { name: 'no-try', summary: 'the driver probes a reserved, never committed user buffer outside try/except: bug check 0x3B with 0xC0000005' },
];

const run = (driver: LockingDriverVariant, program: LockingProgramVariant = {}) => (machine: Machine) => {
  machine.loadDriver(SERVICE_NAME, lockedUserBufferDriver(driver));
  machine.spawn(lockedUserBufferProgram(program));
};

export const variantSetups: Record<string, (machine: Machine) => void> = {
  'no-unlock': run({ noCleanup: true }, { skipUnlock: true }),
  'unlock-twice': run({ unlockTwice: true }),
  'no-try': run({ noTry: true }, { uncommittedBuffer: true }),
};

export const runRight = run({});
