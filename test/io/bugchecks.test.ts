/**
 * Faults in drivers stop the emulated machine with Windows' bug check and
 * its four parameters, never the host: machine.run resolves, with the record
 * in result.bugcheck. After a bug check nothing runs any more, and the first
 * record is the one kept. A fault in a program ends only that program.
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from 'ntshm';
import {
  IoReadAccess, MmCached, NonPagedPool, NormalPagePriority, PAGE_SIZE, STATUS_ACCESS_VIOLATION,
  STATUS_CONFLICTING_ADDRESSES, STATUS_ILLEGAL_INSTRUCTION, STATUS_INSUFFICIENT_RESOURCES, STATUS_UNSUCCESSFUL,
  UserMode, type Irp, type Nt,
} from 'ntshm/wdm';
import {
  GENERIC_READ, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, SC_MANAGER_ALL_ACCESS, SERVICE_DEMAND_START,
  SERVICE_ERROR_NORMAL, SERVICE_KERNEL_DRIVER, SERVICE_START, type K32,
} from 'ntshm/win32';
import {
  DRIVER_IRQL_NOT_LESS_OR_EQUAL, KMODE_EXCEPTION_NOT_HANDLED, MULTIPLE_IRP_COMPLETE_REQUESTS, PAGE_FAULT_IN_NONPAGED_AREA,
  PROCESS_HAS_LOCKED_PAGES, SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
} from '../../src/include/bugcodes.js';
import {
  bootWith, call, eprocessOf, pointerControl, runProgram, testDriver, type DispatchHandler, type TestDriver, type TestDriverOptions,
} from '../helpers/test-driver.js';
import { boot } from 'ntshm';

const ARCHES = ['x64', 'x86'] as const;
type Arch = (typeof ARCHES)[number];

const open = (k32: K32, path: string) => k32.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
const commit = (k32: K32, size: number) => k32.VirtualAlloc(0, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);

/** Is `address` inside the driver's image (where the code addresses of its routines are)? */
function inImage(machine: Machine, driver: TestDriver, address: number): boolean {
  const d = machine.kernel.io.drivers.get(driver.name.toUpperCase());
  return !!d && address >= d.DriverStart && address < d.DriverStart + d.DriverSize;
}

/** Boots, loads, runs one program that opens the device and sends one IOCTL (op 0x800) with `args`; then closes and exits. */
async function scenario(arch: Arch, options: TestDriverOptions, program?: (k32: K32, h: number) => Promise<void>) {
  const driver = testDriver(options);
  const machine = await bootWith([driver], { arch });
  const run = runProgram(machine, async (k32) => {
    const h = open(k32, driver.path);
    if (program) await program(k32, h);
    else await call(k32, h, 0x800);
    k32.CloseHandle(h);
    return 0;
  });
  // The host never sees the guest's error: the run resolves.
  await expect(run).resolves.toBeDefined();
  const { process, result } = await run;
  return { driver, machine, process, result };
}

describe.each(ARCHES)('bug checks on %s', (arch) => {
  it('a second IoCompleteRequest on one IRP is 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS with P1 = the IRP', async () => {
    let irpAddress = 0;
    const { result, machine } = await scenario(arch, {
      control: ({ nt, irp }) => {
        irpAddress = irp.address;
        nt.IoCompleteRequest(irp, 0);
        nt.IoCompleteRequest(irp, 0);
      },
    });
    expect(irpAddress).not.toBe(0);
    expect(result.bugcheck).toMatchObject({ code: MULTIPLE_IRP_COMPLETE_REQUESTS, name: 'MULTIPLE_IRP_COMPLETE_REQUESTS', params: [irpAddress, 0, 0, 0] });
    expect(result.bugcheck?.stack[0]).toBe('TestDrv!DispatchControl');
    expect(machine.bugcheck).toBe(result.bugcheck);
  });

  describe('an exception out of a dispatch routine is 0x3B SYSTEM_SERVICE_EXCEPTION with P1 = the exception code', () => {
    const bad = { a: null as { b: number } | null };
    const table: [what: string, major: 'create' | 'control' | 'cleanup', body: (nt: Nt, irp: Irp) => void, code: number, message: string | null][] = [
      ['a JS TypeError (a NULL dereference)', 'control', () => void bad.a!.b, STATUS_ACCESS_VIOLATION, 'Cannot read properties of null'],
      ['a JS TypeError in IRP_MJ_CREATE', 'create', () => void bad.a!.b, STATUS_ACCESS_VIOLATION, 'Cannot read properties of null'],
      ['a JS TypeError in IRP_MJ_CLEANUP', 'cleanup', () => void bad.a!.b, STATUS_ACCESS_VIOLATION, 'Cannot read properties of null'],
      ['a thrown JS Error', 'control', () => {
        throw new Error('driver bug');
      }, STATUS_ILLEGAL_INSTRUCTION, 'driver bug'],
      ['ExRaiseStatus outside try/except', 'control', (nt) => nt.ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES), STATUS_INSUFFICIENT_RESOURCES, null],
      // MmMapLockedPagesSpecifyCache(UserMode) raises on failure; without try/except the raise is fatal.
      ['MmMapLockedPagesSpecifyCache(UserMode) failing outside try/except', 'control', (nt, irp) => {
        const requested = nt.getPointer(irp.AssociatedIrp.SystemBuffer); // an address the program already uses
        const pool = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'Test');
        const mdl = nt.IoAllocateMdl(pool, PAGE_SIZE, false, false, null)!;
        nt.MmBuildMdlForNonPagedPool(mdl);
        nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, requested, false, NormalPagePriority);
      }, STATUS_CONFLICTING_ADDRESSES, null],
      ['MmProbeAndLockPages on an unmapped buffer outside try/except', 'control', (nt) => {
        const mdl = nt.IoAllocateMdl(0x5000_0000, 0x10, false, false, null)!;
        nt.MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
      }, STATUS_ACCESS_VIOLATION, null],
    ];
    it.each(table)('%s', async (_what, major, body, code, message) => {
      let reached = false;
      const handler: DispatchHandler = ({ nt, irp }) => {
        body(nt, irp);
        reached = true;
      };
      const { result, machine, driver, process } = await scenario(arch, { [major]: handler }, async (k32, h) => {
        await call(k32, h, 0x800, commit(k32, PAGE_SIZE));
      });
      expect(reached).toBe(false);
      const b = result.bugcheck;
      expect(b?.code).toBe(SYSTEM_SERVICE_EXCEPTION);
      expect(b?.name).toBe('SYSTEM_SERVICE_EXCEPTION');
      expect(b?.params[0]).toBe(code);
      // P2 is the faulting instruction: an address inside the driver's image.
      expect(inImage(machine, driver, b?.params[1] ?? 0)).toBe(true);
      const routine = { create: 'DispatchCreate', control: 'DispatchControl', cleanup: 'DispatchCleanup' }[major];
      expect(b?.stack[0]).toBe(`TestDrv!${routine}`);
      if (message) expect(b?.explanation).toContain(message);
      // The program that made the call never got an answer; it did not exit normally.
      expect(process.exitCode).toBeUndefined();
    });
  });

  describe('an exception out of an I/O timer routine (DISPATCH_LEVEL) is 0x1E KMODE_EXCEPTION_NOT_HANDLED', () => {
    const bad = { a: null as { b: number } | null };
    it.each<[string, (nt: Nt) => void, number]>([
      ['a JS TypeError', () => void bad.a!.b, STATUS_ACCESS_VIOLATION],
      ['ExRaiseStatus', (nt) => nt.ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES), STATUS_INSUFFICIENT_RESOURCES],
    ])('%s', async (_what, body, code) => {
      let irql = -1;
      const { result, machine, driver } = await scenario(arch, {
        control: pointerControl({ 0x800: ({ nt, device }) => nt.IoStartTimer(device) }),
        timer: (nt) => {
          irql = nt.KeGetCurrentIrql();
          body(nt);
        },
      }, async (k32, h) => {
        await call(k32, h, 0x800);
        await k32.Sleep(5000);
      });
      expect(irql).toBe(2);
      const b = result.bugcheck;
      expect(b?.code).toBe(KMODE_EXCEPTION_NOT_HANDLED);
      expect(b?.params[0]).toBe(code);
      expect(inImage(machine, driver, b?.params[1] ?? 0)).toBe(true);
      expect(b?.stack[0]).toBe('TestDrv!TimerRoutine');
      // About a second after the timer started, not at the end of the program's sleep.
      expect(result.virtualMs).toBeLessThan(2500);
    });
  });

  describe('an exception out of DriverEntry is 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED', () => {
    const failing = () => testDriver({
      entry: () => {
        throw new TypeError('DriverEntry bug');
      },
    });

    it('when the host loads the driver: loadDriver returns a failure instead of throwing', async () => {
      const machine = await boot({ arch });
      const driver = failing();
      const status = machine.loadDriver(driver.name, driver.definition);
      expect(status).toBe(STATUS_UNSUCCESSFUL);
      expect(machine.bugcheck).toMatchObject({ code: SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, stack: ['TestDrv!DriverEntry'] });
      expect(machine.bugcheck?.params[0]).toBe(STATUS_ACCESS_VIOLATION);
      // P2 is the faulting instruction: a kernel code address (the image is gone again, the load having failed).
      expect(machine.bugcheck?.params[1]).toBeGreaterThanOrEqual(machine.kernel.layout.systemRangeStart);
      const result = await machine.run();
      expect(result.bugcheck).toBe(machine.bugcheck);
    });

    it('when a program starts it through the service control manager', async () => {
      const machine = await boot({ arch });
      const driver = failing();
      machine.installDriver(driver.name, driver.definition);
      const { result } = await runProgram(machine, (k32) => {
        const scm = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
        const { value: service } = k32.CreateServiceW(scm, driver.name, driver.name, SERVICE_START, SERVICE_KERNEL_DRIVER,
          SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, `C:\\ntshm\\${driver.name}.sys`);
        k32.StartServiceW(service, 0, null);
        return 0;
      });
      expect(result.bugcheck?.code).toBe(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED);
      expect(result.bugcheck?.stack).toEqual(['TestDrv!DriverEntry']);
    });
  });

  describe('a process that exits while a driver holds its pages locked', () => {
    type Ending = [how: string, end: (k32: K32, h: number) => number | Promise<number>];
    const endings: Ending[] = [
      ['returns from main without CloseHandle', () => 0],
      ['closes the handle, then exits', (k32, h) => {
        k32.CloseHandle(h);
        return 0;
      }],
      ['ends by an unhandled access violation', (k32) => k32.getUint32(0x10)],
    ];
    it.each(endings)('is bug check 0x76 with P1 = 0, P2 = its EPROCESS, P3 = the locked pages, P4 = 0, when it %s', async (_how, end) => {
      const seen = { eprocess: 0, locked: 0 };
      const driver = testDriver({
        control: pointerControl({
          0x800: ({ nt }, [va = 0, length = 0]) => {
            const mdl = nt.IoAllocateMdl(va, length, false, false, null)!;
            nt.MmProbeAndLockPages(mdl, UserMode, IoReadAccess); // and never MmUnlockPages
            const process = nt.PsGetCurrentProcess();
            seen.eprocess = process.address;
            seen.locked = process.NumberOfLockedPages;
          },
        }),
      });
      const machine = await bootWith([driver], { arch });
      const { result, process } = await runProgram(machine, async (k32) => {
        const h = open(k32, driver.path);
        const va = commit(k32, 4 * PAGE_SIZE);
        await call(k32, h, 0x800, va + 0x800, PAGE_SIZE); // spans two pages
        await call(k32, h, 0x800, va + 2 * PAGE_SIZE, 2 * PAGE_SIZE); // two more
        return end(k32, h);
      });
      expect(seen.locked).toBe(4);
      expect(seen.eprocess).toBe(eprocessOf(machine, process.pid).address);
      expect(result.bugcheck?.code).toBe(PROCESS_HAS_LOCKED_PAGES);
      expect(result.bugcheck?.name).toBe('PROCESS_HAS_LOCKED_PAGES');
      expect(result.bugcheck?.params).toEqual([0, seen.eprocess, 4, 0]);
      // The cleanup had run first (in the exiting process), and the driver did not unlock there.
      expect(driver.irps.map((r) => r.major)).toContain(0x12);
    });

    it('is no bug check when the driver unlocks in IRP_MJ_CLEANUP, as it must', async () => {
      const mdls: { mdl: Parameters<Nt['MmUnlockPages']>[0] }[] = [];
      const driver = testDriver({
        control: pointerControl({
          0x800: ({ nt }, [va = 0, length = 0]) => {
            const mdl = nt.IoAllocateMdl(va, length, false, false, null)!;
            nt.MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
            mdls.push({ mdl });
          },
        }),
        cleanup: ({ nt }) => {
          for (const { mdl } of mdls.splice(0)) {
            nt.MmUnlockPages(mdl);
            nt.IoFreeMdl(mdl);
          }
        },
      });
      const machine = await bootWith([driver], { arch });
      const { result, process } = await runProgram(machine, async (k32) => {
        const h = open(k32, driver.path);
        await call(k32, h, 0x800, commit(k32, 2 * PAGE_SIZE), 2 * PAGE_SIZE);
        return 0;
      });
      expect(result.bugcheck).toBeUndefined();
      expect(process.exitCode).toBe(0);
    });
  });

  describe('touching memory that is not resident at DISPATCH_LEVEL is 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL', () => {
    it.each<[string, (nt: Nt, va: number) => void, number]>([
      ['reading a user address from the timer routine', (nt, va) => void nt.getUint32(va), 0],
      ['writing a user address from the timer routine', (nt, va) => nt.setUint32(va, 1), 1],
    ])('%s', async (_what, touch, readOrWrite) => {
      let target = 0;
      const { result, machine, driver } = await scenario(arch, {
        control: pointerControl({
          0x800: ({ nt, device }, [va = 0]) => {
            target = va;
            nt.IoStartTimer(device);
          },
        }),
        timer: (nt) => touch(nt, target),
      }, async (k32, h) => {
        // Committed but never touched: not resident in any address space.
        await call(k32, h, 0x800, commit(k32, PAGE_SIZE) + 0x40);
        await k32.Sleep(3000);
      });
      const b = result.bugcheck;
      expect(b?.code).toBe(DRIVER_IRQL_NOT_LESS_OR_EQUAL);
      expect(b?.params.slice(0, 3)).toEqual([target, 2, readOrWrite]);
      expect(inImage(machine, driver, b?.params[3] ?? 0)).toBe(true);
      expect(b?.stack[0]).toBe('TestDrv!TimerRoutine');
    });
  });

  describe('touching an invalid kernel address is 0x50 PAGE_FAULT_IN_NONPAGED_AREA, which try/except cannot catch', () => {
    it.each<[string, (nt: Nt, va: number) => void, number, boolean]>([
      ['reading freed pool', (nt, va) => void nt.getUint32(va), 0, false],
      ['writing freed pool', (nt, va) => nt.setUint32(va, 1), 2, false],
      ['reading freed pool inside try/except', (nt, va) => {
        try {
          nt.getUint32(va);
        } catch {
          // A driver's __except: the machine has stopped all the same.
        }
      }, 0, true],
    ])('%s', async (_what, touch, p2, caught) => {
      let freed = 0;
      let after = false;
      const { result, machine, driver } = await scenario(arch, {
        control: ({ nt }) => {
          freed = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'Test');
          nt.ExFreePool(freed);
          touch(nt, freed + 0x20);
          // Only a driver that swallowed the stop gets here; its next kernel call stops again.
          after = true;
          nt.ExAllocatePoolWithTag(NonPagedPool, 0x10, 'Test');
        },
      });
      expect(after).toBe(caught);
      const b = result.bugcheck;
      expect(b?.code).toBe(PAGE_FAULT_IN_NONPAGED_AREA);
      expect(b?.params[0]).toBe(freed + 0x20);
      expect(b?.params[1]).toBe(p2);
      expect(inImage(machine, driver, b?.params[2] ?? 0)).toBe(true);
      expect(b?.stack[0]).toBe('TestDrv!DispatchControl');
    });
  });

  describe('after a bug check', () => {
    it('every further program and driver call is refused, and the first record is kept', async () => {
      const driver = testDriver({
        control: ({ nt, irp }) => {
          nt.IoCompleteRequest(irp, 0);
          nt.IoCompleteRequest(irp, 0);
        },
      });
      const machine = await bootWith([driver], { arch });
      const refused: string[] = [];
      const attempt = (what: string, body: () => unknown) => {
        try {
          body();
          refused.push(`${what}: allowed`);
        } catch (e) {
          refused.push(`${what}: ${e instanceof Error ? e.name : String(e)}`);
        }
      };
      const first = await runProgram(machine, async (k32) => {
        const h = open(k32, driver.path);
        try {
          await k32.DeviceIoControl(h, 0x0022_0000, 0, 0, 0, 0);
        } catch (e) {
          // A program that catches the stop still cannot go on.
          refused.push(`DeviceIoControl: ${e instanceof Error ? e.name : String(e)}`);
        }
        attempt('CreateFileW', () => open(k32, driver.path));
        attempt('VirtualAlloc', () => commit(k32, PAGE_SIZE));
        attempt('getUint32', () => k32.getUint32(0x7ffe_0000));
        return 0;
      });
      const record = first.result.bugcheck;
      expect(record?.code).toBe(MULTIPLE_IRP_COMPLETE_REQUESTS);
      const saved = structuredClone(record);

      // The driver's own routines, called from anywhere, are refused.
      attempt('ExAllocatePoolWithTag', () => driver.nt.ExAllocatePoolWithTag(NonPagedPool, 0x10, 'Test'));
      attempt('KeBugCheckEx', () => driver.nt.KeBugCheckEx(0xdead, 1, 2, 3, 4));
      // New drivers do not load; their DriverEntry never runs.
      let entered = false;
      const second = testDriver({ name: 'Second', entry: () => void (entered = true) });
      expect(machine.loadDriver(second.name, second.definition)).toBe(STATUS_UNSUCCESSFUL);
      expect(machine.unloadDriver(driver.name)).toBe(STATUS_UNSUCCESSFUL);
      // New programs never run.
      let ran = false;
      const late = machine.spawn(() => {
        ran = true;
        return 0;
      });
      const again = await machine.run({ seconds: 5 });

      expect(refused).toEqual([
        'DeviceIoControl: MachineHalted',
        'CreateFileW: MachineHalted',
        'VirtualAlloc: MachineHalted',
        'getUint32: MachineHalted',
        'ExAllocatePoolWithTag: MachineHalted',
        'KeBugCheckEx: MachineHalted',
      ]);
      expect(entered).toBe(false);
      expect(ran).toBe(false);
      expect(late.exitCode).toBeUndefined();
      expect(again.bugcheck).toBe(record);
      expect(machine.bugcheck).toBe(record);
      expect(machine.bugcheck).toEqual(saved);
    });
  });

  it('an unhandled access violation in a program ends it with exit code 0xC0000005 and leaves the machine running', async () => {
    const driver = testDriver();
    const machine = await bootWith([driver], { arch });
    const { process, result } = await runProgram(machine, (k32) => k32.getUint32(0x10));
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(0xc000_0005);
    // The machine goes on: another program runs and talks to the driver.
    const next = await runProgram(machine, async (k32) => {
      const h = open(k32, driver.path);
      const ok = (await k32.DeviceIoControl(h, 0x0022_0000, 0, 0, 0, 0)).ok;
      k32.CloseHandle(h);
      return ok ? 0 : 1;
    });
    expect(next.process.exitCode).toBe(0);
  });
});
