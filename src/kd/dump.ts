/**
 * A dump loaded back: a KdTarget made of the snapshot the dump carries and
 * its frames put back into a physical memory, so that kd walks the page
 * tables of the dump exactly as it walks a live machine's.
 */
import type { PhysicalMemory } from '../hw/physical-memory.js';
import { decodeDump } from './dump-format.js';
import { KdSession } from './kd.js';
import type { KdSnapshot } from './snapshot.js';
import type { KdTarget } from './target.js';

/** A machine as a dump left it: inspect it with `kd(command)`, or read its snapshot and memory. */
export class LoadedDump implements KdTarget {
  private readonly session: KdSession;

  constructor(readonly version: number, readonly snapshot: KdSnapshot, readonly memory: PhysicalMemory) {
    this.session = new KdSession(this);
  }

  /** Runs a kd command on the dump (`!analyze -v`, `!pte VA`, `db ADDR`, ...) and returns its text. */
  kd(command: string): string {
    return this.session.execute(command);
  }

  /** The same, with whether the command was a mistake (the CLI exits 2 on one). */
  kdRun(command: string): { output: string; error: boolean } {
    return this.session.run(command);
  }
}

/**
 * Reads a dump (the bytes `machine.dump()` made, or a `.ntshmdmp` file's):
 * a DumpFormatError for bytes that are not one, or of a version this ntshm
 * does not read.
 */
export function loadDump(bytes: Uint8Array): LoadedDump {
  const { version, snapshot, memory } = decodeDump(bytes);
  return new LoadedDump(version, snapshot, memory);
}
