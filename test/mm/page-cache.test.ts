/**
 * The guest-memory page caches above the MMU (mm/access.ts): each holds the
 * last page read or written and the one before it. A program that goes back
 * and forth between two pages hits both; once a page is decommitted and
 * committed again (a new demand-zero frame), neither entry may still answer
 * with the old frame.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { MEM_COMMIT, MEM_DECOMMIT, MEM_RESERVE, PAGE_READWRITE, defineProgram } from 'ntshm/win32';

describe('the last two pages cached for 32-bit accesses', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`alternating between two pages reads and writes each page's own frame, and a page committed anew reads zero (${arch})`, async () => {
      const machine = await boot({ arch });
      const seen: Record<string, number> = {};
      // The kernel's user-mode view, which k32's own calls (their arguments on the stack) leave alone.
      const mem = machine.kernel.userMemory;
      const program = machine.spawn(defineProgram(async (k32) => {
        const a = k32.VirtualAlloc(0, 2 * 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        const b = a + 4096;
        for (let i = 0; i < 16; i++) {
          mem.setUint32(a + 4 * i, 0xaaaa_0000 + i);
          mem.setUint32(b + 4 * i, 0xbbbb_0000 + i);
        }
        let sum = 0;
        for (let i = 0; i < 16; i++) sum += (mem.getUint32(a + 4 * i) - 0xaaaa_0000) + (mem.getUint32(b + 4 * i) - 0xbbbb_0000);
        seen.sum = sum;
        mem.getUint32(a);
        mem.setUint32(a + 4, 0xaaaa_0001);
        // b is now the page each cache held before a; replace its frame.
        seen.decommit = k32.VirtualFree(b, 4096, MEM_DECOMMIT) ? 1 : 0;
        seen.recommit = k32.VirtualAlloc(b, 4096, MEM_COMMIT, PAGE_READWRITE) === b ? 1 : 0;
        seen.readB = mem.getUint32(b + 8);
        mem.setUint32(b + 12, 7);
        seen.readA = mem.getUint32(a + 8);
        seen.bytesB = new DataView(mem.getBytes(b + 12, 4).buffer).getUint32(0, true);
        return 0;
      }));
      const result = await machine.run();
      expect(result.bugcheck).toBeUndefined();
      expect(program.exitCode).toBe(0);
      expect(seen.sum).toBe(2 * (15 * 16) / 2);
      expect([seen.decommit, seen.recommit]).toEqual([1, 1]);
      expect(seen.readA).toBe(0xaaaa_0002);
      expect(seen.readB).toBe(0);
      expect(seen.bytesB).toBe(7);
    });
  }
});
