/**
 * The misuse variants of pool-to-user (reference/misuse.md, seed 004
 * method 2) and what each runs: each is one switch in driver.ts or program.ts.
 */
import type { Machine, ScenarioVariant } from 'ntshm';
import { poolToUserDriver, type PoolDriverVariant } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { poolToUserProgram, type PoolProgramVariant } from './program.js';

export const variants: readonly ScenarioVariant[] = [
  { name: 'partial-page', summary: 'the driver maps the article\'s 1024-byte pool block to user mode: the rest of its page, 3072 bytes of other pool, goes too (a finding)' },
  { name: 'wrong-va', summary: 'the driver builds the MDL over the program\'s address, as the article\'s pseudo-code reads: bug check 0x50 (0xC4/0x7F with the verifier)' },
  { name: 'free-while-mapped', summary: 'the driver frees the pool while the program still maps it: the program sees the next owner\'s bytes (a finding; 0xC4/0xB8 with the verifier)' },
];

const run = (driver: PoolDriverVariant, program: PoolProgramVariant = {}) => (machine: Machine) => {
  machine.loadDriver(SERVICE_NAME, poolToUserDriver(driver));
  machine.spawn(poolToUserProgram(program));
};

export const variantSetups: Record<string, (machine: Machine) => void> = {
  'partial-page': run({ poolBytes: 1024 }),
  'wrong-va': run({ mdlOverUva: true }),
  'free-while-mapped': run({ freeWhileMapped: true }, { lookAfterFree: true }),
};

export const runRight = run({});
