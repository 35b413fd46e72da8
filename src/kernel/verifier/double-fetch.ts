/**
 * Double fetches (the definition ntshm uses, in the docs): within one kernel
 * entry — one system call of one thread, with the driver routines it reaches —
 * driver code reads the same physical bytes twice while a user mapping can
 * write them (a live writable user mapping of the frame, in any process: the
 * caller's buffer, a section view, an MmMapLockedPagesSpecifyCache(UserMode)
 * alias). Keyed on physical addresses, so the user's alias and the kernel's
 * alias of one frame are the same bytes. Only reads made by driver code
 * count: the I/O manager's single copy of a buffered input, and probes, do
 * not.
 *
 * With the verifier on: every kernel read of such a frame then goes through
 * here (guest-memory access never caches those pages), which is what keeps
 * the check off the hot path otherwise. Each frame keeps, per byte, the
 * entry that last read it; a read that finds its own entry there is the
 * second fetch. Reported once per routine and 8-byte granule.
 *
 * Each counted read has an index in the run (`readIndex`), the same in a
 * rerun from the same seed: the confirmation (machine/double-fetch-confirm.ts)
 * reruns the scenario with `flip` set to the second read's index and bytes,
 * and the check then changes those bytes, as a write from the user side
 * would, just before that read.
 */
import type { KThread } from '../ke/thread.js';
import type { KernelReadWatch, MmContext } from '../mm/context.js';

/** One read of a watched frame, kept for the report of a second one. */
interface FetchRecord {
  pa: number;
  va: number;
  length: number;
  routine: string;
  atNs: number;
  index: number;
}

/** Reads kept per entry for the report (the overlap test itself uses the stamps). */
const MAX_RECORDS = 4096;

/**
 * A confirmation run's change: before read number `readIndex`, the bytes [pa, pa + length) get every bit
 * flipped or, with `change` 'plus-one', the little-endian value they hold plus one (an index moved on by one).
 */
export interface FetchChange {
  readIndex: number;
  pa: number;
  length: number;
  change?: 'flip' | 'plus-one';
}

/** The double-fetch check: kernel reads of user-writable frames within one kernel entry. */
export class DoubleFetchDetector implements KernelReadWatch {
  /** Per watched frame: for each byte, the id of the entry that last read it (0: none). */
  private readonly stamps = new Map<number, Uint32Array>();
  private entry = 0;
  private entryThread: KThread | undefined;
  private entryNs = -1;
  private records: FetchRecord[] = [];
  private readonly reported = new Set<string>();
  /** Reads counted so far (driver reads of watched frames), in run order. */
  private readIndex = 0;
  /** For a confirmation run: the read before which the program's bytes change. */
  flip: FetchChange | null = null;

  constructor(private readonly k: MmContext) {}

  /** Whether the frame at `pa` has a live writable user mapping (the caller's own buffer counts too). */
  watches(pa: number): boolean {
    const pfn = Math.floor(pa / 4096);
    return this.k.pageTables.mappings.get(pfn)?.some((m) => m.root >= 0 && m.attributes.writable) ?? false;
  }

  /** A kernel read of `length` bytes at physical `pa` (virtual `va`), within one frame. */
  kernelRead(pa: number, va: number, length: number): void {
    const frame = this.k.attribution.top();
    if (frame === undefined || !this.watches(pa)) return;
    const thread = this.k.currentThread;
    // A new entry: another thread, or the same thread's next system call.
    if (thread !== this.entryThread || thread.lastSystemCallNs !== this.entryNs) {
      this.entry++;
      this.entryThread = thread;
      this.entryNs = thread.lastSystemCallNs;
      this.records = [];
    }
    const pfn = Math.floor(pa / 4096);
    let stamps = this.stamps.get(pfn);
    if (stamps === undefined) this.stamps.set(pfn, (stamps = new Uint32Array(4096)));
    const from = pa - pfn * 4096;
    const to = Math.min(4096, from + length);
    const routine = `${frame.driver}!${frame.routine}`;
    const index = ++this.readIndex;
    // The confirmation run: the program's bytes change between the two fetches.
    const flip = this.flip;
    if (flip !== null && flip.readIndex === index) {
      const u8 = this.k.memory.u8;
      if (flip.change === 'plus-one') {
        // Little-endian: the carry runs up from the lowest byte.
        for (let i = flip.pa; i < flip.pa + flip.length; i++) if ((u8[i] = (u8[i]! + 1) & 0xff) !== 0) break;
      } else {
        for (let i = flip.pa; i < flip.pa + flip.length; i++) u8[i] = u8[i]! ^ 0xff;
      }
    }
    const read: FetchRecord = { pa, va, length, routine, atNs: this.k.clock.nowNs, index };
    for (let i = from; i < to; i++) {
      if (stamps[i] === this.entry) {
        this.report(read, pfn * 4096 + i);
        break;
      }
    }
    stamps.fill(this.entry, from, to);
    if (this.records.length < MAX_RECORDS) this.records.push(read);
  }

  /** The second fetch of the byte at physical `overlap`: the finding, once per routine and granule. */
  private report(second: FetchRecord, overlap: number): void {
    const key = `${second.routine}@${Math.floor(overlap / 8)}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const k = this.k;
    const first = this.records.find((r) => r.pa <= overlap && overlap < r.pa + r.length);
    const pfn = Math.floor(overlap / 4096);
    const userMappings = (k.pageTables.mappings.get(pfn) ?? []).filter((m) => m.root >= 0 && m.attributes.writable).map((m) => {
      const p = k.processByRoot(m.root);
      return { process: p?.ImageFileName ?? '?', pid: p?.UniqueProcessId ?? 0, va: k.formatAddress(m.va + (overlap % 4096)) };
    });
    const [driver, routine] = second.routine.split('!') as [string, string];
    const where = (r: FetchRecord): string => `${r.length} byte(s) at ${k.formatAddress(r.va)} (physical 0x${r.pa.toString(16)})`;
    k.report({
      kind: 'double-fetch',
      driver,
      routine,
      message: `${second.routine} read ${where(second)} within one system call of ${k.currentProcess.ImageFileName} after ` +
        `${first ? `${first.routine} had read ${where(first)}` : 'an earlier read of the same bytes'}: ` +
        `${userMappings.map((m) => `${m.process} maps them writable at ${m.va}`).join(', ')}, so the program can change them between the two reads ` +
        '(a double fetch; unconfirmed: a scenario run confirms it by a rerun that changes the bytes between the reads)',
      details: {
        physical: `0x${overlap.toString(16)}`,
        first: first ? { routine: first.routine, va: k.formatAddress(first.va), pa: `0x${first.pa.toString(16)}`, length: first.length, atNs: first.atNs } : null,
        second: { routine: second.routine, va: k.formatAddress(second.va), pa: `0x${second.pa.toString(16)}`, length: second.length, atNs: second.atNs },
        // What a confirmation run needs to flip the bytes just before the second fetch.
        flip: { readIndex: second.index, pa: second.pa, length: second.length },
        userMappings,
        verdict: 'unconfirmed',
      },
    });
  }
}
