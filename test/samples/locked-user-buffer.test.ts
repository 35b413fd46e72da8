/**
 * locked-user-buffer (seed 004, method 1) and its misuse variants: the
 * program's page locked by the driver, read through a kernel address; the
 * article's MDL fields; 0x76 with P1 = 0 and P1 = 1; an unguarded probe.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { boot } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';
import { lockedUserBufferDriver } from '../../samples/locked-user-buffer/driver.js';
import { SERVICE_NAME } from '../../samples/locked-user-buffer/ioctl.js';
import { lockedUserBufferProgram } from '../../samples/locked-user-buffer/program.js';

const sample = findSample('locked-user-buffer')!;
const log = (report: Awaited<ReturnType<typeof runScenario>>) => report.events.map((e) => e.text).join('');

describe('locked-user-buffer (seed 004, method 1)', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`the driver reads what the program writes after the lock, through its own address for the same frame, on ${arch}`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2 });
      expect(report.outcome).toBe('completed');
      expect(report.findings).toEqual([]);
      const text = log(report);
      expect(text).toContain('it says "Hello from user mode"');
      expect(text).toContain('now says "Written by the program after the lock"');
      // IoAllocateMdl leaves 0x8 (MDL_ALLOCATED_FIXED_SIZE); the lock adds MDL_PAGES_LOCKED, the system mapping MDL_MAPPED_TO_SYSTEM_VA.
      expect(text).toMatch(/ByteOffset 0x10 ByteCount 0x100 MdlFlags 0x000B/);
      expect(text).toContain('user buffer unlocked, MDL freed');
      expect(report.processes[0]?.exitCode).toBe(0);
      expect(report.resources.after).toEqual(report.resources.before);
    });
  }

  it('shows the article\'s example: an MDL for 0xAC004010 has StartVa 0xAC004000 and ByteOffset 0x10 (x86)', async () => {
    const report = await runScenario(sample, { arch: 'x86', seed: 1, seconds: 2 });
    expect(log(report)).toContain('IoAllocateMdl(AC004010): StartVa AC004000, ByteOffset 0x10, MmGetMdlVirtualAddress AC004010');
  });

  it.each(['x64', 'x86'] as const)('no-unlock: the program exits with its page locked: 0x76 with P1 = 0, the process and one locked page (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'no-unlock' });
    expect(report.bugcheck?.code).toBe(0x76);
    const [p1, p2, p3] = report.bugcheck!.params;
    expect(p1).toBe(0);
    expect(p2).not.toBe(0);
    expect(p3).toBe(1);
  });

  it.each(['x64', 'x86'] as const)('unlock-twice: the second MmUnlockPages is 0x76 with P1 = 1 naming the MDL (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'unlock-twice' });
    expect(report.bugcheck?.code).toBe(0x76);
    expect(report.bugcheck?.params[0]).toBe(1);
    expect(report.bugcheck?.stack).toEqual(['LockedUserBuffer!DispatchControl']);
  });

  it.each(['x64', 'x86'] as const)('no-try: probing a reserved page outside try/except is 0x3B with STATUS_ACCESS_VIOLATION (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'no-try' });
    expect(report.bugcheck?.code).toBe(0x3b);
    expect(report.bugcheck?.params[0]).toBe(0xc0000005);
  });

  it.each(['x64', 'x86'] as const)('boundary case 13: the program exits holding its handle and its locked page; the right driver unlocks in IRP_MJ_CLEANUP, at rundown, in its context (%s)', async (arch) => {
    const machine = await boot({ arch, seed: 1 });
    machine.loadDriver(SERVICE_NAME, lockedUserBufferDriver());
    machine.spawn(lockedUserBufferProgram({ skipUnlock: true }));
    await machine.run({ seconds: 2 });
    expect(machine.bugcheck ?? null).toBeNull();
    expect(machine.log.map((e) => e.text).join('')).toContain('user buffer unlocked, MDL freed');
  });

  it('with the verifier, no-unlock is 0xCB naming the MDL and its one locked page; unlock-twice is 0xC4/0x7C (MDL, flags)', async () => {
    const noUnlock = await runScenario(sample, { seed: 1, seconds: 2, variant: 'no-unlock', verifier: true });
    expect(noUnlock.bugcheck?.code).toBe(0xcb);
    const [, p2, p3, p4] = noUnlock.bugcheck!.params;
    expect([p2, p4]).toEqual([0, 1]);
    expect(p3).not.toBe(0);
    const twice = await runScenario(sample, { seed: 1, seconds: 2, variant: 'unlock-twice', verifier: true });
    expect(twice.bugcheck?.code).toBe(0xc4);
    expect(twice.bugcheck?.params[0]).toBe(0x7c);
  });
});
