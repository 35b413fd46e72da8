/**
 * Kernel code writing to a page it made read-only (MmProtectMdlSystemAddress)
 * is bug check 0xBE ATTEMPTED_WRITE_TO_READONLY_MEMORY: P1 the address, P2
 * the PTE's contents, all of it (on x64 the NX bit too, kept exact in kd's hex).
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xbe--attempted-write-to-readonly-memory
 */
import { describe, expect, it } from 'vitest';
import { MmCached, KernelMode, NonPagedPool, NormalPagePriority, PAGE_READONLY, PAGE_SIZE } from 'ntshm/wdm';
import { bootWith, call, runProgram, testDriver } from '../helpers/test-driver.js';
import { ARCHES, open } from './mdl-helpers.js';

describe.each(ARCHES)('a write to a read-only system mapping on %s', (arch) => {
  it('is 0xBE with the address and the PTE: valid, not writable, naming the frame', async () => {
    const seen = { va: 0, pfn: 0 };
    const driver = testDriver({
      control: ({ nt }) => {
        const pool = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'RoWr');
        const mdl = nt.IoAllocateMdl(pool, PAGE_SIZE, false, false, null)!;
        nt.MmBuildMdlForNonPagedPool(mdl);
        const va = nt.MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, 0, false, NormalPagePriority);
        nt.MmProtectMdlSystemAddress(mdl, PAGE_READONLY);
        seen.va = va;
        seen.pfn = nt.MmGetMdlPfnArray(mdl)[0]!;
        nt.setUint32(va, 1);
      },
    });
    const machine = await bootWith([driver], { arch });
    const { result } = await runProgram(machine, async (k32) => {
      await call(k32, open(k32, driver.path), 1);
      return 0;
    });
    expect(result.bugcheck?.code).toBe(0xbe);
    const report = machine.report();
    const [, p2] = report.bugcheck!.paramsHex;
    expect(report.bugcheck!.params[0]).toBe(seen.va);
    const pte = BigInt(p2!);
    expect(pte & 1n).toBe(1n); // valid
    expect(pte & 2n).toBe(0n); // not writable
    expect((pte & 0x000f_ffff_ffff_f000n) >> 12n).toBe(BigInt(seen.pfn));
    if (arch === 'x64') expect(pte >> 63n).toBe(1n); // a data page: no execute
  });
});
