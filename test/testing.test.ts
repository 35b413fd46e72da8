/**
 * ntshm/testing's checks pass on what they claim and fail, with a message
 * saying what the report shows instead, on what they do not.
 */
import { describe, expect, it } from 'vitest';
import {
  ReportAssertionError, expectBugCheck, expectCompleted, expectFinding, expectNoFindings, expectNoLeaks, runScenario,
} from '../src/testing.js';
import { findSample } from '../samples/registry.js';
import { defineScenario } from '../src/index.js';
import { NonPagedPool, STATUS_SUCCESS, defineDriver } from '../src/api/wdm.js';

const sharingMemory = findSample('sharing-memory')!;

describe('ntshm/testing', () => {
  it('a clean run passes every check', async () => {
    const report = await runScenario(sharingMemory, { seconds: 2 });
    expectCompleted(report);
    expectNoFindings(report);
    expectNoLeaks(report);
    expect(() => expectBugCheck(report, 0x3b)).toThrow(ReportAssertionError);
    expect(() => expectFinding(report, 'torn-read')).toThrow('expected a torn-read finding, found none');
  });

  it('a run with findings names them', async () => {
    const report = await runScenario(sharingMemory, { seconds: 2, variant: 'map-at-dispatch' });
    expect(() => expectNoFindings(report)).toThrow(/expected no findings, found 2: wrong-process-unmap/);
    expect(expectFinding(report, 'wrong-process-unmap')).toHaveLength(1);
  });

  it('a bug check is matched by code and leading parameters, as numbers or as kd prints them', async () => {
    const report = await runScenario(sharingMemory, { variant: 'no-try' });
    expectBugCheck(report, 0x3b, 0xc0000017);
    expectBugCheck(report, 0x3b, '0x00000000C0000017');
    expect(() => expectBugCheck(report, 0x3b, 0xc0000005)).toThrow(/parameter 1 of bug check 0x0000003B to be 3221225477, got 0x00000000c0000017/);
    expect(() => expectCompleted(report)).toThrow(/it stopped: bug check 0x0000003B SYSTEM_SERVICE_EXCEPTION/);
  });

  it('a leak is named by the resource that did not come back', async () => {
    const leaky = defineScenario({
      name: 'leaky',
      summary: 'a driver that allocates 100 bytes of nonpaged pool and never frees them',
      setup(machine) {
        machine.loadDriver('Leaky', defineDriver({
          name: 'Leaky',
          DriverEntry(nt) {
            nt.ExAllocatePoolWithTag(NonPagedPool, 100, 'Leak');
            return STATUS_SUCCESS;
          },
        }));
      },
    });
    const report = await runScenario(leaky, { seconds: 1 });
    expect(() => expectNoLeaks(report)).toThrow(/expected every resource back, but .*nonPagedBytes \d+ → \d+/);
  });
});

describe('options nobody reads', () => {
  it('boot() and runScenario() refuse them, naming the ones they take', async () => {
    const { boot } = await import('../src/index.js');
    await expect(boot({ memory: 128 } as never)).rejects.toThrow("unknown boot option 'memory' (choose from: arch, memoryMiB,");
    await expect(runScenario(sharingMemory, { secs: 3 } as never)).rejects.toThrow(/unknown runScenario option 'secs' \(choose from: seconds, variant, arch/);
  });
});
