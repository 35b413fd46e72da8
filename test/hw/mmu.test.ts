/**
 * The MMU against page tables written by hand, in the processor's own
 * format: 64-bit x64 entries (4 levels) and 32-bit x86 entries (2 levels).
 * Entries are encoded here from the architecture's definition (a 64-bit
 * value with the frame number in bits 51..12 and NX in bit 63), not with
 * the memory manager's helpers, so the MMU is checked against the format
 * and not against itself.
 */
import { describe, expect, it } from 'vitest';
import { ACCESS_EXECUTE, ACCESS_READ, ACCESS_WRITE, Mmu, type AccessKind } from '../../src/hw/mmu.js';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/physical-memory.js';
import {
  PTE_ACCESSED, PTE_DIRTY, PTE_GLOBAL, PTE_OWNER, PTE_VALID, PTE_WRITE, X64_PAGING, X86_PAGING, tableIndex, type PagingFormat,
} from '../../src/hw/pte.js';

const P = PTE_VALID;
const RW = PTE_WRITE;
const US = PTE_OWNER;
const TABLE = P | RW | US;

interface MapOptions {
  /** Flags of the leaf PTE (default P|RW|US). */
  leaf?: number;
  /** Flags of each upper-level entry, root first (default P|RW|US at every level). */
  upper?: readonly number[];
  /** NX in the leaf PTE (x64 only). */
  nx?: boolean;
  /** NX in the upper-level entries, root first (x64 only). */
  upperNx?: readonly boolean[];
  /** Bits 62..52 of the leaf (software bits the processor ignores). */
  software?: number;
  root?: number;
}

/** Index of `va`'s entry at `level`, from the architecture manuals, not from pte.ts. */
function indexOf(format: PagingFormat, va: number, level: number): number {
  if (format.arch === 'x86') return level === 0 ? Math.floor(va / 2 ** 22) : Math.floor(va / 2 ** 12) % 1024;
  return Math.floor(va / 2 ** (39 - 9 * level)) % 512;
}

/** Page tables in a small physical memory, tables allocated from frame 1 up. */
class HandMadeTables {
  readonly memory: PhysicalMemory;
  readonly root: number;
  private nextFrame = 1;

  constructor(readonly format: PagingFormat, frames = 64) {
    this.memory = new PhysicalMemory(frames * PAGE_SIZE);
    this.root = this.newTable();
  }

  newTable(): number {
    const pa = this.nextFrame++ * PAGE_SIZE;
    if (pa >= this.memory.sizeBytes) throw new Error('test memory too small');
    return pa;
  }

  /** The MMU, with a physical address space of `physicalFrames` (default: the largest frame an entry can name). */
  mmu(physicalFrames = 2 ** 40): Mmu {
    const mmu = new Mmu(this.memory, this.format, physicalFrames);
    mmu.loadCr3(this.root);
    return mmu;
  }

  /** Writes one entry as the processor defines it. */
  writeEntry(pa: number, pfn: number, flags: number, nx = false, software = 0): void {
    if (this.format.entryBytes === 8) {
      const e = (BigInt(nx ? 1 : 0) << 63n) | (BigInt(software) << 52n) | (BigInt(pfn) << 12n) | BigInt(flags);
      this.memory.view.setBigUint64(pa, e, true);
    } else {
      this.memory.view.setUint32(pa, pfn * PAGE_SIZE + flags, true);
    }
  }

  readEntry(pa: number): bigint {
    return this.format.entryBytes === 8 ? this.memory.view.getBigUint64(pa, true) : BigInt(this.memory.view.getUint32(pa, true));
  }

  flagsAt(pa: number): number {
    return Number(this.readEntry(pa) & 0xfffn);
  }

  /** Maps `va` to frame `pfn`; returns the physical address of the entry at each level, root first. */
  map(va: number, pfn: number, o: MapOptions = {}): number[] {
    const f = this.format;
    let table = o.root ?? this.root;
    const entries: number[] = [];
    for (let level = 0; level < f.levels - 1; level++) {
      const entryPa = table + indexOf(f, va, level) * f.entryBytes;
      entries.push(entryPa);
      const existing = this.readEntry(entryPa);
      let next: number;
      if ((existing & 1n) === 0n) {
        next = this.newTable();
      } else {
        next = Number((existing >> 12n) & 0xff_ffff_ffffn) * PAGE_SIZE;
      }
      this.writeEntry(entryPa, next / PAGE_SIZE, o.upper?.[level] ?? TABLE, o.upperNx?.[level] ?? false);
      table = next;
    }
    const pte = table + indexOf(f, va, f.levels - 1) * f.entryBytes;
    entries.push(pte);
    this.writeEntry(pte, pfn, o.leaf ?? TABLE, o.nx ?? false, o.software ?? 0);
    return entries;
  }
}

const X64_USER_VA = 0x0000_1234_5678_9000; // PML4 0x24, PDPT 0xd1, PD 0xb3, PT 0x189
const X86_USER_VA = 0x1234_5000; // PD 0x48, PT 0x345
const ARCHES = [
  { arch: 'x64', format: X64_PAGING, userVa: X64_USER_VA, kernelVa: 0xf780_0000_0000 /* fffff780`00000000 */, levels: 4 },
  { arch: 'x86', format: X86_PAGING, userVa: X86_USER_VA, kernelVa: 0xffdf_0000, levels: 2 },
] as const;

describe.each(ARCHES)('the $arch page walk', ({ format, userVa, kernelVa, levels }) => {
  it('computes the same table indexes as the architecture manual', () => {
    for (const va of [userVa, kernelVa, 0x7ffe_0000, 0x10000, format.kernelBase - PAGE_SIZE]) {
      for (let level = 0; level < levels; level++) expect(tableIndex(format, va, level)).toBe(indexOf(format, va, level));
    }
  });

  it.each([
    ['kernel read', ACCESS_READ, false],
    ['kernel write', ACCESS_WRITE, false],
    ['user read', ACCESS_READ, true],
    ['user write', ACCESS_WRITE, true],
  ] as const)('translates a present user read-write page for a %s, keeping the byte offset', (_what, access, user) => {
    const t = new HandMadeTables(format);
    t.map(userVa, 0x2a);
    const mmu = t.mmu();
    expect(mmu.translate(userVa + 0x123, access, user)).toBe(0x2a * PAGE_SIZE + 0x123);
    expect(mmu.translate(userVa + 0xfff, access, user)).toBe(0x2a * PAGE_SIZE + 0xfff);
    expect(mmu.stats.faults).toBe(0);
  });

  it.each(Array.from({ length: levels }, (_, level) => level))(
    'reports a not-present fault at level %i when that entry has P clear',
    (level) => {
      const t = new HandMadeTables(format);
      const entries = t.map(userVa, 0x2a);
      const pa = entries[level]!;
      t.memory.view.setUint32(pa, t.memory.view.getUint32(pa, true) & ~P, true);
      const mmu = t.mmu();
      expect(mmu.translate(userVa + 8, ACCESS_WRITE, true)).toBe(-1);
      expect({ ...mmu.fault }).toEqual({ va: userVa + 8, access: ACCESS_WRITE, user: true, present: false, level, reserved: false });
      expect(mmu.stats.faults).toBe(1);
    },
  );

  it('reports a not-present fault at the root for an address nothing maps', () => {
    const t = new HandMadeTables(format);
    const mmu = t.mmu();
    expect(mmu.translate(kernelVa, ACCESS_READ, false)).toBe(-1);
    expect(mmu.fault).toMatchObject({ va: kernelVa, access: ACCESS_READ, user: false, present: false, level: 0 });
  });

  // Effective rights are the AND of every level (US, RW); CR0.WP is set, so
  // kernel mode obeys RW too; there is no SMAP, so kernel mode may touch user pages.
  const protection: [string, MapOptions, AccessKind, boolean, boolean][] = [
    ['a user read of a supervisor page faults', { leaf: P | RW }, ACCESS_READ, true, false],
    ['a user read through a supervisor root entry faults even if the PTE has US', { upper: [P | RW] }, ACCESS_READ, true, false],
    ['a user read of a read-only user page succeeds', { leaf: P | US }, ACCESS_READ, true, true],
    ['a user write to a read-only user page faults', { leaf: P | US }, ACCESS_WRITE, true, false],
    ['a kernel write to a read-only page faults (CR0.WP)', { leaf: P | US }, ACCESS_WRITE, false, false],
    ['a kernel write to a read-only supervisor page faults (CR0.WP)', { leaf: P }, ACCESS_WRITE, false, false],
    ['a kernel write through a read-only root entry faults', { upper: [P | US] }, ACCESS_WRITE, false, false],
    ['a kernel read of a user page succeeds (no SMAP)', { leaf: P | RW | US }, ACCESS_READ, false, true],
    ['a kernel write to a user page succeeds (no SMAP)', { leaf: P | RW | US }, ACCESS_WRITE, false, true],
    ['a kernel write to a supervisor page succeeds', { leaf: P | RW }, ACCESS_WRITE, false, true],
    ['execute of a page without NX succeeds', { leaf: P | US }, ACCESS_EXECUTE, true, true],
  ];
  it.each(protection)('%s', (_name, options, access, user, allowed) => {
    const t = new HandMadeTables(format);
    t.map(userVa, 0x33, options);
    const mmu = t.mmu();
    const pa = mmu.translate(userVa + 0x10, access, user);
    if (allowed) {
      expect(pa).toBe(0x33 * PAGE_SIZE + 0x10);
    } else {
      expect(pa).toBe(-1);
      expect(mmu.fault).toMatchObject({ va: userVa + 0x10, access, user, present: true });
    }
  });

  it('reports a protection fault at the level of the PTE it reached', () => {
    const t = new HandMadeTables(format);
    t.map(userVa, 0x33, { leaf: P | RW });
    const mmu = t.mmu();
    expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(-1);
    expect(mmu.fault.level).toBe(levels - 1);
    expect(mmu.fault.present).toBe(true);
  });

  it('keeps the user/kernel split: one frame, a kernel read-write address and a user read-only one', () => {
    // The KUSER_SHARED_DATA arrangement: supervisor RW in the upper half, user RO at 7ffe0000.
    const t = new HandMadeTables(format);
    t.map(kernelVa, 0x3c, { leaf: P | RW | PTE_GLOBAL, upper: Array(levels - 1).fill(P | RW) });
    t.map(0x7ffe_0000, 0x3c, { leaf: P | US });
    const mmu = t.mmu();
    expect(kernelVa).toBeGreaterThanOrEqual(format.kernelBase);
    expect(mmu.translate(kernelVa + 0x14, ACCESS_WRITE, false)).toBe(0x3c * PAGE_SIZE + 0x14);
    expect(mmu.translate(0x7ffe_0014, ACCESS_READ, true)).toBe(0x3c * PAGE_SIZE + 0x14);
    expect(mmu.translate(kernelVa + 0x14, ACCESS_READ, true)).toBe(-1);
    expect(mmu.fault).toMatchObject({ present: true, user: true });
    expect(mmu.translate(0x7ffe_0014, ACCESS_WRITE, true)).toBe(-1);
    expect(mmu.fault).toMatchObject({ present: true, user: true, access: ACCESS_WRITE });
  });

  it('sets A on every entry it walks and D only on the PTE, and only on a write', () => {
    const t = new HandMadeTables(format);
    const entries = t.map(userVa, 0x2a);
    const pte = entries[levels - 1]!;
    const mmu = t.mmu();
    for (const e of entries) expect(t.flagsAt(e) & (PTE_ACCESSED | PTE_DIRTY)).toBe(0);

    expect(mmu.translate(userVa, ACCESS_READ, true)).toBeGreaterThan(0);
    for (const e of entries) expect(t.flagsAt(e) & PTE_ACCESSED).toBe(PTE_ACCESSED);
    expect(t.flagsAt(pte) & PTE_DIRTY).toBe(0);

    // The read filled the TLB with a clean entry: the write must walk again to set D.
    expect(mmu.translate(userVa + 4, ACCESS_WRITE, true)).toBe(0x2a * PAGE_SIZE + 4);
    expect(t.flagsAt(pte) & PTE_DIRTY).toBe(PTE_DIRTY);
    for (const e of entries.slice(0, -1)) expect(t.flagsAt(e) & PTE_DIRTY).toBe(0);
    // The frame number survives the A/D update.
    expect(Number((t.readEntry(pte) >> 12n) & 0xff_ffff_ffffn)).toBe(0x2a);
  });

  it('sets neither A nor D on a PTE whose access faults', () => {
    const t = new HandMadeTables(format);
    const entries = t.map(userVa, 0x2a, { leaf: P | US });
    const mmu = t.mmu();
    expect(mmu.translate(userVa, ACCESS_WRITE, true)).toBe(-1);
    expect(t.flagsAt(entries[levels - 1]!) & (PTE_ACCESSED | PTE_DIRTY)).toBe(0);
  });

  it('sets D again after the memory manager clears it and invalidates the page', () => {
    const t = new HandMadeTables(format);
    const pte = t.map(userVa, 0x2a).at(-1)!;
    const mmu = t.mmu();
    mmu.translate(userVa, ACCESS_WRITE, false);
    t.memory.view.setUint32(pte, t.memory.view.getUint32(pte, true) & ~PTE_DIRTY, true);
    mmu.invalidatePage(userVa);
    mmu.translate(userVa, ACCESS_WRITE, false);
    expect(t.flagsAt(pte) & PTE_DIRTY).toBe(PTE_DIRTY);
  });

  describe('the TLB', () => {
    it('walks once for repeated accesses to a page', () => {
      const t = new HandMadeTables(format);
      t.map(userVa, 0x2a);
      const mmu = t.mmu();
      for (let i = 0; i < 100; i++) mmu.translate(userVa + i * 8, ACCESS_READ, true);
      expect(mmu.stats.walks).toBe(1);
    });

    it('keeps using a changed PTE\'s old frame until invalidatePage', () => {
      const t = new HandMadeTables(format);
      const pte = t.map(userVa, 0x2a).at(-1)!;
      const mmu = t.mmu();
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(0x2a * PAGE_SIZE);
      expect(mmu.translate(userVa, ACCESS_WRITE, false)).toBe(0x2a * PAGE_SIZE); // the TLB entry is now dirty
      t.writeEntry(pte, 0x2b, TABLE | PTE_ACCESSED | PTE_DIRTY);
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(0x2a * PAGE_SIZE);
      expect(mmu.translate(userVa + 8, ACCESS_WRITE, false)).toBe(0x2a * PAGE_SIZE + 8);
      expect(mmu.translate(userVa + 16, ACCESS_READ, false)).toBe(0x2a * PAGE_SIZE + 16);
      mmu.invalidatePage(userVa);
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(0x2b * PAGE_SIZE);
      expect(mmu.translate(userVa, ACCESS_WRITE, false)).toBe(0x2b * PAGE_SIZE);
    });

    it('keeps translating an erased PTE until invalidatePage, then faults', () => {
      const t = new HandMadeTables(format);
      const pte = t.map(userVa, 0x2a).at(-1)!;
      const mmu = t.mmu();
      mmu.translate(userVa, ACCESS_READ, false);
      t.writeEntry(pte, 0, 0);
      expect(mmu.translate(userVa, ACCESS_READ, false)).toBe(0x2a * PAGE_SIZE);
      mmu.invalidatePage(userVa + 0x800); // any address in the page
      expect(mmu.translate(userVa, ACCESS_READ, false)).toBe(-1);
      expect(mmu.fault).toMatchObject({ present: false, level: levels - 1 });
    });

    it('serves the last two pages of a mode and access from its cache (lookup), until invalidatePage or a flush drops them', () => {
      const t = new HandMadeTables(format);
      const a = t.map(userVa, 0x2a).at(-1)!;
      t.map(userVa + PAGE_SIZE, 0x2b);
      t.map(userVa + 2 * PAGE_SIZE, 0x2c);
      const mmu = t.mmu();
      mmu.translate(userVa, ACCESS_READ, true);
      mmu.translate(userVa + PAGE_SIZE, ACCESS_READ, true);
      // A copy between two pages finds both without a TLB lookup; a third page pushes out the older one.
      expect([mmu.lookup(userVa + 8, ACCESS_READ, true), mmu.lookup(userVa + PAGE_SIZE + 8, ACCESS_READ, true)]).toEqual([0x2a * PAGE_SIZE + 8, 0x2b * PAGE_SIZE + 8]);
      expect([mmu.lookup(userVa, ACCESS_WRITE, true), mmu.lookup(userVa, ACCESS_READ, false)]).toEqual([-1, -1]);
      mmu.translate(userVa + 2 * PAGE_SIZE, ACCESS_READ, true);
      expect(mmu.lookup(userVa, ACCESS_READ, true)).toBe(-1);
      mmu.translate(userVa, ACCESS_READ, true);
      // The page before the last is forgotten with its page, and the PTE read again.
      t.writeEntry(a, 0x30, TABLE);
      mmu.translate(userVa + PAGE_SIZE, ACCESS_READ, true);
      mmu.invalidatePage(userVa);
      expect(mmu.lookup(userVa, ACCESS_READ, true)).toBe(-1);
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(0x30 * PAGE_SIZE);
      mmu.translate(userVa + 2 * PAGE_SIZE, ACCESS_READ, true);
      mmu.flush();
      expect([mmu.lookup(userVa, ACCESS_READ, true), mmu.lookup(userVa + 2 * PAGE_SIZE, ACCESS_READ, true)]).toEqual([-1, -1]);
    });

    it('invalidatePage forgets only that page', () => {
      const t = new HandMadeTables(format);
      const a = t.map(userVa, 0x2a).at(-1)!;
      const b = t.map(userVa + PAGE_SIZE, 0x2b).at(-1)!;
      const mmu = t.mmu();
      mmu.translate(userVa, ACCESS_READ, true);
      mmu.translate(userVa + PAGE_SIZE, ACCESS_READ, true);
      t.writeEntry(a, 0x30, TABLE);
      t.writeEntry(b, 0x31, TABLE);
      mmu.invalidatePage(userVa);
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(0x30 * PAGE_SIZE);
      expect(mmu.translate(userVa + PAGE_SIZE, ACCESS_READ, true)).toBe(0x2b * PAGE_SIZE);
    });

    it('sees a changed PTE after a CR3 reload, even with the same root', () => {
      const t = new HandMadeTables(format);
      const pte = t.map(userVa, 0x2a).at(-1)!;
      const mmu = t.mmu();
      mmu.translate(userVa, ACCESS_READ, true);
      t.writeEntry(pte, 0x2b, TABLE);
      mmu.loadCr3(t.root); // MOV CR3 flushes non-global entries whatever value it writes
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(0x2b * PAGE_SIZE);
    });

    it('keeps global entries across a CR3 switch and drops the others; flush(true) drops both', () => {
      const t = new HandMadeTables(format);
      t.map(kernelVa, 0x3c, { leaf: P | RW | PTE_GLOBAL, upper: Array(levels - 1).fill(P | RW) });
      t.map(userVa, 0x2a);
      const otherRoot = t.newTable(); // an address space that maps nothing
      const mmu = t.mmu();
      mmu.translate(kernelVa, ACCESS_READ, false);
      mmu.translate(userVa, ACCESS_READ, true);
      mmu.loadCr3(otherRoot);
      expect(mmu.cr3).toBe(otherRoot);
      expect(mmu.translate(kernelVa, ACCESS_READ, false)).toBe(0x3c * PAGE_SIZE); // global: still cached
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(-1);
      expect(mmu.fault).toMatchObject({ present: false, level: 0 });
      mmu.flush(true);
      expect(mmu.translate(kernelVa, ACCESS_READ, false)).toBe(-1);
    });

    it('drops a non-global kernel entry on a CR3 switch', () => {
      const t = new HandMadeTables(format);
      t.map(kernelVa, 0x3c, { leaf: P | RW, upper: Array(levels - 1).fill(P | RW) });
      const mmu = t.mmu();
      mmu.translate(kernelVa, ACCESS_READ, false);
      mmu.loadCr3(t.newTable());
      expect(mmu.translate(kernelVa, ACCESS_READ, false)).toBe(-1);
    });

    it('does not let a cached kernel translation serve a user access to a supervisor page', () => {
      const t = new HandMadeTables(format);
      t.map(userVa, 0x2a, { leaf: P | RW });
      const mmu = t.mmu();
      expect(mmu.translate(userVa, ACCESS_READ, false)).toBe(0x2a * PAGE_SIZE);
      expect(mmu.translate(userVa, ACCESS_WRITE, false)).toBe(0x2a * PAGE_SIZE);
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(-1);
      expect(mmu.translate(userVa, ACCESS_WRITE, true)).toBe(-1);
      expect(mmu.fault.present).toBe(true);
    });

    it('does not let a cached read serve a write to a read-only page', () => {
      const t = new HandMadeTables(format);
      t.map(userVa, 0x2a, { leaf: P | US });
      const mmu = t.mmu();
      expect(mmu.translate(userVa, ACCESS_READ, true)).toBe(0x2a * PAGE_SIZE);
      expect(mmu.translate(userVa, ACCESS_READ, false)).toBe(0x2a * PAGE_SIZE);
      expect(mmu.translate(userVa, ACCESS_WRITE, true)).toBe(-1);
      expect(mmu.translate(userVa, ACCESS_WRITE, false)).toBe(-1);
    });

    it('translates pages that share a TLB slot correctly in turn', () => {
      const t = new HandMadeTables(format);
      // 1024 pages apart: the same slot of a 1024-entry direct-mapped TLB, and of any smaller power of two.
      const other = userVa + 1024 * PAGE_SIZE;
      t.map(userVa, 0x2a);
      t.map(other, 0x2b);
      const mmu = t.mmu();
      for (let i = 0; i < 4; i++) {
        expect(mmu.translate(userVa + i, ACCESS_READ, true)).toBe(0x2a * PAGE_SIZE + i);
        expect(mmu.translate(other + i, ACCESS_WRITE, true)).toBe(0x2b * PAGE_SIZE + i);
      }
    });
  });
});

describe('x64-only page-table features', () => {
  const va = X64_USER_VA;

  it.each([
    ['an NX PTE, in kernel mode', { nx: true }, false],
    ['an NX PTE, in user mode', { nx: true }, true],
    ['an NX PML4 entry above an executable PTE', { upperNx: [true] }, true],
    ['an NX page-directory entry above an executable PTE', { upperNx: [false, false, true] }, false],
  ] as const)('faults on execute through %s', (_name, options, user) => {
    const t = new HandMadeTables(X64_PAGING);
    t.map(va, 0x2a, options);
    const mmu = t.mmu();
    expect(mmu.translate(va, ACCESS_READ, user)).toBe(0x2a * PAGE_SIZE); // NX does not stop a read
    expect(mmu.translate(va, ACCESS_EXECUTE, user)).toBe(-1);
    expect(mmu.fault).toMatchObject({ va, access: ACCESS_EXECUTE, user, present: true, level: 3 });
  });

  it('does not serve an execute from a cached read of an NX page', () => {
    const t = new HandMadeTables(X64_PAGING);
    t.map(va, 0x2a, { nx: true });
    const mmu = t.mmu();
    mmu.translate(va, ACCESS_READ, false);
    mmu.translate(va, ACCESS_READ, false);
    expect(mmu.translate(va, ACCESS_EXECUTE, false)).toBe(-1);
  });

  it.each([
    ['just above 2^20', 0x10_0001],
    ['0x123456', 0x12_3456],
    ['of the last frame of the largest machine (64 GiB)', 0xff_ffff],
  ])('reads a frame number %s from both halves of the entry', (_name, pfn) => {
    const t = new HandMadeTables(X64_PAGING);
    t.map(va, pfn, { nx: true });
    const mmu = t.mmu();
    expect(mmu.translate(va + 0x321, ACCESS_WRITE, true)).toBe(pfn * PAGE_SIZE + 0x321);
  });

  it('ignores the software bits 62..52 when reading the frame number', () => {
    const t = new HandMadeTables(X64_PAGING);
    t.map(va, 0x10_0002, { software: 0x7ff });
    const mmu = t.mmu();
    expect(mmu.translate(va, ACCESS_READ, true)).toBe(0x10_0002 * PAGE_SIZE);
  });

  it('keeps NX and the high frame bits intact when it sets A and D', () => {
    const t = new HandMadeTables(X64_PAGING);
    const pte = t.map(va, 0x10_0003, { nx: true }).at(-1)!;
    const mmu = t.mmu();
    mmu.translate(va, ACCESS_WRITE, true);
    const e = t.readEntry(pte);
    expect(e >> 63n).toBe(1n);
    expect(Number((e >> 12n) & 0xff_ffff_ffffn)).toBe(0x10_0003);
    expect(Number(e & 0xfffn)).toBe(TABLE | PTE_ACCESSED | PTE_DIRTY);
  });

  it.each([0, 1, 2, 3])('stops with a reserved-bit fault when the entry at level %i names a frame past the physical address space', (level) => {
    const t = new HandMadeTables(X64_PAGING);
    const entries = t.map(va, 0x2a);
    // PML4[0] = ~0, say, written through the self-map: the walk must not read past memory.
    t.memory.view.setBigUint64(entries[level]!, 0xffff_ffff_ffff_ffffn, true);
    const mmu = t.mmu(t.memory.frameCount);
    expect(mmu.translate(va, ACCESS_READ, true)).toBe(-1);
    expect(mmu.fault).toMatchObject({ va, present: true, level, reserved: true });
  });

  it('walks a kernel address of the upper half (PML4 index 0x1ef for fffff780`00000000)', () => {
    const t = new HandMadeTables(X64_PAGING);
    const entries = t.map(0xf780_0000_0000, 0x3d, { leaf: P | RW, upper: [P | RW, P | RW, P | RW] });
    expect(entries[0]).toBe(t.root + 0x1ef * 8);
    const mmu = t.mmu();
    expect(mmu.translate(0xf780_0000_0008, ACCESS_READ, false)).toBe(0x3d * PAGE_SIZE + 8);
  });
});

describe('x86-only page-table features', () => {
  it('has no NX bit: execute is allowed wherever read is', () => {
    const t = new HandMadeTables(X86_PAGING);
    t.map(X86_USER_VA, 0x2a, { leaf: P | US });
    const mmu = t.mmu();
    expect(mmu.translate(X86_USER_VA, ACCESS_EXECUTE, true)).toBe(0x2a * PAGE_SIZE);
  });

  it('reads a frame number with bit 31 of the entry set as an unsigned address', () => {
    const t = new HandMadeTables(X86_PAGING);
    t.map(0xc000_0000, 0xf_ffff, { leaf: P | RW, upper: [P | RW] });
    const mmu = t.mmu();
    expect(mmu.translate(0xc000_0abc, ACCESS_READ, false)).toBe(0xffff_fabc);
  });

  it('uses a 4-byte entry per page: the PDE for 0x12345000 is entry 0x48, its PTE entry 0x345', () => {
    const t = new HandMadeTables(X86_PAGING);
    const [pde, pte] = t.map(X86_USER_VA, 0x2a);
    expect(pde).toBe(t.root + 0x48 * 4);
    expect(pte! % PAGE_SIZE).toBe(0x345 * 4);
  });
});
