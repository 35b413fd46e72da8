/**
 * What a kernel is built with: the boot options, checked by Machine, with
 * the start time as a FILETIME.
 */
import type { Arch } from '../../hw/pte.js';

/** The boot options a Kernel is built with. */
export interface KernelOptions {
  arch: Arch;
  memoryMiB: number;
  cpus: number;
  seed: number;
  /** Virtual clock at boot, as a FILETIME (100 ns since 1601, UTC). */
  bootSystemTime: bigint;
  timeZoneBiasMinutes: number;
  verifier: boolean;
  profile: 'nt4' | 'win10';
}
