/**
 * boot()'s options checked: every option known (a typo is a RangeError that
 * names the choices), every value in range, defaults filled in.
 */
import { unixMsToFileTime } from '../include/time.js';
import type { VolumeStore } from '../include/volume-store.js';
import type { BootOptions } from '../machine.js';
import { verifierFlagsOf } from '../include/verifier-flags.js';

export const DEFAULT_START_TIME = '2026-01-01T12:00:00Z';

/** ISO time → FILETIME. */
export function isoToFileTime(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`startTime is not an ISO date: ${iso}`);
  return unixMsToFileTime(ms);
}

/** verifier: whether any option is on; verifierFlags: which (include/verifier-flags.ts). */
export type CheckedOptions = Required<Omit<BootOptions, 'verifier' | 'volume'>> & { verifier: boolean; verifierFlags: number; volume: VolumeStore | null };

export const BOOT_OPTIONS: readonly (keyof BootOptions)[] = ['arch', 'memoryMiB', 'cpus', 'seed', 'startTime', 'timeZoneBiasMinutes', 'verifier', 'profile', 'memoryPressure', 'volume', 'lowMemoryPages', 'trace'];

/** Refuses an option nobody reads (`memory` for `memoryMiB`): a typo would otherwise run with the default, silently. */
export function checkOptionNames(o: object, known: readonly string[], what: string): void {
  const unknown = Object.keys(o).filter((key) => !known.includes(key));
  if (unknown.length) throw new RangeError(`unknown ${what} option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (choose from: ${known.join(', ')})`);
}

export function checkOptions(o: BootOptions): CheckedOptions {
  checkOptionNames(o, BOOT_OPTIONS, 'boot');
  const arch = o.arch ?? 'x64';
  if (arch !== 'x64' && arch !== 'x86') throw new RangeError(`arch must be 'x64' or 'x86', not ${String(arch)}`);
  const memoryMiB = o.memoryMiB ?? 64;
  const maxMiB = 4096; // one SharedArrayBuffer; typed arrays stop at 4 GiB
  if (!Number.isInteger(memoryMiB) || memoryMiB < 8 || memoryMiB > maxMiB) throw new RangeError(`memoryMiB must be an integer from 8 to ${maxMiB}`);
  const cpus = o.cpus ?? 2;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) throw new RangeError('cpus must be an integer from 1 to 64');
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new RangeError('seed must be an integer from 0 to 4294967295');
  const profile = o.profile ?? 'win10';
  if (profile !== 'nt4' && profile !== 'win10') throw new RangeError(`profile must be 'nt4' or 'win10'`);
  const memoryPressure = o.memoryPressure ?? 'none';
  if (!['none', 'low', 'high'].includes(memoryPressure)) throw new RangeError(`memoryPressure must be 'none', 'low' or 'high', not ${String(memoryPressure)}`);
  const lowMemoryPages = o.lowMemoryPages ?? 0;
  if (!Number.isInteger(lowMemoryPages) || lowMemoryPages < 0) throw new RangeError('lowMemoryPages must be a whole number of frames (0: none held)');
  const trace = o.trace ?? false;
  if (typeof trace !== 'boolean') throw new RangeError(`trace must be true or false, not ${String(trace)}`);
  const verifierFlags = verifierFlagsOf(o.verifier);
  const tz = o.timeZoneBiasMinutes ?? 0;
  if (!Number.isInteger(tz) || Math.abs(tz) > 24 * 60) throw new RangeError('timeZoneBiasMinutes must be an integer within a day');
  const volume: unknown = o.volume ?? null;
  const isStore = (v: object): boolean => ['list', 'read', 'write', 'createDirectory'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function');
  if (volume !== null && (typeof volume !== 'object' || !isStore(volume))) {
    throw new RangeError('volume must be a VolumeStore (list, read, write, createDirectory): a MemoryVolumeStore, or a HostFolderStore from ntshm/host');
  }
  return {
    arch, memoryMiB, cpus, seed, startTime: o.startTime ?? DEFAULT_START_TIME, timeZoneBiasMinutes: tz, verifier: verifierFlags !== 0, verifierFlags, profile,
    memoryPressure, volume: volume as VolumeStore | null, lowMemoryPages, trace,
  };
}
