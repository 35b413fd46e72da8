/**
 * A program's section handle sent in an IOCTL (samples/section, variants
 * user-handle and user-handle-checked): the driver that references it with
 * AccessMode KernelMode trusts a handle the program chose. With the verifier
 * that is bug check 0xC4/0xF6 (P2 the handle, P3 the process); without, the
 * run completes with the finding user-handle-trusted. Referenced with
 * Irp->RequestorMode it is neither.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';

const sample = findSample('section')!;
const arches = ['x64', 'x86'] as const;

describe('a user handle in an IOCTL', () => {
  it.each(arches)('referenced as KernelMode without the verifier: works, with the finding user-handle-trusted (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 5, variant: 'user-handle' });
    expect(report.outcome).toBe('completed');
    expect(report.processes[0]?.stdout).toContain('Reply: Hello from the kernel-mode driver');
    expect(report.findings.map((f) => [f.kind, f.driver, f.routine])).toEqual([['user-handle-trusted', 'Section', 'IRP_MJ_DEVICE_CONTROL']]);
    expect(report.findings[0]!.details).toMatchObject({ process: 'SecTest.exe', objectType: 'Section' });
    expect(report.resources.after).toEqual(report.resources.before);
  });

  it.each(arches)('referenced as KernelMode with the verifier: bug check 0xC4/0xF6 naming the handle and the process (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 5, variant: 'user-handle', verifier: true });
    expect(report.outcome).toBe('bugcheck');
    const bc = report.bugcheck!;
    expect(bc.code).toBe(0xc4);
    expect(bc.params[0]).toBe(0xf6);
    // The same run without the verifier names the same handle in its finding.
    const plain = await runScenario(sample, { arch, seed: 1, seconds: 5, variant: 'user-handle' });
    expect(bc.params[1]).toBe((plain.findings[0]!.details as { handle: number }).handle);
    expect(bc.params[1]).not.toBe(0);
    expect(bc.params[2]).not.toBe(0); // the SecTest.exe EPROCESS
    expect(bc.stack).toEqual(['Section!IRP_MJ_DEVICE_CONTROL']);
  });

  it.each(arches)('referenced with Irp->RequestorMode: no finding, no bug check, even with the verifier (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 5, variant: 'user-handle-checked', verifier: true });
    expect(report.outcome).toBe('completed');
    expect(report.findings).toEqual([]);
    expect(report.processes[0]?.stdout).toContain('Reply: Hello from the kernel-mode driver');
    expect(report.resources.after).toEqual(report.resources.before);
  });
});
