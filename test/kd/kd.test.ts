/**
 * kd on a live machine and on its dump: the same answers from both (the dump
 * holds the frames, and kd walks the page tables in them), and WinDbg's
 * shapes checked against fixtures taken from the sharing-memory sample.
 */
import { describe, expect, it } from 'vitest';
import { boot, loadDump, type Machine } from 'ntshm';
import { sharingMemory } from '../../samples/registry.js';

/** sharing-memory two seconds in: the program is running, the driver's page mapped into it through an MDL. */
async function sharingMemoryRunning(arch: 'x64' | 'x86'): Promise<Machine> {
  const m = await boot({ arch });
  await sharingMemory.setup(m, { seconds: 5, variant: undefined });
  await m.run({ seconds: 2 });
  return m;
}

/** The program's process, its MDL-mapped page (user VA), the MDL, and the frame under it. */
function sharedPage(m: Machine): { pid: string; va: string; mdl: string; pfn: string; kernelVa: string } {
  const p = m.kernel.ps.processes.find((x) => x.ImageFileName === 'SharingMemory.exe');
  const vad = p?.VadRoot.vads.find((v) => v.kind === 'mdl');
  if (!p || !vad?.mdl) throw new Error('sharing-memory has no MDL mapping two seconds in');
  return {
    pid: p.UniqueProcessId.toString(16), va: vad.start.toString(16), mdl: vad.mdl.address.toString(16),
    pfn: (vad.mdl.PfnArray[0] ?? 0).toString(16), kernelVa: vad.mdl.MappedSystemVa.toString(16),
  };
}

describe.each(['x64', 'x86'] as const)('kd on %s', (arch) => {
  it('answers the same on the live machine and on its dump, for every command that reads memory or state', async () => {
    const m = await sharingMemoryRunning(arch);
    const s = sharedPage(m);
    const dump = loadDump(m.dump());
    const commands = [
      `.process ${s.pid}`, `!pte ${s.va}`, `!vtop 0 ${s.va}`, `!pfn ${s.pfn}`, `db ${s.va} L40`, `dd ${s.kernelVa} L8`, `dq ${s.kernelVa} L4`,
      `dw ${s.kernelVa} L8`, `!pte ${s.kernelVa}`, `dt nt!_MDL ${s.mdl}`, `!pool ${s.mdl}`, '!poolused', '!process 0 0', `!process ${s.pid} 7`,
      '!vad', '!handle', 'lm', 'k', '!lockedpages', '!object \\Device', '!verifier', '!analyze -v', '.formats 7f',
    ];
    for (const c of commands) expect(dump.kd(c), c).toBe(m.kd(c));
  });

  it('reads the page the driver shares through both of its addresses: the same bytes, one frame', async () => {
    const m = await sharingMemoryRunning(arch);
    const s = sharedPage(m);
    m.kd(`.process ${s.pid}`);
    const bytes = (text: string): string => text.split('\n').map((l) => l.split(/\s{2,}/)[1]).join(' ');
    expect(bytes(m.kd(`db ${s.va} L20`))).toBe(bytes(m.kd(`db ${s.kernelVa} L20`)));
    const pfn = m.kd(`!pfn ${s.pfn}`);
    expect(pfn).toMatch(/share count 00000002/);
    expect(pfn).toMatch(/SharingMemory\.exe \(Cid 0104\)/);
    expect(pfn).toMatch(/kernel/);
    expect(m.kd(`!vtop 0 ${s.va}`)).toMatch(new RegExp(`translates to physical address ${s.pfn}000\\.`));
  });

  it('!pte shows every level, each with its frame and its flags: user, writable, valid; the kernel page global and kernel-only', async () => {
    const m = await sharingMemoryRunning(arch);
    const s = sharedPage(m);
    m.kd(`.process ${s.pid}`);
    const user = m.kd(`!pte ${s.va}`).split('\n');
    expect(user[1]?.match(/ at /g)).toHaveLength(arch === 'x64' ? 4 : 2);
    expect(user[3]).toMatch(new RegExp(`pfn ${s.pfn} +-+A--UW-V$`));
    const kernel = m.kd(`!pte ${s.kernelVa}`).split('\n');
    expect(kernel[3]).toMatch(new RegExp(`pfn ${s.pfn} +-G-DA--KW-V$`));
  });

  it('says in one line what it cannot use: a bad address, an unknown command, one not implemented yet', async () => {
    const m = await sharingMemoryRunning(arch);
    expect(m.kd('!pte zz')).toBe("Couldn't resolve error at 'zz': expected a virtual address");
    expect(m.kd('!bogus')).toMatch(/^No export !bogus found \(ntshm's kd knows: !analyze, /);
    expect(m.kd('!stacks')).toBe('!stacks: not implemented in ntshm yet');
    expect(m.kd('dt nt!_EPROCESS 0')).toMatch(/not implemented in ntshm yet/);
    expect(m.kd('!pfn ffffffff')).toMatch(/is not a valid PFN/);
    expect(m.kd('.process /p /r 104')).toMatch(/^Implicit process is now /);
    expect(m.kd('.process 999')).toMatch(/^No process 999 /);
  });

  it('db on an address no page backs shows ??', async () => {
    const m = await sharingMemoryRunning(arch);
    expect(m.kd('db 0 L10')).toBe(`${arch === 'x64' ? '00000000`00000000' : '00000000'}  ?? ?? ?? ?? ?? ?? ?? ??-?? ?? ?? ?? ?? ?? ?? ??  ????????????????`);
  });
});

describe('kd fixtures (sharing-memory, seed 1, two seconds in)', () => {
  it('x64: !pte of the user mapping, dt nt!_MDL and !pfn', async () => {
    const m = await sharingMemoryRunning('x64');
    const s = sharedPage(m);
    m.kd(`.process ${s.pid}`);
    expect(m.kd(`!pte ${s.va}`)).toMatchInlineSnapshot(`
      "                                           VA 0000000001010000
      PXE at FFFFF6FB7DBED000    PPE at FFFFF6FB7DA00000    PDE at FFFFF6FB40000040    PTE at FFFFF68000008080
      contains 0000000000067027  contains 0000000000070027  contains 0000000000079027  contains 8000000000078027
      pfn 67        ----A--UWEV  pfn 70        ----A--UWEV  pfn 79        ----A--UWEV  pfn 78        ----A--UW-V"
    `);
    expect(m.kd(`dt nt!_MDL ${s.mdl}`)).toMatchInlineSnapshot(`
      "   +0x000 Next             : (null) 
         +0x008 Size             : 0n56
         +0x00a MdlFlags         : 0n12
         +0x00c AllocationProcessorNumber : 0
         +0x00e Reserved         : 0
         +0x010 Process          : (null) 
         +0x018 MappedSystemVa   : 0xfffffa80\`0000a000 Void
         +0x020 StartVa          : 0xfffffa80\`0000a000 Void
         +0x028 ByteCount        : 0x1000
         +0x02c ByteOffset       : 0x0
         MdlFlags: MDL_SOURCE_IS_NONPAGED_POOL | MDL_ALLOCATED_FIXED_SIZE
         PFN array (+0x30): 78"
    `);
    expect(m.kd(`!pfn ${s.pfn}`)).toMatchInlineSnapshot(`
      "    PFN 00000078 at physical address 00078000
          share count 00000002  reference (lock) count 0000  NonPagedPool
          in MDL fffffa80\`00009630 (flags 000c, SharingMemory)
          mapped at:
            fffffa80\`0000a000  kernel                       -G-DA--KW-V
            00000000\`01010000  SharingMemory.exe (Cid 0104) ----A--UW-V"
    `);
  });

  it('x86: !pte of the user mapping, dt nt!_MDL and !pfn', async () => {
    const m = await sharingMemoryRunning('x86');
    const s = sharedPage(m);
    m.kd(`.process ${s.pid}`);
    expect(m.kd(`!pte ${s.va}`)).toMatchInlineSnapshot(`
      "                                           VA 01010000
      PDE at C0300010            PTE at C0004040
      contains 0003F027          contains 0003E027
      pfn 3f        ----A--UW-V  pfn 3e        ----A--UW-V"
    `);
    expect(m.kd(`dt nt!_MDL ${s.mdl}`)).toMatchInlineSnapshot(`
      "   +0x000 Next             : (null) 
         +0x004 Size             : 0n32
         +0x006 MdlFlags         : 0n12
         +0x008 Process          : (null) 
         +0x00c MappedSystemVa   : 0x81004000 Void
         +0x010 StartVa          : 0x81004000 Void
         +0x014 ByteCount        : 0x1000
         +0x018 ByteOffset       : 0x0
         MdlFlags: MDL_SOURCE_IS_NONPAGED_POOL | MDL_ALLOCATED_FIXED_SIZE
         PFN array (+0x1c): 3e"
    `);
    expect(m.kd(`!pfn ${s.pfn}`)).toMatchInlineSnapshot(`
      "    PFN 0000003E at physical address 0003E000
          share count 00000002  reference (lock) count 0000  NonPagedPool
          in MDL 81003a68 (flags 000c, SharingMemory)
          mapped at:
            81004000  kernel                       -G-DA--KW-V
            01010000  SharingMemory.exe (Cid 0104) ----A--UW-V"
    `);
  });
});
