/**
 * ProbeForRead and ProbeForWrite on the addresses a program passes: the
 * alignment check and the page walk of ProbeForWrite read an address's low
 * bits with `&` (an x64 user address above 4 GiB is a double, whose `%` is
 * a slow fmod), and must answer as before at every alignment the page
 * documents, at one it does not (3), and for x64 addresses above 2^32.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread
 */
import { describe, expect, it } from 'vitest';
import { GENERIC_READ, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READONLY, PAGE_READWRITE } from 'ntshm/win32';
import { NtException } from 'ntshm/wdm';
import { bootWith, call, runProgram, testDriver } from '../helpers/test-driver.js';

const STATUS_ACCESS_VIOLATION = 0xc0000005;
const STATUS_DATATYPE_MISALIGNMENT = 0x80000002;

describe.each(['x64', 'x86'] as const)('probes on %s', (arch) => {
  it('answer by alignment, range and protection', async () => {
    const seen: [string, number][] = [];
    const probes = testDriver({
      name: 'Probes',
      control: ({ nt, irp }) => {
        const [rw, ro] = [nt.getPointer(irp.AssociatedIrp.SystemBuffer), nt.getPointer(irp.AssociatedIrp.SystemBuffer + nt.sizeofPointer)];
        const byThree = rw + ((3 - (rw % 3)) % 3);
        const cases: [string, 'read' | 'write', number, number, number][] = [
          ['aligned 8', 'read', rw + 8, 8, 8], ['misaligned 8', 'read', rw + 4, 8, 8], ['misaligned 16', 'read', rw + 8, 8, 16],
          ['aligned 16', 'write', rw + 32, 16, 16], ['odd, alignment 2', 'write', rw + 1, 2, 2], ['alignment 3 (none the page lists)', 'read', byThree, 1, 3],
          ['alignment 3, misaligned', 'read', byThree + 1, 1, 3], ['two pages, write', 'write', rw + 4090, 12, 1], ['read-only page, read', 'read', ro, 16, 4],
          ['read-only page, write', 'write', ro, 16, 4], ['past the user range', 'read', nt.sizeofPointer === 8 ? 0x7fff_ffff_0000 : 0x7fff_0000, 0x20000, 1],
          ['length 0 anywhere', 'write', 3, 0, 8],
        ];
        for (const [what, kind, address, length, alignment] of cases) {
          try {
            if (kind === 'read') nt.ProbeForRead(address, length, alignment);
            else nt.ProbeForWrite(address, length, alignment);
            seen.push([what, 0]);
          } catch (e) {
            seen.push([what, e instanceof NtException ? e.status : -1]);
          }
        }
      },
    });
    const machine = await bootWith([probes], { arch });
    const { result } = await runProgram(machine, async (k32) => {
      // On x64 the buffers lie above 4 GiB, where an address is a double.
      const high = arch === 'x64' ? 0x7ff0_0000_0000 : 0;
      const rw = k32.VirtualAlloc(high, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const ro = k32.VirtualAlloc(high ? high + 0x10000 : 0, 0x10000, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
      if (!rw || !ro) throw new Error(`VirtualAlloc failed: ${k32.GetLastError()}`);
      const h = k32.CreateFileW('\\\\.\\Probes', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await call(k32, h, 0x800, rw, ro);
      return 0;
    });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual([
      ['aligned 8', 0], ['misaligned 8', STATUS_DATATYPE_MISALIGNMENT], ['misaligned 16', STATUS_DATATYPE_MISALIGNMENT],
      ['aligned 16', 0], ['odd, alignment 2', STATUS_DATATYPE_MISALIGNMENT], ['alignment 3 (none the page lists)', 0],
      ['alignment 3, misaligned', STATUS_DATATYPE_MISALIGNMENT], ['two pages, write', 0], ['read-only page, read', 0],
      ['read-only page, write', STATUS_ACCESS_VIOLATION], ['past the user range', STATUS_ACCESS_VIOLATION], ['length 0 anywhere', 0],
    ]);
  });
});
