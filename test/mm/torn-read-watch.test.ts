/**
 * The torn-read check (verifier/torn-read.ts) on the kernel's bulk writes: a
 * timer DPC rewrites a page mapped into the program with one setBytes, fill
 * or copy — a whole page, or a range that stops short of, or just reaches
 * into, the 8-byte value the program reads as two 32-bit halves. The check
 * keeps the latest write per 8-byte granule: a bulk write counts for every
 * granule it touches and for no other.
 */
import { describe, expect, it } from 'vitest';
import { MmCached, NonPagedPool, NormalPagePriority, STATUS_SUCCESS, UserMode, type Nt } from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING } from 'ntshm/win32';
import { runProgramChecked } from '../helpers/in-program.js';
import { bootWith, call, pointerControl, testDriver } from '../helpers/test-driver.js';

/** The value the program reads in halves sits at +0x808 of the page (granule 0x101). */
const VALUE = 0x808;

/** [name, the DPC's write of the page at p, whether the reads see it (a torn-read finding)]. */
const cases: [string, (nt: Nt, p: number, n: number) => void, boolean][] = [
  ['setBytes of the whole page', (nt, p, n) => nt.setBytes(p, new Uint8Array(4096).fill(n)), true],
  ['RtlFillMemory of the whole page', (nt, p, n) => nt.RtlFillMemory(p, 4096, n), true],
  ['setBytes ending one byte into the value', (nt, p, n) => nt.setBytes(p, new Uint8Array(VALUE + 1).fill(n)), true],
  ['setBytes starting at the value\'s last byte', (nt, p, n) => nt.setBytes(p + VALUE + 7, new Uint8Array(4096 - VALUE - 7).fill(n)), true],
  ['setBytes ending just before the value', (nt, p, n) => nt.setBytes(p, new Uint8Array(VALUE).fill(n)), false],
  ['setBytes starting just after the value', (nt, p, n) => nt.setBytes(p + VALUE + 8, new Uint8Array(4096 - VALUE - 8).fill(n)), false],
  ['RtlCopyMemory of the page\'s other half onto its first half', (nt, p) => nt.RtlCopyMemory(p, p + 2048, 2048), false],
  ['RtlCopyMemory of the page\'s first half onto its second half', (nt, p) => nt.RtlCopyMemory(p + 2048, p, 2048), true],
];

describe.each(['x64', 'x86'] as const)('The torn-read check on bulk kernel writes, %s', (arch) => {
  async function race(write: (nt: Nt, p: number, n: number) => void) {
    const state: { p: number; timer?: unknown; n: number } = { p: 0, n: 0 };
    const driver = testDriver({
      name: 'Bulk',
      entry(nt) {
        state.p = nt.ExAllocatePoolWithTag(NonPagedPool, 4096, 'Bulk');
        nt.RtlZeroMemory(state.p, 4096);
        return STATUS_SUCCESS;
      },
      control: pointerControl({
        1: ({ nt }) => {
          const mdl = nt.IoAllocateMdl(state.p, 4096, false, false, null)!;
          nt.MmBuildMdlForNonPagedPool(mdl);
          const user = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
          const { timer } = nt.KeInitializeTimer();
          const { dpc } = nt.KeInitializeDpc(function RewritePage() { write(nt, state.p, ++state.n & 0xff); }, null);
          nt.KeSetTimerEx(timer, -20_000n, 2, dpc);
          state.timer = timer;
          return [user];
        },
        2: ({ nt }) => { nt.KeCancelTimer(state.timer as Parameters<Nt['KeCancelTimer']>[0]); },
      }),
    });
    const machine = await bootWith([driver], { arch, seed: 3 });
    const { result } = await runProgramChecked(machine, async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const [page] = await call(k32, h, 1);
      // The halves back to back, as the sharing-memory sample's torn-read variant reads them, through 20 ticks of the DPC.
      // A varying pause between pairs, so that the DPC's ticks do not always fall at one point of the loop.
      for (let i = 0; state.n < 20; i++) {
        k32.getUint32(page! + VALUE);
        k32.YieldProcessor();
        k32.getUint32(page! + VALUE + 4);
        for (let j = i % 5; j > 0; j--) k32.YieldProcessor();
      }
      await call(k32, h, 2);
    });
    return { findings: result.findings.filter((f) => f.kind === 'torn-read'), dpcs: state.n };
  }

  it.each(cases)('%s', async (_name, write, seen) => {
    const { findings, dpcs } = await race(write);
    expect(dpcs).toBeGreaterThanOrEqual(20);
    if (!seen) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings).toHaveLength(1);
    const d = findings[0]!.details as Record<string, unknown>;
    expect(d.writer).toBe('Bulk!RewritePage');
    expect(Number(d.physical) % 4096).toBe(VALUE);
    expect(d.count).toBeGreaterThan(1);
  });
});
