/**
 * What a kernel is built with: the boot options, checked by Machine, with
 * the start time as a FILETIME.
 */
import type { Arch } from '../../hw/pte.js';
import type { VolumeStore } from '../../include/volume-store.js';

/** The boot options a Kernel is built with. */
export interface KernelOptions {
  arch: Arch;
  memoryMiB: number;
  cpus: number;
  seed: number;
  /** Virtual clock at boot, as a FILETIME (100 ns since 1601, UTC). */
  bootSystemTime: bigint;
  timeZoneBiasMinutes: number;
  /** Driver Verifier on: its automatic checks run whenever any option is. */
  verifier: boolean;
  /** Which of Driver Verifier's options are on (include/verifier-flags.ts); 0 when off. Absent: the standard settings when verifier is true. */
  verifierFlags?: number;
  /** When pageable pages are trimmed without the verifier (mm/working-set.ts): never, when memory runs low, at every clock tick. */
  memoryPressure?: 'none' | 'low' | 'high';
  profile: 'nt4' | 'win10';
  /** Frames left free once booted (0: all); the rest are held, so that an allocation runs short (mm/pfn.ts holdAllBut). */
  lowMemoryPages?: number;
  /** The store of the volume C: (io/fs), or null for a machine with no C:. */
  volume?: VolumeStore | null;
  /** Record a trace (ke/trace.ts). */
  trace?: boolean;
}
