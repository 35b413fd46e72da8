/**
 * !mdl, and the display commands dc, da, du and dps: sharing-memory's MDL
 * and the page it shares (written into by the test, through its frame), and
 * the MDL locked-user-buffer's no-unlock variant leaves locked; live, and
 * the same from the dump.
 */
import { describe, expect, it } from 'vitest';
import { boot, loadDump, type Machine } from 'ntshm';
import { KiRoutineAddress } from '../../src/kernel/ke/nt-image.js';
import { lockedUserBuffer, sharingMemory } from '../../samples/registry.js';

async function sharingMemoryRunning(arch: 'x64' | 'x86'): Promise<Machine> {
  const m = await boot({ arch });
  await sharingMemory.setup(m, { seconds: 5, variant: undefined });
  await m.run({ seconds: 2 });
  return m;
}

/** The shared page: its user address in the program, its MDL, and its frame. */
function sharedPage(m: Machine) {
  const p = m.kernel.ps.processes.find((x) => x.ImageFileName === 'SharingMemory.exe')!;
  const vad = p.VadRoot.vads.find((v) => v.kind === 'mdl')!;
  return { va: vad.start, mdl: vad.mdl!, pfn: vad.mdl!.PfnArray[0]! };
}

describe('!mdl', () => {
  it('x64: sharing-memory\'s MDL, No chain, its header and its one PFN after the header', async () => {
    const m = await sharingMemoryRunning('x64');
    const { mdl } = sharedPage(m);
    expect(m.kd(`!mdl ${mdl.address.toString(16)}`)).toBe([
      'Mdl fffffa8000009630: No chain',
      '    Next 0000000000000000  Size 0038  MdlFlags 000c  Process 0000000000000000',
      '    MappedSystemVa fffffa800000a000  StartVa fffffa800000a000  ByteCount 00001000  ByteOffset 00000000',
      '    MdlFlags: MDL_SOURCE_IS_NONPAGED_POOL | MDL_ALLOCATED_FIXED_SIZE',
      'fffffa8000009660: 0000000000000078',
    ].join('\n'));
    expect(m.kd('!mdl 1234')).toMatch(/^No live MDL at /);
  });

  it.each(['x64', 'x86'] as const)('%s: the MDL locked-user-buffer --variant no-unlock left locked (the bug check\'s Arg3), from the dump', async (arch) => {
    const m = await boot({ arch, verifier: true });
    await lockedUserBuffer.setup(m, { seconds: 5, variant: 'no-unlock' });
    await m.run({ seconds: 5 });
    expect(m.bugcheck?.code).toBe(0xcb);
    const mdl = m.kernel.bugcheck!.params[2].toString(16);
    const dump = loadDump(m.dump());
    const lines = dump.kd(`!mdl ${mdl}`).split('\n');
    expect(lines[0]).toBe(`Mdl ${arch === 'x64' ? `ffff${mdl.padStart(12, '0')}` : mdl.padStart(8, '0')}: No chain`);
    expect(lines[1]).toMatch(/ MdlFlags 000b {2}Process [0-9a-f]+$/);
    expect(lines[3]).toBe('    MdlFlags: MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED | MDL_ALLOCATED_FIXED_SIZE');
    const pfn = dump.kd('!lockedpages').split('\n')[2]?.trim().split(/\s+/)[3] ?? '';
    expect(lines[4]).toMatch(new RegExp(`^[0-9a-f]+: 0*${pfn}$`));
    expect(dump.kd(`!mdl ${mdl}`)).toBe(m.kd(`!mdl ${mdl}`));
  });
});

describe.each(['x64', 'x86'] as const)('dc, da, du and dps on %s', (arch) => {
  const ps = arch === 'x64' ? 8 : 4;
  const addr = (n: number) => (arch === 'x64' ? `${n.toString(16).padStart(16, '0').slice(0, 8)}\`${n.toString(16).padStart(16, '0').slice(8)}` : n.toString(16).padStart(8, '0'));

  /** Writes into the shared page through its frame (the program and the driver see the same bytes). */
  function poke(m: Machine, pfn: number, offset: number, bytes: number[]): void {
    m.kernel.memory.u8.set(bytes, pfn * 4096 + offset);
  }

  function pointerBytes(value: number): number[] {
    const v = arch === 'x64' && value >= 2 ** 47 ? BigInt(value) | 0xffff_0000_0000_0000n : BigInt(value);
    return [...Array(ps).keys()].map((i) => Number((v >> BigInt(8 * i)) & 0xffn));
  }

  it('show a string, DWORDs with their characters, and pointers with the driver routine they name', async () => {
    const m = await sharingMemoryRunning(arch);
    const { va, pfn } = sharedPage(m);
    const driver = m.kernel.io.drivers.get('SHARINGMEMORY')!;
    const dispatchControl = driver.routineAddresses.get(driver.MajorFunction[0xe]!)!;
    poke(m, pfn, 0x200, [...'Hello, kd'].map((c) => c.charCodeAt(0)).concat(0));
    poke(m, pfn, 0x300, [0x48, 0, 0x69, 0, 0x01, 0, 0x21, 0, 0, 0]);
    poke(m, pfn, 0x400, [...'x'.repeat(60)].map((c) => c.charCodeAt(0)).concat(0));
    [dispatchControl, dispatchControl + 0x10, driver.DriverStart + 0x3000, KiRoutineAddress(arch, 'KeWaitForSingleObject'), 0x1234]
      .forEach((v, i) => poke(m, pfn, 0x100 + i * ps, pointerBytes(v)));
    m.kd('.process 104');
    const at = (off: number) => (va + off).toString(16);
    expect(m.kd(`da ${at(0x200)}`)).toBe(`${addr(va + 0x200)}  "Hello, kd"`);
    expect(m.kd(`du ${at(0x300)}`)).toBe(`${addr(va + 0x300)}  "Hi.!"`);
    expect(m.kd(`da ${at(0x400)} L100`)).toBe(`${addr(va + 0x400)}  "${'x'.repeat(48)}"\n${addr(va + 0x430)}  "${'x'.repeat(12)}"`);
    expect(m.kd(`dc ${at(0x200)} L4`)).toBe(`${addr(va + 0x200)}  6c6c6548 6b202c6f 00000064 00000000  Hello, kd.......`);
    expect(m.kd(`dc ${at(0x200)}`).split('\n')).toHaveLength(8);
    const p = (v: number) => { const s = pointerBytes(v).reverse().map((b) => b.toString(16).padStart(2, '0')).join(''); return ps === 8 ? `${s.slice(0, 8)}\`${s.slice(8)}` : s; };
    expect(m.kd(`dps ${at(0x100)} L5`).split('\n')).toEqual([
      `${addr(va + 0x100)}  ${p(dispatchControl)} SharingMemory!DispatchControl`,
      `${addr(va + 0x100 + ps)}  ${p(dispatchControl + 0x10)} SharingMemory!DispatchControl+0x10`,
      `${addr(va + 0x100 + 2 * ps)}  ${p(driver.DriverStart + 0x3000)} SharingMemory+0x3000`,
      `${addr(va + 0x100 + 3 * ps)}  ${p(KiRoutineAddress(arch, 'KeWaitForSingleObject'))} nt!KeWaitForSingleObject`,
      `${addr(va + 0x100 + 4 * ps)}  ${p(0x1234)}`,
    ]);
    expect(m.kd('da 0')).toBe(`${addr(0)}  ????`);
    const dump = loadDump(m.dump());
    dump.kd('.process 104');
    for (const c of [`da ${at(0x200)}`, `du ${at(0x300)}`, `dc ${at(0x200)}`, `dps ${at(0x100)} L5`]) expect(dump.kd(c), c).toBe(m.kd(c));
  });
});
