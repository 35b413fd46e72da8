/**
 * Nonpaged and paged pool as a driver sees it through `nt`: uninitialised
 * contents, the POOL_HEADER in front of small blocks, page-aligned big
 * allocations, accounting that returns to its baseline, and BAD_POOL_CALLER
 * for a bad free.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { NonPagedPool, NonPagedPoolNx, PAGE_SIZE, PagedPool, type Nt } from 'ntshm/wdm';
import { commandDriver, mappingProblems, runInDriver, type CommandDriver } from './harness.js';

const BAD_POOL_CALLER = 0xc2;
const tagOf = (s: string) => [...s].reduce((v, c, i) => v + c.charCodeAt(0) * 2 ** (8 * i), 0);
const nonZero = (bytes: Uint8Array) => bytes.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0);

async function machineWithDriver(arch: 'x64' | 'x86'): Promise<{ machine: Machine; driver: CommandDriver }> {
  const machine = await boot({ arch, memoryMiB: 16 });
  const driver = commandDriver();
  expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
  return { machine, driver };
}

/** Runs `body` in the driver and expects the machine to keep running. */
async function inDriver<T>(machine: Machine, driver: CommandDriver, body: (nt: Nt) => T): Promise<T> {
  const { value, result } = await runInDriver(machine, driver, body);
  expect(result.bugcheck).toBeUndefined();
  return value as T;
}

describe.each([
  { arch: 'x64', header: 16 },
  { arch: 'x86', header: 8 },
] as const)('pool on $arch', ({ arch, header }) => {
  it('hands out small blocks holding junk, not zeros', async () => {
    const { machine, driver } = await machineWithDriver(arch);
    const bytes = await inDriver(machine, driver, (nt) => [NonPagedPool, PagedPool].map((type) => {
      const p = nt.ExAllocatePoolWithTag(type, 512, 'Junk');
      const b = nt.getBytes(p, 512);
      nt.ExFreePoolWithTag(p, 'Junk');
      return b;
    }));
    for (const b of bytes) expect(nonZero(b)).toBeGreaterThan(400);
  });

  it('hands out whole pages holding junk, not zeros', async () => {
    const { machine, driver } = await machineWithDriver(arch);
    const b = await inDriver(machine, driver, (nt) => {
      const p = nt.ExAllocatePool(NonPagedPool, 2 * PAGE_SIZE);
      const bytes = nt.getBytes(p, 2 * PAGE_SIZE);
      nt.ExFreePool(p);
      return bytes;
    });
    expect(nonZero(b)).toBeGreaterThan(2 * PAGE_SIZE * 0.9);
  });

  it('leaves a freed block\'s bytes for the next owner of the same block (nothing is scrubbed)', async () => {
    const { machine, driver } = await machineWithDriver(arch);
    const r = await inDriver(machine, driver, (nt) => {
      const a = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Secr');
      nt.setString(a, 'password=hunter2', 'ascii');
      nt.ExFreePoolWithTag(a, 'Secr');
      const b = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Next');
      const text = nt.getString(b, 'ascii', 16);
      nt.ExFreePool(b);
      return { a, b, text };
    });
    expect(r.b).toBe(r.a);
    expect(r.text).toBe('password=hunter2');
  });

  it.each([
    ['NonPagedPool', NonPagedPool, 1],
    ['PagedPool', PagedPool, 17],
    ['NonPagedPoolNx', NonPagedPoolNx, 200],
    // POOL_BUDDY_MAX = PAGE_SIZE - (POOL_OVERHEAD + POOL_SMALLEST_BLOCK): the largest request served from a pool page.
    ['NonPagedPool, the largest small block (POOL_BUDDY_MAX bytes)', NonPagedPool, PAGE_SIZE - 2 * header],
  ] as const)(`puts a POOL_HEADER with the tag, the block size and the pool type before a small %s block`, async (_name, type, size) => {
    const { machine, driver } = await machineWithDriver(arch);
    const r = await inDriver(machine, driver, (nt) => {
      const p = nt.ExAllocatePoolWithTag(type, size, 'Tst1');
      const out = { p, word0: nt.getUint32(p - header), tag: nt.getUint32(p - header + 4) };
      nt.ExFreePoolWithTag(p, 'Tst1');
      return out;
    });
    expect(r.p % header).toBe(0); // pool alignment: 16 bytes on x64, 8 on x86
    expect(Math.floor((r.p - header) / PAGE_SIZE)).toBe(Math.floor(r.p / PAGE_SIZE)); // header and block in one page
    expect(r.tag).toBe(tagOf('Tst1'));
    const blocks = Math.ceil((size + header) / header);
    expect(blocks).toBeLessThan(arch === 'x64' ? 0x100 : 0x200); // fits the BlockSize field
    if (arch === 'x64') {
      // ULONG PreviousSize:8, PoolIndex:8, BlockSize:8, PoolType:8 (units of 16 bytes, PoolType + 1 while allocated)
      expect((r.word0 >>> 16) & 0xff).toBe(blocks & 0xff);
      expect(r.word0 >>> 24).toBe((type + 1) & 0xff);
    } else {
      // USHORT PreviousSize:9, PoolIndex:7; USHORT BlockSize:9, PoolType:7 (units of 8 bytes)
      expect((r.word0 >>> 16) & 0x1ff).toBe(blocks & 0x1ff);
      expect(r.word0 >>> 25).toBe((type + 1) & 0x7f);
    }
  });

  it('tags ExAllocatePool blocks \'None\'', async () => {
    const { machine, driver } = await machineWithDriver(arch);
    const tag = await inDriver(machine, driver, (nt) => {
      const p = nt.ExAllocatePool(PagedPool, 40);
      const t = nt.getUint32(p - header + 4);
      nt.ExFreePool(p);
      return t;
    });
    expect(tag).toBe(tagOf('None'));
  });

  it.each([
    PAGE_SIZE - 2 * header + 1, PAGE_SIZE - header, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE + 5, 16 * PAGE_SIZE,
  ])('gives a page-aligned block, charged in whole pages, for %i bytes', async (size) => {
    const { machine, driver } = await machineWithDriver(arch);
    const k = machine.kernel;
    const r = await inDriver(machine, driver, (nt) => {
      const before = k.pool.nonPagedBytes;
      const p = nt.ExAllocatePoolWithTag(NonPagedPool, size, 'Big ');
      const charged = k.pool.nonPagedBytes - before;
      nt.setUint8(p + size - 1, 0x42); // the last byte is there
      nt.ExFreePoolWithTag(p, 'Big ');
      return { p, charged, after: k.pool.nonPagedBytes - before };
    });
    expect(r.p % PAGE_SIZE).toBe(0);
    expect(r.charged).toBe(Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
    expect(r.after).toBe(0);
  });

  it('charges a small block its size plus the header, rounded up to the block unit', async () => {
    const { machine, driver } = await machineWithDriver(arch);
    const k = machine.kernel;
    const deltas = await inDriver(machine, driver, (nt) => [1, header, header + 1, 100].map((n) => {
      const before = k.pool.pagedBytes;
      const p = nt.ExAllocatePoolWithTag(PagedPool, n, 'Acct');
      const d = k.pool.pagedBytes - before;
      nt.ExFreePool(p);
      return d;
    }));
    expect(deltas).toEqual([1, header, header + 1, 100].map((n) => Math.ceil((n + header) / header) * header));
  });

  it('never lets two live blocks overlap', async () => {
    const { machine, driver } = await machineWithDriver(arch);
    const r = await inDriver(machine, driver, (nt) => {
      const blocks: { p: number; n: number; fill: number }[] = [];
      let seed = 12345;
      const rnd = (m: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % m;
      for (let i = 0; i < 120; i++) {
        if (blocks.length > 0 && rnd(4) === 0) {
          const [b] = blocks.splice(rnd(blocks.length), 1);
          nt.ExFreePool(b!.p);
          continue;
        }
        const n = 1 + rnd(i % 10 === 0 ? 3 * PAGE_SIZE : 700);
        const p = nt.ExAllocatePoolWithTag(i % 3 === 0 ? PagedPool : NonPagedPool, n, 'Ovlp');
        const fill = i & 0xff;
        nt.RtlFillMemory(p, n, fill);
        blocks.push({ p, n, fill });
      }
      // Every block still holds its own fill byte: no later block or header was written over it.
      const intact = blocks.every((b) => nt.getBytes(b.p, b.n).every((x) => x === b.fill));
      for (const b of blocks) nt.ExFreePool(b.p);
      return { intact, ranges: blocks.map((b) => [b.p - header, b.p + b.n] as const) };
    });
    expect(r.intact).toBe(true);
    const sorted = [...r.ranges].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
  });

  it('returns nonpaged and paged bytes and frames to their baseline once everything is freed', async () => {
    const { machine, driver } = await machineWithDriver(arch);
    const k = machine.kernel;
    const base = machine.stats();
    const peak = await inDriver(machine, driver, (nt) => {
      const ps: number[] = [];
      for (const n of [8, 100, 1000, 4000, 4096, 9000, 33, 2048, 70000]) {
        ps.push(nt.ExAllocatePoolWithTag(NonPagedPool, n, 'Base'));
        ps.push(nt.ExAllocatePoolWithTag(PagedPool, n, 'Base'));
      }
      const at = { nonPaged: k.pool.nonPagedBytes, paged: k.pool.pagedBytes, free: k.pfn.freeCount };
      // Free in an order unlike the allocation order, so small pages empty out of turn.
      for (const p of [...ps.filter((_, i) => i % 2), ...ps.filter((_, i) => i % 2 === 0).reverse()]) nt.ExFreePool(p);
      return at;
    });
    expect(peak.nonPaged - base.pool.nonPagedBytes).toBeGreaterThanOrEqual(8 + 100 + 1000 + 4000 + 4096 + 9000 + 33 + 2048 + 70000);
    expect(peak.paged - base.pool.pagedBytes).toBeGreaterThanOrEqual(8 + 100 + 1000 + 4000 + 4096 + 9000 + 33 + 2048 + 70000);
    expect(peak.free).toBeLessThan(base.frames.free - 40);
    expect(machine.stats().pool).toEqual(base.pool);
    expect(machine.stats().frames.free).toBe(base.frames.free);
    expect(k.pfn.check()).toEqual([]);
    expect(mappingProblems(k)).toEqual([]);
  });

  it('unmaps a freed whole-page block from system space: touching it again is bug check 0x50', async () => {
    const { machine, driver } = await machineWithDriver(arch);
    const { result } = await runInDriver(machine, driver, (nt) => {
      const p = nt.ExAllocatePool(NonPagedPool, PAGE_SIZE);
      nt.ExFreePool(p);
      return nt.getUint32(p);
    });
    expect(result.bugcheck?.code).toBe(0x50);
  });

  describe('a bad free stops the machine with BAD_POOL_CALLER, never the host', () => {
    // Each case sets up and returns the address the driver then wrongly frees.
    const cases: [string, (nt: Nt) => number][] = [
      ['a block freed twice', (nt) => {
        const p = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Twce');
        nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Keep'); // keeps the page, so the old header is still readable
        nt.ExFreePool(p);
        return p;
      }],
      // The pool reads the bytes before the address as its header: zeros say "free".
      ['an address inside a block, after zeroed bytes', (nt) => {
        const p = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Insd');
        nt.RtlZeroMemory(p, 48);
        return p + header;
      }],
    ];
    it.each(cases)('%s: 0xC2 with P1 = 7 and the address in P4', async (_name, setup) => {
      const { machine, driver } = await machineWithDriver(arch);
      let address = 0;
      const { result } = await runInDriver(machine, driver, (nt) => {
        address = setup(nt);
        nt.ExFreePool(address);
      });
      expect(result.bugcheck).toMatchObject({ code: BAD_POOL_CALLER, name: 'BAD_POOL_CALLER' });
      expect(result.bugcheck!.params[0]).toBe(0x07);
      expect(result.bugcheck!.params[3]).toBe(address);
      expect(result.bugcheck!.stack.join(' ')).toMatch(/NtshmTest!DispatchControl/);
      expect(machine.bugcheck).toBe(result.bugcheck);
    });

    it('an address no pool block could start at (not pool-aligned): 0xC2 with P1 = 0x99 and the address', async () => {
      const { machine, driver } = await machineWithDriver(arch);
      let address = 0;
      const { result } = await runInDriver(machine, driver, (nt) => {
        address = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Insd') + header / 2;
        nt.ExFreePool(address);
      });
      expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
      expect(result.bugcheck?.params).toEqual([0x99, address, 0, 0]);
    });

    it('a whole-page block freed twice: 0xC2 naming the address', async () => {
      const { machine, driver } = await machineWithDriver(arch);
      let p = 0;
      const { result } = await runInDriver(machine, driver, (nt) => {
        p = nt.ExAllocatePool(PagedPool, 3 * PAGE_SIZE);
        nt.ExFreePool(p);
        nt.ExFreePool(p);
      });
      expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
      expect(result.bugcheck?.params).toContain(p);
    });

    it('the header contents are P3 when the header is still mapped', async () => {
      const { machine, driver } = await machineWithDriver(arch);
      let headerWord = -1;
      const { result } = await runInDriver(machine, driver, (nt) => {
        const p = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Twce');
        nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Keep');
        nt.ExFreePool(p);
        headerWord = nt.getUint32(p - header);
        nt.ExFreePool(p);
      });
      expect(result.bugcheck?.params.slice(0, 3)).toEqual([0x07, 0, headerWord]);
    });

    it('a user-mode address: 0xC2 with P1 = 0x40, the address and MmSystemRangeStart', async () => {
      const { machine, driver } = await machineWithDriver(arch);
      const { result } = await runInDriver(machine, driver, (nt) => nt.ExFreePool(0x10000));
      expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
      expect(result.bugcheck?.params).toEqual([0x40, 0x10000, machine.kernel.layout.systemRangeStart, 0]);
    });

    it('a kernel address that was never in any pool: 0xC2 with P1 = 0x42', async () => {
      const { machine, driver } = await machineWithDriver(arch);
      const va = machine.kernel.layout.kernelSharedData;
      const { result } = await runInDriver(machine, driver, (nt) => nt.ExFreePool(va));
      expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
      expect(result.bugcheck?.params).toEqual([0x42, va, 0, 0]);
    });

    it('the wrong tag for ExFreePoolWithTag: 0xC2 with P1 = 0x0A, the address, the allocator\'s tag and the tag used', async () => {
      const { machine, driver } = await machineWithDriver(arch);
      const { value, result } = await runInDriver(machine, driver, (nt) => {
        const p = nt.ExAllocatePoolWithTag(NonPagedPool, 32, 'Mine');
        nt.ExFreePoolWithTag(p, 'Your');
        return p;
      });
      expect(value).toBeUndefined(); // the routine never returned
      expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
      expect(result.bugcheck!.params[0]).toBe(0x0a);
      expect(result.bugcheck!.params.slice(2)).toEqual([tagOf('Mine'), tagOf('Your')]);
      expect(machine.kernel.pool.allocations.has(result.bugcheck!.params[1])).toBe(true);
    });

    it('in DriverEntry: loadDriver records the bug check instead of throwing into the host', async () => {
      const machine = await boot({ arch, memoryMiB: 16 });
      const bad = { name: 'BadEntry', DriverEntry: (nt: Nt) => { nt.ExFreePool(0xdead0); return 0; } };
      let status: number | undefined;
      expect(() => { status = machine.loadDriver('BadEntry', bad); }).not.toThrow();
      expect(status).not.toBe(0);
      expect(machine.bugcheck?.code).toBe(BAD_POOL_CALLER);
      expect(machine.bugcheck?.stack.join(' ')).toMatch(/BadEntry!DriverEntry/);
      const after = await machine.run({ seconds: 1 });
      expect(after.bugcheck?.code).toBe(BAD_POOL_CALLER);
    });
  });
});
