/**
 * VirtualProtect on a view: a page of a view gets its own protection within
 * what the section allows; the other pages of the view, and other views of
 * the same section, keep theirs; the bytes stay.
 */
import { inProgram } from '../helpers/in-program.js';
import { expect, it } from 'vitest';
import {
  FILE_MAP_ALL_ACCESS, FILE_MAP_READ, INVALID_HANDLE_VALUE, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE,
} from '../../src/api/win32.js';


const faults = (body: () => void): boolean => {
  try {
    body();
    return false;
  } catch {
    return true;
  }
};

it('a page made read-only refuses writes in this view only; made PAGE_NOACCESS it refuses reads; restored, it has kept its bytes', async () => {
  const { seen, before, after } = await inProgram((k32) => {
    const h = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, 0x2000, null);
    const a = k32.MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    const b = k32.MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    k32.setUint32(a, 7);
    const toReadOnly = k32.VirtualProtect(a, 0x1000, PAGE_READONLY);
    const result: Record<string, unknown> = {
      toReadOnly,
      writeA: faults(() => k32.setUint32(a, 8)),
      writeB: faults(() => k32.setUint32(b, 9)),
      secondPageWritable: !faults(() => k32.setUint32(a + 0x1000, 1)),
      queryFirst: [k32.VirtualQuery(a).buffer?.Protect, k32.VirtualQuery(a).buffer?.RegionSize],
      querySecond: k32.VirtualQuery(a + 0x1000).buffer?.Protect,
    };
    result.toNoAccess = k32.VirtualProtect(a, 1, PAGE_NOACCESS);
    result.readA = faults(() => k32.getUint32(a));
    result.back = k32.VirtualProtect(a, 0x1000, PAGE_READWRITE);
    result.value = k32.getUint32(a);
    k32.UnmapViewOfFile(a);
    k32.UnmapViewOfFile(b);
    k32.CloseHandle(h);
    return result;
  });
  expect(seen).toEqual({
    toReadOnly: { ok: true, oldProtect: PAGE_READWRITE },
    writeA: true, writeB: false, secondPageWritable: true,
    queryFirst: [PAGE_READONLY, 0x1000], querySecond: PAGE_READWRITE,
    toNoAccess: { ok: true, oldProtect: PAGE_READONLY },
    readA: true,
    back: { ok: true, oldProtect: PAGE_NOACCESS },
    value: 9,
  });
  expect(after.frames.free).toBe(before.frames.free);
});

it('a read-only view of a read-only section cannot be made writable (STATUS_SECTION_PROTECTION)', async () => {
  const { seen } = await inProgram((k32) => {
    const h = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READONLY, 0, 0x1000, null);
    const v = k32.MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    const result = { made: k32.VirtualProtect(v, 0x1000, PAGE_READWRITE).ok, protect: k32.VirtualQuery(v).buffer?.Protect };
    k32.UnmapViewOfFile(v);
    k32.CloseHandle(h);
    return result;
  });
  expect(seen).toEqual({ made: false, protect: PAGE_READONLY });
});
