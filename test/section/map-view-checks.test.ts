/**
 * NtMapViewOfSection's argument checks, each with the status Windows returns
 * (the WDK page of ZwMapViewOfSection and ReactOS's NtMapViewOfSection give
 * the order), on both architectures; then what a view is: MEM_MAPPED in
 * VirtualQuery, one frame for two views, the frames gone with the last view
 * and handle.
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/index.js';
import {
  STATUS_ACCESS_DENIED, STATUS_CONFLICTING_ADDRESSES, STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER_3, STATUS_INVALID_PARAMETER_4,
  STATUS_INVALID_PARAMETER_6, STATUS_INVALID_PARAMETER_8, STATUS_INVALID_PARAMETER_9, STATUS_INVALID_VIEW_SIZE, STATUS_NOT_MAPPED_VIEW,
  STATUS_SECTION_PROTECTION, STATUS_SUCCESS, ViewShare,
} from '../../src/api/wdm.js';
import {
  defineProgram, FILE_MAP_READ, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_MAPPED, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, SEC_COMMIT,
  type K32,
} from '../../src/api/win32.js';

const SECTION_MAP_READ = 4;
const SECTION_MAP_WRITE = 2;

async function inProgram<T>(arch: 'x64' | 'x86', body: (k32: K32) => T): Promise<T> {
  const machine = await boot({ arch, seed: 1, profile: 'nt4' });
  let result: T | undefined;
  let error: unknown;
  machine.spawn(defineProgram((k32) => {
    try {
      result = body(k32);
    } catch (e) {
      error = e;
    }
    return 0;
  }));
  await machine.run({ seconds: 5 });
  if (error) throw error;
  return result as T;
}

describe.each(['x64', 'x86'] as const)('NtMapViewOfSection on %s', (arch) => {
  it('returns the documented status for each bad argument', async () => {
    const highest = arch === 'x64' ? 0x7fff_fffe_ffff : 0x7ffe_ffff;
    const statuses = await inProgram(arch, (k32) => {
      const { sectionHandle: h } = k32.NtCreateSection(SECTION_MAP_READ | SECTION_MAP_WRITE | 1, null, 0x20000, PAGE_READONLY, SEC_COMMIT, 0);
      const map = (o: Partial<{ handle: number; base: number; zeroBits: number; offset: number; size: number; inherit: number; type: number; protect: number }>) =>
        k32.NtMapViewOfSection(o.handle ?? h, -1, o.base ?? 0, o.zeroBits ?? 0, 0, o.offset ?? 0, o.size ?? 0, o.inherit ?? ViewShare,
          o.type ?? 0, o.protect ?? PAGE_READONLY).status;
      return {
        zeroBits: map({ zeroBits: 22 }),
        inherit: map({ inherit: 3 }),
        type: map({ type: 0x80 }),
        protect: map({ protect: 0x3 }),
        base: map({ base: highest + 1 }),
        end: map({ base: highest - 0xffff, size: 0x20000 }),
        viewSize: map({ offset: 0x10000, size: 0x20000 }),
        offsetPast: map({ offset: 0x20000 }),
        sectionProtection: map({ protect: PAGE_READWRITE }),
        writeCopy: map({ protect: PAGE_WRITECOPY }),
        badHandle: map({ handle: 0x7ffc }),
        ok: map({}),
      };
    });
    expect(statuses).toEqual({
      zeroBits: STATUS_INVALID_PARAMETER_4, inherit: STATUS_INVALID_PARAMETER_8, type: STATUS_INVALID_PARAMETER_9,
      protect: STATUS_INVALID_PAGE_PROTECTION, base: STATUS_INVALID_PARAMETER_3, end: STATUS_INVALID_PARAMETER_3,
      viewSize: STATUS_INVALID_VIEW_SIZE, offsetPast: STATUS_INVALID_VIEW_SIZE, sectionProtection: STATUS_SECTION_PROTECTION,
      writeCopy: STATUS_SUCCESS, badHandle: 0xc0000008, ok: STATUS_SUCCESS,
    });
  });

  it('refuses a view the handle was not granted (STATUS_ACCESS_DENIED) and a view at a taken address', async () => {
    const r = await inProgram(arch, (k32) => {
      const { sectionHandle: h } = k32.NtCreateSection(SECTION_MAP_READ, null, 0x10000, PAGE_READWRITE, SEC_COMMIT, 0);
      const write = k32.NtMapViewOfSection(h, -1, 0, 0, 0, null, 0, ViewShare, 0, PAGE_READWRITE).status;
      const first = k32.NtMapViewOfSection(h, -1, 0, 0, 0, null, 0, ViewShare, 0, PAGE_READONLY);
      const again = k32.NtMapViewOfSection(h, -1, first.baseAddress, 0, 0, null, 0, ViewShare, 0, PAGE_READONLY).status;
      const kernel = k32.NtUnmapViewOfSection(-1, arch === 'x64' ? 2 ** 47 + 0x1000 : 0x8000_1000);
      return { write, again, kernel };
    });
    expect(r).toEqual({ write: STATUS_ACCESS_DENIED, again: STATUS_CONFLICTING_ADDRESSES, kernel: STATUS_NOT_MAPPED_VIEW });
  });

  it('refuses bad section arguments (STATUS_INVALID_PARAMETER_6, STATUS_INVALID_PAGE_PROTECTION, no size _4)', async () => {
    const r = await inProgram(arch, (k32) => [
      k32.NtCreateSection(0xf001f, null, 4096, PAGE_READWRITE, 0, 0).status,
      k32.NtCreateSection(0xf001f, null, 4096, PAGE_READWRITE | 0x200, SEC_COMMIT, 0).status,
      k32.NtCreateSection(0xf001f, null, null, PAGE_READWRITE, SEC_COMMIT, 0).status,
    ]);
    expect(r).toEqual([STATUS_INVALID_PARAMETER_6, STATUS_INVALID_PAGE_PROTECTION, STATUS_INVALID_PARAMETER_4]);
  });

  it('two views are one frame; VirtualQuery says MEM_MAPPED; the frames go with the last view and handle', async () => {
    const machine = await boot({ arch, seed: 1, profile: 'nt4' });
    const before = machine.stats();
    const seen: Record<string, unknown> = {};
    machine.spawn(defineProgram((k32) => {
      const h = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, 0x3000, 'Shared');
      const a = k32.MapViewOfFile(h, 0xf001f, 0, 0, 0);
      const b = k32.MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
      k32.setUint32(a + 0x1004, 0xfeedface);
      seen.read = k32.getUint32(b + 0x1004);
      seen.query = k32.VirtualQuery(b).buffer;
      seen.frames = machine.stats().frames.free;
      k32.UnmapViewOfFile(a);
      seen.stillThere = k32.getUint32(b + 0x1004);
      k32.UnmapViewOfFile(b);
      k32.CloseHandle(h);
      seen.after = machine.stats().frames.free;
      return 0;
    }));
    await machine.run({ seconds: 5 });
    expect(seen.read).toBe(0xfeedface);
    expect(seen.stillThere).toBe(0xfeedface);
    expect(seen.query).toMatchObject({ State: MEM_COMMIT, Type: MEM_MAPPED, Protect: PAGE_READONLY, RegionSize: 0x3000 });
    expect(machine.stats().frames.free).toBe(before.frames.free);
    expect(machine.stats().handles).toBe(before.handles);
    expect(machine.kernel.segments.segments.size).toBe(1); // \Device\PhysicalMemory's only
  });

  it('\\Device\\PhysicalMemory cannot be opened from user mode (STATUS_ACCESS_DENIED)', async () => {
    const status = await inProgram(arch, (k32) =>
      k32.NtOpenSection(SECTION_MAP_READ, { ObjectName: '\\Device\\PhysicalMemory', Attributes: 0x40 }).status);
    expect(status).toBe(STATUS_ACCESS_DENIED);
  });
});
