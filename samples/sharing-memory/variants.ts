/**
 * The misuse variants of sharing-memory (reference/misuse.md) and what each
 * runs.
 */
import type { BootOptions, Machine } from 'ntshm';
import type { SampleVariant } from '../registry.js';
import { sharingMemoryDriver } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { sharingMemoryProgram } from './program.js';

export type DriverVariant = 'none' | 'map-at-dispatch' | 'paged-pool' | 'never-unmap' | 'no-try' | 'close-not-cleanup';

export const variants: readonly SampleVariant[] = [
  { name: 'second-open', summary: 'a second program opens the exclusive device: CreateFile fails with ERROR_ACCESS_DENIED' },
  { name: 'map-at-dispatch', summary: 'the driver maps to user mode in its timer routine: the page lands in whatever process the CPU was running' },
  { name: 'torn-read', summary: 'the program reads the 8-byte time as two 32-bit reads while the timer writes it on another CPU' },
];

export const variantSetups: Record<string, (machine: Machine, seconds: number) => void> = {
  'map-at-dispatch': (machine, seconds) => {
    machine.installDriver(SERVICE_NAME, sharingMemoryDriver('map-at-dispatch'));
    machine.spawn(sharingMemoryProgram(), { args: ['--seconds', String(seconds)] });
  },
};

export function variantBootOptions(_variant: string | undefined): BootOptions {
  return {};
}
