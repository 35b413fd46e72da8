/**
 * Guest behaviour that once could crash, hang or corrupt the emulator (found
 * in review), and how each now ends: as Windows ends it, never as a host
 * failure.
 */
import { ObpObjectTypeAddress } from '../src/kernel/ke/nt-image.js';
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, GENERIC_READ, OPEN_EXISTING, SC_MANAGER_ALL_ACCESS, SERVICE_CONTROL_STOP, SERVICE_STOP_PENDING, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START, SERVICE_ALL_ACCESS } from 'ntshm/win32';
import { defineDriver, MmCached, NormalPagePriority, STATUS_SUCCESS, UserMode, type EProcess } from 'ntshm/wdm';
import { bootWith, call, runProgram, testDriver } from './helpers/test-driver.js';

describe('robustness at the user/kernel boundary', () => {
  it('a driver attaching to a process that has exited finds an empty user space (access violation), not a freed page directory', async () => {
    let kept: EProcess | undefined;
    const seen: string[] = [];
    const drv = testDriver({
      control: ({ nt, stack }) => {
        const arg = stack.Parameters.DeviceIoControl.IoControlCode;
        void arg;
        if (!kept) {
          kept = nt.PsGetCurrentProcess();
          nt.ObReferenceObject(kept);
          return;
        }
        const { apcState } = nt.KeStackAttachProcess(kept);
        try {
          nt.setUint32(0x10000, 0xdead);
          seen.push('wrote');
        } catch (e) {
          seen.push((e as { name: string; status?: number }).name + ':' + ((e as { status?: number }).status ?? 0).toString(16));
        }
        nt.KeUnstackDetachProcess(apcState);
        nt.ObDereferenceObject(kept);
      },
    });
    const machine = await bootWith([drv]);
    const baseline = machine.stats();
    const client = async (k32: Parameters<Parameters<typeof runProgram>[1]>[0]) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await call(k32, h, 1);
      k32.CloseHandle(h);
      return 0;
    };
    await runProgram(machine, client);
    const { result } = await runProgram(machine, client);
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual(['NtException:c0000005']);
    expect(machine.kernel.pfn.check()).toEqual([]);
    expect(machine.stats().frames.free).toBe(baseline.frames.free);
    expect(machine.stats().pool.nonPagedBytes).toBe(baseline.pool.nonPagedBytes);
  });

  it('two blocking calls in flight on one thread end the program with an error, and the run returns', async () => {
    const machine = await boot();
    const { process, result } = await runProgram(machine, async (k32) => {
      await Promise.all([k32.Sleep(100), k32.Sleep(200)]);
      return 0;
    });
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(0xe06d7363);
    expect(process.stdout).toMatch(/one thing at a time/);
  });

  it('a program whose main resolves to something other than a number ends with an error code', async () => {
    const machine = await boot();
    const { process } = await runProgram(machine, (async () => 0n) as unknown as () => Promise<number>);
    expect(process.exitCode).toBe(0xe06d7363);
  });

  it('an async dispatch routine stops the machine inside its own frame', async () => {
    const machine = await boot();
    machine.loadDriver('Async', defineDriver({
      name: 'Async',
      DriverEntry(nt, driverObject) {
        nt.IoCreateDevice(driverObject, 0, '\\Device\\Async', 0x22, 0, false);
        nt.IoCreateSymbolicLink('\\DosDevices\\Async', '\\Device\\Async');
        driverObject.MajorFunction[0] = async function AsyncCreate() { await null; return STATUS_SUCCESS; } as unknown as () => number;
        return STATUS_SUCCESS;
      },
    }));
    const { result } = await runProgram(machine, (k32) => {
      k32.CreateFileW('\\\\.\\Async', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      return 0;
    });
    expect(result.bugcheck?.code).toBe(0x3b);
    expect(result.bugcheck?.stack).toEqual(['Async!AsyncCreate']);
    expect(result.bugcheck?.explanation).toMatch(/returned a Promise/);
  });

  it('dereferencing an object more than it was referenced is bug check 0x18', async () => {
    let process = 0;
    const drv = testDriver({ control: ({ nt }) => {
      process = nt.PsGetCurrentProcess().address;
      nt.ObDereferenceObject(nt.PsGetCurrentProcess());
    } });
    const machine = await bootWith([drv]);
    const { result } = await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await call(k32, h, 1);
      return 0;
    });
    expect(result.bugcheck?.code).toBe(0x18);
    // P1 the object type (the Process OBJECT_TYPE, in nt), P2 the object.
    const [p1, p2] = result.bugcheck!.params;
    expect(p1).toBe(ObpObjectTypeAddress('x64', 'Process'));
    expect(p2).toBe(process);
  });

  it('scribbling over KUSER_SHARED_DATA\'s time does not hang KeQuerySystemTime', async () => {
    const drv = testDriver({
      control: ({ nt }) => {
        nt.setUint32(nt.sizeofPointer === 8 ? 0xf780_0000_001c : 0xffdf_001c, 0x1234);
        nt.KeQuerySystemTime();
      },
    });
    const machine = await bootWith([drv]);
    const { result, process } = await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await call(k32, h, 1);
      return 0;
    });
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(0);
  });

  it('a huge IoStatus.Information copies until memory ends, as the copy would on Windows, with no host error', async () => {
    const drv = testDriver({ control: ({ irp }) => { irp.IoStatus.Information = 2 ** 40; } });
    const machine = await bootWith([drv]);
    const { result, process } = await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await call(k32, h, 1);
      return 0;
    });
    // Reading past the SystemBuffer runs into unmapped pool: a fault in nonpaged space.
    expect(result.bugcheck?.code ?? process.exitCode).toBe(result.bugcheck ? 0x50 : 0);
  });

  it('MmBuildMdlForNonPagedPool over a user page that was never touched is bug check 0x50, not a bad PFN', async () => {
    const drv = testDriver({
      control: ({ nt }, ) => {
        const mdl = nt.IoAllocateMdl(0x20000, 4096, false, false, null)!;
        nt.MmBuildMdlForNonPagedPool(mdl);
        nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
      },
    });
    const machine = await bootWith([drv]);
    const { result } = await runProgram(machine, async (k32) => {
      k32.VirtualAlloc(0x20000, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await call(k32, h, 1);
      return 0;
    });
    expect(result.bugcheck?.code).toBe(0x50);
    expect(result.bugcheck?.params[0]).toBe(0x20000);
  });

  it('VirtualProtect with an address that is not a number fails and changes nothing', async () => {
    const machine = await boot();
    const seen: unknown[] = [];
    await runProgram(machine, (k32) => {
      const va = k32.VirtualAlloc(0, 3 * 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      seen.push(k32.VirtualProtect(NaN, 4096, 2).ok, k32.GetLastError());
      k32.setUint32(va + 4096, 7);
      seen.push(k32.getUint32(va + 4096), k32.VirtualQuery(va).buffer?.RegionSize);
      return 0;
    });
    expect(seen).toEqual([false, 87, 7, 3 * 4096]);
  });

  it('a stop requested while a file is open waits (SERVICE_STOP_PENDING); DriverUnload runs when it closes', async () => {
    const events: string[] = [];
    const drv = testDriver({ entry: (_nt, driverObject) => { driverObject.DriverUnload = () => { events.push('unload'); }; } });
    const machine = await boot();
    machine.installDriver(drv.name, drv.definition);
    const { process } = await runProgram(machine, async (k32) => {
      const scm = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
      const { value: service } = k32.CreateServiceW(scm, drv.name, drv.name, SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START, 0, `C:\\${drv.name}.sys`);
      k32.StartServiceW(service, 0, null);
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      const stop = k32.ControlService(service, SERVICE_CONTROL_STOP);
      events.push(`stop ${stop.ok} ${stop.serviceStatus?.dwCurrentState === SERVICE_STOP_PENDING ? 'pending' : stop.serviceStatus?.dwCurrentState}`);
      k32.CloseHandle(h);
      events.push('closed');
      k32.DeleteService(service);
      k32.CloseServiceHandle(service);
      k32.CloseServiceHandle(scm);
      return 0;
    });
    expect(process.exitCode).toBe(0);
    expect(events).toEqual(['stop true pending', 'unload', 'closed']);
    expect(machine.kernel.io.drivers.size).toBe(0);
  });

  it('returning to user mode still attached to another process is bug check 0x01 APC_INDEX_MISMATCH', async () => {
    const drv = testDriver({ control: ({ nt }) => { nt.KeStackAttachProcess(machine.kernel.ps.systemProcess); } });
    const machine = await bootWith([drv]);
    const { result } = await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await call(k32, h, 1);
      return 0;
    });
    expect(result.bugcheck?.code).toBe(0x01);
    expect(result.bugcheck?.params[1]).toBe(1);
  });

  it('attaching from a timer routine (a DPC) is bug check 0x05', async () => {
    const drv = testDriver({
      entry: (nt, _d, device) => nt.IoStartTimer(device),
      timer: (nt) => { nt.KeStackAttachProcess(machine.kernel.ps.systemProcess); },
    });
    const machine = await bootWith([drv]);
    const result = await machine.run({ seconds: 2 });
    expect(result.bugcheck?.code).toBe(0x05);
  });

  it('DbgPrint transmits at most 512 bytes, whatever width it is asked for', async () => {
    const drv = testDriver({ entry: (nt) => { nt.DbgPrint('%600000000d|', 1); } });
    const machine = await bootWith([drv]);
    expect(machine.bugcheck).toBeUndefined();
    expect(machine.dbgPrint.at(-1)!.length).toBe(512);
  });

  it('Sleep(INFINITE) never returns: the run ends, idle, with the program still waiting', async () => {
    const machine = await boot();
    const program = machine.spawn(async (k32) => {
      await k32.Sleep(0xffffffff);
      k32.print('woke');
      return 0;
    });
    const result = await machine.run({ seconds: 30 });
    expect(result.reason).toBe('idle');
    expect(program.exitCode).toBeUndefined();
    expect(program.stdout).toBe('');
  });

  it('a program that touches memory while another runs gets an error, not the other process\'s memory', async () => {
    const machine = await boot();
    const seen: unknown[] = [];
    const a = machine.spawn(async (k32) => {
      k32.VirtualAlloc(0x10000, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setUint32(0x10000, 0xaaaa);
      void k32.Sleep(1000);
      // Let the scheduler run b in the meantime (it does, between these microtasks).
      for (let i = 0; i < 6; i++) await null;
      try {
        seen.push(k32.getUint32(0x10000));
      } catch (e) {
        seen.push((e as Error).message);
      }
      return 0;
    }, { name: 'a.exe' });
    machine.spawn(async (k32) => {
      k32.VirtualAlloc(0x10000, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      k32.setUint32(0x10000, 0xbbbb);
      await k32.Sleep(10);
      return 0;
    }, { name: 'b.exe' });
    await machine.run({ seconds: 5 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toBe(0xbbbb);
    expect(String(seen[0])).toMatch(/while not scheduled/);
    expect(a.exitCode).toBe(0);
  });

  it('loading a driver that is already loaded fails with STATUS_IMAGE_ALREADY_LOADED and leaves the running one alone', async () => {
    const drv = testDriver();
    const machine = await bootWith([drv]);
    expect(machine.loadDriver(drv.name, drv.definition)).toBe(0xc000010e);
    expect(machine.kernel.io.drivers.has(drv.name.toUpperCase())).toBe(true);
  });

  it('a device whose driver is stopping takes no new opens', async () => {
    const drv = testDriver({ entry: (_nt, driverObject) => { driverObject.DriverUnload = () => {}; } });
    const machine = await bootWith([drv]);
    const seen: number[] = [];
    await runProgram(machine, (k32) => {
      const first = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      machine.unloadDriver(drv.name);
      seen.push(k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null));
      k32.CloseHandle(first);
      return 0;
    });
    expect(seen).toEqual([-1]);
    expect(machine.kernel.io.drivers.size).toBe(0);
  });

  it('an object whose last reference went at DISPATCH_LEVEL is deleted before the run returns', async () => {
    let file: unknown;
    const closes: number[] = [];
    const drv = testDriver({
      create: ({ nt, stack }) => {
        if (file) return;
        file = stack.FileObject;
        nt.ObReferenceObject(stack.FileObject!);
      },
      close: () => { closes.push(1); },
      control: ({ nt }) => {
        const { oldIrql } = nt.KeRaiseIrql(2);
        nt.ObDereferenceObject(file as Parameters<typeof nt.ObDereferenceObject>[0]);
        nt.KeLowerIrql(oldIrql);
      },
    });
    const machine = await bootWith([drv]);
    const before = machine.stats();
    await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      k32.CloseHandle(h);
      await call(k32, k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null), 1);
      return 0;
    });
    expect(closes).toEqual([1, 1]);
    expect(machine.stats().pool.nonPagedBytes).toBe(before.pool.nonPagedBytes);
  });
});
