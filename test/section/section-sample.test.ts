/**
 * The section sample (seed 000) as `ntshm run section` runs it, and its
 * variants: the driver reads the program's message through its
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

  describe.each(['x64', 'x86'] as const)('a view kept from one request to the next, on %s', (arch) => {
    it('wrong-context: the worker\'s view is in the System process, not the program\'s; reading the program\'s address there is 0x7E with 0xC0000005', async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 5, variant: 'wrong-context' });
      const log = report.events.map((e) => e.text).join('\n');
      // The view was mapped by the worker, in process 4 (System).
      expect(log).toMatch(/Section: view of 4096 bytes mapped at 0+10000 in process 4\n/);
      const stdout = report.processes[0]?.stdout ?? '';
      expect(stdout).toContain('The driver mapped its view at 0x10000');
      expect(stdout).toContain('In SecTest.exe, 0x10000 is our request buffer (MEM_PRIVATE): the driver\'s view is not in this process');
      // The message is at 0x20000 in the program, where the System process has nothing: an exception, not 0x50.
      expect(stdout).toContain('Message written at 20000');
      expect(log).not.toContain('the application says');
      expect(report.bugcheck?.code).toBe(0x7e);
      expect(report.bugcheck?.params[0]).toBe(0xc0000005);
      expect(report.bugcheck?.stack[0]).toBe('Section!WorkerRoutine');
    });

    it('no-try: a second program thread unmaps the driver\'s view, and the unguarded read in the next request is 0x3B with 0xC0000005', async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 5, variant: 'no-try' });
      const stdout = report.processes[0]?.stdout ?? '';
      const view = /The driver mapped its view at (0x[0-9a-f]+)/.exec(stdout)?.[1];
      expect(view).toBeDefined();
      expect(stdout).toContain(`A second thread unmapped the driver's view at ${view}`);
      expect(report.events.map((e) => e.text).join('\n')).toMatch(/Section: view of 4096 bytes mapped at 0+[0-9A-Fa-f]+ in process (?!4\b)\d+/);
      expect(report.bugcheck?.code).toBe(0x3b);
      expect(report.bugcheck?.params[0]).toBe(0xc0000005);
      expect(report.bugcheck?.stack).toEqual(['Section!IRP_MJ_DEVICE_CONTROL']);
      // The root of it: the driver's view outlived the request in the program's address space.
      expect(report.findings.map((f) => f.kind)).toEqual(['driver-view-in-user-process']);
    });
  });
});
