/**
 * Boundary case 12 (bad input at the user → kernel boundary): the program
 * unmaps, or makes PAGE_NOACCESS, a view whose pages the driver has locked
 * and mapped into system space. The driver's accesses through the user
 * address fail with STATUS_ACCESS_VIOLATION inside try/except; its kernel
 * alias stays valid, because the pages are locked (the frame cannot go while
 * the MDL holds it), and still shows what the program wrote.
 */
import { describe, expect, it } from 'vitest';
import { IoWriteAccess, NormalPagePriority, STATUS_ACCESS_VIOLATION, UserMode, type Mdl } from 'ntshm/wdm';
import { FILE_MAP_ALL_ACCESS, INVALID_HANDLE_VALUE, PAGE_NOACCESS, PAGE_READWRITE } from 'ntshm/win32';
import { call, type PointerOp } from '../helpers/test-driver.js';
import { ARCHES, raised, withOps } from './mdl-helpers.js';

describe.each(ARCHES)('a view pulled from under the driver, on %s', (arch) => {
  it.each(['unmapped', 'made PAGE_NOACCESS'] as const)('%s: the user address faults in try/except, the locked kernel alias still reads the page', async (how) => {
    let mdl: Mdl | null = null;
    let kva = 0;
    const seen = { userStatus: -1, kernelText: '', userTextBefore: '' };
    const ops: Record<number, PointerOp> = {
      // Lock the program's view and map it into system space.
      0x800: ({ nt }, [va = 0, length = 0]) => {
        mdl = nt.IoAllocateMdl(va, length, false, false, null)!;
        nt.MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
        kva = nt.MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        seen.userTextBefore = nt.getString(va, 'utf-16le', 16);
      },
      // After the program pulled the view: the user address, then the kernel alias; then unlock.
      0x801: ({ nt }, [va = 0]) => {
        seen.userStatus = raised(() => nt.getString(va, 'utf-16le', 16));
        seen.kernelText = nt.getString(kva, 'utf-16le', 16);
        nt.MmUnlockPages(mdl!);
        nt.IoFreeMdl(mdl!);
      },
    };
    const { machine } = await withOps(arch, ops, async (k32, h) => {
      const section = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, 0x1000, null);
      const view = k32.MapViewOfFile(section, FILE_MAP_ALL_ACCESS, 0, 0, 0);
      k32.setString(view, 'written by user', 'utf-16le');
      await call(k32, h, 0x800, view, 0x100);
      if (how === 'unmapped') k32.UnmapViewOfFile(view);
      else k32.VirtualProtect(view, 0x1000, PAGE_NOACCESS);
      await call(k32, h, 0x801, view);
      if (how !== 'unmapped') k32.UnmapViewOfFile(view);
      k32.CloseHandle(section);
    });
    expect(machine.bugcheck ?? null).toBeNull();
    expect(seen.userTextBefore).toBe('written by user');
    expect(seen.userStatus).toBe(STATUS_ACCESS_VIOLATION);
    expect(seen.kernelText).toBe('written by user');
  });
});
