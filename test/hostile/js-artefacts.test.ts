/**
 * Hostile guests, issue 7 item 8: bug checks once chosen by JavaScript
 * artefacts rather than by what Windows does. Unbounded recursion is a
 * kernel stack overflow (0x7F, double fault) in a driver and
 * STATUS_STACK_OVERFLOW in a program, not a RangeError taken as an illegal
 * instruction; a huge length to RtlZeroMemory / RtlFillMemory /
 * RtlCopyMemory faults where the mapped bytes run out, as the string
 * instructions would, instead of failing to allocate a host buffer of its
 * size; a pointer no register can hold is the driver's access violation,
 * and the kernel's own formatting never throws; a second IoFreeMdl frees
 * pool already freed (0xC2, P1 = 7).
 */
import { describe, expect, it } from 'vitest';
import { boot, formatAddress, type Machine } from 'ntshm';
import { defineDriver, STATUS_SUCCESS, type Nt } from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING, defineProgram, type K32 } from 'ntshm/win32';
import { formatDbgPrint } from '../../src/kernel/io/dbgprint.js';
import { bootWith, call, runProgram, testDriver } from '../helpers/test-driver.js';

const STATUS_ACCESS_VIOLATION = 0xc0000005;
const STATUS_STACK_OVERFLOW = 0xc00000fd;
const UNEXPECTED_KERNEL_MODE_TRAP = 0x7f;
const PAGE_FAULT_IN_NONPAGED_AREA = 0x50;
const BAD_POOL_CALLER = 0xc2;
const NonPagedPool = 0;

/** Boots with a test driver whose IRP_MJ_DEVICE_CONTROL runs `action`, sends it one IOCTL, and returns the run. */
async function inDispatchRoutine(action: (nt: Nt, machine: Machine) => void, arch: 'x64' | 'x86' = 'x64') {
  let machine: Machine | undefined;
  const driver = testDriver({ control: ({ nt }) => action(nt, machine!) });
  machine = await bootWith([driver], { arch });
  const { process, result } = await runProgram(machine, async (k32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    await call(k32, h, 1);
    return 0;
  });
  return { machine, process, result };
}

/** The first address at or after `va`'s page that maps nothing in system space (where a byte-by-byte store or load must stop). */
function firstUnmappedPage(machine: Machine, va: number): number {
  const k = machine.kernel;
  let page = va - (va % 4096);
  while (k.pageTables.frameAt(k.systemRoot, page) >= 0) page += 4096;
  return page;
}

/** A byte of system memory, read physically (the machine may have stopped). */
function physicalByte(machine: Machine, va: number): number {
  const k = machine.kernel;
  return k.memory.u8[k.pageTables.frameAt(k.systemRoot, va) * 4096 + (va % 4096)]!;
}

describe('unbounded recursion', () => {
  const recurse = (nt?: Nt): number => {
    const deeper = (n: number): number => (nt ? nt.KeGetCurrentIrql() : 0) + deeper(n + 1) + 1;
    return deeper(0);
  };

  it.each([
    ['pure recursion', false],
    ['recursion that calls the kernel at every level', true],
  ])('%s in a dispatch routine overflows the kernel stack: 0x7F with P1 = 8 (double fault), not 0x3B', async (_what, calls) => {
    const { result } = await inDispatchRoutine((nt) => recurse(calls ? nt : undefined));
    expect(result.bugcheck?.code).toBe(UNEXPECTED_KERNEL_MODE_TRAP);
    expect(result.bugcheck?.params).toEqual([8, 0, 0, 0]);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!DispatchControl']);
    expect(result.bugcheck?.explanation).toMatch(/^TestDrv!DispatchControl overflowed the kernel stack/);
  });

  it('in an I/O timer routine (a DPC): 0x7F, not 0x1E', async () => {
    const driver = testDriver({ timer: () => recurse(), entry: (nt, _d, device) => { nt.IoStartTimer(device); } });
    const machine = await bootWith([driver]);
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck?.code).toBe(UNEXPECTED_KERNEL_MODE_TRAP);
    expect(result.bugcheck?.params).toEqual([8, 0, 0, 0]);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!TimerRoutine']);
  });

  it('in DriverEntry (a System thread): 0x7F, not 0x7E', async () => {
    const machine = await boot();
    const status = machine.loadDriver('Deep', defineDriver({
      name: 'Deep',
      DriverEntry() {
        recurse();
        return STATUS_SUCCESS;
      },
    }));
    expect(status).toBe(0xc0000001);
    expect(machine.bugcheck?.code).toBe(UNEXPECTED_KERNEL_MODE_TRAP);
    expect(machine.bugcheck?.params).toEqual([8, 0, 0, 0]);
    expect(machine.bugcheck?.stack).toEqual(['Deep!DriverEntry']);
  });

  it.each([
    ['pure recursion', (_k32: K32) => 0],
    ['recursion that makes a system call at every level', (k32: K32) => k32.GetTickCount()],
  ])('%s in a program ends its process with STATUS_STACK_OVERFLOW; the machine goes on', async (_what, work) => {
    const machine = await boot();
    const deep = machine.spawn(defineProgram((k32: K32) => {
      const deeper = (n: number): number => work(k32) + deeper(n + 1) + 1;
      return deeper(0);
    }), { name: 'deep.exe' });
    const after = machine.spawn(defineProgram(async (k32: K32) => {
      await k32.Sleep(50);
      k32.print('still here');
      return 0;
    }), { name: 'after.exe' });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(deep.exitCode).toBe(STATUS_STACK_OVERFLOW);
    expect(deep.stdout).toMatch(/exit code STATUS_STACK_OVERFLOW \(0xC00000FD\)\]/);
    expect(after.stdout).toBe('still here\n');
  });
});

describe('Rtl*Memory with a length past the mapped memory faults where the bytes run out', () => {
  const cases: [string, 'x64' | 'x86', (nt: Nt, p: number) => void, number][] = [
    ['RtlZeroMemory(p, -1) on x64 (2^64 - 1 bytes)', 'x64', (nt, p) => nt.RtlZeroMemory(p, -1), 2],
    ['RtlZeroMemory(p, -1) on x86 (2^32 - 1 bytes)', 'x86', (nt, p) => nt.RtlZeroMemory(p, -1), 2],
    ['RtlZeroMemory(p, 2**40)', 'x64', (nt, p) => nt.RtlZeroMemory(p, 2 ** 40), 2],
    ['RtlFillMemory(p, -1, 0xAA)', 'x64', (nt, p) => nt.RtlFillMemory(p, -1, 0xaa), 2],
    ['RtlCopyMemory(p, p, 2**33) (the load faults first)', 'x64', (nt, p) => nt.RtlCopyMemory(p, p, 2 ** 33), 0],
    ['RtlCopyMemory(p, p, -1) on x86', 'x86', (nt, p) => nt.RtlCopyMemory(p, p, -1), 0],
  ];
  it.each(cases)('%s: 0x50 at the first unmapped page', async (_what, arch, op, access) => {
    let p = 0;
    let expected = 0;
    const { result, machine } = await inDispatchRoutine((nt, m) => {
      p = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Huge');
      nt.setUint32(p, 0x1234_5678);
      expected = firstUnmappedPage(m, p);
      op(nt, p);
    }, arch);
    expect(result.bugcheck?.code).toBe(PAGE_FAULT_IN_NONPAGED_AREA);
    expect(result.bugcheck?.params[0]).toBe(expected);
    expect(result.bugcheck?.params[1]).toBe(access);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!DispatchControl']);
    // The bytes before the fault were stored, as by the CPU's own string store.
    if (_what.startsWith('RtlZero')) expect(physicalByte(machine, p)).toBe(0);
    if (_what.startsWith('RtlFill')) expect(physicalByte(machine, p)).toBe(0xaa);
  });

  it('an overlapping RtlCopyMemory across pages still copies as RtlMoveMemory does, both ways', async () => {
    let up: number[] = [];
    let down: number[] = [];
    const { result } = await inDispatchRoutine((nt) => {
      const p = nt.ExAllocatePoolWithTag(NonPagedPool, 3 * 4096, 'Move');
      const fillPattern = () => { for (let i = 0; i < 3 * 4096; i += 4) nt.setUint32(p + i, i); };
      fillPattern();
      nt.RtlCopyMemory(p + 4, p, 8192);
      up = [nt.getUint32(p), nt.getUint32(p + 4), nt.getUint32(p + 4096), nt.getUint32(p + 8192), nt.getUint32(p + 8196)];
      fillPattern();
      nt.RtlCopyMemory(p, p + 4, 8192);
      down = [nt.getUint32(p), nt.getUint32(p + 4092), nt.getUint32(p + 4096), nt.getUint32(p + 8188), nt.getUint32(p + 8192)];
    });
    expect(result.bugcheck).toBeUndefined();
    expect(up).toEqual([0, 0, 4092, 8188, 8196]);
    expect(down).toEqual([4, 4096, 4100, 8192, 8192]);
  });

  it('short copies within a page move bytes as memmove does, at every alignment and overlap, also through a second mapping of the page', async () => {
    // A short copy of aligned words moves words itself (mm/access.ts); each case is checked against a copy of the bytes.
    const mismatches: string[] = [];
    const { result } = await inDispatchRoutine((nt) => {
      const p = nt.ExAllocatePoolWithTag(NonPagedPool, 4096, 'Copy');
      const mdl = nt.IoAllocateMdl(p, 4096, false, false, null);
      nt.MmBuildMdlForNonPagedPool(mdl);
      const alias = nt.MmMapLockedPages(mdl, 0); // KernelMode: the same bytes at a second address
      const base = p - (p % 4096);
      const fill = () => { for (let i = 0; i < 4096; i += 4) nt.setUint32(base + i, (i * 2654435761) >>> 0); };
      const bytes = () => Array.from({ length: 4096 }, (_, i) => nt.getUint8(base + i));
      for (const [to, from, length, viaAlias] of [
        [64, 512, 64, false], [512, 64, 64, false], [68, 64, 64, false], [64, 68, 64, false], [65, 64, 64, false], [64, 64, 64, false],
        [0, 1024, 256, false], [0, 1024, 260, false], [1024, 0, 3, false], [2048, 0, 255, false],
        [64, 68, 64, true], [68, 64, 64, true], [128, 128, 32, true],
      ] as const) {
        fill();
        const expected = bytes();
        expected.splice(to, length, ...expected.slice(from, from + length));
        const fromVa = (viaAlias ? alias - (alias % 4096) : base) + from;
        nt.RtlCopyMemory(base + to, fromVa, length);
        if (bytes().some((b, i) => b !== expected[i])) mismatches.push(`${to} <- ${from} (${length} bytes${viaAlias ? ', through the alias' : ''})`);
      }
      nt.MmUnmapLockedPages(alias, mdl);
      nt.IoFreeMdl(mdl);
      nt.ExFreePool(p);
    });
    expect(result.bugcheck).toBeUndefined();
    expect(mismatches).toEqual([]);
  });

  it('a length that fits still zeroes exactly its bytes', async () => {
    let seen: number[] = [];
    const { result } = await inDispatchRoutine((nt) => {
      const p = nt.ExAllocatePoolWithTag(NonPagedPool, 8192, 'Fits');
      nt.RtlFillMemory(p, 8192, 0x5a);
      nt.RtlZeroMemory(p + 1, 8190);
      nt.RtlCopyMemory(p + 4096, p, 2);
      seen = [nt.getUint8(p), nt.getUint8(p + 1), nt.getUint8(p + 4095), nt.getUint8(p + 4096), nt.getUint8(p + 4097), nt.getUint8(p + 8191)];
    });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual([0x5a, 0, 0, 0x5a, 0, 0x5a]);
  });
});

describe('pointers no register can hold, and the kernel\'s formatting', () => {
  it.each([['NaN', NaN], ['1.5', 1.5], ['Infinity', Infinity], ['undefined', undefined], ['a string', '0x1000'], ['-2**60 (not canonical)', -(2 ** 60)]])(
    'ExFreePool(%s) is the driver\'s access violation in its frame (0x3B with 0xC0000005), not the formatter\'s RangeError',
    async (_what, value) => {
      const { result } = await inDispatchRoutine((nt) => nt.ExFreePool(value as number));
      expect(result.bugcheck?.code).toBe(0x3b);
      expect(result.bugcheck?.params[0]).toBe(STATUS_ACCESS_VIOLATION);
      expect(result.bugcheck?.stack).toEqual(['TestDrv!DispatchControl']);
    });

  it('a driver catches that access violation like any other, with the unknown address -1', async () => {
    let caught: { status?: number; information?: readonly number[] } = {};
    const { result } = await inDispatchRoutine((nt) => {
      try {
        nt.ExFreePool(NaN);
      } catch (e) {
        caught = e as typeof caught;
      }
    });
    expect(result.bugcheck).toBeUndefined();
    expect(caught.status).toBe(STATUS_ACCESS_VIOLATION);
    expect(caught.information).toEqual([0, 2 ** 48 - 1]);
  });

  it('ExFreePool(-1) is the sign-extended address ffffffff`ffffffff: 0xC2 P1 = 0x42 for an address never in any pool', async () => {
    const { result } = await inDispatchRoutine((nt) => nt.ExFreePool(-1));
    expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
    expect(result.bugcheck?.params.slice(0, 2)).toEqual([0x42, 2 ** 48 - 1]);
    expect(result.bugcheck?.explanation).toMatch(/ffffffff`ffffffff/);
  });

  it('MmUnmapLockedPages(NaN, mdl) is the driver\'s access violation, not the formatter\'s RangeError', async () => {
    const { result } = await inDispatchRoutine((nt) => {
      const p = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Unmp');
      const mdl = nt.IoAllocateMdl(p, 64, false, false, null);
      nt.MmBuildMdlForNonPagedPool(mdl);
      nt.MmUnmapLockedPages(NaN, mdl);
    });
    expect(result.bugcheck?.code).toBe(0x3b);
    expect(result.bugcheck?.params[0]).toBe(STATUS_ACCESS_VIOLATION);
  });

  it('DbgPrint prints what a register would hold for any argument, and never throws', async () => {
    const hostile = { toString(): string { throw new Error('no'); } };
    const { result, machine } = await inDispatchRoutine((nt) => {
      nt.DbgPrint('%p|%X|%d|%I64x|%s|%*d|end', NaN, NaN, Infinity, -1.5, hostile, Symbol('w'), 1.9);
    });
    expect(result.bugcheck).toBeUndefined();
    expect(machine.dbgPrint).toContain('0000000000000000|0|0|ffffffffffffffff|(unprintable)|1|end');
  });

  it.each([
    ['x64', NaN, '00000000`00000000'], ['x64', Infinity, '00000000`00000000'], ['x64', 1.5, '00000000`00000001'],
    ['x64', -1, 'ffffffff`ffffffff'], ['x64', 2 ** 47, 'ffff8000`00000000'], ['x64', 2 ** 64, '00000000`00000000'],
    ['x86', NaN, '00000000'], ['x86', -1, 'ffffffff'], ['x86', 2 ** 32 + 5, '00000005'],
  ] as const)('formatAddress(%s, %s) is %s', (arch, value, text) => {
    expect(formatAddress(arch, value)).toBe(text);
  });

  it('formatDbgPrint is total on a hostile format and hostile arguments', () => {
    const format = { toString(): string { throw new Error('no'); } } as unknown as string;
    expect(formatDbgPrint(format, [], 8)).toBe('(unprintable)');
    expect(formatDbgPrint('%c%c', [NaN, 0x41], 8)).toBe('\u0000A');
  });
});

describe('a second IoFreeMdl', () => {
  it('frees pool already freed: 0xC2 with P1 = 7 and P4 the MDL, not a page fault', async () => {
    let mdlAddress = 0;
    const { result } = await inDispatchRoutine((nt) => {
      const p = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Twic');
      const mdl = nt.IoAllocateMdl(p, 64, false, false, null)!;
      mdlAddress = mdl.address;
      nt.IoFreeMdl(mdl);
      nt.IoFreeMdl(mdl);
    });
    expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
    expect(result.bugcheck?.params[0]).toBe(7);
    expect(result.bugcheck?.params[1]).toBe(0);
    expect(result.bugcheck?.params[3]).toBe(mdlAddress);
    expect(result.bugcheck?.explanation).toMatch(/^IoFreeMdl was given the MDL at .*, which was already freed/);
  });

  it('by its address after ExFreePool freed it: the same 0xC2, P1 = 7', async () => {
    let mdlAddress = 0;
    const { result } = await inDispatchRoutine((nt) => {
      const p = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Twic');
      const mdl = nt.IoAllocateMdl(p, 64, false, false, null)!;
      mdlAddress = mdl.address;
      nt.ExFreePool(mdl);
      nt.IoFreeMdl(mdlAddress);
    });
    expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
    expect(result.bugcheck?.params[0]).toBe(7);
    expect(result.bugcheck?.params[3]).toBe(mdlAddress);
  });

  it('a single IoFreeMdl still frees the MDL and nothing stops', async () => {
    const { result, machine } = await inDispatchRoutine((nt) => {
      const p = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Once');
      const mdl = nt.IoAllocateMdl(p, 64, false, false, null);
      nt.IoFreeMdl(mdl);
      nt.ExFreePool(p);
    });
    expect(result.bugcheck).toBeUndefined();
    expect(machine.kernel.mdl.live.size).toBe(0);
  });
});
