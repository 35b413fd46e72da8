/**
 * uninitialized-bytes-returned counts the bytes no kernel code wrote, not
 * the bytes that look unchanged: a driver that writes the same reply into a
 * reused SystemBuffer is not reported; one that claims more than it wrote is.
 */
import { expect, it } from 'vitest';
import { GENERIC_READ, OPEN_EXISTING } from 'ntshm/win32';
import { bootWith, opCode, runProgram, testDriver } from '../helpers/test-driver.js';

async function run(information: number) {
  const driver = testDriver({
    control: ({ nt, irp }) => {
      nt.setUint32(irp.AssociatedIrp.SystemBuffer, 0x1234_5678);
      nt.setUint32(irp.AssociatedIrp.SystemBuffer + 4, 0x9abc_def0);
      irp.IoStatus.Information = information;
    },
  });
  const machine = await bootWith([driver]);
  await runProgram(machine, async (k32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    const buffer = k32.HeapAlloc(k32.GetProcessHeap(), 0, 64);
    for (let i = 0; i < 3; i++) await k32.DeviceIoControl(h, opCode(1), buffer, 4, buffer, 32);
    return 0;
  });
  return machine.report().findings.filter((f) => f.kind === 'uninitialized-bytes-returned');
}

it('the same 8-byte reply, three times into a reused SystemBuffer, is no finding', async () => {
  expect(await run(8)).toEqual([]);
});

it('Information 32 for 8 bytes written: each request reports the 24 bytes the driver never wrote', async () => {
  const findings = await run(32);
  expect(findings).toHaveLength(3);
  expect(findings.every((f) => (f.details as { unwrittenBytes: number }).unwrittenBytes === 24)).toBe(true);
});
