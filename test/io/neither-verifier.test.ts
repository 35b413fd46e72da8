/**
 * METHOD_NEITHER's addresses in system space, accepted without a probe
 * (verifier/neither-probe.ts, io/neither-check.ts): with the verifier, bug
 * check 0xC4 with P1 = 0xE3 as the driver completes the request (P3 the
 * unprobed address, P4 0); without, the finding `kernel-address-unprobed`.
 * A probe inside try/except, or an error status, is neither.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 */
import { describe, expect, it } from 'vitest';
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_NEITHER, NtException, STATUS_INVALID_PARAMETER } from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { bootWith, runProgram, testDriver, type DispatchHandler } from '../helpers/test-driver.js';

const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS);
/** KUSER_SHARED_DATA's system address: mapped in every context, and no user address. */
const kernelVa = (arch: 'x64' | 'x86') => (arch === 'x64' ? 0xf780_0000_0000 : 0xffdf_0000);

/** What the driver does with the request: nothing checked, a probe of both addresses, or a refusal. */
const drivers: Record<'unprobed' | 'probed' | 'refused', DispatchHandler> = {
  unprobed: () => undefined,
  probed: ({ nt, irp, stack }) => {
    const p = stack.Parameters.DeviceIoControl;
    try {
      nt.ProbeForRead(p.Type3InputBuffer, p.InputBufferLength, 1);
      nt.ProbeForWrite(irp.UserBuffer, p.OutputBufferLength, 1);
    } catch (e) {
      if (!(e instanceof NtException)) throw e;
      return e.status;
    }
    return undefined;
  },
  refused: ({ irp }) => {
    irp.IoStatus.Status = STATUS_INVALID_PARAMETER;
    return STATUS_INVALID_PARAMETER;
  },
};

const cases = [
  { driver: 'unprobed', kernelIn: true, kernelOut: false, verifier: true, expect: { code: 0xe3, name: 'Type3InputBuffer' } },
  { driver: 'unprobed', kernelIn: false, kernelOut: true, verifier: true, expect: { code: 0xe3, name: 'UserBuffer' } },
  { driver: 'unprobed', kernelIn: true, kernelOut: false, verifier: false, expect: { finding: 'Type3InputBuffer' } },
  { driver: 'unprobed', kernelIn: false, kernelOut: false, verifier: true, expect: {} },
  { driver: 'probed', kernelIn: true, kernelOut: false, verifier: true, expect: {} },
  { driver: 'refused', kernelIn: true, kernelOut: true, verifier: true, expect: {} },
] as const;

describe.each(['x64', 'x86'] as const)('METHOD_NEITHER addresses in system space on %s', (arch) => {
  it.each(cases)('$driver driver, kernel input $kernelIn, kernel output $kernelOut, verifier $verifier', async (c) => {
    const driver = testDriver({ control: drivers[c.driver] });
    const machine = await bootWith([driver], { seed: 1, arch, verifier: c.verifier });
    await runProgram(machine, async (k32: K32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const user = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      await k32.DeviceIoControl(h, IOCTL, c.kernelIn ? kernelVa(arch) : user, 16, c.kernelOut ? kernelVa(arch) : user + 0x100, 16);
      return 0;
    }, { seconds: 2 });
    const findings = machine.report().findings;
    if ('code' in c.expect) {
      expect(machine.bugcheck?.code).toBe(0xc4);
      const [p1, inDriver, address, p4] = machine.bugcheck!.params.map(Number);
      expect([p1, address, p4]).toEqual([c.expect.code, kernelVa(arch), 0]);
      expect(inDriver).not.toBe(0);
      expect(machine.bugcheck?.explanation).toContain(c.expect.name);
    } else {
      expect(machine.bugcheck).toBeUndefined();
      if ('finding' in c.expect) {
        expect(findings.map((f) => f.kind)).toEqual(['kernel-address-unprobed']);
        expect(findings[0]?.message).toContain(c.expect.finding);
      } else {
        expect(findings).toEqual([]);
      }
    }
  });
});
