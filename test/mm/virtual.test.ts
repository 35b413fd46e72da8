/**
 * A program's address space through the Win32 calls: VirtualAlloc,
 * VirtualFree, VirtualQuery, VirtualProtect, demand-zero pages, access
 * violations raised in the program, and KUSER_SHARED_DATA.
 */
import { runProgramChecked } from '../helpers/in-program.js';
import { describe, expect, it } from 'vitest';
import { boot, isoToFileTime, type Machine } from 'ntshm';
import {
  ERROR_INVALID_ADDRESS, ERROR_INVALID_PARAMETER, MEM_COMMIT, MEM_DECOMMIT, MEM_FREE, MEM_PRIVATE, MEM_RELEASE, MEM_RESERVE,
  NtException, PAGE_EXECUTE_READ, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, defineProgram, type K32,
} from 'ntshm/win32';
import { mappingProblems } from './harness.js';

const STATUS_ACCESS_VIOLATION = 0xc0000005;
const KUSER = 0x7ffe_0000;
const START = '2026-03-04T05:06:07Z';

const runProgram = (machine: Machine, main: (k32: K32) => Promise<void> | void) => runProgramChecked(machine, main, 'vm-test.exe');

/** The exception a guest access raises, or undefined if it does not raise. */
function raised(access: () => unknown): NtException | undefined {
  try {
    access();
  } catch (e) {
    if (e instanceof NtException) return e;
    throw e;
  }
  return undefined;
}

describe.each(['x64', 'x86'] as const)('virtual memory on %s', (arch) => {
  const fresh = () => boot({ arch, memoryMiB: 16, startTime: START });

  it('reserves a 64 KiB-aligned range that is MEM_RESERVE, protection 0, and faults on touch', async () => {
    const machine = await fresh();
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 0x3000, MEM_RESERVE, PAGE_READWRITE);
      expect(base).not.toBe(0);
      expect(base % 0x10000).toBe(0);
      expect(base).toBeGreaterThanOrEqual(0x10000);
      expect(base + 0x3000).toBeLessThanOrEqual(machine.kernel.layout.systemRangeStart);
      const { value, buffer } = k32.VirtualQuery(base + 0x123);
      expect(value).toBe(arch === 'x64' ? 48 : 28);
      expect(buffer).toEqual({
        BaseAddress: base, AllocationBase: base, AllocationProtect: PAGE_READWRITE, RegionSize: 0x3000,
        State: MEM_RESERVE, Protect: 0, Type: MEM_PRIVATE, ...(arch === 'x64' ? { PartitionId: 0 } : {}),
      });
      const e = raised(() => k32.getUint8(base + 0x10));
      expect(e?.status).toBe(STATUS_ACCESS_VIOLATION);
      expect(e?.information).toEqual([0, base + 0x10]);
    });
  });

  it('commits pages inside a reservation, and VirtualQuery splits the regions by state', async () => {
    const machine = await fresh();
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 0x4000, MEM_RESERVE, PAGE_READWRITE);
      expect(k32.VirtualAlloc(base + 0x1800, 0x1000, MEM_COMMIT, PAGE_READWRITE)).toBe(base + 0x1000); // rounded to pages: 2
      const q = (va: number) => k32.VirtualQuery(va).buffer!;
      expect(q(base)).toMatchObject({ BaseAddress: base, RegionSize: 0x1000, State: MEM_RESERVE, Protect: 0 });
      expect(q(base + 0x1fff)).toMatchObject({ BaseAddress: base + 0x1000, AllocationBase: base, RegionSize: 0x2000, State: MEM_COMMIT, Protect: PAGE_READWRITE, Type: MEM_PRIVATE });
      expect(q(base + 0x3000)).toMatchObject({ BaseAddress: base + 0x3000, RegionSize: 0x1000, State: MEM_RESERVE });
      k32.setUint32(base + 0x2ffc, 0xdeadbeef);
      expect(k32.getUint32(base + 0x2ffc)).toBe(0xdeadbeef);
      expect(raised(() => k32.setUint8(base + 0x3000, 1))?.information).toEqual([1, base + 0x3000]);
    });
  });

  it('hands out demand-zero pages: committing takes no frame, the first touch of a page takes one zeroed frame', async () => {
    const machine = await fresh();
    const k = machine.kernel;
    await runProgram(machine, (k32) => {
      k32.VirtualAlloc(0, 0x1000, MEM_RESERVE, PAGE_READWRITE); // the first call touches the thread's stack page
      const before = k.pfn.freeCount;
      const base = k32.VirtualAlloc(0, 4 * 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      expect(k.pfn.freeCount).toBe(before);
      expect(k32.getUint32(base + 0x10)).toBe(0);
      const afterFirst = k.pfn.freeCount;
      expect(before - afterFirst).toBeGreaterThanOrEqual(1); // the page, and the tables it needed
      expect(before - afterFirst).toBeLessThanOrEqual(arch === 'x64' ? 4 : 2);
      for (let i = 1; i < 4; i++) expect(k32.getBytes(base + i * 0x1000, 0x1000).every((b) => b === 0)).toBe(true);
      expect(afterFirst - k.pfn.freeCount).toBe(3);
      expect(k32.getBytes(base, 0x1000).every((b) => b === 0)).toBe(true);
    });
  });

  it('keeps a page\'s contents while it stays committed, and zeroes it after decommit and recommit', async () => {
    const machine = await fresh();
    const k = machine.kernel;
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      k32.setBytes(base, new Uint8Array(0x2000).fill(0xab));
      const free = k.pfn.freeCount;
      expect(k32.VirtualFree(base, 0x1000, MEM_DECOMMIT)).toBe(true);
      expect(k.pfn.freeCount).toBe(free + 1);
      expect(k32.VirtualQuery(base).buffer).toMatchObject({ State: MEM_RESERVE, RegionSize: 0x1000 });
      expect(raised(() => k32.getUint8(base))?.status).toBe(STATUS_ACCESS_VIOLATION);
      expect(k32.getUint8(base + 0x1000)).toBe(0xab);
      expect(k32.VirtualAlloc(base, 0x1000, MEM_COMMIT, PAGE_READWRITE)).toBe(base);
      expect(k32.getBytes(base, 0x1000).every((b) => b === 0)).toBe(true);
    });
  });

  it('releases a whole reservation: MEM_FREE afterwards, and the range faults', async () => {
    const machine = await fresh();
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      k32.setUint8(base, 1);
      expect(k32.VirtualFree(base, 0, MEM_RELEASE)).toBe(true);
      const { buffer } = k32.VirtualQuery(base);
      expect(buffer).toMatchObject({ BaseAddress: base, AllocationBase: 0, State: MEM_FREE, Protect: PAGE_NOACCESS, Type: 0 });
      expect(buffer!.RegionSize).toBeGreaterThanOrEqual(0x3000);
      expect(raised(() => k32.getUint8(base))?.status).toBe(STATUS_ACCESS_VIOLATION);
      // The range can be reserved again.
      expect(k32.VirtualAlloc(base, 0x1000, MEM_RESERVE, PAGE_READONLY)).toBe(base);
    });
  });

  it.each([
    ['MEM_RELEASE with a size', (k32: K32, base: number) => k32.VirtualFree(base, 0x1000, MEM_RELEASE), ERROR_INVALID_PARAMETER],
    ['MEM_RELEASE not at the base', (k32: K32, base: number) => k32.VirtualFree(base + 0x1000, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS],
    ['MEM_RELEASE of memory never allocated', (k32: K32, base: number) => k32.VirtualFree(base + 0x100000, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS],
    ['an unknown free type', (k32: K32, base: number) => k32.VirtualFree(base, 0, 0x10), ERROR_INVALID_PARAMETER],
    ['VirtualAlloc of 0 bytes', (k32: K32) => k32.VirtualAlloc(0, 0, MEM_RESERVE, PAGE_READWRITE) !== 0, ERROR_INVALID_PARAMETER],
    ['VirtualAlloc with no MEM_RESERVE or MEM_COMMIT', (k32: K32) => k32.VirtualAlloc(0, 0x1000, 0, PAGE_READWRITE) !== 0, ERROR_INVALID_PARAMETER],
    ['VirtualAlloc with a bad protection', (k32: K32) => k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, 0x3) !== 0, ERROR_INVALID_PARAMETER],
    ['VirtualAlloc in system space', (k32: K32) => k32.VirtualAlloc(arch === 'x64' ? 0xf880_0000_0000 : 0x9000_0000, 0x1000, MEM_RESERVE, PAGE_READWRITE) !== 0, ERROR_INVALID_PARAMETER],
    ['VirtualAlloc over an existing reservation', (k32: K32, base: number) => k32.VirtualAlloc(base + 0x1000, 0x1000, MEM_RESERVE, PAGE_READWRITE) !== 0, ERROR_INVALID_ADDRESS],
    ['MEM_COMMIT of a range never reserved', (k32: K32, base: number) => k32.VirtualAlloc(base + 0x100000, 0x1000, MEM_COMMIT, PAGE_READWRITE) !== 0, ERROR_INVALID_ADDRESS],
    ['MEM_COMMIT running past the reservation', (k32: K32, base: number) => k32.VirtualAlloc(base + 0x1000, 0x3000, MEM_COMMIT, PAGE_READWRITE) !== 0, ERROR_INVALID_ADDRESS],
    ['VirtualProtect of reserved, uncommitted pages', (k32: K32, base: number) => k32.VirtualProtect(base + 0x1000, 0x1000, PAGE_READONLY).ok, ERROR_INVALID_ADDRESS],
  ])('fails %s with the Win32 error Windows gives', async (_name, call, error) => {
    const machine = await fresh();
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 0x2000, MEM_RESERVE, PAGE_READWRITE);
      k32.VirtualAlloc(base, 0x1000, MEM_COMMIT, PAGE_READWRITE);
      k32.SetLastError(0);
      expect(call(k32, base)).toBe(false);
      expect(k32.GetLastError()).toBe(error);
      // The failure changed nothing.
      expect(k32.VirtualQuery(base).buffer).toMatchObject({ State: MEM_COMMIT, RegionSize: 0x1000, Protect: PAGE_READWRITE });
    });
  });

  it('refuses VirtualQuery of a system-space address with ERROR_INVALID_PARAMETER', async () => {
    const machine = await fresh();
    const va = machine.kernel.layout.kernelSharedData;
    await runProgram(machine, (k32) => {
      expect(k32.VirtualQuery(va)).toEqual({ value: 0, buffer: undefined });
      expect(k32.GetLastError()).toBe(ERROR_INVALID_PARAMETER);
    });
  });

  it('makes a page read-only with VirtualProtect: reads keep the data, writes raise, and it can be made writable again', async () => {
    const machine = await fresh();
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      k32.setUint32(base + 8, 0x1234_5678);
      expect(k32.VirtualProtect(base, 0x1000, PAGE_READONLY)).toEqual({ ok: true, oldProtect: PAGE_READWRITE });
      expect(k32.VirtualQuery(base).buffer).toMatchObject({ Protect: PAGE_READONLY, RegionSize: 0x1000, AllocationProtect: PAGE_READWRITE });
      expect(k32.VirtualQuery(base + 0x1000).buffer).toMatchObject({ Protect: PAGE_READWRITE });
      expect(k32.getUint32(base + 8)).toBe(0x1234_5678);
      const e = raised(() => k32.setUint32(base + 8, 0));
      expect(e?.status).toBe(STATUS_ACCESS_VIOLATION);
      expect(e?.information).toEqual([1, base + 8]);
      expect(k32.getUint32(base + 8)).toBe(0x1234_5678);
      k32.setUint32(base + 0x1000, 7); // the other page is still writable
      expect(k32.VirtualProtect(base, 0x1000, PAGE_READWRITE)).toEqual({ ok: true, oldProtect: PAGE_READONLY });
      k32.setUint32(base + 8, 9);
      expect(k32.getUint32(base + 8)).toBe(9);
    });
  });

  it('keeps a PAGE_NOACCESS page\'s contents: every access raises until it is made accessible again', async () => {
    const machine = await fresh();
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      k32.setUint8(base + 3, 0x5c);
      expect(k32.VirtualProtect(base, 0x1000, PAGE_NOACCESS).ok).toBe(true);
      expect(k32.VirtualQuery(base).buffer).toMatchObject({ State: MEM_COMMIT, Protect: PAGE_NOACCESS });
      expect(raised(() => k32.getUint8(base + 3))?.status).toBe(STATUS_ACCESS_VIOLATION);
      expect(raised(() => k32.setUint8(base + 3, 0))?.status).toBe(STATUS_ACCESS_VIOLATION);
      expect(k32.VirtualProtect(base, 0x1000, PAGE_READONLY)).toEqual({ ok: true, oldProtect: PAGE_NOACCESS });
      expect(k32.getUint8(base + 3)).toBe(0x5c);
    });
  });

  it('gives a page committed read-only a zeroed, read-only frame on first touch', async () => {
    const machine = await fresh();
    await runProgram(machine, (k32) => {
      const base = k32.VirtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READONLY);
      expect(raised(() => k32.setUint8(base, 1))?.information).toEqual([1, base]); // a write does not demand-zero it
      expect(k32.getUint8(base)).toBe(0);
      expect(raised(() => k32.setUint8(base, 1))?.status).toBe(STATUS_ACCESS_VIOLATION);
      const exec = k32.VirtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READ);
      expect(k32.getUint8(exec)).toBe(0);
      expect(raised(() => k32.setUint8(exec, 1))?.status).toBe(STATUS_ACCESS_VIOLATION);
    });
  });

  it.each([
    ['NULL', () => 0],
    ['the last page below the first user address', () => 0xf000],
    ['a free user address', () => 0x5000_0000],
    ['a system-space address', (m: Machine) => m.kernel.layout.kernelSharedData],
    ['the nonpaged pool', (m: Machine) => m.kernel.layout.nonPagedPool.base],
  ])('raises a catchable STATUS_ACCESS_VIOLATION in the program for a read of %s', async (_name, where) => {
    const machine = await fresh();
    const va = where(machine);
    await runProgram(machine, (k32) => {
      const e = raised(() => k32.getUint32(va));
      expect(e).toBeInstanceOf(NtException);
      expect(e?.name).toBe('NtException');
      expect(e?.status).toBe(STATUS_ACCESS_VIOLATION);
      expect(e?.information).toEqual([0, va]);
      // The program carries on.
      const base = k32.VirtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      k32.setUint8(base, 1);
      expect(k32.getUint8(base)).toBe(1);
    });
    expect(machine.bugcheck).toBeUndefined();
  });

  it('ends a program that does not catch the access violation with exit code 0xC0000005, and the machine runs on', async () => {
    const machine = await fresh();
    const before = machine.stats();
    const p = machine.spawn(defineProgram((k32) => {
      k32.VirtualAlloc(0, 0x10000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
      return k32.getUint32(0x1234_0000);
    }));
    const result = await machine.run();
    expect(result.bugcheck).toBeUndefined();
    expect(p.exitCode).toBe(STATUS_ACCESS_VIOLATION);
    expect(machine.stats().frames.free).toBe(before.frames.free);
  });

  describe('KUSER_SHARED_DATA at 7ffe0000', () => {
    it('is readable from user mode and holds the version and image numbers', async () => {
      const machine = await fresh();
      await runProgram(machine, (k32) => {
        expect(k32.getUint32(KUSER + 0x26c)).toBe(10); // NtMajorVersion
        expect(k32.getUint16(KUSER + 0x2c)).toBe(arch === 'x64' ? 0x8664 : 0x14c); // ImageNumberLow
        expect(k32.getString(KUSER + 0x30, 'utf-16le')).toBe('C:\\Windows'); // NtSystemRoot
        expect(k32.VirtualQuery(KUSER).buffer).toMatchObject({ BaseAddress: KUSER, RegionSize: 0x1000, State: MEM_COMMIT, Protect: PAGE_READONLY });
      });
    });

    it('is read-only from user mode: a write raises and changes nothing', async () => {
      const machine = await fresh();
      await runProgram(machine, (k32) => {
        const e = raised(() => k32.setUint32(KUSER + 0x26c, 99));
        expect(e?.status).toBe(STATUS_ACCESS_VIOLATION);
        expect(e?.information).toEqual([1, KUSER + 0x26c]);
        expect(k32.getUint32(KUSER + 0x26c)).toBe(10);
        expect(k32.VirtualProtect(KUSER, 0x1000, PAGE_READWRITE).ok).toBe(false); // not the program's to change
        expect(raised(() => k32.setUint8(KUSER, 1))?.status).toBe(STATUS_ACCESS_VIOLATION);
      });
    });

    it('is the same frame in every process as the kernel\'s fffff780`00000000 (x86: ffdf0000)', async () => {
      const machine = await fresh();
      const k = machine.kernel;
      const seen: { root: number; frame: number; value: number }[] = [];
      for (let i = 0; i < 2; i++) {
        machine.spawn(defineProgram(async (k32) => {
          const root = k.currentProcess.DirectoryTableBase;
          seen.push({ root, frame: k.pageTables.frameAt(root, KUSER), value: k32.getUint32(KUSER + 0x26c) });
          await k32.Sleep(100); // both processes are alive at once
          return 0;
        }));
      }
      expect((await machine.run()).bugcheck).toBeUndefined();
      expect(seen).toHaveLength(2);
      expect(seen[0]!.root).not.toBe(seen[1]!.root);
      for (const s of seen) expect(s).toMatchObject({ frame: k.sharedUserData.pfn, value: 10 });
      expect(k.pageTables.frameAt(k.systemRoot, k.layout.kernelSharedData)).toBe(k.sharedUserData.pfn);
    });

    it('keeps SystemTime with the virtual clock, read with the KSYSTEM_TIME protocol', async () => {
      const machine = await fresh();
      const k = machine.kernel;
      const start = isoToFileTime(START);
      const systemTime = (k32: K32): bigint => {
        for (;;) {
          const high1 = k32.getUint32(KUSER + 0x18);
          const low = k32.getUint32(KUSER + 0x14);
          if (high1 === k32.getUint32(KUSER + 0x1c)) return (BigInt(high1) << 32n) | BigInt(low);
        }
      };
      const tick = 156_250n; // 15.625 ms in 100 ns units
      await runProgram(machine, async (k32) => {
        const t0 = systemTime(k32);
        const now = BigInt(Math.floor(k.clock.nowNs / 100));
        expect(t0).toBeGreaterThanOrEqual(start + now - tick);
        expect(t0).toBeLessThanOrEqual(start + now);
        expect(k32.GetSystemTimeAsFileTime().systemTimeAsFileTime).toEqual({ dwLowDateTime: Number(t0 & 0xffff_ffffn), dwHighDateTime: Number(t0 >> 32n) });
        await k32.Sleep(1000);
        const t1 = systemTime(k32);
        expect(t1 - t0).toBeGreaterThanOrEqual(10_000_000n - tick);
        expect(t1 - t0).toBeLessThanOrEqual(10_000_000n + 2n * tick);
        await k32.Sleep(3000);
        expect(systemTime(k32) - t1).toBeGreaterThanOrEqual(30_000_000n - tick);
        const { systemTime: st } = k32.FileTimeToSystemTime(KUSER + 0x14);
        expect(st).toMatchObject({ wYear: 2026, wMonth: 3, wDay: 4, wHour: 5, wMinute: 6 });
        expect(st!.wSecond).toBeGreaterThanOrEqual(11);
      });
    });
  });

  it('gives every frame, page table and handle back when the process exits without freeing anything', async () => {
    const machine = await fresh();
    const k = machine.kernel;
    const before = machine.stats();
    let touched = 0;
    await runProgram(machine, (k32) => {
      for (let r = 0; r < 3; r++) {
        // Spread over separate page tables: 4 MiB apart covers a new x86 PDE and a new x64 PD entry every other time.
        const base = k32.VirtualAlloc(0x1000_0000 + r * 0x40_0000, 0x40000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        expect(base).not.toBe(0);
        for (let va = base; va < base + 0x40000; va += 0x1000) k32.setUint8(va, r);
        touched += 0x40;
      }
      k32.VirtualAlloc(0, 0x100000, MEM_RESERVE, PAGE_READWRITE); // reserved only
      expect(machine.stats().frames.free).toBeLessThan(before.frames.free - touched);
      expect(machine.stats().processes).toBe(before.processes + 1);
    });
    expect(touched).toBe(0xc0);
    expect(machine.stats()).toEqual(before);
    expect(k.pfn.check()).toEqual([]);
    expect(mappingProblems(k)).toEqual([]);
  });
});
