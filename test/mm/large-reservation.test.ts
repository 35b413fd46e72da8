/**
 * A reservation of most of the address space costs what a small one does:
 * commit state is kept as runs and only pages with frames are walked, as
 * Windows' VADs make it. (A per-page array here once made such a call throw
 * out of the kernel or take minutes.) Committing all of it is refused at
 * once: it is far past the commit limit.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { MEM_COMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_NOACCESS, PAGE_READWRITE, defineProgram } from 'ntshm/win32';

const cases = [
  { arch: 'x64' as const, size: 2 ** 46 },
  { arch: 'x86' as const, size: 0x6000_0000 },
];

describe('huge reservations', () => {
  for (const { arch, size } of cases) {
    it(`reserves ${size / 2 ** 30} GiB on ${arch}, commits and touches a page in the middle, and releases it all`, async () => {
      const machine = await boot({ arch });
      const before = machine.stats();
      const seen: Record<string, number> = {};
      const program = machine.spawn(defineProgram(async (k32) => {
        const base = k32.VirtualAlloc(0, size, MEM_RESERVE, PAGE_READWRITE);
        seen.base = base;
        const middle = base + Math.floor(size / 2 / 4096) * 4096;
        seen.commit = k32.VirtualAlloc(middle, 4096, MEM_COMMIT, PAGE_READWRITE);
        k32.setUint32(middle, 0x1234);
        seen.value = k32.getUint32(middle);
        const reserved = k32.VirtualQuery(base).buffer!;
        seen.firstRegion = reserved.RegionSize;
        seen.firstState = reserved.State;
        const committed = k32.VirtualQuery(middle).buffer!;
        seen.middleRegion = committed.RegionSize;
        seen.middleState = committed.State;
        seen.bigCommit = k32.VirtualAlloc(base, size, MEM_COMMIT, PAGE_NOACCESS) === base ? 1 : 0;
        seen.bigCommitError = k32.GetLastError();
        seen.decommit = k32.VirtualFree(base, size, MEM_DECOMMIT) ? 1 : 0;
        seen.release = k32.VirtualFree(base, 0, MEM_RELEASE) ? 1 : 0;
        return 0;
      }));
      const result = await machine.run();
      expect(result.bugcheck).toBeUndefined();
      expect(program.exitCode).toBe(0);
      expect(seen.base).toBeGreaterThan(0);
      expect(seen.commit).toBeGreaterThan(0);
      expect(seen.value).toBe(0x1234);
      expect(seen.firstState).toBe(MEM_RESERVE);
      expect(seen.firstRegion).toBe(seen.commit! - seen.base!);
      expect(seen.middleState).toBe(MEM_COMMIT);
      expect(seen.middleRegion).toBe(4096);
      expect([seen.bigCommit, seen.bigCommitError]).toEqual([0, 1455]); // ERROR_COMMITMENT_LIMIT
      expect([seen.decommit, seen.release]).toEqual([1, 1]);
      expect(machine.stats().frames.free).toBe(before.frames.free);
      expect(machine.stats().commit).toEqual(before.commit);
    });
  }
});
