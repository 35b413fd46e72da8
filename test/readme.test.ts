/**
 * The README's "Writing a driver and a program" example, as it stands there
 * (keep the two in step): it must run and print what it says.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { boot } from 'ntshm';
import { defineDriver, IRP_MJ_CREATE, STATUS_SUCCESS } from 'ntshm/wdm';
import { defineProgram, GENERIC_READ, OPEN_EXISTING } from 'ntshm/win32';

it('the README example loads a driver, opens its device and prints the handle', async () => {
  const driver = defineDriver({
    name: 'Hello',
    DriverEntry(nt, DriverObject) {
      const { status } = nt.IoCreateDevice(DriverObject, 0, '\\Device\\Hello', 0x22, 0, false);
      nt.IoCreateSymbolicLink('\\DosDevices\\Hello', '\\Device\\Hello');
      DriverObject.MajorFunction[IRP_MJ_CREATE] = (_dev, irp) => {
        irp.IoStatus.Status = STATUS_SUCCESS;
        nt.IoCompleteRequest(irp, 0);
        return STATUS_SUCCESS;
      };
      return status;
    },
  });

  const machine = await boot({ arch: 'x64', seed: 1 });
  machine.loadDriver('Hello', driver);
  machine.spawn(defineProgram(async (k32) => {
    const h = k32.CreateFileW('\\\\.\\Hello', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    k32.print(`handle ${h}, last error ${k32.GetLastError()}`);
    return 0;
  }));
  const result = await machine.run();
  expect(result.bugcheck).toBeUndefined();
  expect(machine.log.map((e) => e.text)).toEqual(['handle 8, last error 0']);
});

it('the README shows examples/counter/scenario.ts and its test as they are', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const file of ['scenario.ts', 'counter.test.ts']) {
    const text = readFileSync(new URL(`../examples/counter/${file}`, import.meta.url), 'utf8');
    expect(readme.includes('```ts\n' + text + '```'), file).toBe(true);
  }
});
