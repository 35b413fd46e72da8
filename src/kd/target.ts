/**
 * What kd reads: a KdTarget, implemented alike by a live machine (a fresh
 * snapshot of its kernel at each command, its own physical memory) and by a
 * loaded dump (the snapshot it carries, its frames put back into memory).
 */
import type { PhysicalMemory } from '../hw/physical-memory.js';
import type { KdProcess, KdSnapshot } from './snapshot.js';
import { parseKdNumber } from './format.js';

/** A machine kd can inspect: its kernel's state and its physical memory. */
export interface KdTarget {
  readonly snapshot: KdSnapshot;
  readonly memory: PhysicalMemory;
}

/** A command's view of the target: the snapshot taken for this command, memory, and the process context (`.process`). */
export interface KdContext {
  readonly s: KdSnapshot;
  readonly memory: PhysicalMemory;
  readonly arch: 'x64' | 'x86';
  /** The process whose address space user addresses are read in. */
  readonly process: KdProcess;
  /** `.process`: sets the implicit process. */
  setProcess(pid: number): void;
}

/** Thrown by a command for input it cannot use: kd prints the message as its one line of error. */
export class KdError extends Error {
  override name = 'KdError';
}

/** A number argument (hex by default, as kd takes them), or a KdError naming what was expected. */
export function kdNumber(text: string | undefined, what: string): number {
  const n = text === undefined ? undefined : parseKdNumber(text);
  if (n === undefined) throw new KdError(`Couldn't resolve error at '${text ?? ''}': expected ${what}`);
  return n;
}

/** A process named by its Cid (hex, as !process takes it) or its EPROCESS address. */
export function findProcess(s: KdSnapshot, value: number): KdProcess | undefined {
  return s.processes.find((p) => p.pid === value) ?? s.processes.find((p) => p.address === value);
}
