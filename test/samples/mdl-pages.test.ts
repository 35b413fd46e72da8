/**
 * mdl-pages (seed 002) and its misuse variants: frames from
 * MmAllocatePagesForMdl written by the driver through its system mapping and
 * read by the client at its own address; Release twice; a short allocation
 * in low memory; frames leaked at unload. And the client driven by an input
 * (what `--interactive` gives it), here a script.
 */
import { describe, expect, it } from 'vitest';
import { runScenario, type ScenarioInput } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';

const sample = findSample('mdl-pages')!;
const TEN_TO_ONE = 'Fill TextEdit: 10 9 8 7 6 5 4 3 2 1';

/** An input that answers from a list, recording every question. */
function scripted(answers: string[]): ScenarioInput & { asked: (readonly string[])[] } {
  const asked: (readonly string[])[] = [];
  return {
    asked,
    choose: async (_question, choices) => {
      asked.push(choices);
      return answers.shift() ?? 'Quit';
    },
  };
}

describe('mdl-pages (seed 002)', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`the client reads at its own address the 10..1 the driver wrote through its system address; a clean release, no frame left (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2 });
      expect(report.outcome).toBe('completed');
      expect(report.findings).toEqual([]);
      const stdout = report.processes[0]!.stdout;
      expect(stdout).toContain(TEN_TO_ONE);
      expect(stdout).toContain('Release memory: released');
      // Sixteen frames, each mapped by the system and by the client, and neither maps it at the end.
      const frames = report.shared.filter((f) => f.use === 'MdlPages');
      expect(frames).toHaveLength(16);
      for (const f of frames) {
        expect(f.mappings.map((m) => [m.process, m.mode])).toEqual([['System', 'kernel'], ['habr_app.exe', 'user']]);
        expect(f.mappings.every((m) => !m.mappedAtEnd)).toBe(true);
      }
      expect(report.resources.after).toEqual(report.resources.before);
    });

    it(`release-twice: the second release reads the freed MDL: 0x50 (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'release-twice' });
      expect(report.bugcheck?.code).toBe(0x50);
      expect(report.bugcheck?.stack).toEqual(['SharedMemory!DispatchControl']);
    });

    it(`release-twice with the verifier: 0xC4/0xB6 naming the MDL (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'release-twice', verifier: true });
      expect(report.bugcheck?.code).toBe(0xc4);
      expect(Number(report.bugcheck?.params[0])).toBe(0xb6);
      const mdl = /MDL ([0-9A-F]+) describes/.exec(report.events.map((e) => e.text).join('\n'))![1]!;
      expect(report.bugcheck?.paramsHex[1]).toBe(`0x${mdl.toLowerCase()}`);
    });

    it(`short-allocation: fewer bytes than asked, the driver writes past its mapping: 0x50 at the first unmapped page (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'short-allocation' });
      const line = report.events.find((e) => e.text.includes('describes'))!.text;
      const [, got, asked] = /describes (\d+) of the (\d+) bytes/.exec(line)!;
      expect(Number(got)).toBeLessThan(Number(asked));
      expect(Number(got)).toBeGreaterThan(0);
      const kernelVa = BigInt(`0x${/kernel_va = ([0-9A-F]+)/.exec(report.events.map((e) => e.text).join('\n'))![1]!}`);
      expect(report.bugcheck?.code).toBe(0x50);
      // P1 the first byte past what MmAllocatePagesForMdl gave, P2 2 (a write).
      expect(report.bugcheck?.paramsHex[0]).toBe(`0x${(kernelVa + BigInt(got!)).toString(16).padStart(arch === 'x64' ? 16 : 8, '0')}`);
      expect(report.bugcheck?.params[1]).toBe(2);
      expect(report.resources.before.freeFrames).toBe(24);
    });

    it(`no-release: the frames leak at unload: a finding naming them (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'no-release' });
      expect(report.outcome).toBe('completed');
      const finding = report.findings.find((f) => f.kind === 'frames-leaked');
      expect(finding?.message).toMatch(/^frames leaked: SharedMemory unloaded with 16 frame/);
      expect(finding?.details).toMatchObject({ pages: 16 });
      // Sixteen frames and the page the MDL's pool is on never come back.
      expect(report.resources.before.freeFrames - report.resources.after.freeFrames).toBeGreaterThanOrEqual(16);
    });

    it(`no-release with the verifier: 0xC4/0x62 at unload, P4 the allocations not freed (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'no-release', verifier: true });
      expect(report.bugcheck?.code).toBe(0xc4);
      expect(report.bugcheck?.params[0]).toBe(0x62);
      expect(report.bugcheck?.params[3]).toBe(1);
    });
  }

  it('takes its buttons from an input when one is given: the person, or a script standing in', async () => {
    const input = scripted(['Fill', 'Allocate', 'Fill', 'Release', 'Quit']);
    const report = await runScenario(sample, { seed: 1, seconds: 2, input });
    expect(input.asked).toHaveLength(5);
    expect(input.asked[0]).toEqual(['Allocate', 'Fill', 'Release', 'Quit']);
    expect(report.processes[0]!.stdout.trimEnd().split('\n')).toEqual([
      'Fill TextEdit: nothing allocated yet',
      expect.stringMatching(/^Allocate memory: the shared memory is at [0-9a-f]+ in this process$/),
      TEN_TO_ONE,
      'Release memory: released',
    ]);
    expect(report.outcome).toBe('completed');
  });
});
