/**
 * The figures of the performance targets (README, Performance), by name. Each is measured in a process of its
 * own (see main.ts), so that the JIT state one figure leaves behind (type
 * feedback from another machine, optimized code of shared loops) cannot
 * slow down or speed up the next.
 */
import { benchHandles, type HandleFigures } from './handles.js';
import { benchIoctl, type IoctlFigures } from './ioctl.js';
import { benchBoot, benchSharingMemory, type BootFigures, type SampleFigures } from './machine.js';
import { benchBulk, benchScalar, type BulkFigures, type ScalarFigures } from './memory.js';
import { benchPending, type PendingFigures } from './pending.js';
import { benchRing, type RingFigures } from './ring.js';
import { benchVerifier, type VerifierFigures } from './verifier.js';

export interface FigureResults {
  'bulk-x64': BulkFigures;
  'bulk-x86': BulkFigures;
  'scalar-x86': ScalarFigures;
  'scalar-x64': ScalarFigures;
  ioctl: IoctlFigures;
  'sharing-memory': SampleFigures;
  boot: BootFigures;
  handles: HandleFigures;
  ring: RingFigures;
  pending: PendingFigures;
  verifier: VerifierFigures;
}

export type FigureId = keyof FigureResults;

export const figureIds: readonly FigureId[] = ['bulk-x64', 'bulk-x86', 'scalar-x86', 'scalar-x64', 'ioctl', 'sharing-memory', 'boot', 'handles', 'ring', 'pending', 'verifier'];

export function isFigureId(id: string): id is FigureId {
  return (figureIds as readonly string[]).includes(id);
}

export async function runFigure<F extends FigureId>(id: F, quick: boolean): Promise<FigureResults[F]> {
  const run: { [K in FigureId]: () => Promise<FigureResults[K]> } = {
    'bulk-x64': () => benchBulk('x64', quick),
    'bulk-x86': () => benchBulk('x86', quick),
    'scalar-x86': () => benchScalar('x86', quick),
    'scalar-x64': () => benchScalar('x64', quick),
    ioctl: () => benchIoctl(quick),
    'sharing-memory': () => benchSharingMemory(quick),
    boot: () => benchBoot(quick),
    handles: () => benchHandles(quick),
    ring: () => benchRing(quick),
    pending: () => benchPending(quick),
    verifier: () => benchVerifier(quick),
  };
  return run[id]() as Promise<FigureResults[F]>;
}
