/**
 * The misuse variants of mdl-pages (reference/misuse.md, seed 002) and what
 * each runs: a switch in driver.ts, the client's script, a boot option.
 */
import type { BootOptions, Machine, ScenarioOptions, ScenarioVariant } from 'ntshm';
import { sharedMemoryDriver, type SharedMemoryDriverVariant } from './driver.js';
import { SERVICE_NAME, type Action } from './ioctl.js';
import { actionSource, sharedMemoryClient } from './program.js';

export const variants: readonly ScenarioVariant[] = [
  { name: 'release-twice', summary: 'the client presses Release twice and the driver does not guard: the second release reads the freed MDL, 0x50 (0xC4/0xB6 with the verifier)' },
  { name: 'short-allocation', summary: 'low memory: MmAllocatePagesForMdl describes fewer bytes than asked; the driver ignores ByteCount and writes past its mapping: 0x50' },
  { name: 'no-release', summary: 'the client quits without Release and the driver has no IRP_MJ_CLEANUP: the frames leak at unload (a finding; 0xC4/0x62 with the verifier)' },
];

/** The client's scripted buttons, by variant (the right run: Allocate, Fill, Release). */
const scripts: Record<string, readonly Action[]> = {
  right: ['Allocate', 'Fill', 'Release', 'Quit'],
  'release-twice': ['Allocate', 'Fill', 'Release', 'Release', 'Quit'],
  'short-allocation': ['Allocate', 'Fill', 'Release', 'Quit'],
  'no-release': ['Allocate', 'Fill', 'Quit'],
};

const drivers: Record<string, SharedMemoryDriverVariant> = {
  right: {},
  'release-twice': { noGuard: true },
  'short-allocation': { ignoreByteCount: true },
  'no-release': { noCleanup: true },
};

/**
 * Frames left free once booted for short-allocation: loading the driver,
 * starting the client and its IOCTL take 18 of them on x64 and 13 on x86,
 * so MmAllocatePagesForMdl finds 6 (x64) or 11 (x86) of the 16 it is asked for.
 */
export const SHORT_ALLOCATION_FREE_FRAMES = 24;

export function bootOptionsFor(variant: string | undefined): BootOptions {
  return variant === 'short-allocation' ? { lowMemoryPages: SHORT_ALLOCATION_FREE_FRAMES } : {};
}

export function setupFor(machine: Machine, options: ScenarioOptions): void {
  const key = options.variant ?? 'right';
  machine.loadDriver(SERVICE_NAME, sharedMemoryDriver(drivers[key]));
  machine.spawn(sharedMemoryClient(actionSource(scripts[key]!, options.input)));
}
