/**
 * A driver routine that returns at another IRQL than it was called at is
 * never silently put right: the check of the place it returns to finds it,
 * with the bug check Windows raises there.
 *
 *   DriverEntry / DriverUnload (a System worker's work item)  0xE1 WORKER_THREAD_RETURNED_AT_BAD_IRQL
 *   a DPC, timer DPC or I/O timer routine                      0xC8 IRQL_UNEXPECTED_VALUE
 *   a dispatch routine called from a system service           0x4A IRQL_GT_ZERO_AT_SYSTEM_SERVICE
 *   IRP_MJ_CLEANUP while the process exits                    0x20 KERNEL_APC_PENDING_DURING_EXIT (P3 = IRQL)
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { APC_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL, type Nt } from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING, type K32 } from 'ntshm/win32';
import {
  IRQL_GT_ZERO_AT_SYSTEM_SERVICE, IRQL_UNEXPECTED_VALUE, KERNEL_APC_PENDING_DURING_EXIT, WORKER_THREAD_RETURNED_AT_BAD_IRQL,
} from '../../src/include/bugcodes.js';
import { KiRoutineAddress } from '../../src/kernel/ke/nt-image.js';
import { bootWith, call, runProgram, testDriver, type TestDriverOptions } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
type Arch = (typeof ARCHES)[number];
const HIGH_LEVEL = { x64: 15, x86: 31 };

/** Is `address` inside the driver's image (where its routines' code addresses are)? */
function inImage(machine: Machine, name: string, address: number): boolean {
  const d = machine.kernel.io.drivers.get(name.toUpperCase()) ?? machine.kernel.io.unloadedDrivers.get(name.toUpperCase());
  return !!d && address >= d.DriverStart && address < d.DriverStart + d.DriverSize;
}

const open = (k32: K32, path: string) => k32.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);

describe.each(ARCHES)('DriverEntry and DriverUnload, a System worker\'s work item, on %s', (arch: Arch) => {
  it.each([DISPATCH_LEVEL, APC_LEVEL])('DriverEntry returning at IRQL %i is 0xE1: P1 IopLoadUnloadDriver, P2 the IRQL', async (irql) => {
    const machine = await boot({ arch });
    const driver = testDriver({ name: 'Irql', entry: (nt) => void nt.KeRaiseIrql(irql) });
    machine.loadDriver(driver.name, driver.definition);
    const b = machine.bugcheck;
    expect(b?.code).toBe(WORKER_THREAD_RETURNED_AT_BAD_IRQL);
    expect(b?.params).toEqual([KiRoutineAddress(arch, 'IopLoadUnloadDriver'), irql, 0, 0]);
    expect(b?.explanation).toContain(`Irql!DriverEntry was called at IRQL 0 and returned at ${irql}`);
  });

  it('DriverUnload returning at DISPATCH_LEVEL is 0xE1 too', async () => {
    const machine = await boot({ arch });
    const driver = testDriver({
      name: 'Irql',
      entry: (_nt, driverObject) => {
        const unload = driverObject.DriverUnload!;
        driverObject.DriverUnload = function DriverUnload(d) {
          unload(d);
          driver.nt.KeRaiseIrql(DISPATCH_LEVEL);
        };
      },
    });
    machine.loadDriver(driver.name, driver.definition);
    expect(machine.bugcheck).toBeUndefined();
    machine.unloadDriver(driver.name);
    expect(machine.bugcheck?.code).toBe(WORKER_THREAD_RETURNED_AT_BAD_IRQL);
    expect(machine.bugcheck?.params[1]).toBe(DISPATCH_LEVEL);
    expect(machine.bugcheck?.explanation).toContain('Irql!DriverUnload was called at IRQL 0 and returned at 2');
  });

  it('a DriverEntry that puts the IRQL back is fine', async () => {
    const machine = await boot({ arch });
    const driver = testDriver({ name: 'Irql', entry: (nt) => nt.KeLowerIrql(nt.KeRaiseIrql(DISPATCH_LEVEL).oldIrql) });
    machine.loadDriver(driver.name, driver.definition);
    expect(machine.bugcheck).toBeUndefined();
  });
});

describe.each(ARCHES)('DPC and timer routines on %s', (arch: Arch) => {
  /** Loads a driver whose DriverEntry sets up `arm`, runs the machine a second, and returns it. */
  async function withRoutine(arm: (nt: Nt, options: { routine: (nt: Nt) => void }) => void, routine: (nt: Nt) => void) {
    const machine = await boot({ arch });
    const driver = testDriver({ name: 'Irql', entry: (nt) => arm(nt, { routine }) });
    machine.loadDriver(driver.name, driver.definition);
    await machine.run({ seconds: 1.5 });
    return machine;
  }
  const queued = (nt: Nt, { routine }: { routine: (nt: Nt) => void }) => {
    const { dpc } = nt.KeInitializeDpc(function DeferredRoutine() { routine(nt); }, null);
    const { timer } = nt.KeInitializeTimer();
    nt.KeSetTimer(timer, -100n * 10_000n, dpc);
  };
  const raise = (level: number) => (nt: Nt) => void nt.KeRaiseIrql(level);

  it('a timer DPC returning at HIGH_LEVEL is 0xC8: P1 (current << 16) | (DISPATCH_LEVEL << 8), P2 the routine', async () => {
    const machine = await withRoutine(queued, raise(HIGH_LEVEL[arch]));
    const b = machine.bugcheck;
    expect(b?.code).toBe(IRQL_UNEXPECTED_VALUE);
    expect(b?.params[0]).toBe((HIGH_LEVEL[arch] << 16) | (DISPATCH_LEVEL << 8));
    expect(inImage(machine, 'Irql', b!.params[1])).toBe(true);
    expect(b?.params.slice(2)).toEqual([0, 0]);
    expect(b?.stack).toEqual(['Irql!DeferredRoutine']);
  });

  it('a DPC that lowers the IRQL to PASSIVE_LEVEL and returns is 0xC8 with P1 = 0x200', async () => {
    const machine = await withRoutine(queued, (nt) => nt.KeLowerIrql(PASSIVE_LEVEL));
    expect(machine.bugcheck?.code).toBe(IRQL_UNEXPECTED_VALUE);
    expect(machine.bugcheck?.params[0]).toBe(DISPATCH_LEVEL << 8);
  });

  it('a DPC queued directly and an I/O timer routine are checked the same way', async () => {
    const direct = await withRoutine((nt, { routine }) => {
      const { dpc } = nt.KeInitializeDpc(function DeferredRoutine() { routine(nt); }, null);
      nt.KeInsertQueueDpc(dpc, null, null);
    }, raise(HIGH_LEVEL[arch]));
    expect(direct.bugcheck?.code).toBe(IRQL_UNEXPECTED_VALUE);

    const machine = await boot({ arch });
    const driver = testDriver({ name: 'Irql', timer: (nt) => void nt.KeRaiseIrql(HIGH_LEVEL[arch]), entry: (nt, _d, device) => nt.IoStartTimer(device) });
    machine.loadDriver(driver.name, driver.definition);
    await machine.run({ seconds: 2 });
    expect(machine.bugcheck?.code).toBe(IRQL_UNEXPECTED_VALUE);
    expect(machine.bugcheck?.stack).toEqual(['Irql!TimerRoutine']);
    expect(inImage(machine, 'Irql', machine.bugcheck!.params[1])).toBe(true);
  });
});

describe.each(ARCHES)('dispatch routines on %s', (arch: Arch) => {
  async function scenario(options: TestDriverOptions, main: (k32: K32, path: string) => number | Promise<number>) {
    const driver = testDriver({ name: 'Irql', ...options });
    const machine = await bootWith([driver], { arch });
    const { process, result } = await runProgram(machine, (k32) => main(k32, driver.path));
    return { machine, process, result };
  }

  it('one called from DeviceIoControl that returns at DISPATCH_LEVEL is 0x4A on the way back to user mode, naming it', async () => {
    const { result } = await scenario({ control: ({ nt }) => void nt.KeRaiseIrql(DISPATCH_LEVEL) }, async (k32, path) => {
      await call(k32, open(k32, path), 1);
      return 0;
    });
    expect(result.bugcheck?.code).toBe(IRQL_GT_ZERO_AT_SYSTEM_SERVICE);
    expect(result.bugcheck?.params[1]).toBe(DISPATCH_LEVEL);
    expect(result.bugcheck?.explanation).toContain('Irql!DispatchControl was called at IRQL 0 and returned at 2');
  });

  it.each([
    ['returns from main with the handle open', () => 0],
    ['calls ExitProcess with the handle open', (k32: K32) => k32.ExitProcess(0)],
  ])('IRP_MJ_CLEANUP returning at DISPATCH_LEVEL when the process %s is 0x20 with P3 = the IRQL', async (_how, end) => {
    const { result, process } = await scenario({ cleanup: ({ nt }) => void nt.KeRaiseIrql(DISPATCH_LEVEL) }, (k32, path) => {
      open(k32, path);
      return end(k32);
    });
    expect(result.bugcheck?.code).toBe(KERNEL_APC_PENDING_DURING_EXIT);
    expect(result.bugcheck?.params).toEqual([0, 0, DISPATCH_LEVEL, 0]);
    expect(result.bugcheck?.explanation).toContain('Irql!DispatchCleanup was called at IRQL 0 and returned at 2');
    expect(process.exitCode).toBeUndefined();
  });
});
