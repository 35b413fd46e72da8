/**
 * The kernel-address-unprobed finding carries the request's input bytes as
 * its replay. ntshm reads them only from the user range: a Type3InputBuffer
 * the program set to a system address (or one past 2^48) is reported without
 * bytes, never read by the kernel on the report's behalf, which would stop
 * the machine with 0x50 where the driver did nothing wrong with it.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_NEITHER } from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE } from 'ntshm/win32';
import { testDriver } from '../helpers/test-driver.js';

const IOCTL_NEITHER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x904, METHOD_NEITHER, FILE_ANY_ACCESS);

async function request(input: (page: number) => number) {
  const machine = await boot({ seed: 0, cpus: 1 });
  // A driver that looks at neither buffer: completing the request is all it does.
  const driver = testDriver({ control: () => undefined });
  machine.loadDriver(driver.name, driver.definition);
  machine.spawn(async (k32) => {
    const page = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    k32.setUint32(page, 0x11223344);
    const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    const r = await k32.DeviceIoControl(h, IOCTL_NEITHER, input(page), 4, 0, 0);
    k32.print(`ok ${r.ok}`);
    return 0;
  });
  const result = await machine.run();
  return { result, finding: result.findings.find((f) => f.kind === 'kernel-address-unprobed') };
}

describe('the input bytes of a METHOD_NEITHER request, as a finding reports them', () => {
  it.each([
    ['a system address', () => 0xf880_0000_0000 /* fffff880`00000000 in ntshm's 48-bit form */],
    ['an address past 2^48', () => 2 ** 53],
  ])('are not read when Type3InputBuffer is %s: the finding stands, with no replay, and the machine runs on', async (_what, input) => {
    const { result, finding } = await request(input);
    expect(result.bugcheck).toBeUndefined();
    expect(finding).toBeDefined();
    expect((finding!.details as { replay: unknown }).replay).toBeNull();
  });
});
