/**
 * Bad usage: the error the CLI raises for it (exit code 2, one line on
 * stderr) and the parsers that turn flag values into checked options.
 */
import { parseVerifierList } from '../index.js';

/** The exit code for bad usage. */
export const EXIT_USAGE = 2;

/** A command line the CLI cannot run; its message names the problem and the valid choices. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The largest `--seconds`: one virtual day. */
export const MAX_SECONDS = 86_400;

/** The architectures `--arch` accepts. */
export const ARCHES = ['x64', 'x86'] as const;

/** One of {@link ARCHES}. */
export type Arch = (typeof ARCHES)[number];

function wholeNumber(flag: string, text: string, min: number, max: number, where = ''): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`bad value '${text}' for ${flag} (expected a whole number from ${min} to ${max}${where})`);
  }
  return value;
}

/** `--seconds N`: virtual seconds the scenario's programs run, 1 to {@link MAX_SECONDS}. */
export function parseSeconds(text: string): number {
  return wholeNumber('--seconds', text, 1, MAX_SECONDS);
}

/** `--seed N`: the scheduler's seed, 0 to 2^32 - 1 (what boot() accepts). */
export function parseSeed(text: string): number {
  return wholeNumber('--seed', text, 0, 0xffff_ffff);
}

/** The most emulated RAM, in MiB, an architecture can address (boot() refuses more). */
export const MAX_MEMORY_MIB: Readonly<Record<Arch, number>> = { x64: 4_096, x86: 4_096 };

/** `--memory MiB`: emulated RAM, 8 MiB to 4 GiB (one SharedArrayBuffer); {@link checkMemoryForArch} narrows it once the architecture is known. */
export function parseMemory(text: string): number {
  return wholeNumber('--memory', text, 8, MAX_MEMORY_MIB.x64);
}

/** Refuses a `--memory` the architecture cannot address (x86: 4 GiB). */
export function checkMemoryForArch(memoryMiB: number, arch: Arch): void {
  wholeNumber('--memory', String(memoryMiB), 8, MAX_MEMORY_MIB[arch], ` on ${arch}`);
}

/** `--arch x64|x86`. */
export function parseArch(text: string): Arch {
  const arch = ARCHES.find((a) => a === text);
  if (!arch) throw new UsageError(`bad value '${text}' for --arch (choose from: ${ARCHES.join(', ')})`);
  return arch;
}

/** `--cpus N`: processors, 1 to 64 (what boot() accepts). */
export function parseCpus(text: string): number {
  return wholeNumber('--cpus', text, 1, 64);
}

/** The Windows profiles `--profile` accepts. */
export const PROFILES = ['win10', 'nt4'] as const;

export const USERS = ['admin', 'user'] as const;

/** `--user admin|user`: who runs the scenario's programs (an elevated administrator, or a standard user). */
export function parseUser(text: string): (typeof USERS)[number] {
  const user = USERS.find((u) => u === text);
  if (!user) throw new UsageError(`bad value '${text}' for --user (choose from: ${USERS.join(', ')})`);
  return user;
}

/** `--profile win10|nt4`. */
export function parseProfile(text: string): (typeof PROFILES)[number] {
  const profile = PROFILES.find((p) => p === text);
  if (!profile) throw new UsageError(`bad value '${text}' for --profile (choose from: ${PROFILES.join(', ')})`);
  return profile;
}

/** The levels `--memory-pressure` accepts (boot's memoryPressure). */
export const MEMORY_PRESSURES = ['none', 'low', 'high'] as const;

/** `--memory-pressure none|low|high`. */
export function parseMemoryPressure(text: string): (typeof MEMORY_PRESSURES)[number] {
  const pressure = MEMORY_PRESSURES.find((p) => p === text);
  if (!pressure) throw new UsageError(`bad value '${text}' for --memory-pressure (choose from: ${MEMORY_PRESSURES.join(', ')})`);
  return pressure;
}

/** `--verifier=LIST`: Driver Verifier's options by name, rule class ID or 0x flags (include/verifier-flags.ts). */
export function parseVerifier(text: string): { [option: string]: boolean } {
  try {
    return parseVerifierList(text);
  } catch (e) {
    throw new UsageError(`bad value '${text}' for --verifier: ${(e as Error).message}`);
  }
}
