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
    summary: 'METHOD_NEITHER without ProbeForRead; the program passes a kernel address and gets kernel bytes back: finding kernel-address-unprobed; ' +
      'with --verifier, bug check 0xC4/0xE3 as the driver completes',
  },
  {
    name: 'direct-zero-length',
    summary: 'METHOD_OUT_DIRECT with output length 0: no MDL, and the driver writes through MmGetSystemAddressForMdlSafe\'s answer unchecked: bug check 0x3B',
  },
  {
    name: 'information-too-large',
    summary: 'IoStatus.Information is the whole 256-byte output buffer, of which the driver wrote 42: uninitialized pool reaches the program (finding uninitialized-bytes-returned)',
  },
];

const run = (driver: TransferDriverVariant, program: TransferProgramVariant = {}) => (machine: Machine) => {
  machine.loadDriver(SERVICE_NAME, transferMethodsDriver(driver));
  machine.spawn(transferMethodsProgram(program));
};

export const variantSetups: Record<string, (machine: Machine) => void> = {
  'neither-no-probe': run({ noProbe: true }, { kernelInput: true }),
  'direct-zero-length': run({ noMdlCheck: true }, { zeroLengthOutput: true }),
  'information-too-large': run({ informationTooLarge: true }, { largeOutput: true }),
};

export const runRight = run({});
