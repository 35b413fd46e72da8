/**
 * Machine.memoryMap(), Machine.pte() and Machine.pacer: what the web page's
 * memory picture is drawn from, and the slices its worker runs in.
 */
import { describe, expect, it } from 'vitest';
import { boot, type MemoryMap } from 'ntshm';
import { findSample } from '../../samples/registry.js';

const sample = findSample('sharing-memory')!;

/** Runs sharing-memory, paced or not; with a pacer, the memory map at every pause. */
async function run(arch: 'x64' | 'x86', paced: boolean) {
  const machine = await boot({ arch, seed: 3 });
  const maps: MemoryMap[] = [];
  if (paced) machine.pacer = { pauseNow: () => true, between: async () => { maps.push(machine.memoryMap()); } };
  const report = await machine.runScenario(sample, {});
  return { machine, maps, report };
}

describe('the memory picture of a machine', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`shows sharing-memory's pool page mapped twice, in the kernel and in the program, on ${arch}`, async () => {
      const { maps, machine } = await run(arch, true);
      const during = maps.find((m) => m.processes.some((p) => p.name === 'SharingMemory.exe' && p.pages.some((page) => m.frames.some((f) => f.pfn === page.pfn && f.shareCount === 2))));
      expect(during, 'a pause at which the program maps a frame the kernel maps too').toBeDefined();
      const program = during!.processes.find((p) => p.name === 'SharingMemory.exe')!;
      const system = during!.processes.find((p) => p.system)!;
      const shared = during!.frames.find((f) => f.shareCount === 2 && f.use === 'NonPagedPool')!;
      expect(shared).toBeDefined();
      const userPage = program.pages.find((p) => p.pfn === shared.pfn)!;
      const kernelPage = system.pages.find((p) => p.pfn === shared.pfn)!;
      expect(userPage.user).toBe(true);
      expect(kernelPage.user).toBe(false);
      expect(userPage.va).toBeLessThan(during!.highestUserAddress);
      expect(kernelPage.va).toBeGreaterThanOrEqual(during!.systemRangeStart);
      // The program's VAD for the mapping is an MDL's.
      expect(program.vads.some((v) => v.kind === 'mdl' && v.start <= userPage.va && userPage.va < v.end)).toBe(true);
      // After the run the program is gone, and so is its mapping.
      const after = machine.memoryMap();
      expect(after.processes.map((p) => p.name)).not.toContain('SharingMemory.exe');
      expect(after.frames.find((f) => f.pfn === shared.pfn)?.shareCount ?? 0).toBeLessThan(2);
    });

    it(`walks the page tables as !pte does on ${arch}`, async () => {
      const machine = await boot({ arch });
      const map = machine.memoryMap();
      const system = map.processes.find((p) => p.system)!;
      const page = system.pages.find((p) => !p.user)!;
      const walk = machine.pte(system.pid, page.va)!;
      expect(walk.levels.map((l) => l.name)).toEqual(arch === 'x64' ? ['PXE', 'PPE', 'PDE', 'PTE'] : ['PDE', 'PTE']);
      const pte = walk.levels.at(-1)!;
      expect(pte.valid).toBe(true);
      expect(pte.pfn).toBe(page.pfn);
      expect(pte.flags).toMatch(/^[-C][-G][-L][-D][-A][-N][-T]K[WR][-E]V$/);
      expect(machine.pte(99999, page.va)).toBeUndefined();
    });
  }

  it('runs the same with a pacer as without: the same log, slice by slice', async () => {
    const a = await run('x64', false);
    const b = await run('x64', true);
    expect(b.maps.length).toBeGreaterThan(3);
    expect(b.report.events).toEqual(a.report.events);
  });
});
