/**
 * pool-to-user (seed 004, method 2) and its misuse variants: a page of
 * nonpaged pool mapped into the program through MmBuildMdlForNonPagedPool;
 * a 1024-byte block exposing the rest of its page; the MDL built over the
 * program's address; the pool freed under the user mapping.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';

const sample = findSample('pool-to-user')!;

describe('pool-to-user (seed 004, method 2)', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`the program reads the driver's pool at its own address, one frame mapped twice, then a clean release, on ${arch}`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2 });
      expect(report.outcome).toBe('completed');
      expect(report.findings).toEqual([]);
      expect(report.processes[0]?.stdout).toMatch(/The driver's pool is at [0-9a-f]+ in this process: "Hello from kernel pool"/);
      const shared = report.shared.filter((f) => f.use === 'NonPagedPool' && f.mappings.some((m) => m.process === 'PoolToUser.exe'));
      expect(shared).toHaveLength(1);
      expect(shared[0]!.mappings.map((m) => [m.process, m.mode])).toEqual([['System', 'kernel'], ['PoolToUser.exe', 'user']]);
      // Unmapped, then freed: neither address maps the frame at the end.
      expect(shared[0]!.mappings.every((m) => !m.mappedAtEnd)).toBe(true);
      expect(report.resources.after).toEqual(report.resources.before);
    });

    it(`partial-page: mapping a 1024-byte block exposes the other 3072 bytes of its page (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'partial-page' });
      const finding = report.findings.find((f) => f.kind === 'partial-page-exposed');
      expect(finding?.message).toContain('3072 bytes of kernel memory');
      expect(finding?.details).toMatchObject({ exposedBytes: 3072 });
    });

    it(`wrong-va: MmBuildMdlForNonPagedPool over the program's untouched buffer is 0x50 (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'wrong-va' });
      expect(report.bugcheck?.code).toBe(0x50);
      expect(report.bugcheck?.stack).toEqual(['PoolToUser!DispatchControl']);
    });

    it(`free-while-mapped: freeing the pool under the user mapping is a finding (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'free-while-mapped' });
      expect(report.findings.map((f) => f.kind)).toContain('freed-pool-still-mapped');
      // The freed frame went back to the free list and the driver's next allocation took it.
      expect(report.processes[0]?.stdout).toMatch(/After the driver freed it, [0-9a-f]+ shows: "Another owner's secret"/);
    });
  }

  it('wrong-va with the verifier: 0xC4/0x7F (IRQL, MDL, flags) at MmBuildMdlForNonPagedPool over a user address', async () => {
    const report = await runScenario(sample, { seed: 1, seconds: 2, variant: 'wrong-va', verifier: true });
    expect(report.bugcheck?.code).toBe(0xc4);
    const [p1, irql, mdl] = report.bugcheck!.params;
    expect([p1, irql]).toEqual([0x7f, 0]);
    expect(mdl).not.toBe(0);
  });

  it.each(['x64', 'x86'] as const)('free-while-mapped with the verifier: 0xC4/0xB8 at IoFreeMdl of the still-mapped MDL (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'free-while-mapped', verifier: true });
    expect(report.bugcheck?.code).toBe(0xc4);
    expect(report.bugcheck?.params[0]).toBe(0xb8);
    expect(report.bugcheck?.stack).toEqual(['PoolToUser!DispatchControl']);
  });
});
