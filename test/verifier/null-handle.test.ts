/**
 * reference/boundary-cases.md 14, the NULL handle: a driver that references
 * a NULL handle from an IOCTL buffer with AccessMode KernelMode stops with
 * 0xC4/0xF5 under the verifier; with UserMode (Irp->RequestorMode) the
 * reference fails with STATUS_INVALID_HANDLE, verifier or not, and without
 * the verifier a KernelMode reference fails the same way.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { KernelMode, STATUS_INVALID_HANDLE, UserMode } from 'ntshm/wdm';
import { commandDriver, runInDriver } from '../mm/harness.js';

async function referenceNull(verifier: boolean, accessMode: number) {
  const machine = await boot({ memoryMiB: 16, verifier });
  const driver = commandDriver();
  expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
  const { value, result } = await runInDriver(machine, driver, (nt) => nt.ObReferenceObjectByHandle(0, 0, null, accessMode));
  return { value, bugcheck: result.bugcheck };
}

describe('a NULL handle given to ObReferenceObjectByHandle', () => {
  it('with KernelMode under the verifier: 0xC4/0xF5, naming the driver', async () => {
    const { bugcheck } = await referenceNull(true, KernelMode);
    expect(bugcheck?.code).toBe(0xc4);
    expect(bugcheck!.params).toEqual([0xf5, 0, 0, 0]);
    expect(bugcheck!.explanation).toContain('NtshmTest!');
  });

  it.each([
    [true, UserMode], [false, UserMode], [false, KernelMode],
  ] as const)('verifier %s, AccessMode %i: STATUS_INVALID_HANDLE, no object, no bug check', async (verifier, accessMode) => {
    const { value, bugcheck } = await referenceNull(verifier, accessMode);
    expect(bugcheck).toBeUndefined();
    expect(value).toEqual({ status: STATUS_INVALID_HANDLE, object: null });
  });
});
