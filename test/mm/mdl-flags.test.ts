/**
 * MDL flag conformance: what each routine sets and clears, step by step,
 * as ReactOS's ntoskrnl/mm/ARM3/mdlsup.c and ntoskrnl/io/iomgr/iomdl.c do
 * (and the WDK pages of each routine say):
 *
 *   IoAllocateMdl                 MDL_ALLOCATED_FIXED_SIZE when it fits the lookaside (23 pages)
 *   MmBuildMdlForNonPagedPool     + MDL_SOURCE_IS_NONPAGED_POOL (never MDL_PAGES_LOCKED)
 *   MmProbeAndLockPages           + MDL_PAGES_LOCKED, + MDL_WRITE_OPERATION unless IoReadAccess
 *   MmMapLockedPagesSpecifyCache  KernelMode: + MDL_MAPPED_TO_SYSTEM_VA (and MDL_PARTIAL_HAS_BEEN_MAPPED
 *                                 for a partial MDL); UserMode: none
 *   MmUnmapLockedPages            system address: − MDL_MAPPED_TO_SYSTEM_VA, − MDL_PARTIAL_HAS_BEEN_MAPPED
 *   MmUnlockPages                 − MDL_MAPPED_TO_SYSTEM_VA (it unmaps first), − MDL_PAGES_LOCKED,
 *                                 − MDL_IO_SPACE; MDL_WRITE_OPERATION stays
 *   IoBuildPartialMdl             target keeps only FIXED_SIZE / MUST_SUCCEED, takes the source's
 *                                 IO_PAGE_READ, SOURCE_IS_NONPAGED_POOL, MAPPED_TO_SYSTEM_VA, IO_SPACE; + MDL_PARTIAL
 *   MmPrepareMdlForReuse          a partial MDL mapped on its own is unmapped
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  IoModifyAccess, IoReadAccess, IoWriteAccess, KernelMode, MDL_ALLOCATED_FIXED_SIZE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_PARTIAL,
  MDL_PARTIAL_HAS_BEEN_MAPPED, MDL_SOURCE_IS_NONPAGED_POOL, MDL_WRITE_OPERATION, MmCached, NonPagedPool, NormalPagePriority, PAGE_SIZE, UserMode,
  type Mdl, type Nt,
} from 'ntshm/wdm';
import { testDriver } from '../helpers/test-driver.js';
import { ARCHES } from './mdl-helpers.js';

const FIXED = MDL_ALLOCATED_FIXED_SIZE;
const LOCKED = MDL_PAGES_LOCKED;
const WRITE = MDL_WRITE_OPERATION;
const MAPPED = MDL_MAPPED_TO_SYSTEM_VA;
const POOL = MDL_SOURCE_IS_NONPAGED_POOL;
const PARTIAL = MDL_PARTIAL;
const PARTIAL_MAPPED = MDL_PARTIAL_HAS_BEEN_MAPPED;

/** What a step works on: the MDL under test, a second (partial) one, the buffer, the last address mapped. */
interface State { mdl: Mdl; partial: Mdl; buffer: number; mapped: number }
type Step = [routine: string, run: (nt: Nt, s: State) => void, expected: (s: State) => number];

/** Each sequence: its steps, each with the MDL flags expected after it (of `mdl`, or of `partial` where it says). */
const SEQUENCES: [name: string, steps: Step[]][] = [
  ['probe for write, map to system space, unlock', [
    ['IoAllocateMdl (1 page)', () => {}, (s) => s.mdl.MdlFlags === FIXED ? FIXED : -1],
    ['MmProbeAndLockPages(KernelMode, IoWriteAccess)', (nt, s) => nt.MmProbeAndLockPages(s.mdl, KernelMode, IoWriteAccess), () => FIXED | LOCKED | WRITE],
    ['MmMapLockedPagesSpecifyCache(KernelMode)', (nt, s) => { s.mapped = nt.MmMapLockedPagesSpecifyCache(s.mdl, KernelMode, MmCached, 0, false, NormalPagePriority); },
      () => FIXED | LOCKED | WRITE | MAPPED],
    ['MmUnlockPages (unmaps first; MDL_WRITE_OPERATION stays)', (nt, s) => nt.MmUnlockPages(s.mdl), () => FIXED | WRITE],
  ]],
  ['probe for read, map and unmap, unlock', [
    ['MmProbeAndLockPages(KernelMode, IoReadAccess)', (nt, s) => nt.MmProbeAndLockPages(s.mdl, KernelMode, IoReadAccess), () => FIXED | LOCKED],
    ['MmGetSystemAddressForMdlSafe', (nt, s) => { s.mapped = nt.MmGetSystemAddressForMdlSafe(s.mdl, NormalPagePriority); }, () => FIXED | LOCKED | MAPPED],
    ['MmUnmapLockedPages(system address)', (nt, s) => nt.MmUnmapLockedPages(s.mapped, s.mdl), () => FIXED | LOCKED],
    ['MmUnlockPages', (nt, s) => nt.MmUnlockPages(s.mdl), () => FIXED],
  ]],
  ['IoModifyAccess, then a UserMode mapping (no flag)', [
    ['MmProbeAndLockPages(KernelMode, IoModifyAccess)', (nt, s) => nt.MmProbeAndLockPages(s.mdl, KernelMode, IoModifyAccess), () => FIXED | LOCKED | WRITE],
    ['MmMapLockedPagesSpecifyCache(UserMode)', (nt, s) => { s.mapped = nt.MmMapLockedPagesSpecifyCache(s.mdl, UserMode, MmCached, 0, false, NormalPagePriority); },
      () => FIXED | LOCKED | WRITE],
    ['MmUnmapLockedPages(user address)', (nt, s) => nt.MmUnmapLockedPages(s.mapped, s.mdl), () => FIXED | LOCKED | WRITE],
    ['MmUnlockPages', (nt, s) => nt.MmUnlockPages(s.mdl), () => FIXED | WRITE],
  ]],
  ['MmBuildMdlForNonPagedPool, then a partial MDL of it', [
    ['MmBuildMdlForNonPagedPool', (nt, s) => nt.MmBuildMdlForNonPagedPool(s.mdl), () => FIXED | POOL],
    ['IoBuildPartialMdl (the partial MDL)', (nt, s) => nt.IoBuildPartialMdl(s.mdl, s.partial, s.buffer + 0x10, 0x20), (s) => (s.partial.MdlFlags === (FIXED | POOL | PARTIAL) ? FIXED | POOL : -1)],
  ]],
  ['a partial MDL of a locked, mapped MDL; mapped on its own; MmPrepareMdlForReuse', [
    ['MmProbeAndLockPages(KernelMode, IoReadAccess)', (nt, s) => nt.MmProbeAndLockPages(s.mdl, KernelMode, IoReadAccess), () => FIXED | LOCKED],
    ['MmGetSystemAddressForMdlSafe', (nt, s) => { s.mapped = nt.MmGetSystemAddressForMdlSafe(s.mdl, NormalPagePriority); }, () => FIXED | LOCKED | MAPPED],
    // The partial MDL takes MDL_MAPPED_TO_SYSTEM_VA and the parent's address, not MDL_PAGES_LOCKED.
    ['IoBuildPartialMdl', (nt, s) => nt.IoBuildPartialMdl(s.mdl, s.partial, s.buffer + 0x10, 0x20),
      (s) => (s.partial.MdlFlags === (FIXED | MAPPED | PARTIAL) && s.partial.MappedSystemVa === s.mapped + 0x10 ? FIXED | LOCKED | MAPPED : -1)],
    ['MmUnmapLockedPages of the parent, then IoBuildPartialMdl again', (nt, s) => {
      nt.MmUnmapLockedPages(s.mapped, s.mdl);
      nt.IoBuildPartialMdl(s.mdl, s.partial, s.buffer + 0x10, 0x20);
    }, (s) => (s.partial.MdlFlags === (FIXED | PARTIAL) ? FIXED | LOCKED : -1)],
    ['MmMapLockedPagesSpecifyCache(partial, KernelMode)', (nt, s) => { nt.MmMapLockedPagesSpecifyCache(s.partial, KernelMode, MmCached, 0, false, NormalPagePriority); },
      (s) => (s.partial.MdlFlags === (FIXED | PARTIAL | MAPPED | PARTIAL_MAPPED) ? FIXED | LOCKED : -1)],
    ['MmPrepareMdlForReuse(partial)', (nt, s) => nt.MmPrepareMdlForReuse(s.partial), (s) => (s.partial.MdlFlags === (FIXED | PARTIAL) ? FIXED | LOCKED : -1)],
    ['MmUnlockPages', (nt, s) => nt.MmUnlockPages(s.mdl), () => FIXED],
  ]],
];

describe.each(ARCHES)('MDL flags on %s', (arch) => {
  it.each(SEQUENCES)('%s', async (_name, steps) => {
    const machine = await boot({ arch });
    const rows: { routine: string; flags: number; expected: number }[] = [];
    const driver = testDriver({
      entry: (nt) => {
        const buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
        const s: State = { mdl: nt.IoAllocateMdl(buffer, 0x100, false, false, null)!, partial: nt.IoAllocateMdl(buffer, 0x100, false, false, null)!, buffer, mapped: 0 };
        for (const [routine, run, expected] of steps) {
          run(nt, s);
          rows.push({ routine, flags: s.mdl.MdlFlags, expected: expected(s) });
        }
        nt.IoFreeMdl(s.partial);
        nt.IoFreeMdl(s.mdl);
        nt.ExFreePool(buffer);
      },
    });
    machine.loadDriver(driver.name, driver.definition);
    expect(machine.bugcheck).toBeUndefined();
    expect(rows.map((r) => [r.routine, r.flags])).toEqual(rows.map((r) => [r.routine, r.expected]));
  });

  it('IoAllocateMdl: MDL_ALLOCATED_FIXED_SIZE up to 23 pages, none beyond', async () => {
    const machine = await boot({ arch });
    const flags: number[] = [];
    const driver = testDriver({
      entry: (nt) => {
        for (const pages of [1, 23, 24]) {
          const mdl = nt.IoAllocateMdl(0x10_0000, pages * PAGE_SIZE, false, false, null)!;
          flags.push(mdl.MdlFlags);
          nt.IoFreeMdl(mdl);
        }
      },
    });
    machine.loadDriver(driver.name, driver.definition);
    expect(flags).toEqual([FIXED, FIXED, 0]);
  });
});
