/**
 * Machines with a volume C:, and the program-side calls the file tests
 * share. Programs record what they see; tests assert after the run.
 */
import { expect } from 'vitest';
import { boot, MemoryVolumeStore, type BootOptions, type Machine, type RunResult, type VolumeStore } from 'ntshm';
import type { K32 } from 'ntshm/win32';
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE } from 'ntshm/win32';

/** Runs `main` as one program on a machine with `store` as C:; fails the test on a bug check or a non-zero exit. */
export async function runOnVolume(main: (k32: K32) => number | Promise<number>, store: VolumeStore = new MemoryVolumeStore(),
  options: BootOptions = {}): Promise<{ machine: Machine; result: RunResult; store: VolumeStore }> {
  const machine = await boot({ ...options, volume: store });
  const process = machine.spawn(main, { name: 'files.exe' });
  const result = await machine.run();
  expect(result.bugcheck?.explanation).toBeUndefined();
  expect(process.exitCode).toBe(0);
  return { machine, result, store };
}

/** A committed page of the program's own, for buffers. */
export const page = (k32: K32): number => k32.VirtualAlloc(0, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** WriteFile of a string (UTF-8) through `buffer`. */
export function writeText(k32: K32, h: number, buffer: number, s: string): { ok: boolean; numberOfBytesWritten: number } {
  const bytes = utf8.encode(s);
  k32.setBytes(buffer, bytes);
  return k32.WriteFile(h, buffer, bytes.length);
}

/** ReadFile of up to `n` bytes through `buffer`, as a string. */
export function readText(k32: K32, h: number, buffer: number, n: number): { ok: boolean; text: string; error: number } {
  const r = k32.ReadFile(h, buffer, n);
  return { ok: r.ok, text: text.decode(k32.getBytes(buffer, r.numberOfBytesRead)), error: r.ok ? 0 : k32.GetLastError() };
}

/** A file of a store, as text (undefined if it is not there). */
export function storeText(store: VolumeStore, path: string): string | undefined {
  const parts = path.split('\\');
  const entry = store.list(parts.slice(0, -1))?.find((e) => e.name === parts[parts.length - 1]);
  return entry?.kind === 'file' ? text.decode(store.read(parts)) : undefined;
}
