/**
 * MmAllocatePagesForMdl(Ex) and MmFreePagesFromMdl: what the MDL describes
 * (ByteCount, no virtual address, MDL_PAGES_LOCKED), short allocations in low
 * memory, the MM_ALLOCATE_* flags, zeroing, and the frames coming back.
 * Expectations restated from ReactOS's kmtests ntos_mm/MmMdl.c
 * (TestMmAllocatePagesForMdl: ByteCount, MmGetMdlVirtualAddress NULL, not
 * mapped; freeing without unmapping the system mapping) and from the WDK page.
 */
import { describe, expect, it } from 'vitest';
import { boot, type BootOptions, type Machine } from 'ntshm';
import {
  DISPATCH_LEVEL, KernelMode, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MM_ALLOCATE_FAST_LARGE_PAGES, MM_ALLOCATE_FULLY_REQUIRED,
  MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS, MM_DONT_ZERO_ALLOCATION, MmCached, MmGetMdlByteCount, MmGetMdlPfnArray,
  MmGetMdlVirtualAddress, NormalPagePriority, PAGE_SIZE, UserMode, type Mdl, type Nt,
} from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING } from 'ntshm/win32';
import { load, runProgram, testDriver } from '../helpers/test-driver.js';
import { ARCHES } from './mdl-helpers.js';

/** Runs `body` in a DriverEntry on a fresh machine; returns the machine. */
async function inDriver(options: BootOptions, body: (nt: Nt, machine: Machine) => void) {
  const machine = await boot(options);
  load(machine, testDriver({ entry: (nt) => { body(nt, machine); } }));
  return machine;
}

describe.each(ARCHES)('MmAllocatePagesForMdl on %s', (arch) => {
  it('describes the bytes asked with no virtual address, pages locked, not mapped, zeroed; MmFreePagesFromMdl gives every frame back', async () => {
    const seen: { count?: number; va?: number; flags?: number; process?: unknown; pfns?: number[]; zero?: boolean; freeDrop?: number; freeBack?: number } = {};
    const machine = await inDriver({ arch }, (nt, machine) => {
      const pfn = machine.kernel.pfn;
      const before = pfn.freeCount;
      const mdl = nt.MmAllocatePagesForMdl(0, -1, 0, 8 * PAGE_SIZE)!;
      seen.count = MmGetMdlByteCount(mdl);
      seen.va = MmGetMdlVirtualAddress(mdl);
      seen.flags = mdl.MdlFlags;
      seen.process = mdl.Process;
      seen.pfns = [...MmGetMdlPfnArray(mdl)];
      seen.zero = seen.pfns.every((f) => machine.kernel.memory.u8.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE).every((b) => b === 0));
      seen.freeDrop = before - pfn.freeCount;
      nt.MmFreePagesFromMdl(mdl);
      nt.ExFreePool(mdl);
      seen.freeBack = before - pfn.freeCount;
    });
    expect(seen.count).toBe(8 * PAGE_SIZE);
    expect(seen.va).toBe(0);
    expect(seen.flags).toBe(MDL_PAGES_LOCKED);
    expect(seen.process).toBeNull();
    expect(seen.pfns).toHaveLength(8);
    expect(seen.pfns!.every((f) => f > 0)).toBe(true);
    expect(new Set(seen.pfns).size).toBe(8);
    expect(seen.zero).toBe(true);
    // Eight frames taken (the MDL's own pool may take a page of pool too), and all of them back.
    expect(seen.freeDrop).toBeGreaterThanOrEqual(8);
    expect(seen.freeBack).toBeLessThan(seen.freeDrop! - 7);
    expect(machine.kernel.pfn.check()).toEqual([]);
  });

  it('with MM_DONT_ZERO_ALLOCATION leaves what the frames held', async () => {
    let junk = false;
    await inDriver({ arch }, (nt, machine) => {
      const mdl = nt.MmAllocatePagesForMdlEx(0, -1, 0, 4 * PAGE_SIZE, MmCached, MM_DONT_ZERO_ALLOCATION)!;
      // Frames never used before hold the machine's seeded junk (pfn.ts): not zeroed, it shows.
      junk = MmGetMdlPfnArray(mdl).some((f) => machine.kernel.memory.u8.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE).some((b) => b !== 0));
      nt.MmFreePagesFromMdl(mdl);
      nt.ExFreePool(mdl);
    });
    expect(junk).toBe(true);
  });

  it('in low memory describes fewer bytes (ByteCount says how many); MM_ALLOCATE_FULLY_REQUIRED then gives NULL', async () => {
    const seen: { count?: number; pages?: number; full?: Mdl | null; free?: number } = {};
    await inDriver({ arch, lowMemoryPages: 40 }, (nt) => {
      const mdl = nt.MmAllocatePagesForMdl(0, -1, 0, 64 * PAGE_SIZE)!;
      seen.count = MmGetMdlByteCount(mdl);
      seen.pages = MmGetMdlPfnArray(mdl).length;
      nt.MmFreePagesFromMdl(mdl);
      nt.ExFreePool(mdl);
      seen.full = nt.MmAllocatePagesForMdlEx(0, -1, 0, 64 * PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
    });
    expect(seen.count).toBeGreaterThan(0);
    expect(seen.count).toBeLessThan(64 * PAGE_SIZE);
    expect(seen.count).toBe(seen.pages! * PAGE_SIZE);
    expect(seen.full).toBeNull();
  });

  it.each([
    ['SkipBytes not a multiple of PAGE_SIZE', 0x800, 0],
    ['an undocumented flag', 0, 0x100],
    ['MM_ALLOCATE_FAST_LARGE_PAGES (no large-page cache)', 0, MM_ALLOCATE_FAST_LARGE_PAGES | MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS],
    ['contiguous chunks of a SkipBytes that is not a power of two', 3 * PAGE_SIZE, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS],
  ])('returns NULL for %s', async (_what, skip, flags) => {
    let mdl: Mdl | null | undefined;
    await inDriver({ arch }, (nt) => { mdl = nt.MmAllocatePagesForMdlEx(0, -1, skip, 6 * PAGE_SIZE, MmCached, flags); });
    expect(mdl).toBeNull();
  });

  it('returns NULL for TotalBytes 0', async () => {
    let mdl: Mdl | null | undefined;
    await inDriver({ arch }, (nt) => { mdl = nt.MmAllocatePagesForMdl(0, -1, 0, 0); });
    expect(mdl).toBeNull();
  });

  it('takes frames only from [LowAddress, HighAddress]', async () => {
    let pfns: number[] = [];
    await inDriver({ arch }, (nt) => {
      const mdl = nt.MmAllocatePagesForMdl(0x80_0000, 0xff_ffff, 0, 4 * PAGE_SIZE)!;
      pfns = [...MmGetMdlPfnArray(mdl)];
      nt.MmFreePagesFromMdl(mdl);
      nt.ExFreePool(mdl);
    });
    expect(pfns).toHaveLength(4);
    for (const f of pfns) expect(f * PAGE_SIZE).toBeGreaterThanOrEqual(0x80_0000), expect(f * PAGE_SIZE).toBeLessThanOrEqual(0xff_ffff);
  });

  it('with MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS gives one run of frames, or SkipBytes-long runs aligned on SkipBytes', async () => {
    let one: number[] = [];
    let chunks: number[] = [];
    await inDriver({ arch }, (nt) => {
      const a = nt.MmAllocatePagesForMdlEx(0, -1, 0, 5 * PAGE_SIZE, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS)!;
      one = [...MmGetMdlPfnArray(a)];
      const b = nt.MmAllocatePagesForMdlEx(0, -1, 4 * PAGE_SIZE, 8 * PAGE_SIZE, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS)!;
      chunks = [...MmGetMdlPfnArray(b)];
      for (const m of [a, b]) { nt.MmFreePagesFromMdl(m); nt.ExFreePool(m); }
    });
    expect(one).toHaveLength(5);
    one.forEach((f, i) => expect(f).toBe(one[0]! + i));
    expect(chunks).toHaveLength(8);
    expect(chunks[0]! % 4).toBe(0);
    expect(chunks[4]! % 4).toBe(0);
    for (const start of [0, 4]) for (let i = 1; i < 4; i++) expect(chunks[start + i]).toBe(chunks[start]! + i);
  });

  it('maps to system space and user space as PTEs to its own frames; MmFreePagesFromMdl removes a system mapping left behind', async () => {
    const seen: { systemPfn?: number; first?: number; flagsAfter?: number; ptesBefore?: number; ptesAfter?: number } = {};
    await inDriver({ arch }, (nt, machine) => {
      const k = machine.kernel;
      const mdl = nt.MmAllocatePagesForMdl(0, -1, 0, 2 * PAGE_SIZE)!;
      seen.ptesBefore = k.systemPtes.pagesInUse;
      const va = nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
      seen.systemPfn = k.pageTables.frameAt(k.systemRoot, va);
      seen.first = MmGetMdlPfnArray(mdl)[0]!;
      nt.MmFreePagesFromMdl(mdl);
      seen.flagsAfter = mdl.MdlFlags;
      seen.ptesAfter = k.systemPtes.pagesInUse;
      nt.ExFreePool(mdl);
    });
    expect(seen.systemPfn).toBe(seen.first);
    expect(seen.flagsAfter! & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED)).toBe(0);
    expect(seen.ptesAfter).toBe(seen.ptesBefore);
  });

  it('bug checks 0x1A/0x1236 (MDL, its PFN array entry, the frame) when the frames are freed twice', async () => {
    let address = 0;
    let first = 0;
    const machine = await boot({ arch });
    machine.loadDriver('TestDrv', testDriver({
      entry: (nt) => {
        const mdl = nt.MmAllocatePagesForMdl(0, -1, 0, PAGE_SIZE)!;
        address = mdl.address;
        first = MmGetMdlPfnArray(mdl)[0]!;
        nt.MmFreePagesFromMdl(mdl);
        nt.MmFreePagesFromMdl(mdl);
      },
    }).definition);
    const b = machine.bugcheck!;
    expect(b.code).toBe(0x1a);
    expect(b.params).toEqual([0x1236, address, address + (arch === 'x64' ? 0x30 : 0x1c), first]);
  });
});

describe.each(ARCHES)('MmFreePagesFromMdl with a user mapping left, and the verifier\'s IRQL check, on %s', (arch) => {
  it('frees under a live user mapping: a finding naming the process, and the frames stay off the free list until the mapping goes', async () => {
    const seen: { pfn?: number; freeAfterFree?: boolean } = {};
    const machine = await boot({ arch });
    const d = testDriver({
      control: ({ nt }) => {
        const mdl = nt.MmAllocatePagesForMdl(0, -1, 0, PAGE_SIZE)!;
        nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
        seen.pfn = MmGetMdlPfnArray(mdl)[0]!;
        nt.MmFreePagesFromMdl(mdl);
        nt.ExFreePool(mdl);
        seen.freeAfterFree = machine.kernel.pfn.use[seen.pfn] === 0;
      },
    });
    load(machine, d);
    const { process } = await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(d.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(h, 0x22_2000, 0, 0, 0, 0);
      k32.CloseHandle(h);
      return 0;
    });
    expect(process.exitCode).toBe(0);
    const finding = machine.report().findings.find((f) => f.kind === 'mdl-pages-freed-while-mapped');
    expect(finding?.message).toContain('test.exe still maps at');
    expect(seen.freeAfterFree).toBe(false);
    // The process is gone, its mapping with it: the frame is free now.
    expect(machine.kernel.pfn.use[seen.pfn!]).toBe(0);
    expect(machine.kernel.pfn.check()).toEqual([]);
  });

  it('with the verifier, above DISPATCH_LEVEL: 0xC4/0x7E (P2 the IRQL, P3 DISPATCH_LEVEL)', async () => {
    const DIRQL = 3; // a device IRQL, above DISPATCH_LEVEL
    const machine = await boot({ arch, verifier: true });
    machine.loadDriver('TestDrv', testDriver({
      entry: (nt) => {
        nt.KeRaiseIrql(DIRQL);
        nt.MmAllocatePagesForMdl(0, -1, 0, PAGE_SIZE);
      },
    }).definition);
    expect(machine.bugcheck?.code).toBe(0xc4);
    expect(machine.bugcheck?.params.slice(0, 3)).toEqual([0x7e, DIRQL, DISPATCH_LEVEL]);
  });
});

describe('the boot option lowMemoryPages', () => {
  it('leaves that many frames free, and refuses a negative count', async () => {
    const machine = await boot({ lowMemoryPages: 100 });
    expect(machine.stats().frames.free).toBe(100);
    await expect(boot({ lowMemoryPages: -1 })).rejects.toThrow(RangeError);
  });
});
