/**
 * The PFN database: the free list and its counts, "what was there before"
 * on first use, zeroed pages, deferred freeing of frames still mapped or
 * locked, and its own consistency check on a live machine.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/physical-memory.js';
import { SeededRandom } from '../../src/hw/random.js';
import { EmulatorError } from '../../src/include/errors.js';
import { PfnDatabase, PfnUse } from '../../src/kernel/mm/pfn.js';
import { sharingMemory } from '../../samples/sharing-memory/index.js';
import { mappingProblems } from './harness.js';

const FRAMES = 32;

function database(seed = 1, frames = FRAMES) {
  const memory = new PhysicalMemory(frames * PAGE_SIZE);
  return { memory, pfn: new PfnDatabase(memory, new SeededRandom(seed)) };
}

const frameBytes = (memory: PhysicalMemory, pfn: number) => memory.u8.slice(pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE);
const zeroBytes = (bytes: Uint8Array) => bytes.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);

describe('the free list', () => {
  it('starts with every frame but frame 0, which is never handed out', () => {
    const { pfn } = database();
    expect(pfn.total).toBe(FRAMES);
    expect(pfn.freeCount).toBe(FRAMES - 1);
    expect(pfn.use[0]).toBe(PfnUse.Reserved);
    expect(pfn.check()).toEqual([]);
  });

  it('hands out frames lowest first and counts them', () => {
    const { pfn } = database();
    expect(pfn.removeAnyPage(PfnUse.NonPagedPool)).toBe(1);
    expect(pfn.removeZeroPage(PfnUse.Private)).toBe(2);
    expect(pfn.removeAnyPage(PfnUse.PagedPool)).toBe(3);
    expect(pfn.freeCount).toBe(FRAMES - 4);
    expect([pfn.use[1], pfn.use[2], pfn.use[3]]).toEqual([PfnUse.NonPagedPool, PfnUse.Private, PfnUse.PagedPool]);
    expect(pfn.check()).toEqual([]);
  });

  it('gives every frame exactly once, then -1', () => {
    const { pfn } = database();
    const got = new Set<number>();
    for (let i = 0; i < FRAMES - 1; i++) got.add(i % 2 ? pfn.removeAnyPage(PfnUse.Private) : pfn.removeZeroPage(PfnUse.Private));
    expect(got.size).toBe(FRAMES - 1);
    expect(got.has(0)).toBe(false);
    expect(pfn.freeCount).toBe(0);
    expect(pfn.removeAnyPage(PfnUse.Private)).toBe(-1);
    expect(pfn.removeZeroPage(PfnUse.Private)).toBe(-1);
    expect(pfn.check()).toEqual([]);
  });

  it('takes a freed frame back first and counts it free again', () => {
    const { pfn } = database();
    const a = pfn.removeAnyPage(PfnUse.NonPagedPool);
    const b = pfn.removeAnyPage(PfnUse.NonPagedPool);
    expect(pfn.freePage(a)).toBe(true);
    expect(pfn.use[a]).toBe(PfnUse.Free);
    expect(pfn.freeCount).toBe(FRAMES - 2);
    expect(pfn.removeAnyPage(PfnUse.Private)).toBe(a);
    expect(pfn.freePage(b)).toBe(true);
    expect(pfn.check()).toEqual([]);
  });

  it('refuses to free a frame twice, or the reserved frame, as an emulator error', () => {
    const { pfn } = database();
    const a = pfn.removeAnyPage(PfnUse.Private);
    pfn.freePage(a);
    expect(() => pfn.freePage(a)).toThrow(EmulatorError);
    expect(() => pfn.freePage(0)).toThrow(EmulatorError);
    expect(pfn.check()).toEqual([]);
  });
});

describe('frame contents', () => {
  it('are junk, not zeros, the first time removeAnyPage hands a frame out', () => {
    const { memory, pfn } = database();
    for (let i = 0; i < 4; i++) {
      const bytes = frameBytes(memory, pfn.removeAnyPage(PfnUse.NonPagedPool));
      expect(zeroBytes(bytes)).toBeLessThan(PAGE_SIZE / 16); // random bytes are zero 1 time in 256
      expect(new Set(bytes).size).toBeGreaterThan(200);
    }
  });

  it('are the same junk for the same seed and different junk for another', () => {
    const a = database(7);
    const b = database(7);
    const c = database(8);
    const pa = a.pfn.removeAnyPage(PfnUse.NonPagedPool);
    const pb = b.pfn.removeAnyPage(PfnUse.NonPagedPool);
    const pc = c.pfn.removeAnyPage(PfnUse.NonPagedPool);
    expect(frameBytes(a.memory, pa)).toEqual(frameBytes(b.memory, pb));
    expect(frameBytes(a.memory, pa)).not.toEqual(frameBytes(c.memory, pc));
  });

  it('are what the last owner left when a freed frame is handed out again by removeAnyPage', () => {
    const { memory, pfn } = database();
    const a = pfn.removeAnyPage(PfnUse.NonPagedPool);
    memory.u8.fill(0xa5, a * PAGE_SIZE, (a + 1) * PAGE_SIZE);
    pfn.freePage(a);
    expect(frameBytes(memory, a).every((x) => x === 0xa5)).toBe(true); // freeing does not scrub
    expect(pfn.removeAnyPage(PfnUse.PagedPool)).toBe(a);
    expect(frameBytes(memory, a).every((x) => x === 0xa5)).toBe(true);
  });

  it('are zero after removeZeroPage, whether the frame was fresh or dirty', () => {
    const { memory, pfn } = database();
    const dirty = pfn.removeAnyPage(PfnUse.NonPagedPool);
    memory.u8.fill(0x5a, dirty * PAGE_SIZE, (dirty + 1) * PAGE_SIZE);
    pfn.freePage(dirty);
    const again = pfn.removeZeroPage(PfnUse.Private);
    expect(again).toBe(dirty);
    expect(zeroBytes(frameBytes(memory, again))).toBe(PAGE_SIZE);
    const fresh = pfn.removeZeroPage(PfnUse.PageTable);
    expect(zeroBytes(frameBytes(memory, fresh))).toBe(PAGE_SIZE);
  });

  it('of a frame once zeroed are not refilled with junk by a later removeAnyPage', () => {
    const { memory, pfn } = database();
    const z = pfn.removeZeroPage(PfnUse.Private);
    memory.u8[z * PAGE_SIZE + 5] = 0x77;
    pfn.freePage(z);
    expect(pfn.removeAnyPage(PfnUse.NonPagedPool)).toBe(z);
    const bytes = frameBytes(memory, z);
    expect(bytes[5]).toBe(0x77);
    expect(zeroBytes(bytes)).toBe(PAGE_SIZE - 1);
  });
});

describe('freeing a frame that is still mapped or locked', () => {
  it.each([
    ['mapped by a PTE (share count)', 'shareCount'],
    ['locked by an MDL (lock count)', 'lockCount'],
  ] as const)('is deferred while the frame is %s, and completed by releaseIfPending when the last one goes', (_what, column) => {
    const { pfn } = database();
    const a = pfn.removeAnyPage(PfnUse.NonPagedPool);
    pfn[column][a] = 2;
    const free = pfn.freeCount;
    expect(pfn.freePage(a)).toBe(false);
    expect(pfn.isFreePending(a)).toBe(true);
    expect(pfn.freeCount).toBe(free);
    expect(pfn.use[a]).toBe(PfnUse.NonPagedPool);
    expect(pfn.check()).toEqual([]);

    pfn[column][a] = 1;
    pfn.releaseIfPending(a);
    expect(pfn.isFreePending(a)).toBe(true);
    expect(pfn.freeCount).toBe(free);

    pfn[column][a] = 0;
    pfn.releaseIfPending(a);
    expect(pfn.isFreePending(a)).toBe(false);
    expect(pfn.use[a]).toBe(PfnUse.Free);
    expect(pfn.freeCount).toBe(free + 1);
    expect(pfn.check()).toEqual([]);
  });

  it('waits for both the mappings and the locks', () => {
    const { pfn } = database();
    const a = pfn.removeAnyPage(PfnUse.NonPagedPool);
    pfn.shareCount[a] = 1;
    pfn.lockCount[a] = 1;
    expect(pfn.freePage(a)).toBe(false);
    pfn.shareCount[a] = 0;
    pfn.releaseIfPending(a);
    expect(pfn.use[a]).toBe(PfnUse.NonPagedPool);
    pfn.lockCount[a] = 0;
    pfn.releaseIfPending(a);
    expect(pfn.use[a]).toBe(PfnUse.Free);
  });

  it('is not triggered by releaseIfPending on a frame nobody freed', () => {
    const { pfn } = database();
    const a = pfn.removeAnyPage(PfnUse.Private);
    const free = pfn.freeCount;
    pfn.releaseIfPending(a);
    expect(pfn.use[a]).toBe(PfnUse.Private);
    expect(pfn.freeCount).toBe(free);
  });
});

describe('check()', () => {
  it.each([
    ['a frame on the free list marked in use', (p: PfnDatabase) => { p.use[5] = PfnUse.Private; }, /on the free list is in use/],
    ['a free frame with a mapping', (p: PfnDatabase) => { p.shareCount[5] = 1; }, /still mapped/],
    ['a frame marked free but not on the list', (p: PfnDatabase) => {
      const a = p.removeAnyPage(PfnUse.Private);
      p.use[a] = PfnUse.Free;
    }, /not on the free list/],
    ['a free count that disagrees with the list', (p: PfnDatabase) => { p.freeCount++; }, /count says/],
  ])('reports %s', (_name, corrupt, message) => {
    const { pfn } = database();
    corrupt(pfn);
    expect(pfn.check().join('\n')).toMatch(message);
  });
});

describe.each(['x64', 'x86'] as const)('the PFN database of a %s machine', (arch) => {
  it('is consistent right after boot, with the frames already used accounted for', async () => {
    const machine = await boot({ arch, memoryMiB: 16 });
    const k = machine.kernel;
    expect(k.pfn.check()).toEqual([]);
    expect(mappingProblems(k)).toEqual([]);
    expect(k.pfn.total).toBe(16 * 256);
    const inUse = k.pfn.total - k.pfn.freeCount;
    expect(inUse).toBeGreaterThan(1); // page tables, KUSER_SHARED_DATA, pool of the boot objects
    let counted = 0;
    for (let p = 0; p < k.pfn.total; p++) if (k.pfn.use[p] !== PfnUse.Free) counted++;
    expect(counted).toBe(inUse);
    expect(k.pfn.use[k.sharedUserData.pfn]).toBe(PfnUse.SharedUserData);
    // KUSER_SHARED_DATA: its kernel mapping and the System process's user mapping.
    expect(k.pfn.shareCount[k.sharedUserData.pfn]).toBe(2);
  });

  it('is consistent after the sharing-memory sample runs, and gets every frame back', async () => {
    const machine = await boot({ arch, memoryMiB: 16 });
    const k = machine.kernel;
    const before = machine.stats();
    sharingMemory.setup(machine, { seconds: 3, variant: undefined });
    const result = await machine.run();
    expect(result.bugcheck).toBeUndefined();
    expect(machine.log.filter((e) => e.source === 'stdout').length).toBe(3);
    expect(k.pfn.check()).toEqual([]);
    expect(mappingProblems(k)).toEqual([]);
    expect(machine.stats().frames.free).toBe(before.frames.free);
    expect(machine.stats().pool).toEqual(before.pool);
    for (let p = 0; p < k.pfn.total; p++) expect(k.pfn.isFreePending(p)).toBe(false);
  });
});
