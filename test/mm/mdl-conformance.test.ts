/**
 * ReactOS's kernel-mode tests, which pass on Windows, restated for ntshm on
 * both architectures (in our own words and code; each case cites where its
 * expectation comes from):
 *
 *   modules/rostests/kmtests/ntos_mm/MmMapLockedPagesSpecifyCache_drv.c and _user.c
 *   modules/rostests/kmtests/ntos_mm/MmMdl.c (TestMmBuildMdlForNonPagedPool; the
 *     MmAllocatePagesForMdl half belongs with that routine)
 *   modules/rostests/kmtests/ntos_io/IoMdl.c
 *
 * 0x76 with P1 = 0 and P1 = 1 is in mdl-accounting.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  IoWriteAccess, KernelMode, MDL_PAGES_LOCKED, MDL_SOURCE_IS_NONPAGED_POOL, MmCached, MmNonCached, NonPagedPool, NormalPagePriority, PagedPool,
  PAGE_SIZE, STATUS_INVALID_ADDRESS, UserMode, type Mdl,
} from 'ntshm/wdm';
import { MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { call, testDriver } from '../helpers/test-driver.js';
import { ARCHES, raised, withOps } from './mdl-helpers.js';

const STATUS_CONFLICTING_ADDRESSES = 0xc0000018;
const STATUS_UNABLE_TO_DELETE_SECTION = 0xc000001b;
const STATUS_NOT_MAPPED_VIEW = 0xc0000019;
const WRITE_PATTERN = 0x12345678;

const statusOf = (r: unknown): number => ((typeof r === 'number' ? r : (r as { status: number }).status) >>> 0);

describe.each(ARCHES)('kmtests conformance on %s', (arch) => {
  describe('MmMapLockedPagesSpecifyCache_user.c / _drv.c', () => {
    /**
     * The driver half (_drv.c IOCTL_QUERY_BUFFER): a pool buffer of Length
     * bytes, IoAllocateMdl, MmProbeAndLockPages(KernelMode, IoWriteAccess),
     * MmMapLockedPagesSpecifyCache(UserMode, cached or not, RequestedAddress);
     * IOCTL_READ_BUFFER reads it back through MmGetSystemAddressForMdlSafe;
     * IOCTL_CLEAN unmaps, unlocks, frees.
     */
    function kmtDriverOps() {
      let current: { buffer: number; mdl: Mdl; user: number } | null = null;
      const seen = { statuses: [] as number[], patternsMatched: [] as boolean[] };
      const clean = (nt: Parameters<Parameters<typeof withOps>[1][number]>[0]['nt']) => {
        if (!current) return;
        if (current.user) nt.MmUnmapLockedPages(current.user, current.mdl);
        nt.MmUnlockPages(current.mdl);
        nt.IoFreeMdl(current.mdl);
        nt.ExFreePool(current.buffer);
        current = null;
      };
      const ops = {
        // args: [Length, Cached, RequestedAddress] → [mapped address (0 on failure), status]
        0x800: ({ nt }: { nt: Parameters<typeof clean>[0] }, [length = 0, cached = 0, requested = 0]: number[]) => {
          clean(nt);
          const buffer = nt.ExAllocatePool(NonPagedPool, length);
          const mdl = nt.IoAllocateMdl(buffer, length, false, false, null)!;
          nt.MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess);
          let user = 0;
          const status = raised(() => { user = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, cached ? MmCached : MmNonCached, requested, false, NormalPagePriority); });
          current = { buffer, mdl, user };
          seen.statuses.push(status);
          return [user, status];
        },
        // args: [address, Length]: every ULONG the kernel sees is the pattern the program wrote.
        0x801: ({ nt }: { nt: Parameters<typeof clean>[0] }, [address = 0, length = 0]: number[]) => {
          if (!current || current.user !== address) return;
          const k = nt.MmGetSystemAddressForMdlSafe(current.mdl, NormalPagePriority);
          let all = true;
          for (let i = 0; i < length / 4; i++) all &&= nt.getUint32(k + 4 * i) === WRITE_PATTERN;
          seen.patternsMatched.push(all);
          clean(nt);
        },
        0x802: ({ nt }: { nt: Parameters<typeof clean>[0] }) => clean(nt),
      };
      return { ops, seen };
    }

    /** _user.c CHECK_ALLOC: the mapped range refuses reservation, decommit, release and unmapping as a view. */
    function checkAlloc(k32: K32, mapped: number, length: number): number[] {
      return [
        statusOf(k32.NtAllocateVirtualMemory(-1, mapped, 0, length, MEM_RESERVE, PAGE_READWRITE)),
        statusOf(k32.NtFreeVirtualMemory(-1, mapped, 0, MEM_DECOMMIT)),
        statusOf(k32.NtFreeVirtualMemory(-1, mapped, 0, MEM_RELEASE)),
        statusOf(k32.NtUnmapViewOfSection(-1, mapped)),
      ];
    }

    it('maps 2048, 4096, 6144, 8192 and 10240 bytes, cached and not; the kernel reads what the program wrote; CHECK_ALLOC statuses', async () => {
      const { ops, seen } = kmtDriverOps();
      const checks: number[][] = [];
      const mappedAt: number[] = [];
      const { result } = await withOps(arch, ops, async (k32, h) => {
        // _user.c: "Less than a page", "1 page", "more than 1 page", "2 pages", "more than 2 pages", each FALSE then TRUE for Cached.
        for (const length of [2048, 4096, 4096 + 2048, 2 * 4096, 2 * 4096 + 2048]) {
          for (const cached of [0, 1]) {
            const [mapped = 0] = await call(k32, h, 0x800, length, cached, 0);
            mappedAt.push(mapped);
            checks.push(checkAlloc(k32, mapped, length));
            for (let i = 0; i < length / 4; i++) k32.setUint32(mapped + 4 * i, WRITE_PATTERN);
            await call(k32, h, 0x801, mapped, length);
          }
        }
      });
      expect(result.bugcheck).toBeUndefined();
      expect(seen.statuses.every((s) => s === 0)).toBe(true);
      expect(mappedAt.every((a) => a !== 0)).toBe(true);
      for (const c of checks) expect(c).toEqual([STATUS_CONFLICTING_ADDRESSES, STATUS_UNABLE_TO_DELETE_SECTION, STATUS_UNABLE_TO_DELETE_SECTION, STATUS_NOT_MAPPED_VIEW]);
      expect(seen.patternsMatched).toEqual(new Array(10).fill(true));
    });

    it('a RequestedAddress: a free one is used as given; +2048 is STATUS_INVALID_ADDRESS; HighestAddress − 15 pages too; − 16 pages maps or conflicts', async () => {
      const { ops, seen } = kmtDriverOps();
      const got: [number, number][] = [];
      let freed = 0;
      const highest = (arch === 'x64' ? 0x7fff_fffe_ffff : 0x7ffe_ffff);
      const highestPage = highest - (highest % PAGE_SIZE); // ALIGN_DOWN_BY(MaximumUserModeAddress, PAGE_SIZE)
      const { result } = await withOps(arch, ops, async (k32, h) => {
        const [first = 0] = await call(k32, h, 0x800, 4096, 0, 0);
        await call(k32, h, 0x802); // IOCTL_CLEAN: the address is free again
        freed = first;
        // "ask for a specific address (we know that ReadBuffer.Buffer is free)"
        const [a = 0, s = 0] = await call(k32, h, 0x800, 4096, 0, freed);
        got.push([a, s]);
        await call(k32, h, 0x802);
        // "ask for an unaligned address"
        const [b = 0, t = 0] = await call(k32, h, 0x800, 4096, 0, freed + 2048);
        got.push([b, t]);
        await call(k32, h, 0x802);
        // "near MmHighestUserAddress"
        const [c = 0, u = 0] = await call(k32, h, 0x800, 4096, 0, highestPage - 15 * PAGE_SIZE);
        got.push([c, u]);
        await call(k32, h, 0x802);
        // "far enough away from MmHighestUserAddress"
        const [d = 0, v = 0] = await call(k32, h, 0x800, 4096, 0, highestPage - 16 * PAGE_SIZE);
        got.push([d, v]);
        await call(k32, h, 0x802);
      });
      expect(result.bugcheck).toBeUndefined();
      expect(got[0]).toEqual([freed, 0]);
      expect(got[1]).toEqual([0, STATUS_INVALID_ADDRESS]);
      expect(got[2]).toEqual([0, STATUS_INVALID_ADDRESS]);
      expect([0, STATUS_CONFLICTING_ADDRESSES]).toContain(got[3]![1]);
      expect(seen.statuses.length).toBe(5);
    });
  });

  it('MmMdl.c TestMmBuildMdlForNonPagedPool: neither MDL_PAGES_LOCKED nor MDL_SOURCE_IS_NONPAGED_POOL before, only the latter after (paged and nonpaged pool, no verifier)', async () => {
    const rows: number[][] = [];
    const machine = await boot({ arch });
    const driver = testDriver({
      entry: (nt) => {
        for (const poolType of [PagedPool, NonPagedPool]) {
          const page = nt.ExAllocatePoolWithTag(poolType, PAGE_SIZE, 'Test');
          const mdl = nt.IoAllocateMdl(page, PAGE_SIZE, false, false, null)!;
          const before = mdl.MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL);
          nt.MmBuildMdlForNonPagedPool(mdl);
          rows.push([before, mdl.MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL)]);
          nt.IoFreeMdl(mdl);
          nt.ExFreePoolWithTag(page, 'Test');
        }
      },
    });
    machine.loadDriver(driver.name, driver.definition);
    expect(machine.bugcheck).toBeUndefined();
    expect(rows).toEqual([[0, MDL_SOURCE_IS_NONPAGED_POOL], [0, MDL_SOURCE_IS_NONPAGED_POOL]]);
  });

  it('IoMdl.c (nt4 profile, whose limit the test was written against): 2 GB fails; Next and ByteCount; the size limit to the page; Irp->MdlAddress', async () => {
    const seen = { twoGb: true, next: 1 as unknown, byteCount: 0, limits: [] as boolean[], irpMdl: false };
    const sizeofMdl = arch === 'x64' ? 0x30 : 0x1c;
    const pointer = arch === 'x64' ? 8 : 4;
    // IoMdl.c: TooLargeMdlSize = (0x10000 - sizeof(MDL)) / sizeof(ULONG_PTR) * PAGE_SIZE
    const tooLarge = Math.floor((0x10000 - sizeofMdl) / pointer) * PAGE_SIZE;
    const mdlSize = 2 * 4096 + 184;
    const driver = testDriver({
      control: ({ nt, irp }) => {
        const twoGb = nt.IoAllocateMdl(0, 2048 * 0x100000, false, false, null);
        seen.twoGb = twoGb !== null;
        const va = nt.ExAllocatePool(NonPagedPool, mdlSize);
        const mdl = nt.IoAllocateMdl(va, mdlSize, false, false, null)!;
        seen.next = mdl.Next;
        seen.byteCount = mdl.ByteCount;
        nt.IoFreeMdl(mdl);
        for (const length of [tooLarge, tooLarge - PAGE_SIZE + 1, tooLarge - PAGE_SIZE, tooLarge / 2]) {
          const m = nt.IoAllocateMdl(0, length, false, false, null);
          seen.limits.push(m !== null);
          if (m) nt.IoFreeMdl(m);
        }
        const withIrp = nt.IoAllocateMdl(va, mdlSize, false, false, irp)!;
        seen.irpMdl = (irp.MdlAddress as unknown) === withIrp;
        irp.MdlAddress = null; // freed below: the IRP must not complete with it
        nt.IoFreeMdl(withIrp);
        nt.ExFreePool(va);
      },
    });
    const machine = await boot({ arch, profile: 'nt4' });
    machine.loadDriver(driver.name, driver.definition);
    machine.spawn(async (k32) => {
      await call(k32, k32.CreateFileW(driver.path, 0x80000000, 0, null, 3, 0, null), 0x800);
      return 0;
    }, { name: 'test.exe' });
    const result = await machine.run();
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual({ twoGb: false, next: null, byteCount: mdlSize, limits: [false, false, true, true], irpMdl: true });
  });
});
