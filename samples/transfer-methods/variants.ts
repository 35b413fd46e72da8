/**
 * The misuse variants of transfer-methods (reference/misuse.md, seed 004)
 * and what each runs: each is one switch in driver.ts or program.ts.
 */
import type { Machine, ScenarioVariant } from 'ntshm';
import { transferMethodsDriver, type TransferDriverVariant } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { transferMethodsProgram, type TransferProgramVariant } from './program.js';

export const variants: readonly ScenarioVariant[] = [
  {
    name: 'neither-no-probe',
    summary: 'METHOD_NEITHER without ProbeForRead; the program passes a kernel address and gets kernel bytes back: finding kernel-address-unprobed',
  },
];

const run = (driver: TransferDriverVariant, program: TransferProgramVariant = {}) => (machine: Machine) => {
  machine.loadDriver(SERVICE_NAME, transferMethodsDriver(driver));
  machine.spawn(transferMethodsProgram(program));
};

export const variantSetups: Record<string, (machine: Machine) => void> = {
  'neither-no-probe': run({ noProbe: true }, { kernelInput: true }),
};

export const runRight = run({});
