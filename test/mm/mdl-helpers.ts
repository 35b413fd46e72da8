/**
 * Shared by the MDL tests: a test driver whose dispatch routine runs the
 * test's operations, and readers of PTEs and of what the MMU allows.
 */
import { type Machine } from 'ntshm';
import { NtException } from 'ntshm/wdm';
import { GENERIC_READ, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { ACCESS_EXECUTE, ACCESS_READ, ACCESS_WRITE, Mmu } from '../../src/hw/mmu.js';
import { bootWith, pointerControl, runProgram, testDriver, type PointerOp } from '../helpers/test-driver.js';

export const ARCHES = ['x64', 'x86'] as const;
export type Arch = (typeof ARCHES)[number];

/** What a driver routine raised: the NTSTATUS of an NtException, or rethrow. */
export function raised(body: () => unknown): number {
  try {
    body();
  } catch (e) {
    if (e instanceof NtException) return e.status;
    throw e;
  }
  return 0;
}

export const open = (k32: K32, path: string) => k32.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
export const commit = (k32: K32, size: number, protect = PAGE_READWRITE) => k32.VirtualAlloc(0, size, MEM_COMMIT | MEM_RESERVE, protect);

/** A machine with a test driver whose dispatch routine runs `ops`; `main` is the program. */
export async function withOps(arch: Arch, ops: Record<number, PointerOp>, main: (k32: K32, h: number, m: Machine) => Promise<void>) {
  const driver = testDriver({ control: pointerControl(ops) });
  const machine = await bootWith([driver], { arch });
  const { process, result } = await runProgram(machine, async (k32) => {
    const h = open(k32, driver.path);
    await main(k32, h, machine);
    k32.CloseHandle(h);
    return 0;
  });
  return { driver, machine, process, result };
}

/** The PTE of `va` under `root`, both halves (the high half is 0 on x86). */
export function pte(m: Machine, root: number, va: number): { low: number; high: number } {
  const k = m.kernel;
  const pa = k.pageTables.ptePa(root, va, false, undefined);
  if (pa < 0) return { low: 0, high: 0 };
  return { low: k.memory.read32(pa), high: k.arch === 'x64' ? k.memory.read32(pa + 4) : 0 };
}

/** What the processor says about an access: a fresh MMU on `root` (no TLB state shared with the machine). */
export function mmuAllows(m: Machine, root: number, va: number, access: typeof ACCESS_READ | typeof ACCESS_WRITE | typeof ACCESS_EXECUTE, user: boolean): boolean {
  const mmu = new Mmu(m.kernel.memory, m.kernel.format);
  mmu.loadCr3(root);
  return mmu.translate(va, access, user) >= 0;
}
