/**
 * The section sample (seed 000) as `ntshm run section` runs it, and its
 * namespace variants: the driver reads the program's message through its
 * own view of the program's section, in the program's process, and writes
 * the reply that the program prints; both views are one frame.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';

const sample = findSample('section')!;

describe('section (seed 000)', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`the driver reads the message and the program reads the reply, through two views of one frame, on ${arch}`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 5 });
      expect(report.outcome).toBe('completed');
      expect(report.findings).toEqual([]);
      const [program] = report.processes;
      expect(program?.exitCode).toBe(0);
      expect(program?.stdout).toContain('Reply: Hello from the kernel-mode driver');
      const frames = report.shared.filter((f) => f.label === 'Section \\BaseNamedObjects\\SectionTest');
      expect(frames).toHaveLength(1);
      const views = frames[0]!.mappings;
      expect(views.map((m) => [m.process, m.mode])).toEqual([['SecTest.exe', 'user'], ['SecTest.exe', 'user']]);
      expect(new Set(views.map((m) => m.va)).size).toBe(2);
      expect(views.every((m) => !m.mappedAtEnd)).toBe(true);
      expect(report.resources.after).toEqual(report.resources.before);
    });
  }

  it('session-namespace: on win10 the program\'s Local\\ name is not where the driver looks (STATUS_OBJECT_NAME_NOT_FOUND)', async () => {
    const report = await runScenario(sample, { seed: 1, seconds: 5, variant: 'session-namespace' });
    expect(report.processes[0]?.stdout).toContain('DeviceIoControl failed (error 2)');
    expect(report.events.map((e) => e.text).join('\n')).toContain('ZwOpenSection failed (C0000034)');
    expect(report.resources.after).toEqual(report.resources.before);
  });

  it('global-namespace: Global\\ puts the name in \\BaseNamedObjects, where the driver finds it', async () => {
    const report = await runScenario(sample, { seed: 1, seconds: 5, variant: 'global-namespace' });
    expect(report.processes[0]?.stdout).toContain('Reply: Hello from the kernel-mode driver');
  });
});
