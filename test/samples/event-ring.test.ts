/**
 * event-ring (issue 10): 100 000 records through a ring in pages the driver
 * maps into its program, an event set when the ring goes from empty to
 * non-empty, a producer and a consumer thread; and its misuse variants.
 */
import { describe, expect, it } from 'vitest';
import { parseAddress, runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';
import { MAX_CAPACITY, RECORD_RING, RECORD_SIZE, sharedBytes } from '../../samples/event-ring/protocol.js';

const sample = findSample('event-ring')!;
const PAGES = sharedBytes(MAX_CAPACITY) / 4096;

describe('event-ring', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`moves 100 000 records, none lost, none duplicated, and gives everything back (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 10 });
      expect(report.outcome).toBe('completed');
      expect(report.bugcheck).toBeNull();
      expect(report.findings).toEqual([]);
      const program = report.processes.find((p) => p.name === 'EventRing.exe')!;
      expect(program.exitCode).toBe(0);
      expect(program.stdout).toContain('Received 100000 records in');
      expect(program.stdout).toContain(': 0 lost, 0 duplicated, 0 torn');
      expect(program.stdout).toContain('All 100000 records arrived once each, in order.');
      expect(program.stdout).toContain('Producer: 400 requests of up to 250 records');
      expect(report.resources.after).toEqual(report.resources.before);
    });

    it(`the ring's ${PAGES} frames are each mapped at a system address and at the program's address (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 10 });
      const split = arch === 'x64' ? 2 ** 47 : 0x8000_0000;
      const ring = report.shared.filter((f) => f.mappings.some((m) => m.process === 'EventRing.exe' && m.mode === 'user')
        && f.mappings.some((m) => m.mode === 'kernel' && m.process === 'System') && f.use === 'MdlPages');
      expect(ring).toHaveLength(PAGES);
      const user = ring.map((f) => parseAddress(f.mappings.find((m) => m.mode === 'user')!.va));
      const kernel = ring.map((f) => parseAddress(f.mappings.find((m) => m.mode === 'kernel')!.va));
      // One run of pages on each side, in the same order: the ring is contiguous in both address spaces.
      for (let i = 0; i < PAGES; i++) {
        expect(user[i]).toBe(user[0]! + i * 4096);
        expect(kernel[i]).toBe(kernel[0]! + i * 4096);
        expect(user[i]).toBeLessThan(split);
        expect(kernel[i]).toBeGreaterThanOrEqual(split);
      }
      // IRP_MJ_CLEANUP unmapped both; MmFreePagesFromMdl gave the frames back.
      expect(ring.every((f) => f.mappings.every((m) => !m.mappedAtEnd))).toBe(true);
    });

    it(`the driver references the program's event and wakes it once per empty-to-non-empty batch (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 10 });
      const text = report.events.map((e) => e.text);
      const released = text.find((t) => t.startsWith('EventRing: released after'));
      expect(released).toMatch(/^EventRing: released after 100000 records for 400 requests \(0 rejected\), (\d+) wake-ups$/);
      const wakeUps = Number(/(\d+) wake-ups/.exec(released!)![1]);
      // 1024 records per batch at most: at least 98 batches, each begun with a wake-up.
      expect(wakeUps).toBeGreaterThanOrEqual(Math.ceil(100_000 / MAX_CAPACITY));
      // Released in the program's own process: the user mapping is undone where it lives.
      const event = report.events.find((e) => e.text.startsWith('EventRing: released after'))!;
      expect(event.process).toBe('EventRing.exe');
    });

    it(`double-fetch-index: the driver says it read RequestHead twice; one thread at a time, nothing moves between the reads (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 10, variant: 'double-fetch-index' });
      expect(report.outcome).toBe('completed');
      expect(report.events.map((e) => e.text)).toContainEqual(
        expect.stringMatching(/^EventRing: RequestHead read twice in one doorbell \(checked (\d+), used \1\): a double fetch/));
      expect(report.processes[0]!.stdout).toContain('All 100000 records arrived once each, in order.');
    });

    it(`program-sized-ring: the write past the last page of the ring is bug check 0x50 in the doorbell (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 10, variant: 'program-sized-ring' });
      expect(report.outcome).toBe('bugcheck');
      expect(report.bugcheck?.code).toBe(0x50);
      expect(report.bugcheck?.stack).toEqual(['EventRing!IRP_MJ_DEVICE_CONTROL']);
      // P1: the first byte of record MAX_CAPACITY, the page after the driver's system mapping.
      const setup = report.events.find((e) => e.text.startsWith('EventRing: 4096 records'))!.text;
      // %p prints an x64 kernel address sign-extended; ntshm's address numbers are its low 48 bits.
      const system = Number(BigInt(`0x${/pages at ([0-9A-F]+) \(system\)/.exec(setup)![1]!}`) & 0xffff_ffff_ffffn);
      expect(report.bugcheck!.params[0]).toBe(system + RECORD_RING + MAX_CAPACITY * RECORD_SIZE);
    });

    it(`program-sized-ring-checked: the right driver refuses the 4096-record ring, and nothing is left behind (${arch})`, async () => {
      const report = await runScenario(sample, { arch, seed: 1, seconds: 10, variant: 'program-sized-ring-checked' });
      expect(report.outcome).toBe('completed');
      // STATUS_INVALID_PARAMETER → ERROR_INVALID_PARAMETER (87).
      expect(report.processes[0]!.stdout).toContain('IOCTL_EVENT_RING_SETUP failed (error 87)');
      expect(report.processes[0]!.exitCode).toBe(1);
      expect(report.resources.after).toEqual(report.resources.before);
    });
  }

  it('gives the same log for the same seed', async () => {
    const a = await runScenario(sample, { arch: 'x64', seed: 7, seconds: 10 });
    const b = await runScenario(sample, { arch: 'x64', seed: 7, seconds: 10 });
    expect(JSON.stringify(a.events)).toBe(JSON.stringify(b.events));
  });

  it('is listed among the samples with its variants', () => {
    expect(sample.variants.map((v) => v.name)).toEqual(['double-fetch-index', 'program-sized-ring', 'program-sized-ring-checked']);
  });
});
