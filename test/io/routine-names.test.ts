/**
 * What ntshm calls a driver's routines in bug-check stacks, explanations and
 * findings. A named function keeps its own name, as a driver's symbols would
 * give it; one without a name (an arrow function stored into the
 * DRIVER_OBJECT) is named by the slot it was stored in: Hello!IRP_MJ_CREATE,
 * Hello!DriverUnload, Hello!IoTimer, Hello!DeferredRoutine, Hello!DriverEntry.
 * Status values are printed with their names: STATUS_SUCCESS (0x00000000).
 */
import { describe, expect, it } from 'vitest';
import { boot, type Finding, type Machine } from 'ntshm';
import {
  FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL,
  STATUS_ACCESS_VIOLATION, STATUS_SUCCESS, defineDriver, type DeviceObject, type DriverObject, type Irp, type Nt,
} from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING, defineProgram, type K32 } from 'ntshm/win32';
import {
  KMODE_EXCEPTION_NOT_HANDLED, SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
} from '../../src/include/bugcodes.js';

/** A function without a name: passed through a call, an arrow gets none (as when stored into DriverObject). */
const unnamed = <F extends Function>(f: F): F => f;

/** What Hello does wrong: each case replaces one of its routines with an arrow function. */
interface HelloOptions {
  /** Extra work at the end of DriverEntry. */
  entry?: (nt: Nt, driverObject: DriverObject, device: DeviceObject) => void;
  /** DriverEntry is an unnamed function (that calls the named HelloEntry). */
  unnamedEntry?: boolean;
  /** The IRP_MJ_DEVICE_CONTROL routine (pass it through `unnamed`); by default an arrow function that completes the IRP. */
  control?: (DeviceObject: DeviceObject, Irp: Irp) => number;
}

/** Hello.sys, written as a quick driver is: every routine an arrow function stored into DriverObject. */
function hello(options: HelloOptions = {}) {
  function HelloEntry(nt: Nt, DriverObject: DriverObject): number {
    const { status, deviceObject } = nt.IoCreateDevice(DriverObject, 0, '\\Device\\Hello', FILE_DEVICE_UNKNOWN, 0, false);
    if (status !== STATUS_SUCCESS || !deviceObject) return status;
    nt.IoCreateSymbolicLink('\\DosDevices\\Hello', '\\Device\\Hello');
    const complete = (_d: DeviceObject, irp: Irp): number => {
      irp.IoStatus.Status = STATUS_SUCCESS;
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      return STATUS_SUCCESS;
    };
    DriverObject.MajorFunction[IRP_MJ_CREATE] = (d, irp) => complete(d, irp);
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = (d, irp) => complete(d, irp);
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = (d, irp) => complete(d, irp);
    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = options.control ?? ((d, irp) => complete(d, irp));
    DriverObject.DriverUnload = (d) => {
      nt.IoDeleteSymbolicLink('\\DosDevices\\Hello');
      if (d.DeviceObject) nt.IoDeleteDevice(d.DeviceObject);
    };
    options.entry?.(nt, DriverObject, deviceObject);
    return STATUS_SUCCESS;
  }
  return defineDriver({
    name: 'Hello',
    DriverEntry: options.unnamedEntry ? unnamed((nt: Nt, d: DriverObject) => HelloEntry(nt, d)) : HelloEntry,
  });
}

/**
 * Boots, loads Hello and runs a program that opens it, sends one IOCTL,
 * closes it and sleeps two seconds (for timers to fire); then unloads Hello.
 */
async function run(options: HelloOptions): Promise<{ machine: Machine; findings: readonly Finding[] }> {
  const machine = await boot({ arch: 'x64' });
  machine.loadDriver('Hello', hello(options));
  if (machine.bugcheck) return { machine, findings: [] };
  machine.spawn(defineProgram(async (k32: K32) => {
    const h = k32.CreateFileW('\\\\.\\Hello', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    await k32.DeviceIoControl(h, 0x222000, 0, 0, 0, 0);
    k32.CloseHandle(h);
    await k32.Sleep(2000);
    return 0;
  }), { name: 'client.exe' });
  const { findings } = await machine.run();
  if (!machine.bugcheck) machine.unloadDriver('Hello');
  return { machine, findings };
}

const bad = { a: null as { b: number } | null };
const crash = (): never => {
  void bad.a!.b;
  throw new Error('unreachable');
};

describe('an unnamed driver routine is named by the slot it was stored in', () => {
  it.each([
    ['a MajorFunction entry', 'Hello!IRP_MJ_DEVICE_CONTROL', SYSTEM_SERVICE_EXCEPTION, {
      control: unnamed((_d: DeviceObject, _irp: Irp): number => crash()),
    }],
    ['DriverUnload', 'Hello!DriverUnload', SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, {
      entry: (_nt: Nt, d: DriverObject) => {
        d.DriverUnload = () => crash();
      },
    }],
    ['the IoInitializeTimer routine', 'Hello!IoTimer', KMODE_EXCEPTION_NOT_HANDLED, {
      entry: (nt: Nt, _d: DriverObject, device: DeviceObject) => {
        nt.IoInitializeTimer(device, () => crash(), null);
        nt.IoStartTimer(device);
      },
    }],
    ['the KeInitializeDpc routine', 'Hello!DeferredRoutine', KMODE_EXCEPTION_NOT_HANDLED, {
      entry: (nt: Nt) => {
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => crash(), null);
        nt.KeSetTimer(timer, -10_000_000n, dpc);
      },
    }],
    ['DriverEntry', 'Hello!DriverEntry', SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, { unnamedEntry: true, entry: () => crash() }],
  ] as const)('%s: the bug check names it %s', async (_slot, name, code, options) => {
    const { machine } = await run(options);
    const b = machine.bugcheck;
    expect(b?.code).toBe(code);
    expect(b?.stack).toEqual([name]);
    expect(b?.explanation).toContain(`${name} threw a JavaScript TypeError`);
    expect(b?.explanation).toContain('(taken as STATUS_ACCESS_VIOLATION (0xC0000005))');
    expect(b?.params[0]).toBe(STATUS_ACCESS_VIOLATION);
  });

  it('a named function keeps its own name', async () => {
    const { machine } = await run({ control: function HelloControl(): number { return crash(); } });
    expect(machine.bugcheck?.stack).toEqual(['Hello!HelloControl']);
    const entry = await run({ entry: () => crash() });
    expect(entry.machine.bugcheck?.stack).toEqual(['Hello!HelloEntry']);
  });

  it('an exception raised in it is named with its status', async () => {
    const { machine } = await run({ control: unnamed((): number => { throw new Error('x'); }) });
    expect(machine.bugcheck?.explanation).toMatch(/^Hello!IRP_MJ_DEVICE_CONTROL threw a JavaScript Error: x \(taken as STATUS_ILLEGAL_INSTRUCTION \(0xC000001D\)\)/);
    const raised = await run({
      entry: (nt, d) => {
        d.MajorFunction[IRP_MJ_DEVICE_CONTROL] = () => nt.ExRaiseStatus(0xc000_1234);
      },
    });
    expect(raised.machine.bugcheck?.explanation).toMatch(/^0xC0001234 was raised in Hello!IRP_MJ_DEVICE_CONTROL and no try\/except caught it/);
  });
});

describe('a dispatch routine that does not complete its IRP', () => {
  it('is a finding that names the routine by its slot, the IRP major function and the status', async () => {
    const { machine, findings } = await run({ control: unnamed((): number => STATUS_SUCCESS) });
    expect(machine.bugcheck).toBeUndefined();
    const finding = findings.find((f) => f.kind === 'irp-not-completed');
    expect(finding).toMatchObject({
      driver: 'Hello',
      routine: 'IRP_MJ_DEVICE_CONTROL',
      details: { majorFunction: 'IRP_MJ_DEVICE_CONTROL', status: STATUS_SUCCESS, statusName: 'STATUS_SUCCESS' },
    });
    expect(finding?.message).toMatch(/^Hello!IRP_MJ_DEVICE_CONTROL returned STATUS_SUCCESS \(0x00000000\) without completing IRP_MJ_DEVICE_CONTROL IRP /);
  });

  it('one unnamed routine in two slots is named by the slot of each call', async () => {
    const { findings } = await run({
      entry: (_nt, d) => {
        const forget = unnamed((): number => STATUS_SUCCESS);
        d.MajorFunction[IRP_MJ_CLEANUP] = forget;
        d.MajorFunction[IRP_MJ_CLOSE] = forget;
      },
    });
    expect(findings.filter((f) => f.kind === 'irp-not-completed').map((f) => `${f.driver}!${f.routine}`))
      .toEqual(['Hello!IRP_MJ_CLEANUP', 'Hello!IRP_MJ_CLOSE']);
  });
});
