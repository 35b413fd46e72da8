/**
 * Pool left behind at unload: with the verifier (pool tracking) bug check
 * 0xC4/0x62 (P4 the allocations not freed) whose explanation names each
 * block's tag and size, as `!verifier 3` lists them; without it, nothing.
 */
import { describe, expect, it } from 'vitest';
import { NonPagedPool, PagedPool } from 'ntshm/wdm';
import { bootWith, testDriver } from '../helpers/test-driver.js';

describe.each(['x64', 'x86'] as const)('pool left at unload on %s', (arch) => {
  it.each([true, false])('verifier %s', async (verifier) => {
    const driver = testDriver({
      entry: (nt) => {
        nt.ExAllocatePoolWithTag(NonPagedPool, 100, 'Leak');
        nt.ExAllocatePoolWithTag(PagedPool, 3000, 'Kept');
      },
    });
    const machine = await bootWith([driver], { arch, verifier });
    machine.unloadDriver(driver.name);
    if (!verifier) {
      expect(machine.bugcheck).toBeUndefined();
      return;
    }
    const bugcheck = machine.bugcheck!;
    expect(bugcheck.code).toBe(0xc4);
    expect(bugcheck.params[0]).toBe(0x62);
    expect(bugcheck.params[3]).toBe(2);
    expect(bugcheck.explanation).toContain("'Leak' 100 bytes");
    expect(bugcheck.explanation).toContain("'Kept' 3000 bytes");
  });
});
