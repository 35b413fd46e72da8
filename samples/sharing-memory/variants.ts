/**
 * The misuse variants of sharing-memory (reference/misuse.md) and what each
 * runs.
 */
import type { BootOptions, Machine } from 'ntshm';
import type { SampleVariant } from '../registry.js';
import { sharingMemoryDriver } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { sharingMemoryProgram } from './program.js';
import { secondClient } from './second-open.js';
import { tornReadBootOptions, watchForTornReads } from './torn-read.js';

export type DriverVariant = 'none' | 'map-at-dispatch' | 'paged-pool';

export const variants: readonly SampleVariant[] = [
  { name: 'second-open', summary: 'a second program opens the exclusive device: CreateFile fails with ERROR_ACCESS_DENIED' },
  { name: 'map-at-dispatch', summary: 'the driver maps to user mode in its timer routine: the page lands in whatever process the CPU was running' },
  { name: 'torn-read', summary: 'the program reads the 8-byte time as two 32-bit reads while the timer writes it: torn values, reported as a race' },
];

const args = (seconds: number) => ({ args: ['--seconds', String(seconds)] });

export const variantSetups: Record<string, (machine: Machine, seconds: number) => void> = {
  'second-open': (machine, seconds) => {
    machine.installDriver(SERVICE_NAME, sharingMemoryDriver());
    machine.spawn(sharingMemoryProgram(), args(seconds));
    machine.spawn(secondClient);
  },
  'map-at-dispatch': (machine, seconds) => {
    machine.installDriver(SERVICE_NAME, sharingMemoryDriver('map-at-dispatch'));
    machine.spawn(sharingMemoryProgram(), args(seconds));
  },
  'torn-read': (machine, seconds) => {
    machine.installDriver(SERVICE_NAME, sharingMemoryDriver());
    machine.spawn(sharingMemoryProgram(watchForTornReads), args(seconds));
  },
};

export function variantBootOptions(variant: string | undefined): BootOptions {
  return variant === 'torn-read' ? tornReadBootOptions() : {};
}
