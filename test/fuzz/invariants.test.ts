/**
 * The fuzzer's invariant checkers (fuzz/invariants.ts) find nothing on a
 * consistent machine and find each kind of corruption made by hand: they
 * are what makes a clean campaign mean something.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { handleProblems, lockedPageProblems, machineProblems, pfnProblems, poolProblems, vadProblems } from '../../fuzz/invariants.js';
import { newVad } from '../../src/kernel/mm/vad.js';
import { PfnUse } from '../../src/kernel/mm/pfn.js';

async function machineWithAProgram(): Promise<Machine> {
  const machine = await boot({ memoryMiB: 8 });
  machine.spawn(async (k32) => {
    const va = k32.VirtualAlloc(0, 3 * 4096, 0x3000, 4);
    k32.setUint32(va, 1);
    await k32.Sleep(1000);
    return 0;
  });
  await machine.run({ seconds: 0.1 });
  return machine;
}

const program = (m: Machine) => m.kernel.ps.processes.find((p) => p.ImageFileName === 'program.exe')!;

describe('the invariant checkers', () => {
  it('find nothing on a consistent machine', async () => {
    const m = await machineWithAProgram();
    expect(machineProblems(m)).toEqual([]);
  });

  it('find a share count the reverse map does not explain', async () => {
    const m = await machineWithAProgram();
    const [frame] = program(m).VadRoot.vads.find((v) => v.kind === 'private')!.frames.values();
    m.kernel.pfn.shareCount[frame!]!++;
    expect(pfnProblems(m.kernel).join()).toMatch(/share count 2, 1 mapping/);
  });

  it('find a lock count no MDL holds', async () => {
    const m = await machineWithAProgram();
    const [frame] = program(m).VadRoot.vads.find((v) => v.kind === 'private')!.frames.values();
    m.kernel.pfn.lockCount[frame!]!++;
    expect(pfnProblems(m.kernel).join()).toMatch(/lock count 1, 0 locked MDL page/);
  });

  it('find pool bytes counted that no block explains, and a block not mapped', async () => {
    const m = await machineWithAProgram();
    const k = m.kernel;
    const va = k.pool.allocate(0, 64, 0x7a7a7a7a);
    const a = k.pool.allocations.get(va)!;
    k.pool.allocations.delete(va);
    expect(poolProblems(k).join()).toMatch(/nonpaged pool: \d+ bytes counted, \d+ allocated/);
    k.pool.allocations.set(va, a);
    k.pool.allocations.set(k.layout.nonPagedPool.base + k.layout.nonPagedPool.size - 64, { ...a, address: k.layout.nonPagedPool.base + k.layout.nonPagedPool.size - 64, charged: 0 });
    expect(poolProblems(k).join()).toMatch(/is not mapped/);
  });

  it('find overlapping VADs, a frame where nothing is committed, and a Private frame no VAD holds', async () => {
    const m = await machineWithAProgram();
    const k = m.kernel;
    const p = program(m);
    const vad = p.VadRoot.vads.find((v) => v.kind === 'private')!;
    p.VadRoot.vads.push(newVad(vad.start, vad.start + 4096, 'private', 4, 4));
    expect(vadProblems(k).join()).toMatch(/overlaps/);
    p.VadRoot.vads.pop();
    vad.commit.set(0, 1, 0);
    expect(vadProblems(k).join()).toMatch(/holds a frame but is not committed/);
    vad.commit.set(0, 1, 4);
    const [va, frame] = [...vad.frames][0]!;
    vad.frames.delete(va);
    expect(vadProblems(k).join()).toMatch(/frames are Private, \d+ VAD pages hold one/);
    vad.frames.set(va, frame);
    expect(k.pfn.use[frame]).toBe(PfnUse.Private);
  });

  it('find a handle its object does not count, and a table whose entries do not add up', async () => {
    const m = await machineWithAProgram();
    const k = m.kernel;
    const table = program(m).ObjectTable;
    const console = table.lookup(4)!;
    table.insert(console, k.arch);
    expect(handleProblems(k).join()).toMatch(/HandleCount 1, 2 handle\(s\) name it/);
    (table as unknown as { firstFree: number[] }).firstFree.push(99);
    expect(handleProblems(k).join()).toMatch(/open and \d+ free entries/);
  });

  it('find locked pages no MDL accounts for', async () => {
    const m = await machineWithAProgram();
    program(m).NumberOfLockedPages += 2;
    expect(lockedPageProblems(m.kernel).join()).toMatch(/2 locked pages, its MDLs lock 0/);
  });
});
