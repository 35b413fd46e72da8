/**
 * Issue 7, item 6 of the hostile-guest review ("no commit accounting"):
 * committing memory charges the system commit against its limit (RAM, as
 * ntshm has no pagefile), refusing with STATUS_COMMITMENT_LIMIT /
 * ERROR_COMMITMENT_LIMIT past it; decommitting and releasing give the charge
 * back; and a program that commits all it can and touches every page still
 * leaves the kernel the frames it keeps for itself. Before, an 8 TiB commit
 * succeeded on a 64 MiB machine and touching a 1 GiB commit drained every
 * frame until nonpaged pool allocations failed.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { NonPagedPool, PAGE_SIZE } from 'ntshm/wdm';
import {
  GENERIC_READ, MEM_COMMIT, MEM_DECOMMIT, MEM_FREE, MEM_RELEASE, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32,
} from 'ntshm/win32';
import { bootWith, opCode, pointerControl, runProgram, testDriver } from '../helpers/test-driver.js';

const ERROR_COMMITMENT_LIMIT = 1455;
const STATUS_COMMITMENT_LIMIT = 0xc000012d;
const MiB = 1024 * 1024;
const ARCHES = ['x64', 'x86'] as const;

describe.each(ARCHES)('commit charge on %s', (arch) => {
  const huge = arch === 'x64' ? 2 ** 43 : 1024 * MiB;

  it(`VirtualAlloc(0, ${arch === 'x64' ? '2^43' : '1 GiB'}, MEM_COMMIT | MEM_RESERVE) on 64 MiB fails with ERROR_COMMITMENT_LIMIT and reserves nothing`, async () => {
    const machine = await boot({ arch, memoryMiB: 64 });
    const before = machine.stats();
    const seen: number[] = [];
    const { process } = await runProgram(machine, (k32) => {
      const lowest = k32.VirtualAlloc(0, 0x10000, MEM_RESERVE, PAGE_READWRITE);
      k32.VirtualFree(lowest, 0, MEM_RELEASE);
      const base = k32.VirtualAlloc(0, huge, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      seen.push(base, k32.GetLastError());
      const native = k32.NtAllocateVirtualMemory(-1, 0, 0, huge, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      seen.push(native.status >>> 0);
      const gib = k32.VirtualAlloc(0, 1024 * MiB, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      seen.push(gib, k32.GetLastError());
      // Nothing was reserved either: the lowest free address is where it was.
      seen.push(k32.VirtualQuery(lowest).buffer?.State ?? -1);
      return 0;
    });
    expect(process.exitCode).toBe(0);
    expect(seen).toEqual([0, ERROR_COMMITMENT_LIMIT, STATUS_COMMITMENT_LIMIT, 0, ERROR_COMMITMENT_LIMIT, MEM_FREE]);
    expect(machine.stats().commit).toEqual(before.commit);
  });

  it('the limit is the machine\'s frames (no pagefile), and the charge starts with what the kernel holds', async () => {
    const machine = await boot({ arch, memoryMiB: 64 });
    const s = machine.stats();
    expect(s.commit.limit).toBe(s.frames.total - 1); // every frame but frame 0
    expect(s.commit.charged).toBe(s.frames.total - 1 - s.frames.free); // every frame in use is charged
  });

  it('a program that commits all it can and touches every page: every touch succeeds, and the kernel can still allocate nonpaged pool', async () => {
    let poolBlock = -1;
    const driver = testDriver({
      control: pointerControl({
        0x800: ({ nt }) => {
          poolBlock = nt.ExAllocatePoolWithTag(NonPagedPool, 512 * 1024, 'Kern');
          if (poolBlock) nt.ExFreePool(poolBlock);
        },
      }),
    });
    const machine = await bootWith([driver], { arch, memoryMiB: 32 });
    const before = machine.stats();
    const seen = { committed: 0, refusal: 0, touched: 0, peak: { charged: 0, limit: 0 }, freeAtPeak: 0 };
    const { process, result } = await runProgram(machine, async (k32: K32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      const regions: number[] = [];
      // Bounded, so that without a limit the loop still ends (at 4 times the machine's memory).
      for (const chunk of [MiB, 64 * 1024, PAGE_SIZE]) {
        while (seen.committed < 128 * MiB) {
          const p = k32.VirtualAlloc(0, chunk, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
          if (p === 0) {
            seen.refusal = k32.GetLastError();
            break;
          }
          regions.push(p, chunk);
          seen.committed += chunk;
        }
      }
      for (let i = 0; i < regions.length; i += 2) {
        for (let off = 0; off < regions[i + 1]!; off += PAGE_SIZE) {
          k32.setUint32(regions[i]! + off, 0x600d);
          seen.touched += PAGE_SIZE;
        }
      }
      seen.peak = machine.stats().commit;
      seen.freeAtPeak = machine.stats().frames.free;
      // No buffers: the program has no commit left for its heap, and the kernel needs none of it.
      await k32.DeviceIoControl(h, opCode(0x800), 0, 0, 0, 0);
      k32.CloseHandle(h);
      return 0;
    });
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(0);
    expect(seen.refusal).toBe(ERROR_COMMITMENT_LIMIT);
    expect(seen.committed).toBeLessThan(32 * MiB);
    expect(seen.committed).toBeGreaterThan(16 * MiB);
    expect(seen.touched).toBe(seen.committed);
    expect(seen.peak.charged).toBeLessThanOrEqual(seen.peak.limit);
    // What programs may not take (MmSystemCommitReserve) is still free for the kernel.
    expect(seen.freeAtPeak * PAGE_SIZE).toBeGreaterThanOrEqual(MiB);
    expect(poolBlock).toBeGreaterThan(0);
    expect(machine.stats().commit).toEqual(before.commit);
    expect(machine.stats().frames.free).toBe(before.frames.free);
  });

  it('decommit and release return the charge; committing committed pages again charges nothing', async () => {
    const machine = await boot({ arch, memoryMiB: 64 });
    const charged = (m: Machine) => m.stats().commit.charged;
    const steps: number[] = [];
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 8 * MiB, MEM_RESERVE, PAGE_READWRITE);
      const c0 = charged(machine);
      k32.VirtualAlloc(base, 4 * MiB, MEM_COMMIT, PAGE_READWRITE);
      const c1 = charged(machine);
      k32.VirtualAlloc(base, 8 * MiB, MEM_COMMIT, PAGE_READWRITE); // half of it was committed already
      const c2 = charged(machine);
      k32.VirtualFree(base + 2 * MiB, 2 * MiB, MEM_DECOMMIT);
      const c3 = charged(machine);
      k32.VirtualFree(base + 2 * MiB, 2 * MiB, MEM_DECOMMIT); // nothing left to decommit there
      const c4 = charged(machine);
      k32.VirtualFree(base, 0, MEM_RELEASE);
      const c5 = charged(machine);
      steps.push(c1 - c0, c2 - c1, c3 - c2, c4 - c3, c5 - c4);
      return 0;
    });
    const pages = (bytes: number) => bytes / PAGE_SIZE;
    // The first commit also charges the page tables its pages will need (kept until the process exits).
    expect(steps[0]).toBeGreaterThanOrEqual(pages(4 * MiB));
    expect(steps[0]).toBeLessThanOrEqual(pages(4 * MiB) + 8);
    expect(steps[1]).toBeGreaterThanOrEqual(pages(4 * MiB));
    expect(steps[1]).toBeLessThanOrEqual(pages(4 * MiB) + 8);
    expect(steps.slice(2)).toEqual([-pages(2 * MiB), 0, -pages(6 * MiB)]);
  });
});
