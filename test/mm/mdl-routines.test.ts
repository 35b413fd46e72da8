/**
 * The MDL routines beyond allocate/lock/map: IoBuildPartialMdl,
 * MmPrepareMdlForReuse, MmProtectMdlSystemAddress, MmGetPhysicalAddress,
 * MmMapIoSpace / MmUnmapIoSpace, MmProbeAndLockProcessPages. Mappings are
 * checked in the page tables: the same frames, never copies.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import {
  IoReadAccess, IoWriteAccess, KernelMode, MmCached, MmNonCached, NonPagedPool, NormalPagePriority, PAGE_SIZE, STATUS_INVALID_PAGE_PROTECTION,
  STATUS_NOT_MAPPED_VIEW, STATUS_SUCCESS, UserMode, type EProcess, type Nt,
} from 'ntshm/wdm';
import { PAGE_EXECUTE_READ, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, GENERIC_READ, OPEN_EXISTING } from 'ntshm/win32';
import { ACCESS_READ, ACCESS_WRITE } from '../../src/hw/mmu.js';
import { bootWith, call, pointerControl, testDriver } from '../helpers/test-driver.js';
import { ARCHES, commit, mmuAllows } from './mdl-helpers.js';

/** Runs `body` in DriverEntry of a fresh machine. */
async function inDriverEntry(arch: (typeof ARCHES)[number], body: (nt: Nt, m: Machine) => void): Promise<Machine> {
  const machine = await boot({ arch });
  const driver = testDriver({ entry: (nt) => body(nt, machine) });
  machine.loadDriver(driver.name, driver.definition);
  return machine;
}

describe.each(ARCHES)('MDL routines on %s', (arch) => {
  it('IoBuildPartialMdl describes a sub-range with the source\'s frames; its own mapping maps them', async () => {
    const seen = { sourcePfns: [] as number[], partialPfns: [] as number[], startVa: 0, byteOffset: 0, byteCount: 0, rest: 0, va: 0, buffer: 0, read: 0 };
    const m = await inDriverEntry(arch, (nt) => {
      const buffer = nt.ExAllocatePool(NonPagedPool, 3 * PAGE_SIZE);
      const source = nt.IoAllocateMdl(buffer, 3 * PAGE_SIZE, false, false, null)!;
      nt.MmProbeAndLockPages(source, KernelMode, IoWriteAccess);
      const partial = nt.IoAllocateMdl(buffer, 3 * PAGE_SIZE, false, false, null)!;
      nt.IoBuildPartialMdl(source, partial, buffer + PAGE_SIZE + 0x10, 0x20);
      Object.assign(seen, {
        sourcePfns: [...source.PfnArray], partialPfns: [...partial.PfnArray], startVa: partial.StartVa, byteOffset: partial.ByteOffset,
        byteCount: partial.ByteCount, buffer,
      });
      // Length 0: to the source's end.
      nt.IoBuildPartialMdl(source, partial, buffer + 0x100, 0);
      seen.rest = partial.ByteCount;
      nt.IoBuildPartialMdl(source, partial, buffer + PAGE_SIZE + 0x10, 0x20);
      nt.setUint32(buffer + PAGE_SIZE + 0x10, 0xfeedf00d);
      seen.va = nt.MmGetSystemAddressForMdlSafe(partial, NormalPagePriority);
      seen.read = nt.getUint32(seen.va);
      nt.IoFreeMdl(partial); // MmPrepareMdlForReuse unmaps the partial MDL's own mapping
      nt.MmUnlockPages(source);
      nt.IoFreeMdl(source);
      nt.ExFreePool(buffer);
    });
    expect(m.bugcheck).toBeUndefined();
    expect(seen.partialPfns).toEqual([seen.sourcePfns[1]]);
    expect([seen.startVa, seen.byteOffset, seen.byteCount]).toEqual([seen.buffer + PAGE_SIZE, 0x10, 0x20]);
    expect(seen.rest).toBe(3 * PAGE_SIZE - 0x100);
    expect(seen.va % PAGE_SIZE).toBe(0x10);
    expect(seen.read).toBe(0xfeedf00d);
    // Its system PTEs went back with IoFreeMdl.
    expect(m.kernel.pageTables.frameAt(m.kernel.systemRoot, seen.va)).toBe(-1);
  });

  it('MmProtectMdlSystemAddress rewrites the system mapping\'s PTEs and refuses what the page does not allow', async () => {
    const seen = { unmapped: 0, invalid: 0, statuses: [] as number[], writable: [] as boolean[], readable: [] as boolean[] };
    const m = await inDriverEntry(arch, (nt, machine) => {
      const buffer = nt.ExAllocatePool(NonPagedPool, PAGE_SIZE);
      const mdl = nt.IoAllocateMdl(buffer, PAGE_SIZE, false, false, null)!;
      nt.MmProbeAndLockPages(mdl, KernelMode, IoReadAccess);
      seen.unmapped = nt.MmProtectMdlSystemAddress(mdl, PAGE_READONLY);
      const va = nt.MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
      seen.invalid = nt.MmProtectMdlSystemAddress(mdl, PAGE_WRITECOPY);
      for (const protect of [PAGE_READONLY, PAGE_NOACCESS, PAGE_EXECUTE_READ, PAGE_READWRITE]) {
        seen.statuses.push(nt.MmProtectMdlSystemAddress(mdl, protect));
        seen.readable.push(mmuAllows(machine, machine.kernel.systemRoot, va, ACCESS_READ, false));
        seen.writable.push(mmuAllows(machine, machine.kernel.systemRoot, va, ACCESS_WRITE, false));
      }
      nt.MmUnlockPages(mdl);
      nt.IoFreeMdl(mdl);
      nt.ExFreePool(buffer);
    });
    expect(m.bugcheck).toBeUndefined();
    expect(seen.unmapped).toBe(STATUS_NOT_MAPPED_VIEW);
    expect(seen.invalid).toBe(STATUS_INVALID_PAGE_PROTECTION);
    expect(seen.statuses).toEqual([STATUS_SUCCESS, STATUS_SUCCESS, STATUS_SUCCESS, STATUS_SUCCESS]);
    expect(seen.readable).toEqual([true, false, true, true]);
    expect(seen.writable).toEqual([false, false, false, true]);
  });

  it('MmGetPhysicalAddress gives the frame behind an address (a bigint), 0 for one not valid', async () => {
    const seen = { pa: -1n, none: -1n, buffer: 0 };
    const m = await inDriverEntry(arch, (nt) => {
      seen.buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
      seen.pa = nt.MmGetPhysicalAddress(seen.buffer);
      seen.none = nt.MmGetPhysicalAddress(0x1000);
    });
    const pfn = m.kernel.pageTables.frameAt(m.kernel.systemRoot, seen.buffer);
    expect(typeof seen.pa).toBe('bigint');
    expect(seen.pa).toBe(BigInt(pfn) * 4096n + BigInt(seen.buffer % PAGE_SIZE));
    expect(seen.none).toBe(0n);
  });

  it('MmMapIoSpace maps the physical frames themselves (the report shows the frame shared); MmUnmapIoSpace removes it', async () => {
    const seen = { io: 0, read: 0, beyond: -1, zero: -1, after: -1n, buffer: 0, pfn: 0 };
    const m = await inDriverEntry(arch, (nt) => {
      const buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
      seen.buffer = buffer;
      const pa = nt.MmGetPhysicalAddress(buffer);
      seen.pfn = Number(pa / 4096n);
      seen.io = nt.MmMapIoSpace(pa, 0x100, MmNonCached);
      nt.setUint32(seen.io, 0x12345678);
      seen.read = nt.getUint32(buffer);
      seen.beyond = nt.MmMapIoSpace(0x7fff_f000_0000n, PAGE_SIZE, MmCached);
      seen.zero = nt.MmMapIoSpace(pa, 0, MmCached);
      nt.MmUnmapIoSpace(seen.io, 0x100);
      seen.after = nt.MmGetPhysicalAddress(seen.io);
      nt.ExFreePool(buffer);
    });
    expect(m.bugcheck).toBeUndefined();
    expect(seen.io % PAGE_SIZE).toBe(seen.buffer % PAGE_SIZE);
    expect(seen.read).toBe(0x12345678);
    expect([seen.beyond, seen.zero, seen.after]).toEqual([0, 0, 0n]);
    expect(m.kernel.mdl.ioSpace.mappings.size).toBe(0);
  });

  it('MmMapIoSpace: the report\'s shared frames list the I/O-space address next to the pool address', async () => {
    const seen = { io: 0, pfn: 0 };
    const driver = testDriver({
      control: pointerControl({
        0x800: ({ nt }) => {
          const buffer = nt.ExAllocatePool(NonPagedPool, 0x100);
          const pa = nt.MmGetPhysicalAddress(buffer);
          seen.pfn = Number(pa / 4096n);
          seen.io = nt.MmMapIoSpace(pa, 0x100, MmCached);
        },
      }),
    });
    const machine = await bootWith([driver], { arch });
    machine.spawn(async (k32) => {
      await call(k32, k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null), 0x800);
      return 0;
    }, { name: 'test.exe' });
    await machine.run();
    const frame = machine.report().shared.find((f) => f.pfn === seen.pfn);
    expect(frame?.mappings.map((x) => x.address)).toContain(seen.io - (seen.io % PAGE_SIZE));
    expect(frame?.mappings.every((x) => x.mode === 'kernel')).toBe(true);
  });

  it('MmProbeAndLockProcessPages locks another process\'s buffer from a second process (attached), Process = the first', async () => {
    const seen = { owner: null as EProcess | null, va: 0, mdlProcess: null as unknown, pfn: -1, locker: 0, status: 0 };
    const driver = testDriver({
      control: pointerControl({
        // The owner registers its buffer and stays.
        0x800: ({ nt }, [va = 0]) => {
          seen.owner = nt.PsGetCurrentProcess();
          nt.ObReferenceObject(seen.owner);
          seen.va = va;
        },
        // Another process locks the owner's buffer, records, unlocks.
        0x801: ({ nt }) => {
          if (!seen.owner) return [0];
          seen.locker = nt.PsGetCurrentProcessId();
          const mdl = nt.IoAllocateMdl(seen.va, 0x40, false, false, null)!;
          nt.MmProbeAndLockProcessPages(mdl, seen.owner, UserMode, IoWriteAccess);
          seen.mdlProcess = mdl.Process;
          seen.pfn = mdl.PfnArray[0]!;
          nt.MmUnlockPages(mdl);
          nt.IoFreeMdl(mdl);
          nt.ObDereferenceObject(seen.owner);
          return [1];
        },
      }),
    });
    const machine = await bootWith([driver], { arch });
    let ownerFrame = -2;
    let done = false;
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      const va = commit(k32, PAGE_SIZE);
      k32.setUint32(va, 1);
      await call(k32, h, 0x800, va);
      const root = machine.kernel.ps.processes.find((p) => p.UniqueProcessId === k32.GetCurrentProcessId())!.DirectoryTableBase;
      ownerFrame = machine.kernel.pageTables.frameAt(root, va);
      while (!done) await k32.Sleep(10);
      return 0;
    }, { name: 'owner.exe' });
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      for (;;) {
        const [ok] = await call(k32, h, 0x801);
        if (ok) break;
        await k32.Sleep(10);
      }
      done = true;
      return 0;
    }, { name: 'locker.exe' });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen.mdlProcess).toBe(seen.owner);
    expect(seen.locker).not.toBe(seen.owner?.UniqueProcessId);
    expect(seen.pfn).toBe(ownerFrame);
  });
});
