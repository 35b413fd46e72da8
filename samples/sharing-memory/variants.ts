/**
 * The misuse variants of sharing-memory (reference/misuse.md) and what each
 * runs.
 */
import type { BootOptions, Machine } from 'ntshm';
import type { ScenarioVariant } from 'ntshm';
import { sharingMemoryDriver } from './driver.js';
import { SERVICE_NAME } from './ioctl.js';
import { sharingMemoryProgram, type ClientHooks } from './program.js';
import { MEM_RESERVE, PAGE_NOACCESS, type K32 } from 'ntshm/win32';
import { secondClient } from './second-open.js';
import { tornReadBootOptions, watchForTornReads } from './torn-read.js';

export type DriverVariant = 'none' | 'map-at-dispatch' | 'never-unmap' | 'no-try' | 'close-not-cleanup' | 'paged-pool' | 'unzeroed';

export const variants: readonly ScenarioVariant[] = [
  { name: 'second-open', summary: 'a second program opens the exclusive device: CreateFile fails with ERROR_ACCESS_DENIED' },
  { name: 'map-at-dispatch', summary: 'the driver maps to user mode in its timer routine: the page lands in whatever process the CPU was running' },
  { name: 'torn-read', summary: 'the program reads the 8-byte time as two 32-bit reads while the timer writes it: torn values, reported as a race' },
  { name: 'never-unmap', summary: 'the driver never unmaps and frees the page at unload: a finding shows the program still mapping freed pool (0xC4/0xB8 with the verifier)' },
  { name: 'no-try', summary: 'the driver maps to user mode outside try/except and the program has used up its address space: bug check 0x3B' },
  { name: 'paged-pool', summary: 'the driver allocates the shared page from paged pool; under memory pressure it is trimmed, and the timer routine touching it at DISPATCH_LEVEL bug checks 0xD1 (with --verifier: 0xC4/0x7F at MmBuildMdlForNonPagedPool)' },
  { name: 'unzeroed', summary: 'the driver maps its pool page without zeroing it: the program can read whatever the page held (finding kernel-info-leak, with the bytes)' },
  { name: 'close-not-cleanup', summary: 'the driver unmaps in IRP_MJ_CLOSE, which a second reference delays past the program\'s exit: the unmap runs in another process' },
];

/** The no-try client's preparation: reserve every free range of its address space, largest first. */
function useUpAddressSpace(k32: K32): void {
  for (let size = 2 ** 46; size >= 0x10000; size /= 2) {
    while (k32.VirtualAlloc(0, size, MEM_RESERVE, PAGE_NOACCESS) !== 0);
  }
}

const withDriver = (variant: DriverVariant, hooks: ClientHooks = {}) => (machine: Machine, seconds: number) => {
  machine.installDriver(SERVICE_NAME, sharingMemoryDriver(variant));
  machine.spawn(sharingMemoryProgram(hooks), args(seconds));
};

const args = (seconds: number) => ({ args: ['--seconds', String(seconds)] });

export const variantSetups: Record<string, (machine: Machine, seconds: number) => void> = {
  'never-unmap': withDriver('never-unmap'),
  'no-try': withDriver('no-try', { beforeIoctl: useUpAddressSpace }),
  'close-not-cleanup': withDriver('close-not-cleanup'),
  'paged-pool': withDriver('paged-pool'),
  unzeroed: withDriver('unzeroed'),
  'second-open': (machine, seconds) => {
    machine.installDriver(SERVICE_NAME, sharingMemoryDriver());
    machine.spawn(sharingMemoryProgram(), args(seconds));
    machine.spawn(secondClient);
  },
  'map-at-dispatch': withDriver('map-at-dispatch'),
  'torn-read': withDriver('none', { showTime: watchForTornReads }),
};

export function variantBootOptions(variant: string | undefined): BootOptions {
  // paged-pool: a machine short of memory, whose trimmer takes pageable pages at every clock tick.
  if (variant === 'paged-pool') return { memoryPressure: 'high' };
  return variant === 'torn-read' ? tornReadBootOptions() : {};
}
