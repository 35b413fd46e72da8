/**
 * Guest code never makes run() reject with an EmulatorError. An emulator
 * error is only ever ntshm's own broken invariant, recognised by class
 * identity: an error a driver or program throws is its own exception,
 * whatever it is named and even if it is an instance of the `EmulatorError`
 * ntshm exports. And page tables a driver corrupts through the self-map end
 * in the bug check Windows raises for them (0x1A MEMORY_MANAGEMENT), whether
 * the memory manager meets the corrupt entry while tearing a process down or
 * the processor meets it in a walk.
 */
import { describe, expect, it } from 'vitest';
import { boot, EmulatorError, type Machine } from 'ntshm';
import { STATUS_ILLEGAL_INSTRUCTION, type Nt } from 'ntshm/wdm';
import { GENERIC_READ, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import {
  MEMORY_MANAGEMENT, SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
} from '../../src/include/bugcodes.js';
import { bootWith, call, pointerControl, runProgram, testDriver, type PointerOp } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
type Arch = (typeof ARCHES)[number];

/** Errors a guest may throw that are named, or even are, ntshm's EmulatorError. */
const impostors: [string, () => Error][] = [
  ['ntshm\'s own exported EmulatorError', () => new EmulatorError('thrown by the guest')],
  ['a class of its own named EmulatorError', () => new (class EmulatorError extends Error { override name = 'EmulatorError'; })('x')],
  ['an Error whose name is set to EmulatorError', () => Object.assign(new Error('x'), { name: 'EmulatorError' })],
];

describe('an error named EmulatorError thrown by a guest is the guest\'s own exception', () => {
  it.each(impostors)('%s, thrown by a dispatch routine: 0x3B in its frame, and run() resolves', async (_what, make) => {
    const driver = testDriver({ control: () => { throw make(); } });
    const machine = await bootWith([driver]);
    const run = runProgram(machine, async (k32) => {
      await call(k32, k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null), 1);
      return 0;
    });
    await expect(run).resolves.toBeDefined();
    const { result } = await run;
    expect(result.bugcheck?.code).toBe(SYSTEM_SERVICE_EXCEPTION);
    expect(result.bugcheck?.params[0]).toBe(STATUS_ILLEGAL_INSTRUCTION);
    expect(result.bugcheck?.stack[0]).toBe('TestDrv!DispatchControl');
  });

  it.each(impostors)('%s, thrown by DriverEntry: 0x7E, and loadDriver returns', async (_what, make) => {
    const machine = await boot();
    const driver = testDriver({ entry: () => { throw make(); } });
    expect(() => machine.loadDriver(driver.name, driver.definition)).not.toThrow();
    expect(machine.bugcheck?.code).toBe(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED);
  });

  it.each(impostors)('%s, thrown by a program: its process ends with the C++ exception code, and run() resolves', async (_what, make) => {
    const machine = await boot();
    const process = machine.spawn(async () => { throw make(); });
    await expect(machine.run()).resolves.toMatchObject({ reason: 'exited' });
    expect(process.exitCode).toBe(0xe06d_7363);
    expect(machine.bugcheck).toBeUndefined();
  });
});

/** The self-map's address of the entry at `level` (0 = root) that maps `va`: what a driver writes to corrupt it. */
function entryAddress(arch: Arch, va: number, level: number): number {
  const pteBase = arch === 'x64' ? 0xf680_0000_0000 : 0xc000_0000;
  const levels = arch === 'x64' ? 4 : 2;
  const size = arch === 'x64' ? 8 : 4;
  let address = va;
  for (let l = levels - 1; l >= level; l--) address = pteBase + Math.floor((address % (arch === 'x64' ? 2 ** 48 : 2 ** 32)) / 4096) * size;
  return address;
}

/** Writes the entry at `address` (an 8-byte entry on x64, 4 bytes on x86), as a driver through the self-map. */
function writeEntry(nt: Nt, arch: Arch, address: number, value: bigint): void {
  if (arch === 'x64') nt.setBigUint64(address, value);
  else nt.setUint32(address, Number(value & 0xffff_ffffn));
}

/**
 * A program commits and touches one page, hands its address to the driver
 * (IOCTL op 1), and returns with the device still open; the driver does
 * `spoil` to the page tables, in the IOCTL or in IRP_MJ_CLEANUP as the
 * process exits.
 */
async function spoiled(arch: Arch, when: 'ioctl' | 'cleanup', spoil: (nt: Nt, page: number) => void, after?: (k32: K32, page: number) => void) {
  let page = 0;
  const remember: PointerOp = ({ nt }, [va]) => {
    page = va!;
    if (when === 'ioctl') spoil(nt, page);
  };
  const driver = testDriver({ control: pointerControl({ 1: remember }), cleanup: ({ nt }) => { if (when === 'cleanup') spoil(nt, page); } });
  const machine = await bootWith([driver], { arch });
  const run = runProgram(machine, async (k32) => {
    const va = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    k32.setUint32(va, 0x1234);
    await call(k32, k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null), 1, va);
    after?.(k32, va);
    return 0;
  });
  // Never an EmulatorError: the run resolves.
  await expect(run).resolves.toBeDefined();
  return { machine, page, result: (await run).result };
}

/** Expects 0x1A/0x41792 for the entry at `level` of `page`'s walk, holding `low` and `high`. */
function expectCorruptPte(machine: Machine, arch: Arch, page: number, level: number, low: number, high: number): void {
  const b = machine.bugcheck;
  expect(b?.code).toBe(MEMORY_MANAGEMENT);
  expect(b?.params).toEqual([0x41792, entryAddress(arch, page, level), low, high]);
}

describe.each(ARCHES)('page tables a driver corrupts through the self-map, on %s', (arch) => {
  const ALL_ONES = 0xffff_ffff_ffff_ffffn;

  it('the root entry set to ~0 in IRP_MJ_CLEANUP: process teardown ends in 0x1A/0x41792 naming that entry', async () => {
    const { machine, page } = await spoiled(arch, 'cleanup', (nt, va) => writeEntry(nt, arch, entryAddress(arch, va, 0), ALL_ONES));
    expectCorruptPte(machine, arch, page, 0, 0xffff_ffff, arch === 'x64' ? 0xffff_ffff : 0);
    expect(machine.report().bugcheck?.paramsHex[1]).toBe(arch === 'x64' ? '0xfffff6fb7dbed000' : '0xc0300000');
  });

  it('the root entry set to ~0 in an IOCTL the program then exits after: the same 0x1A/0x41792 at exit', async () => {
    const { machine, page } = await spoiled(arch, 'ioctl', (nt, va) => writeEntry(nt, arch, entryAddress(arch, va, 0), ALL_ONES));
    // The translations the program used stay cached: nothing walks the spoilt entry until teardown does.
    expectCorruptPte(machine, arch, page, 0, 0xffff_ffff, arch === 'x64' ? 0xffff_ffff : 0);
  });

  it('the page\'s PTE pointed at another frame: teardown finds the PFN out of step, 0x1A/0x41792', async () => {
    let other = 0n;
    const { machine, page } = await spoiled(arch, 'cleanup', (nt, va) => {
      // The PTE of the device's own pool block, copied over the program's page: a frame in use for something else.
      const pool = nt.ExAllocatePoolWithTag(0, 16, 'Junk');
      const poolPte = entryAddress(arch, pool, arch === 'x64' ? 3 : 1);
      other = arch === 'x64' ? nt.getBigUint64(poolPte) : BigInt(nt.getUint32(poolPte));
      writeEntry(nt, arch, entryAddress(arch, va, arch === 'x64' ? 3 : 1), other);
    });
    const low = Number(other & 0xffff_ffffn);
    expectCorruptPte(machine, arch, page, arch === 'x64' ? 3 : 1, low, Number(other >> 32n));
  });

  it('the page\'s PTE zeroed: the page its VAD holds is mapped nowhere, 0x1A/0x41792', async () => {
    const { machine, page } = await spoiled(arch, 'cleanup', (nt, va) => writeEntry(nt, arch, entryAddress(arch, va, arch === 'x64' ? 3 : 1), 0n));
    expectCorruptPte(machine, arch, page, arch === 'x64' ? 3 : 1, 0, 0);
  });

  it('a walk by the processor through an entry naming memory not installed is 0x1A/0x61941: P2 the address, P3 the error code', async () => {
    let fresh = 0;
    const { machine } = await spoiled(arch, 'ioctl', (nt, va) => {
      writeEntry(nt, arch, entryAddress(arch, va, arch === 'x64' ? 2 : 0), ALL_ONES);
    }, (k32, va) => {
      // Another page under the same (now corrupt) table, never touched: the processor must walk to it.
      fresh = va + 0x1000;
      k32.VirtualAlloc(fresh, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setUint32(fresh, 1);
    });
    // P3: P|W|U|RSVD, a user-mode write to a present entry with reserved bits.
    expect(machine.bugcheck?.code).toBe(MEMORY_MANAGEMENT);
    expect(machine.bugcheck?.params).toEqual([0x61941, fresh, 0x0f, 0]);
  });
});
