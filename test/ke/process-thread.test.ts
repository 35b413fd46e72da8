/**
 * PsCreateSystemThread with a ProcessHandle: a kernel-mode thread of the
 * caller's process, in its address space (it reads and writes the program's
 * memory at its user addresses); one of the process's threads, so the
 * process's exit ends it, and a bad handle fails.
 */
import { describe, expect, it } from 'vitest';
import { KernelMode, OBJ_KERNEL_HANDLE, STATUS_INVALID_HANDLE, STATUS_SUCCESS, type Nt } from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, INFINITE, OPEN_EXISTING, WAIT_OBJECT_0 } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const THREAD_ALL_ACCESS = 0x1f_ffff;
/** NtCurrentProcess(). */
const CURRENT_PROCESS = -1;
const kernelHandle = (nt: Nt) => nt.InitializeObjectAttributes(null, OBJ_KERNEL_HANDLE);

describe.each(['x64', 'x86'] as const)('a driver thread in a program on %s', (arch) => {
  it('runs in the program: writes its buffer at the user address, from PsGetCurrentProcessId the program\'s pid; a bad handle fails', async () => {
    const seen: Record<string, unknown> = {};
    const driver = testDriver({
      control: ({ nt, irp, stack }) => {
        const p = stack.Parameters.DeviceIoControl;
        // METHOD_BUFFERED input: { user address of a ULONG, user event handle } as two pointers.
        const size = nt.sizeofPointer;
        const target = nt.getPointer(irp.AssociatedIrp.SystemBuffer);
        const hEvent = nt.getPointer(irp.AssociatedIrp.SystemBuffer + size);
        if (p.InputBufferLength < 2 * size) return 0xc0000023;
        const { object: event } = nt.ObReferenceObjectByHandle(hEvent, 2, nt.ExEventObjectType, irp.RequestorMode);
        if (!event) return 0xc0000008;
        const bad = nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), 0x7777, () => {}, null);
        seen.bad = bad.status;
        const r = nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), CURRENT_PROCESS, async function InCaller() {
          await nt.KeDelayExecutionThread(KernelMode, false, -10n * 10_000n);
          seen.threadPid = nt.PsGetCurrentProcessId();
          nt.setUint32(target, 0xfeed);
          nt.KeSetEvent(event, 0, false);
          nt.ObDereferenceObject(event);
        }, null);
        seen.status = r.status;
        seen.clientPid = r.clientId?.UniqueProcess;
        seen.callerPid = nt.PsGetCurrentProcessId();
        nt.ZwClose(r.threadHandle);
      },
    });
    const machine = await bootWith([driver], { seed: 6, arch });
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const va = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const ptr = k32.sizeofPointer;
      const event = k32.CreateEventW(null, true, false);
      k32.setPointer(va + 0x100, va);
      k32.setPointer(va + 0x100 + ptr, event);
      seen.ioctl = (await k32.DeviceIoControl(h, 0x222000, va + 0x100, 2 * ptr, 0, 0)).ok;
      seen.wait = await k32.WaitForSingleObject(event, INFINITE);
      seen.value = k32.getUint32(va);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toMatchObject({ ioctl: true, status: STATUS_SUCCESS, bad: STATUS_INVALID_HANDLE, wait: WAIT_OBJECT_0, value: 0xfeed });
    expect(seen.threadPid).toBe(seen.callerPid);
    expect(seen.clientPid).toBe(seen.callerPid);
    expect(result.findings).toEqual([]);
  });

  it('the program\'s exit ends a thread that would run for ever; nothing is left', async () => {
    let rounds = 0;
    const driver = testDriver({
      control: ({ nt }) => {
        const r = nt.PsCreateSystemThread(THREAD_ALL_ACCESS, kernelHandle(nt), CURRENT_PROCESS, async function Forever() {
          for (;;) {
            await nt.KeDelayExecutionThread(KernelMode, false, -10n * 10_000n);
            rounds++;
          }
        }, null);
        nt.ZwClose(r.threadHandle);
      },
    });
    const machine = await bootWith([driver], { seed: 7, arch });
    const before = machine.stats();
    const process = machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(h, 0x222000, 0, 0, 0, 0);
      await k32.Sleep(100);
      k32.CloseHandle(h);
      return 3;
    });
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(3);
    const seenRounds = rounds;
    expect(seenRounds).toBeGreaterThan(3);
    await machine.run({ seconds: 1 });
    expect(rounds).toBe(seenRounds);
    expect(machine.stats().processes).toBe(before.processes);
    expect(machine.stats().handles).toBe(before.handles);
  });
});
