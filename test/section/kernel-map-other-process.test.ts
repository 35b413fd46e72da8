/**
 * ZwMapViewOfSection with a handle to another process: a driver, running in
 * program A's context, maps its section into program B (through a kernel
 * handle to B's EPROCESS) and into A. B reads, through its own view, what the
 * driver wrote through A's: one frame, two processes. The driver unmaps B's
 * view through the same handle. No `driver-view-in-user-process` finding:
 * the view in B is not the current process's, and A's is unmapped before the
 * routine returns.
 *
 * ntshm has no ZwOpenProcess yet, so the test makes the kernel handle to B
 * itself, white-box (ObOpenObjectByPointer's outcome: a kernel handle with
 * PROCESS_ALL_ACCESS).
 */
import { describe, expect, it } from 'vitest';
import {
  InitializeObjectAttributes, NT_SUCCESS, OBJ_KERNEL_HANDLE, PAGE_READWRITE, SEC_COMMIT, SECTION_ALL_ACCESS, ViewShare,
} from '../../src/api/wdm.js';
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, type K32 } from '../../src/api/win32.js';
import { bootWith, call, eprocessOf, pointerControl, testDriver } from '../helpers/test-driver.js';

const MESSAGE = 'written through A, read in B';

describe.each(['x64', 'x86'] as const)('a driver maps a view into another process (%s)', (arch) => {
  it('B sees what the driver wrote through A\'s view; the view in B goes with ZwUnmapViewOfSection(handle of B)', async () => {
    let processHandle = 0;
    let sectionHandle = 0;
    const seen: { mapB?: number; mapA?: number; unmapB?: number; addressInB?: number; text?: string; readAfterUnmap?: string } = {};
    const driver = testDriver({
      control: pointerControl({
        1: ({ nt }) => {
          const created = nt.ZwCreateSection(SECTION_ALL_ACCESS, InitializeObjectAttributes(null, OBJ_KERNEL_HANDLE, null, null), 0x1000,
            PAGE_READWRITE, SEC_COMMIT, null);
          sectionHandle = created.sectionHandle;
          const inB = nt.ZwMapViewOfSection(sectionHandle, processHandle, 0, 0, 0, null, 0, ViewShare, 0, PAGE_READWRITE);
          const inA = nt.ZwMapViewOfSection(sectionHandle, nt.NtCurrentProcess(), 0, 0, 0, null, 0, ViewShare, 0, PAGE_READWRITE);
          seen.mapB = inB.status;
          seen.mapA = inA.status;
          if (NT_SUCCESS(inA.status)) {
            nt.setString(inA.baseAddress, MESSAGE, 'utf-16le');
            nt.ZwUnmapViewOfSection(nt.NtCurrentProcess(), inA.baseAddress);
          }
          seen.addressInB = inB.baseAddress;
          return [inB.baseAddress];
        },
        2: ({ nt }, [address]) => {
          seen.unmapB = nt.ZwUnmapViewOfSection(processHandle, address!);
          nt.ZwClose(sectionHandle);
          nt.ZwClose(processHandle);
        },
      }),
    });
    const machine = await bootWith([driver], { arch, seed: 1, profile: 'nt4' });
    const before = machine.stats();

    const b = machine.spawn(async (k32: K32) => {
      while (seen.addressInB === undefined) await k32.Sleep(10);
      seen.text = k32.getString(seen.addressInB, 'utf-16le', MESSAGE.length);
      // B stays until the driver has unmapped its view; then the address is no longer B's memory.
      while (seen.unmapB === undefined) await k32.Sleep(10);
      try {
        k32.getUint8(seen.addressInB);
        seen.readAfterUnmap = 'read';
      } catch {
        seen.readAfterUnmap = 'access violation';
      }
      return 0;
    }, { name: 'B.exe' });
    processHandle = machine.kernel.ob.createHandle(machine.kernel.systemProcess, eprocessOf(machine, b.pid), 0x001f_ffff, OBJ_KERNEL_HANDLE);

    const a = machine.spawn(async (k32: K32) => {
      const device = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const [address] = await call(k32, device, 1);
      while (seen.text === undefined) await k32.Sleep(10);
      await call(k32, device, 2, address!);
      k32.CloseHandle(device);
      return 0;
    }, { name: 'A.exe' });
    await machine.run({ seconds: 5 });

    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    expect(seen).toMatchObject({ mapB: 0, mapA: 0, unmapB: 0, text: MESSAGE, readAfterUnmap: 'access violation' });
    const report = machine.report();
    expect(report.findings).toEqual([]);
    // The driver's write through A's view (unmapped at once) is in the section's frame, which B's view faults in later.
    expect(machine.stats().frames.free).toBe(before.frames.free);
    expect(machine.stats().commit.charged).toBe(before.commit.charged);
  });
});
