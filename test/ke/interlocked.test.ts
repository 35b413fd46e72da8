/**
 * The Interlocked routines on guest memory, in `nt` and `k32`: their
 * results, the fault of a read-only page, page-crossing and misaligned
 * operands, and atomicity against a timer DPC: a counter both increment (the
 * driver's buffer mapped into the program), and a LONG64 the DPC flips and
 * the program reads in one 8-byte access (never torn).
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  MEM_COMMIT, MEM_RESERVE, MmCached, NonPagedPool, NormalPagePriority, NtException, PAGE_READONLY, PAGE_READWRITE,
  STATUS_ACCESS_VIOLATION, STATUS_SUCCESS, UserMode, defineDriver, type Nt,
} from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, type K32 } from 'ntshm/win32';
import { runProgramChecked } from '../helpers/in-program.js';
import { bootWith, call, pointerControl, testDriver } from '../helpers/test-driver.js';

const arches = ['x64', 'x86'] as const;

type Ops = Pick<Nt, 'setUint32' | 'getUint32' | 'setBigUint64' | 'getBigUint64' | 'getPointer' | 'setPointer' | 'InterlockedIncrement'
  | 'InterlockedDecrement' | 'InterlockedExchange' | 'InterlockedExchangeAdd' | 'InterlockedCompareExchange' | 'InterlockedAnd'
  | 'InterlockedOr' | 'InterlockedXor' | 'InterlockedCompareExchange64' | 'InterlockedExchange64' | 'InterlockedAdd64'
  | 'InterlockedExchangeAdd64' | 'InterlockedExchangePointer' | 'InterlockedCompareExchangePointer'>;

/** [name, initial LONG, the call, its return, the LONG afterwards]. */
const longCases: [string, number, (o: Ops, p: number) => number, number, number][] = [
  ['Increment returns the new value', 41, (o, p) => o.InterlockedIncrement(p), 42, 42],
  ['Increment wraps past MAXLONG', 0x7fff_ffff, (o, p) => o.InterlockedIncrement(p), -0x8000_0000, 0x8000_0000],
  ['Decrement returns the new value', 0, (o, p) => o.InterlockedDecrement(p), -1, 0xffff_ffff],
  ['Exchange returns the initial value', 7, (o, p) => o.InterlockedExchange(p, 9), 7, 9],
  ['ExchangeAdd returns the initial value', 7, (o, p) => o.InterlockedExchangeAdd(p, -10), 7, 0xffff_fffd],
  ['CompareExchange stores when equal', 5, (o, p) => o.InterlockedCompareExchange(p, 6, 5), 5, 6],
  ['CompareExchange leaves it when not', 5, (o, p) => o.InterlockedCompareExchange(p, 6, 4), 5, 5],
  ['CompareExchange compares all 32 bits (-1 against 0xFFFFFFFF)', 0xffff_ffff, (o, p) => o.InterlockedCompareExchange(p, 1, -1), -1, 1],
  ['And returns the original value', 0b1100, (o, p) => o.InterlockedAnd(p, 0b1010), 0b1100, 0b1000],
  ['Or returns the original value', 0b1100, (o, p) => o.InterlockedOr(p, 0b1010), 0b1100, 0b1110],
  ['Xor returns the original value', 0b1100, (o, p) => o.InterlockedXor(p, 0b1010), 0b1100, 0b0110],
];

/** [name, initial LONG64, the call, its return, the LONG64 afterwards (unsigned)]. */
const quadCases: [string, bigint, (o: Ops, p: number) => bigint, bigint, bigint][] = [
  ['CompareExchange64 stores when equal', 0x1_0000_0000n, (o, p) => o.InterlockedCompareExchange64(p, 0x2_0000_0001n, 0x1_0000_0000n), 0x1_0000_0000n, 0x2_0000_0001n],
  ['CompareExchange64 compares the high half too', 0x1_0000_0000n, (o, p) => o.InterlockedCompareExchange64(p, 5n, 0n), 0x1_0000_0000n, 0x1_0000_0000n],
  ['Exchange64 returns the initial value', -2n & 0xffff_ffff_ffff_ffffn, (o, p) => o.InterlockedExchange64(p, 3n), -2n, 3n],
  ['Add64 returns the sum, carrying into the high half', 0xffff_ffffn, (o, p) => o.InterlockedAdd64(p, 1n), 0x1_0000_0000n, 0x1_0000_0000n],
  ['ExchangeAdd64 returns the initial value', 10n, (o, p) => o.InterlockedExchangeAdd64(p, -11n), 10n, 0xffff_ffff_ffff_ffffn],
];

function checkAll(o: Ops, p: number, seen: unknown[]): void {
  for (const [, initial, call] of longCases) {
    o.setUint32(p, initial);
    seen.push([call(o, p), o.getUint32(p)]);
  }
  for (const [, initial, call] of quadCases) {
    o.setBigUint64(p + 8, initial);
    seen.push([call(o, p + 8), o.getBigUint64(p + 8)]);
  }
}
const expected = (): unknown[] => [...longCases.map((c) => [c[3], c[4]]), ...quadCases.map((c) => [c[3], c[4]])];

describe.each(arches)('Interlocked routines on %s', (arch) => {
  it('give the documented results in a driver (kernel mode, nonpaged pool)', async () => {
    const seen: unknown[] = [];
    const machine = await boot({ arch });
    machine.loadDriver('Lk', defineDriver({
      name: 'Lk',
      DriverEntry(nt) {
        const p = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Lock');
        checkAll(nt, p, seen);
        nt.ExFreePoolWithTag(p, 'Lock');
        return STATUS_SUCCESS;
      },
    }));
    expect(machine.bugcheck).toBeUndefined();
    expect(seen).toEqual(expected());
  });

  it('give the same results in a program (user mode, its own pages)', async () => {
    const seen: unknown[] = [];
    await runProgramChecked(await boot({ arch }), (k32) => {
      const p = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      checkAll(k32, p, seen);
    });
    expect(seen).toEqual(expected());
  });

  it('exchange pointers at the pointer width, returning the initial one', async () => {
    let seen: unknown[] = [];
    await runProgramChecked(await boot({ arch }), (k32) => {
      const p = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setUint32(p + k32.sizeofPointer, 0xaaaa_aaaa);
      const a = k32.InterlockedExchangePointer(p, p + 0x10);
      const b = k32.InterlockedCompareExchangePointer(p, 0x1234, p + 0x10);
      const c = k32.InterlockedCompareExchangePointer(p, 0x5678, p + 0x10);
      seen = [a, b, c, k32.getPointer(p), k32.getUint32(p + k32.sizeofPointer)];
    });
    expect(seen.slice(0, 4)).toEqual([0, expect.any(Number), 0x1234, 0x1234]);
    // The word after the pointer is untouched: the exchange was pointer-wide, no wider.
    expect(seen[4]).toBe(0xaaaa_aaaa);
  });

  it('fault on a read-only page as the locked store would, leaving the value alone', async () => {
    let status = 0;
    let after = -1;
    await runProgramChecked(await boot({ arch }), (k32) => {
      const p = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setUint32(p, 5);
      k32.VirtualProtect(p, 4096, PAGE_READONLY);
      try {
        k32.InterlockedIncrement(p);
      } catch (e) {
        if (e instanceof NtException) status = e.status;
      }
      after = k32.getUint32(p);
    });
    expect(status).toBe(STATUS_ACCESS_VIOLATION);
    expect(after).toBe(5);
  });

  it('do a 64-bit operand that crosses a page as one access, and a misaligned LONG too', async () => {
    let seen: unknown[] = [];
    await runProgramChecked(await boot({ arch }), (k32) => {
      const p = k32.VirtualAlloc(0, 8192, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const split = p + 4096 - 4;
      k32.setBigUint64(split, 0xffff_ffffn);
      const r = k32.InterlockedAdd64(split, 1n);
      const odd = p + 1;
      k32.setUint32(odd, 0x00ff_ffff);
      const i = k32.InterlockedIncrement(odd);
      seen = [r, k32.getUint32(split), k32.getUint32(p + 4096), i, k32.getUint32(odd), k32.getUint8(p)];
    });
    expect(seen).toEqual([0x1_0000_0000n, 0, 1, 0x0100_0000, 0x0100_0000, 0]);
  });
});

/**
 * A program and a timer DPC both add to one LONG: the driver's nonpaged
 * buffer is mapped into the program (MmMapLockedPagesSpecifyCache,
 * UserMode, in the program's IOCTL) and the DPC increments it through the
 * system address every 2 ms. With InterlockedIncrement no update is lost;
 * with a read, a pause and a write, the DPC's increments that fall in the
 * pause are (which shows the test can see a lost update).
 */
describe.each(arches)('A counter shared by a program and a DPC on %s', (arch) => {
  const ROUNDS = 100;
  async function race(increment: (k32: K32, p: number) => void, tick: (nt: Nt, p: number) => void = (nt, p) => { nt.InterlockedIncrement(p); }) {
    let dpcs = 0;
    const state: { p: number; timer?: unknown } = { p: 0 };
    const driver = testDriver({
      name: 'Race',
      entry(nt) {
        state.p = nt.ExAllocatePoolWithTag(NonPagedPool, 4096, 'Race');
        nt.RtlZeroMemory(state.p, 4096);
        return STATUS_SUCCESS;
      },
      control: pointerControl({
        1: ({ nt }) => {
          const mdl = nt.IoAllocateMdl(state.p, 4096, false, false, null)!;
          nt.MmBuildMdlForNonPagedPool(mdl);
          const user = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
          const { timer } = nt.KeInitializeTimer();
          const { dpc } = nt.KeInitializeDpc(function Tick() { tick(nt, state.p); dpcs++; }, null);
          nt.KeSetTimerEx(timer, -20_000n, 2, dpc);
          state.timer = timer;
          return [user];
        },
        2: ({ nt }) => { nt.KeCancelTimer(state.timer as Parameters<Nt['KeCancelTimer']>[0]); },
      }),
    });
    const machine = await bootWith([driver], { arch, seed: 3 });
    let final = -1;
    await runProgramChecked(machine, async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const [counter] = await call(k32, h, 1);
      for (let i = 0; i < ROUNDS; i++) increment(k32, counter!);
      await call(k32, h, 2);
      final = k32.getUint32(counter!);
    });
    return { final, dpcs };
  }

  const A = 0x1111_1111_2222_2222n;
  const B = 0x3333_3333_4444_4444n;
  /** The DPC flips the quadword at +8 between A and B with one InterlockedExchange64. */
  const flip = (nt: Nt, p: number): void => { nt.InterlockedExchange64(p + 8, nt.getBigUint64(p + 8) === A ? B : A); };

  it('never sees a torn LONG64 read with InterlockedCompareExchange64(p, 0, 0), one 8-byte access', async () => {
    const seen = new Set<bigint>();
    await race((k32, p) => {
      seen.add(BigInt.asUintN(64, k32.InterlockedCompareExchange64(p + 8, 0n, 0n)));
      for (let j = 0; j < 50_000; j++) k32.YieldProcessor();
    }, flip);
    expect([...seen].every((v) => v === 0n || v === A || v === B)).toBe(true);
    expect(seen.has(A) && seen.has(B)).toBe(true);
  });

  it('does see torn values when the halves are read apart (the check can fail)', async () => {
    const seen = new Set<bigint>();
    await race((k32, p) => {
      const lo = k32.getUint32(p + 8);
      for (let j = 0; j < 50_000; j++) k32.YieldProcessor();
      const hi = k32.getUint32(p + 12);
      seen.add((BigInt(hi) << 32n) | BigInt(lo));
    }, flip);
    expect([...seen].some((v) => v !== 0n && v !== A && v !== B)).toBe(true);
  });

  it('loses no update with InterlockedIncrement', async () => {
    const { final, dpcs } = await race((k32, p) => {
      k32.InterlockedIncrement(p);
      for (let j = 0; j < 50_000; j++) k32.YieldProcessor();
    });
    expect(dpcs).toBeGreaterThan(10);
    expect(final).toBe(ROUNDS + dpcs);
  });

  it('loses the DPC\'s updates with a read, a pause and a write', async () => {
    const { final, dpcs } = await race((k32, p) => {
      const v = k32.getUint32(p);
      for (let j = 0; j < 50_000; j++) k32.YieldProcessor();
      k32.setUint32(p, v + 1);
    });
    expect(dpcs).toBeGreaterThan(10);
    expect(final).toBeLessThan(ROUNDS + dpcs);
  });
});
