/**
 * The README's "Writing a driver and a program" example, as it stands there
 * (keep the two in step): it must run and print what it says.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { boot } from 'ntshm';
import { defineDriver, IRP_MJ_CREATE, STATUS_SUCCESS } from 'ntshm/wdm';
import { defineProgram, GENERIC_READ, OPEN_EXISTING } from 'ntshm/win32';
import { main } from '../src/cli/program.js';

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

it("the README's kd example shows what `ntshm run` and `ntshm kd` print for locked-user-buffer --variant no-unlock", async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const folder = mkdtempSync(join(tmpdir(), 'ntshm-readme-'));
  let out = '';
  const io = { out: (s: string) => { out += s; }, err: () => undefined, dumpFolder: folder };
  await main(['run', 'locked-user-buffer', '--variant', 'no-unlock', '--verifier'], io);
  const file = join(folder, 'locked-user-buffer-no-unlock-x64-verifier-seed1.ntshmdmp');
  for (const command of ['!lockedpages', '!mdl fffffa8000009f10']) {
    out = '';
    await main(['kd', file, '-c', command], io);
    expect(readme, command).toContain(out);
  }
});
