/**
 * inverted-call (issue 10): the program keeps four IOCTLs pending, the
 * driver's timer DPC completes one per event, the program re-arms it; a
 * clean exit cancels what is pending. The variants end as a driver that gets
 * cancellation wrong, or touches a user buffer from a DPC, ends.
 */
import { describe, expect, it } from 'vitest';
import { defineScenario, runScenario, type Report } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';
import { invertedCallDriver } from '../../samples/inverted-call/driver.js';
import { SERVICE_NAME } from '../../samples/inverted-call/ioctl.js';
import { invertedCallProgram } from '../../samples/inverted-call/program.js';

const sample = findSample('inverted-call')!;
const ARCHES = ['x64', 'x86'] as const;
/**
 * no-cancel-routine's findings at the exit, and the one its IRP_MJ_CLEANUP may earn first: the I/O manager reports a
 * cleanup that leaves requests pending (irp-pending-after-cleanup, at most one, in DispatchCleanup) where it checks that.
 */
function rundownFindings(report: Report): Report['findings'] {
  const atCleanup = report.findings.filter((f) => f.kind === 'irp-pending-after-cleanup');
  expect(atCleanup.length).toBe(1);
  for (const f of atCleanup) expect([f.driver, f.routine]).toEqual(['InvertedCall', 'DispatchCleanup']);
  return report.findings.filter((f) => f.kind !== 'irp-pending-after-cleanup');
}
const lines = (report: Report, source: string) => report.events.filter((e) => e.source === source).map((e) => e.text.trimEnd());

/** `event N at hh:mm:ss.mmm` → [N, milliseconds of the day]. */
function eventsSeen(report: Report): Array<[number, number]> {
  return lines(report, 'stdout').flatMap((line) => {
    const m = /^event (\d+) at (\d\d):(\d\d):(\d\d)\.(\d{3}) \(request \d\)$/.exec(line);
    return m ? [[Number(m[1]), ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000 + Number(m[5])] as [number, number]] : [];
  });
}

describe.each(ARCHES)('inverted-call on %s', (arch) => {
  it('reports ten events in order, 250 ms apart, with four requests pending all along, and leaves nothing behind', async () => {
    const report = await runScenario(sample, { arch, seed: 1 });
    expect(report.outcome).toBe('completed');
    expect(report.bugcheck).toBeNull();
    expect(report.findings).toEqual([]);
    const events = eventsSeen(report);
    expect(events.map(([n]) => n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 1; i < events.length; i++) expect(events[i]![1] - events[i - 1]![1]).toBe(250);
    // The requests are answered oldest first: 1, 2, 3, 4, 1, ...
    expect(lines(report, 'stdout').filter((l) => l.startsWith('event ')).map((l) => l.slice(-2, -1))).toEqual(['1', '2', '3', '4', '1', '2', '3', '4', '1', '2']);
    // White box: each time the DPC takes one, three are still waiting in the driver's queue (the fourth is on its way back).
    const served = lines(report, 'dbgprint').filter((l) => l.includes('completes a request'));
    expect(served).toHaveLength(10);
    for (const line of served) expect(line).toMatch(/\(3 still waiting\)$/);
    // Four sent at the start and one again after each of the ten events; 16 bytes copied out for each event.
    expect(report.io.buffered).toEqual({ requests: 14, bytesCopiedIn: 0, bytesCopiedOut: 160 });
    expect(lines(report, 'stdout').slice(-4)).toEqual([1, 2, 3, 4].map((i) => `request ${i}: cancelled (ERROR_OPERATION_ABORTED)`));
    expect(report.processes[0]?.exitCode).toBe(0);
    expect(report.resources.after).toEqual(report.resources.before);
  });

  it('a program that closes the device with its requests pending: the driver\'s IRP_MJ_CLEANUP completes them, nothing is left', async () => {
    const closing = defineScenario({
      name: 'inverted-call-close',
      summary: 'the sample\'s driver; the program closes instead of cancelling',
      setup(machine) {
        machine.loadDriver(SERVICE_NAME, invertedCallDriver());
        machine.spawn(invertedCallProgram({ ending: 'close' }));
      },
      teardown: (machine) => void machine.unloadDriver(SERVICE_NAME),
    });
    const report = await runScenario(closing, { arch, seed: 1 });
    expect(report.outcome).toBe('completed');
    expect(report.findings).toEqual([]);
    expect(eventsSeen(report)).toHaveLength(10);
    expect(report.resources.after).toEqual(report.resources.before);
  });

  it('no-cancel-routine: the exit waits for requests nobody will complete (irp-pending-at-rundown), and the run is cut', async () => {
    const report = await runScenario(sample, { arch, seed: 1, variant: 'no-cancel-routine' });
    expect(eventsSeen(report)).toHaveLength(10);
    expect(report.outcome).toBe('cut');
    expect(report.processes[0]?.exitCode).toBeNull();
    expect(rundownFindings(report).map((f) => [f.kind, f.driver, f.routine])).toEqual(
      Array(4).fill(['irp-pending-at-rundown', 'InvertedCall', 'DispatchDeviceControl']));
  });

  it('no-cancel-routine given five minutes: the I/O manager gives up on the four requests (irp-cancel-timeout) and the exit goes on', async () => {
    const report = await runScenario(sample, { arch, seed: 1, variant: 'no-cancel-routine', seconds: 300 });
    expect(rundownFindings(report).map((f) => f.kind)).toEqual([...Array(4).fill('irp-pending-at-rundown'), ...Array(4).fill('irp-cancel-timeout')]);
    expect(report.processes[0]?.exitCode).toBe(0);
    expect(report.virtualMs).toBeGreaterThan(300_000);
    // The driver still holds the four IRPs (and through them the file object): their pool never comes back.
    expect(report.resources.after.nonPagedBytes).toBeGreaterThan(report.resources.before.nonPagedBytes);
  });

  it('complete-after-cancel: the cancel routine completes the request the queue took ahead, then the DPC does: 0x44', async () => {
    const report = await runScenario(sample, { arch, seed: 1, variant: 'complete-after-cancel' });
    expect(lines(report, 'stdout').slice(-3)).toEqual(['event 3 at 12:00:00.765 (request 3)', 'giving up on request 4: CancelIoEx',
      'request 4: cancelled (ERROR_OPERATION_ABORTED)']);
    expect(report.bugcheck?.code).toBe(0x44);
    expect(report.bugcheck?.name).toBe('MULTIPLE_IRP_COMPLETE_REQUESTS');
    expect(report.bugcheck?.params[0]).toBeGreaterThan(arch === 'x64' ? 2 ** 47 : 2 ** 31);
    expect(report.bugcheck?.params.slice(1)).toEqual([0, 0, 0]);
    expect(report.bugcheck?.stack[0]).toBe('InvertedCall!EventTimerDpc');
  });

  it('neither-from-dpc: the DPC writes the program\'s address in the idle thread\'s context: 0xD1 for a write at IRQL 2', async () => {
    const report = await runScenario(sample, { arch, seed: 1, variant: 'neither-from-dpc' });
    expect(eventsSeen(report)).toEqual([]);
    expect(report.bugcheck?.code).toBe(0xd1);
    const [address, irql, access, ip] = report.bugcheck!.params;
    expect(address).toBeGreaterThan(0);
    expect(address).toBeLessThan(arch === 'x64' ? 2 ** 47 : 2 ** 31); // a user address: the program's output buffer
    expect([irql, access]).toEqual([2, 1]);
    expect(ip).not.toBe(0);
    expect(report.bugcheck?.stack).toEqual(['InvertedCall!EventTimerDpc']);
  });
});
