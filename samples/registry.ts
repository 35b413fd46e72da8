/**
 * The samples `ntshm run` knows: one per seed article (more as later issues
 * land), each with its misuse variants.
 */
import type { BootOptions, Machine } from 'ntshm';
import { sharingMemory } from './sharing-memory/index.js';

export interface SampleVariant {
  readonly name: string;
  /** One line: what goes wrong, and how it ends. */
  readonly summary: string;
}

export interface Sample {
  readonly name: string;
  /** The seed article it ports ("003"). */
  readonly seed: string;
  readonly summary: string;
  readonly variants: readonly SampleVariant[];
  /** Boot options a variant needs (a start time, a profile); merged under the user's. */
  bootOptions?(variant: string | undefined): BootOptions;
  /** Installs drivers and spawns programs on a freshly booted machine. */
  setup(machine: Machine, options: { seconds: number; variant: string | undefined }): void;
}

export const samples: readonly Sample[] = [sharingMemory];

export function findSample(name: string): Sample | undefined {
  return samples.find((s) => s.name === name);
}
