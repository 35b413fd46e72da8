/**
 * SEC_RESERVE sections (pages committed in a view, for every view) and
 * write-copy views (a write makes the process its own copy; the section's
 * page and other views keep the original).
 */
import { inProgram } from '../helpers/in-program.js';
import { expect, it } from 'vitest';
import {
  FILE_MAP_ALL_ACCESS, FILE_MAP_COPY, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, SEC_RESERVE,
} from '../../src/api/win32.js';


it('a SEC_RESERVE section: reserved until VirtualAlloc(MEM_COMMIT) in a view, then committed in every view', async () => {
  const { seen, before, after } = await inProgram((k32) => {
    const h = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE | SEC_RESERVE, 0, 0x4000, null);
    const a = k32.MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    const b = k32.MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    const reserved = k32.VirtualQuery(a).buffer?.State;
    let faulted = false;
    try {
      k32.setUint32(a, 1);
    } catch {
      faulted = true;
    }
    const committed = k32.VirtualAlloc(a, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    k32.setUint32(a, 0x1234);
    const result = { reserved, faulted, committed: committed === a, inB: k32.getUint32(b), stateB: k32.VirtualQuery(b).buffer?.State,
      restB: k32.VirtualQuery(b + 0x1000).buffer?.State };
    k32.UnmapViewOfFile(a);
    k32.UnmapViewOfFile(b);
    k32.CloseHandle(h);
    return result;
  });
  expect(seen).toEqual({ reserved: MEM_RESERVE, faulted: true, committed: true, inB: 0x1234, stateB: MEM_COMMIT, restB: MEM_RESERVE });
  expect(after.frames.free).toBe(before.frames.free);
});

it('a write-copy view writes its own copy; the section and other views keep the original', async () => {
  const { seen, before, after } = await inProgram((k32) => {
    const h = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, 0x1000, null);
    const shared = k32.MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    const copy = k32.MapViewOfFile(h, FILE_MAP_COPY, 0, 0, 0);
    k32.setUint32(shared, 1);
    const before = k32.getUint32(copy);
    k32.setUint32(copy, 2);
    k32.setUint32(shared + 4, 3);
    const result = { before, copy: k32.getUint32(copy), shared: k32.getUint32(shared), sharedLater: k32.getUint32(copy + 4) };
    k32.UnmapViewOfFile(copy);
    k32.UnmapViewOfFile(shared);
    k32.CloseHandle(h);
    return result;
  });
  // After the copy, the copy no longer sees the section's later writes.
  expect(seen).toEqual({ before: 1, copy: 2, shared: 1, sharedLater: 0 });
  expect(after.frames.free).toBe(before.frames.free);
});
