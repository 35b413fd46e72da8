/**
 * The dump file (`.ntshmdmp`), version 2: the whole machine in one byte
 * array, written by `machine.dump()` and read by `loadDump()`. Version 2's
 * snapshot adds device objects, drivers' dispatch tables, thread states,
 * timers and DPC queues; a version 1 dump still loads, and the commands
 * that need those say the dump predates them.
 *
 *   offset  size  field
 *   0       8     magic "NTSHMDMP"
 *   8       4     format version (2), little-endian like every number here
 *   12      4     page size (4096)
 *   16      4     frames of physical memory (the machine's RAM / 4096)
 *   20      4     frames saved (N): only frames holding a non-zero byte
 *   24      4     length in bytes of the snapshot (UTF-8 JSON)
 *   28      4     reserved, 0
 *   32      ...   the snapshot: a KdSnapshot as JSON (bigints as {"$bigint":"hex"})
 *   then    N ×   a saved frame: its PFN (4 bytes), then its 4096 bytes
 *
 * A frame not saved was all zeroes. Nothing here needs Node: the CLI writes
 * the bytes to a file, a browser could keep them in memory.
 */
import { PAGE_SIZE, PhysicalMemory } from '../hw/physical-memory.js';
import type { KdSnapshot } from './snapshot.js';

export const DUMP_MAGIC = 'NTSHMDMP';
export const DUMP_FORMAT_VERSION = 2;
/** The oldest version this ntshm reads. */
export const DUMP_FORMAT_OLDEST = 1;
const HEADER_BYTES = 32;

/** A dump that cannot be read: not a dump, a version this ntshm does not know, or cut short. */
export class DumpFormatError extends Error {
  override name = 'DumpFormatError';
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { $bigint: value.toString(16) } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o['$bigint'] === 'string' && Object.keys(o).length === 1) return BigInt(`0x${o['$bigint']}`);
  }
  return value;
}

/** Whether a frame holds any non-zero byte (read as 32-bit words: a frame is word-aligned). */
function frameUsed(u32: Uint32Array, pfn: number): boolean {
  const first = (pfn * PAGE_SIZE) >>> 2;
  for (let i = first; i < first + PAGE_SIZE / 4; i++) if (u32[i] !== 0) return true;
  return false;
}

/** The dump of a machine: its snapshot and its physical memory. */
export function encodeDump(snapshot: KdSnapshot, memory: PhysicalMemory, version = DUMP_FORMAT_VERSION): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(snapshot, replacer));
  const used: number[] = [];
  for (let pfn = 0; pfn < memory.frameCount; pfn++) if (frameUsed(memory.u32, pfn)) used.push(pfn);
  const bytes = new Uint8Array(HEADER_BYTES + json.length + used.length * (4 + PAGE_SIZE));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < DUMP_MAGIC.length; i++) bytes[i] = DUMP_MAGIC.charCodeAt(i);
  view.setUint32(8, version, true);
  view.setUint32(12, PAGE_SIZE, true);
  view.setUint32(16, memory.frameCount, true);
  view.setUint32(20, used.length, true);
  view.setUint32(24, json.length, true);
  bytes.set(json, HEADER_BYTES);
  let at = HEADER_BYTES + json.length;
  for (const pfn of used) {
    view.setUint32(at, pfn, true);
    bytes.set(memory.u8.subarray(pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE), at + 4);
    at += 4 + PAGE_SIZE;
  }
  return bytes;
}

/** A dump read back: the snapshot and a physical memory holding every frame as it was. */
export interface DecodedDump {
  version: number;
  snapshot: KdSnapshot;
  memory: PhysicalMemory;
}

/** Reads a dump; a DumpFormatError says plainly what is wrong with bytes that are not one. */
export function decodeDump(bytes: Uint8Array): DecodedDump {
  if (bytes.length < HEADER_BYTES) throw new DumpFormatError(`not an ntshm dump: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== DUMP_MAGIC) throw new DumpFormatError('not an ntshm dump: it does not begin with NTSHMDMP');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version < DUMP_FORMAT_OLDEST || version > DUMP_FORMAT_VERSION) {
    throw new DumpFormatError(`dump format version ${version} is not one this ntshm reads (it reads versions ${DUMP_FORMAT_OLDEST} to ${DUMP_FORMAT_VERSION})`);
  }
  const pageSize = view.getUint32(12, true);
  if (pageSize !== PAGE_SIZE) throw new DumpFormatError(`damaged dump: page size ${pageSize}, not ${PAGE_SIZE}`);
  const frameCount = view.getUint32(16, true);
  const saved = view.getUint32(20, true);
  const jsonLength = view.getUint32(24, true);
  const expected = HEADER_BYTES + jsonLength + saved * (4 + PAGE_SIZE);
  if (frameCount === 0 || saved > frameCount || bytes.length !== expected) {
    throw new DumpFormatError(`damaged dump: ${bytes.length} bytes where its header promises ${expected}`);
  }
  let snapshot: KdSnapshot;
  try {
    snapshot = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength)), reviver) as KdSnapshot;
  } catch (e) {
    throw new DumpFormatError(`damaged dump: its snapshot is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof snapshot !== 'object' || snapshot === null || !Array.isArray(snapshot.processes) || snapshot.frameCount !== frameCount) {
    throw new DumpFormatError('damaged dump: its snapshot does not describe this memory');
  }
  const memory = new PhysicalMemory(frameCount * PAGE_SIZE);
  let at = HEADER_BYTES + jsonLength;
  for (let i = 0; i < saved; i++) {
    const pfn = view.getUint32(at, true);
    if (pfn >= frameCount) throw new DumpFormatError(`damaged dump: saved frame ${i} claims PFN ${pfn}, past the last (${frameCount - 1})`);
    memory.u8.set(bytes.subarray(at + 4, at + 4 + PAGE_SIZE), pfn * PAGE_SIZE);
    at += 4 + PAGE_SIZE;
  }
  return { version, snapshot, memory };
}
