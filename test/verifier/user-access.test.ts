/**
 * User-mode access discipline (verifier/user-access.ts): with Security
 * Checks, driver code that touches a program's address through nt's raw
 * memory routines, with no probe covering it, is the finding
 * `user-access-discipline`; a probe first, or the User-mode Accessors, is
 * clean. The samples' right variants are clean, but for the two whose
 * articles touch a section view at its user address (said in their drivers).
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/user-mode-accessors
 */
import { describe, expect, it } from 'vitest';
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_NEITHER, NtException } from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { runScenario } from '../../src/index.js';
import { samples } from '../../samples/registry.js';
import { bootWith, runProgram, testDriver, type DispatchHandler } from '../helpers/test-driver.js';

const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS);

/** How the driver reads the program's METHOD_NEITHER input and writes its output. */
const drivers: Record<string, DispatchHandler> = {
  raw: ({ nt, irp, stack }) => {
    const value = nt.getUint32(stack.Parameters.DeviceIoControl.Type3InputBuffer);
    nt.setUint32(irp.UserBuffer, value + 1);
  },
  rtlCopy: ({ nt, irp, stack }) => {
    nt.RtlCopyMemory(irp.UserBuffer, stack.Parameters.DeviceIoControl.Type3InputBuffer, 4);
  },
  probed: ({ nt, irp, stack }) => {
    const p = stack.Parameters.DeviceIoControl;
    try {
      nt.ProbeForRead(p.Type3InputBuffer, 4, 1);
      nt.ProbeForWrite(irp.UserBuffer, 4, 1);
      nt.setUint32(irp.UserBuffer, nt.getUint32(p.Type3InputBuffer) + 1);
    } catch (e) {
      if (!(e instanceof NtException)) throw e;
      return e.status;
    }
    return undefined;
  },
  accessors: ({ nt, irp, stack }) => {
    try {
      nt.WriteULongToUser(irp.UserBuffer, nt.ReadULongFromUser(stack.Parameters.DeviceIoControl.Type3InputBuffer) + 1);
    } catch (e) {
      if (!(e instanceof NtException)) throw e;
      return e.status;
    }
    return undefined;
  },
};

async function run(control: DispatchHandler, verifier: boolean | { [option: string]: boolean }) {
  const driver = testDriver({ control });
  const machine = await bootWith([driver], { seed: 1, verifier });
  let answer = 0;
  await runProgram(machine, async (k32: K32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    const user = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    k32.setUint32(user, 41);
    await k32.DeviceIoControl(h, IOCTL, user, 4, user + 0x100, 4);
    answer = k32.getUint32(user + 0x100);
    return 0;
  }, { seconds: 2 });
  return { findings: machine.report().findings.filter((f) => f.kind === 'user-access-discipline'), answer, machine };
}

describe('user-mode access discipline', () => {
  it.each(['raw', 'rtlCopy'])('a driver that touches the program\'s buffer unprobed (%s) is the finding, naming the routine and address', async (name) => {
    const { findings, machine } = await run(drivers[name]!, { securityChecks: true });
    expect(machine.bugcheck).toBeUndefined();
    expect(findings).toHaveLength(1);
    expect(findings[0]!.routine).toBe('DispatchControl');
    expect(findings[0]!.message).toMatch(/user-mode address .* no ProbeFor(Read|Write) covered/);
  });

  it.each(['probed', 'accessors'])('a driver that %s is clean, and does the same work', async (name) => {
    const { findings, answer } = await run(drivers[name]!, { securityChecks: true });
    expect(findings).toEqual([]);
    expect(answer).toBe(42);
  });

  it.each([false, { poolTracking: true }])('without Security Checks (verifier %j) nothing is watched', async (verifier) => {
    const { findings, answer } = await run(drivers.raw!, verifier);
    expect(findings).toEqual([]);
    expect(answer).toBe(42);
  });

  it('the samples\' right variants are clean with --verifier, but for section and kernel-section, whose articles touch a view at its user address', async () => {
    const flagged: string[] = [];
    for (const sample of samples) {
      const result = await runScenario(sample, { seconds: 3, verifier: true });
      if (result.findings.some((f) => f.kind === 'user-access-discipline')) flagged.push(sample.name);
    }
    expect(flagged.sort()).toEqual(['kernel-section', 'section']);
  });
});
