/**
 * The kernel-section variants of reference/misuse.md that have findings:
 * the driver's view kept in the program's process (view-in-user-process),
 * and a name opened on a standard user's behalf without
 * OBJ_FORCE_ACCESS_CHECK (no-force-access-check), with its fix.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';

const sample = findSample('kernel-section')!;
const run = (variant: string, arch: 'x64' | 'x86') => runScenario(sample, { arch, seed: 1, seconds: 5, variant });
const arches = ['x64', 'x86'] as const;

describe('kernel-section misuse variants', () => {
  it.each(arches)('view-in-user-process: the view the driver maps in IRP_MJ_CREATE and keeps is the program\'s memory, a finding (%s)', async (arch) => {
    const r = await run('view-in-user-process', arch);
    expect(r.outcome).toBe('completed');
    expect(r.processes[0]?.stdout).toContain('The driver says: Hello from the driver');
    expect(r.findings.map((f) => [f.kind, f.driver, f.routine])).toEqual([['driver-view-in-user-process', 'KernelSection', 'IRP_MJ_CREATE']]);
    expect(r.findings[0]!.details).toMatchObject({ process: 'KernelSectionClient.exe', viewSize: 4096 });
    // Both views (the driver's and the program's own) are in the program's process, none in System.
    const [frame] = r.shared.filter((f) => f.label === 'Section \\BaseNamedObjects\\KernelSection');
    expect(frame?.mappings.map((m) => m.process)).toEqual(['KernelSectionClient.exe', 'KernelSectionClient.exe']);
  });

  it.each(arches)('the seed\'s own driver, which maps in DriverEntry (System), has no such finding (%s)', async (arch) => {
    const r = await runScenario(sample, { arch, seed: 1, seconds: 5 });
    expect(r.findings).toEqual([]);
  });

  it.each(arches)('no-force-access-check: a standard user gets a handle the DACL refuses it, and a finding (%s)', async (arch) => {
    const r = await run('no-force-access-check', arch);
    expect(r.processes[0]?.exitCode).toBe(0);
    expect(r.events.map((e) => e.text)).toContain('KernelSection: the application wrote "Hello from the application"');
    expect(r.findings.map((f) => [f.kind, f.routine])).toEqual([['access-check-bypassed', 'IRP_MJ_DEVICE_CONTROL']]);
    expect(r.findings[0]!.details).toMatchObject({ name: '\\BaseNamedObjects\\KernelSection', statusName: 'STATUS_ACCESS_DENIED' });
  });

  it.each(arches)('force-access-check: with OBJ_FORCE_ACCESS_CHECK the open is STATUS_ACCESS_DENIED (ERROR_ACCESS_DENIED) and nothing is reported (%s)', async (arch) => {
    const r = await run('force-access-check', arch);
    expect(r.processes[0]?.stdout).toContain('IOCTL_OPEN_SECTION failed (error 5)');
    expect(r.findings).toEqual([]);
  });

  it('runScenario({ user: \'user\' }) runs the seed\'s client as a standard user, whom the DACL refuses', async () => {
    const r = await runScenario(sample, { seed: 1, seconds: 5, user: 'user' });
    expect(r.processes.map((p) => [p.user, p.stdout])).toEqual([['user', 'OpenFileMapping failed (error 5)\n']]);
  });

  it('runScenario refuses a user that is neither admin nor user', async () => {
    await expect(runScenario(sample, { seed: 1, seconds: 5, user: 'root' as 'user' })).rejects.toThrow(/user must be 'admin' or 'user', not root/);
  });
});
