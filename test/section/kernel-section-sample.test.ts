/**
 * The kernel-section sample (seed 001) and its variants: the driver's view in
 * the System process and the program's in its own, on one frame; a standard
 * user refused by the section's DACL; squatting; \Device\PhysicalMemory.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';

const sample = findSample('kernel-section')!;
const run = (variant?: string, arch: 'x64' | 'x86' = 'x64') => runScenario(sample, { arch, seed: 1, seconds: 5, variant });
const dbgPrint = (r: Awaited<ReturnType<typeof run>>) => r.events.filter((e) => e.source === 'dbgprint').map((e) => e.text);

describe('kernel-section (seed 001)', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`each side sees the other's writes through its own view of one frame on ${arch}`, async () => {
      const r = await run(undefined, arch);
      expect(r.processes[0]?.stdout).toBe('The driver says: Hello from the driver\n');
      expect(dbgPrint(r)).toContain('KernelSection: the application wrote "Hello from the application"');
      const [frame] = r.shared.filter((f) => f.label === 'Section \\BaseNamedObjects\\KernelSection');
      expect(frame?.mappings.map((m) => [m.process, m.mode])).toEqual([['System', 'user'], ['KernelSectionClient.exe', 'user']]);
      expect(frame?.mappings.every((m) => !m.mappedAtEnd)).toBe(true);
    });
  }

  it('a standard user is refused where the section\'s DACL says so', async () => {
    const r = await run('standard-user');
    expect(r.processes[0]?.stdout).toBe('OpenFileMapping failed (error 5)\n');
  });

  it('squatting: with OBJ_OPENIF the driver opens the squatter\'s section; without, DriverEntry fails with STATUS_OBJECT_NAME_COLLISION', async () => {
    const squatted = await run('squatting');
    expect(dbgPrint(squatted)).toContain('KernelSection: the section already existed; opened it');
    expect(squatted.findings).toMatchObject([{ kind: 'squatted', driver: 'KernelSection', details: { name: '\\BaseNamedObjects\\KernelSection', squatter: 'Squatter.exe' } }]);
    expect(dbgPrint(await run('squatting-no-openif'))).toContain('KernelSection: ZwCreateSection failed (C0000035)');
  });

  it('\\Device\\PhysicalMemory is refused to a program (STATUS_ACCESS_DENIED)', async () => {
    const r = await run('physical-memory');
    expect(r.processes[0]?.stdout).toContain('= 0xC0000022');
  });
});
