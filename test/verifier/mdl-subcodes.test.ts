/**
 * Every 0xC4 MDL subcode reference/bugchecks.md lists is raised by some
 * path with the verifier on (the IRQL ones 0x70, 0x73, 0x76, 0x78, 0x7B are
 * in routine-irql.test.ts; 0xB4 and 0xB6 in mm/mdl-audit.test.ts; 0xB9 in
 * samples/sharing-memory.test.ts). Each case is a driver's mistake in
 * DriverEntry, and the P1 it earns.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { IoReadAccess, KernelMode, MmCached, NonPagedPool, NormalPagePriority, PagedPool, UserMode, type Mdl, type Nt } from 'ntshm/wdm';
import { testDriver } from '../helpers/test-driver.js';

const DISPATCH = 2;
const DIRQL = 3;

/** A page of pool and an MDL over it, not locked. */
const mdlOver = (nt: Nt, poolType: number): Mdl => nt.IoAllocateMdl(nt.ExAllocatePoolWithTag(poolType, 0x1000, 'Test'), 0x1000, false, false, null)!;
/** The same, locked by MmProbeAndLockPages. */
const lockedMdl = (nt: Nt): Mdl => {
  const mdl = mdlOver(nt, NonPagedPool);
  nt.MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
  return mdl;
};
const builtMdl = (nt: Nt): Mdl => {
  const mdl = mdlOver(nt, NonPagedPool);
  nt.MmBuildMdlForNonPagedPool(mdl);
  return mdl;
};

const cases: { p1: number; what: string; body: (nt: Nt) => void }[] = [
  { p1: 0x77, what: 'MmMapLockedPagesSpecifyCache(UserMode) at DISPATCH_LEVEL', body: (nt) => {
    const mdl = lockedMdl(nt);
    nt.KeRaiseIrql(DISPATCH);
    nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
  } },
  { p1: 0x79, what: 'MmUnmapLockedPages of a system address above DISPATCH_LEVEL', body: (nt) => {
    const mdl = lockedMdl(nt);
    const va = nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
    nt.KeRaiseIrql(DIRQL);
    nt.MmUnmapLockedPages(va, mdl);
  } },
  { p1: 0x7a, what: 'MmUnmapLockedPages of a user address at DISPATCH_LEVEL', body: (nt) => {
    const mdl = lockedMdl(nt);
    nt.KeRaiseIrql(DISPATCH);
    nt.MmUnmapLockedPages(0x10000, mdl);
  } },
  { p1: 0x7c, what: 'MmUnlockPages of an MDL never locked', body: (nt) => nt.MmUnlockPages(mdlOver(nt, NonPagedPool)) },
  { p1: 0x7d, what: 'MmUnlockPages of an MDL built for nonpaged pool', body: (nt) => nt.MmUnlockPages(builtMdl(nt)) },
  { p1: 0x7f, what: 'MmBuildMdlForNonPagedPool over paged pool', body: (nt) => nt.MmBuildMdlForNonPagedPool(mdlOver(nt, PagedPool)) },
  { p1: 0x82, what: 'MmMapLockedPagesSpecifyCache with BugCheckOnFailure TRUE', body: (nt) => {
    nt.MmMapLockedPagesSpecifyCache(lockedMdl(nt), KernelMode, MmCached, 0, true, NormalPagePriority);
  } },
  { p1: 0x85, what: 'a user-mode mapping of an MDL whose pages are not locked', body: (nt) => {
    nt.MmMapLockedPagesSpecifyCache(mdlOver(nt, NonPagedPool), UserMode, MmCached, 0, false, NormalPagePriority);
  } },
  { p1: 0xb0, what: 'MmProbeAndLockPages of an MDL built for nonpaged pool', body: (nt) => nt.MmProbeAndLockPages(builtMdl(nt), KernelMode, IoReadAccess) },
  { p1: 0xb0, what: 'MmProbeAndLockPages of an MDL already locked', body: (nt) => nt.MmProbeAndLockPages(lockedMdl(nt), KernelMode, IoReadAccess) },
  { p1: 0xb2, what: 'a second system mapping of an MDL already mapped', body: (nt) => {
    const mdl = lockedMdl(nt);
    nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
    nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
  } },
  { p1: 0xb3, what: 'a system mapping of an MDL whose pages are not locked', body: (nt) => {
    nt.MmMapLockedPagesSpecifyCache(mdlOver(nt, NonPagedPool), KernelMode, MmCached, 0, false, NormalPagePriority);
  } },
  { p1: 0xb8, what: 'IoFreeMdl of an MDL still mapped', body: (nt) => {
    const mdl = lockedMdl(nt);
    nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
    nt.IoFreeMdl(mdl);
  } },
];

async function inDriverEntry(verifier: boolean, body: (nt: Nt) => void): Promise<Machine> {
  const machine = await boot({ seed: 1, verifier });
  const driver = testDriver({ entry: (nt) => body(nt) });
  machine.loadDriver(driver.name, driver.definition);
  return machine;
}

describe('0xC4 MDL subcodes', () => {
  it.each(cases)('0xC4/$p1: $what', async (c) => {
    const machine = await inDriverEntry(true, c.body);
    expect(machine.bugcheck?.code).toBe(0xc4);
    expect(Number(machine.bugcheck!.params[0])).toBe(c.p1);
  });

  it('0xB2 names the MDL, its flags and MDL_MAPPED_TO_SYSTEM_VA; 0xB3 the flags of which one was expected', async () => {
    let mdl = 0;
    const twice = await inDriverEntry(true, (nt) => {
      const m = lockedMdl(nt);
      mdl = m.address;
      nt.MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, 0, false, NormalPagePriority);
      nt.MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, 0, false, NormalPagePriority);
    });
    const [, p2, p3, p4] = twice.bugcheck!.params.map(Number);
    expect([p2, p4]).toEqual([mdl, 0x0001]);
    expect(p3! & 0x0003).toBe(0x0003); // MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED
    const unlocked = await inDriverEntry(true, (nt) => {
      nt.MmMapLockedPagesSpecifyCache(mdlOver(nt, NonPagedPool), KernelMode, MmCached, 0, false, NormalPagePriority);
    });
    expect(Number(unlocked.bugcheck!.params[3])).toBe(0x0002 | 0x0004 | 0x0010); // MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL
  });

  it('without the verifier a second system mapping maps again, and locking a locked MDL locks again (free-build behaviour)', async () => {
    const machine = await inDriverEntry(false, (nt) => {
      const mdl = lockedMdl(nt);
      nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
      nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
    });
    expect(machine.bugcheck).toBeUndefined();
  });
});
