/**
 * A pool block freed while a user mapping of its page lives (a
 * MmBuildMdlForNonPagedPool MDL mapped with MmMapLockedPagesSpecifyCache
 * (UserMode), never unmapped): Windows' PFN counts no share for that
 * mapping, so the frame goes back at once and the next allocation reuses it;
 * the program then reads the next owner's bytes. The finding
 * `freed-pool-still-mapped` names the block, whole page or small.
 */
import { describe, expect, it } from 'vitest';
import { MmCached, NonPagedPool, NormalPagePriority, PAGE_SIZE, UserMode, type Mdl } from 'ntshm/wdm';
import { call } from '../helpers/test-driver.js';
import { ARCHES, withOps } from './mdl-helpers.js';

describe.each(ARCHES)('pool freed while a user mapping lives, on %s', (arch) => {
  it.each([
    ['a whole page', PAGE_SIZE],
    ['a small block (0x100 bytes) sharing its page with a live block', 0x100],
  ])('%s: the frame is reused by the next allocation, whose bytes the program reads; the finding names the block', async (_what, size) => {
    const seen = { block: 0, blockPa: 0n, next: 0, nextPa: 0n, user: 0, read: 0 };
    let mdl: Mdl | null = null;
    let neighbour = 0;
    const { machine, result } = await withOps(arch, {
      0x800: ({ nt }) => {
        if (size < PAGE_SIZE) neighbour = nt.ExAllocatePool(NonPagedPool, 0x100);
        seen.block = nt.ExAllocatePool(NonPagedPool, size);
        seen.blockPa = nt.MmGetPhysicalAddress(seen.block);
        nt.RtlFillMemory(seen.block, size, 0x11);
        mdl = nt.IoAllocateMdl(seen.block, size, false, false, null)!;
        nt.MmBuildMdlForNonPagedPool(mdl);
        seen.user = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
        return [seen.user];
      },
      0x801: ({ nt }) => {
        nt.ExFreePool(seen.block); // the user mapping stays
        seen.next = nt.ExAllocatePool(NonPagedPool, size);
        seen.nextPa = nt.MmGetPhysicalAddress(seen.next);
        nt.RtlFillMemory(seen.next, size, 0x5a);
      },
      0x802: ({ nt }) => {
        nt.MmUnmapLockedPages(seen.user, mdl!);
        nt.IoFreeMdl(mdl!);
        nt.ExFreePool(seen.next);
        if (neighbour) nt.ExFreePool(neighbour);
      },
    }, async (k32, h) => {
      const [user = 0] = await call(k32, h, 0x800);
      const before = k32.getUint8(user);
      await call(k32, h, 0x801);
      seen.read = k32.getUint8(user);
      expect(before).toBe(0x11);
      await call(k32, h, 0x802);
    });
    expect(result.bugcheck).toBeUndefined();
    // The same frame, at the same offset in it: the next owner's bytes are what the program sees.
    expect(seen.nextPa).toBe(seen.blockPa);
    expect(seen.read).toBe(0x5a);
    const finding = machine.kernel.findings.find((f) => f.kind === 'freed-pool-still-mapped');
    expect(finding?.routine).toBe('DispatchControl');
    expect(finding?.message).toMatch(/in test\.exe/);
    if (size < PAGE_SIZE) expect(finding?.details).toMatchObject({ bytes: size, block: machine.kernel.formatAddress(seen.block) });
    // Nothing is left mapped or counted wrong once every mapping went.
    expect(machine.kernel.pfn.check()).toEqual([]);
  });
});
