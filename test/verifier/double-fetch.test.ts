/**
 * Double fetches, with the verifier: a METHOD_NEITHER driver that checks a
 * length in the caller's buffer and then reads it again to copy is found,
 * naming its routine and both reads; a driver that captures the length once
 * is not; nor is any driver without the verifier. The event-ring sample's
 * double-fetch-index variant is found, its right version is clean.
 */
import { describe, expect, it } from 'vitest';
import { defineScenario, runScenario } from 'ntshm';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_NEITHER, NonPagedPool, NtException, STATUS_INVALID_PARAMETER, type Nt,
} from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, type K32 } from 'ntshm/win32';
import { findSample } from '../../samples/registry.js';
import { testDriver } from '../helpers/test-driver.js';

const IOCTL_COPY = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x960, METHOD_NEITHER, FILE_ANY_ACCESS);

/** A driver copying a length-prefixed message out of the caller's buffer: reading the length once, or twice. */
function copyDriver(fetchTwice: boolean) {
  return testDriver({
    control: ({ nt, irp, stack }) => {
      const n: Nt = nt;
      const input = stack.Parameters.DeviceIoControl.Type3InputBuffer;
      try {
        n.ProbeForRead(input, 4 + 64, 1);
        const length = n.getUint32(input);
        if (length > 64) {
          irp.IoStatus.Status = STATUS_INVALID_PARAMETER;
          return;
        }
        const buffer = n.ExAllocatePoolWithTag(NonPagedPool, 64, 'Copy');
        // The bug: the copy reads the length again, after the check.
        n.RtlCopyMemory(buffer, input + 4, fetchTwice ? n.getUint32(input) : length);
        n.ExFreePoolWithTag(buffer, 'Copy');
      } catch (e) {
        if (!(e instanceof NtException)) throw e;
        irp.IoStatus.Status = e.status;
      }
    },
  });
}

/**
 * A program that sends `driver` one METHOD_NEITHER request over its own buffer, whose first ULONG is `value`,
 * and prints what `after` makes of the request's end (by default whether it succeeded).
 */
function requestScenario(driver: ReturnType<typeof testDriver>, name: string, summary: string, value: number, length: number,
  after: (k32: K32, buffer: number, r: { ok: boolean }) => string = (k32, _b, r) => `copy: ${r.ok ? 'ok' : `error ${k32.GetLastError()}`}`) {
  return defineScenario({
    name,
    summary,
    setup(machine) {
      machine.loadDriver(driver.name, driver.definition);
      machine.spawn(async (k32) => {
        const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
        const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
        k32.setUint32(buffer, value);
        const r = await k32.DeviceIoControl(h, IOCTL_COPY, buffer, length, 0, 0);
        k32.print(after(k32, buffer, r));
        k32.CloseHandle(h);
        return 0;
      });
    },
  });
}

/** The copy driver's program: a 64-byte message whose length prefix says 16. */
const copyScenario = (driver: ReturnType<typeof copyDriver>, name: string, summary: string) => requestScenario(driver, name, summary, 16, 4 + 64);

describe.each(['x64', 'x86'] as const)('double fetch on %s', (arch) => {
  it.each([
    { name: 'reads the length twice, with the verifier', fetchTwice: true, verifier: true, found: 1 },
    { name: 'captures the length once, with the verifier', fetchTwice: false, verifier: true, found: 0 },
    { name: 'reads the length twice, without the verifier', fetchTwice: true, verifier: false, found: 0 },
  ])('a driver that $name: $found finding(s)', async ({ fetchTwice, verifier, found }) => {
    const driver = copyDriver(fetchTwice);
    const scenario = copyScenario(driver, 'copy-length', "a driver copies a length-prefixed message out of the caller's buffer");
    const result = await runScenario(scenario, { arch, verifier, seconds: 2 });
    expect(result.bugcheck).toBeNull();
    const findings = result.findings.filter((f) => f.kind === 'double-fetch');
    expect(findings).toHaveLength(found);
    if (found) {
      expect(findings[0]).toMatchObject({ driver: driver.name, routine: 'DispatchControl' });
      const details = findings[0]!.details as { first: { length: number } | null; second: { length: number }; userMappings: { process: string }[]; verdict: string };
      expect(details.first?.length).toBe(4);
      expect(details.second.length).toBe(4);
      expect(details.userMappings.map((m) => m.process)).toEqual(['program.exe']);
      // The rerun flips the length between the check and the copy: the copy overruns its pool block.
      expect(details.verdict).toBe('confirmed');
    }
  });

  it('event-ring --variant double-fetch-index is found; the right event-ring is clean', async () => {
    const sample = findSample('event-ring')!;
    const wrong = await runScenario(sample, { arch, verifier: true, variant: 'double-fetch-index' });
    const found = wrong.findings.filter((f) => f.kind === 'double-fetch');
    expect(found.length).toBeGreaterThan(0);
    const right = await runScenario(sample, { arch, verifier: true });
    expect(right.findings.filter((f) => f.kind === 'double-fetch')).toEqual([]);
  });
});

/**
 * reference/boundary-cases.md 11: the driver that reads twice overflows. The
 * confirming rerun flips the length (16 becomes 0xFFFFFFEF) between the check
 * and the copy. On x64 the copy runs forward off the 64-byte block: special
 * pool stops it at the guard page after the block (0xD6, the driver's form of
 * 0xCD), normal pool where the pool's mapped pages end (0x50). (On x86 the
 * flipped length wraps the address space: the copy, done backwards as memmove
 * does for a destination above its source, faults at once inside the driver's
 * try/except, and the run ends otherwise only in its findings.)
 */
describe('double fetch: the overflow the confirmation provokes (x64)', () => {
  it.each([
    { options: true, pool: 'special pool (the standard settings)', code: /^0x000000D6 0x/ },
    { options: { miscellaneousChecks: true }, pool: 'normal pool', code: /^0x00000050 0x/ },
  ])('the confirming rerun overruns the 64-byte block: in $pool it stops the machine', async ({ options, code }) => {
    const scenario = copyScenario(copyDriver(true), 'copy-length-overrun', 'a driver reads a length twice; the rerun changes it between the check and the copy');
    const result = await runScenario(scenario, { arch: 'x64', verifier: options, seconds: 2 });
    expect(result.bugcheck).toBeNull();
    const finding = result.findings.find((f) => f.kind === 'double-fetch');
    const details = finding!.details as { verdict: string; confirmation: { changed: string[]; bugcheck: string | null } };
    expect(details.verdict).toBe('confirmed');
    expect(details.confirmation.changed).toContain('bugcheck');
    expect(details.confirmation.bugcheck).toMatch(code);
  });
});

/**
 * A driver that checks an index (below 8), reads it again, and falls back to
 * the checked one when the second is out of range: flipping every bit
 * between the reads changes nothing (the fallback absorbs it), the index
 * plus one does (another table entry comes back). The confirmation tries
 * both, in that order.
 */
describe('double fetch: a change the driver\'s own bounds absorb', () => {
  it('is confirmed by the value plus one when flipping every bit changed nothing', async () => {
    const driver = testDriver({
      control: ({ nt, irp, stack }) => {
        const n: Nt = nt;
        const input = stack.Parameters.DeviceIoControl.Type3InputBuffer;
        try {
          n.ProbeForWrite(input, 8, 4);
          const index = n.getUint32(input);
          if (index >= 8) {
            irp.IoStatus.Status = STATUS_INVALID_PARAMETER;
            return;
          }
          // The bug: the index read again; out of range, the checked copy after all.
          const again = n.getUint32(input);
          n.setUint32(input + 4, 100 + (again < 8 ? again : index));
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
          irp.IoStatus.Status = e.status;
        }
      },
    });
    const scenario = requestScenario(driver, 'table-index', 'a driver reads a table index twice', 3, 8, (k32, buffer) => `entry ${k32.getUint32(buffer + 4)}`);
    const result = await runScenario(scenario, { arch: 'x64', verifier: true, seconds: 2 });
    expect(result.processes[0]?.stdout).toBe('entry 103\n');
    const finding = result.findings.find((f) => f.kind === 'double-fetch')!;
    const details = finding.details as { verdict: string; confirmation: { change: string; changed: string[]; processes: string[] } };
    expect(details.verdict).toBe('confirmed');
    expect(details.confirmation.change).toBe('the value plus one');
    expect(details.confirmation.changed).toEqual(['processes']);
    expect(details.confirmation.processes.join()).toContain('entry 104');
    expect(finding.message).toContain('(a double fetch, confirmed: with the bytes changed between the reads (the value plus one) the run ended otherwise — processes)');
  });
});
