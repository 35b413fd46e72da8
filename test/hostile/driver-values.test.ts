/**
 * What a driver hands back to the kernel — DriverEntry's and a dispatch
 * routine's NTSTATUS, the IRP's IoStatus, its MajorFunction table — never
 * escapes into the host or the program. A value a C driver could produce is
 * what a register holds of it (NTSTATUS the low 32 bits, Information a
 * ULONG_PTR); one no C driver could produce (a Symbol, an object whose
 * valueOf throws, a NULL IoStatus block, a table that is no table) is the
 * driver's bug: a bug check in its frame, 0x7E in DriverEntry (a System
 * thread), 0x3B in a dispatch routine called from a system service. And
 * every IRP is freed.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import {
  CTL_CODE, defineDriver, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL,
  METHOD_BUFFERED, STATUS_ACCESS_VIOLATION, STATUS_SUCCESS, STATUS_UNSUCCESSFUL, type DeviceObject, type DriverObject, type Irp,
  type Nt,
} from 'ntshm/wdm';
import {
  ERROR_ACCESS_DENIED, ERROR_GEN_FAILURE, GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING, SC_MANAGER_ALL_ACCESS, SERVICE_DEMAND_START,
  SERVICE_ERROR_NORMAL, SERVICE_KERNEL_DRIVER, SERVICE_QUERY_STATUS, SERVICE_START, SERVICE_STOPPED, type K32,
} from 'ntshm/win32';
import { SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED } from '../../src/include/bugcodes.js';

const ARCHES = ['x64', 'x86'] as const;
const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
const NAME = 'Values';
const PATH = `\\\\.\\${NAME}`;

/** Values a JS routine may return where C returns a register. */
type AnyDispatch = (device: DeviceObject, irp: Irp, nt: Nt) => unknown;

/**
 * A driver that returns what `entry` returns from DriverEntry (after making its
 * device), completes creates and closes, and hands IRP_MJ_DEVICE_CONTROL to
 * `control`; `setup` may then spoil its DriverObject.
 */
function driver(options: { entry?: () => unknown; control?: AnyDispatch; setup?: (d: DriverObject) => void }) {
  return defineDriver({
    name: NAME,
    DriverEntry(nt: Nt, driverObject: DriverObject): number {
      const { deviceObject } = nt.IoCreateDevice(driverObject, 0, `\\Device\\${NAME}`, FILE_DEVICE_UNKNOWN, 0, false);
      nt.IoCreateSymbolicLink(`\\DosDevices\\${NAME}`, `\\Device\\${NAME}`);
      const complete = (_d: DeviceObject, irp: Irp): number => {
        irp.IoStatus.Status = STATUS_SUCCESS;
        irp.IoStatus.Information = 0;
        nt.IoCompleteRequest(irp, 0);
        return STATUS_SUCCESS;
      };
      driverObject.MajorFunction[IRP_MJ_CREATE] = complete;
      driverObject.MajorFunction[IRP_MJ_CLOSE] = complete;
      const control = options.control;
      if (control) {
        driverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = function DispatchControl(device: DeviceObject, irp: Irp): number {
          return control(device, irp, nt) as number;
        };
      }
      driverObject.DriverUnload = function DriverUnload(): void {
        nt.IoDeleteSymbolicLink(`\\DosDevices\\${NAME}`);
        if (deviceObject) nt.IoDeleteDevice(deviceObject);
      };
      options.setup?.(driverObject);
      return (options.entry ? options.entry() : STATUS_SUCCESS) as number;
    },
  });
}

/** Completes the IRP with `status` and `information` as the driver stored them, and returns `returned`. */
const completing = (status: unknown, information: unknown, returned: unknown = STATUS_SUCCESS): AnyDispatch => (_d, irp, nt) => {
  const io = irp.IoStatus as unknown as { Status: unknown; Information: unknown };
  io.Status = status;
  io.Information = information;
  nt.IoCompleteRequest(irp, 0);
  return returned;
};

/** One DeviceIoControl with an 8-byte output buffer: what the program saw. */
async function ioctl(k32: K32) {
  const h = k32.CreateFileW(PATH, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
  const heap = k32.GetProcessHeap();
  const buffer = k32.HeapAlloc(heap, 0, 8);
  const r = await k32.DeviceIoControl(h, IOCTL, buffer, 8, buffer, 8);
  const error = k32.GetLastError();
  k32.HeapFree(heap, 0, buffer);
  k32.CloseHandle(h);
  return { ok: r.ok, bytesReturned: r.bytesReturned, error };
}

/** Boots, loads the driver, runs one program that makes `calls` IOCTLs; the host never sees an exception. */
async function run(arch: 'x64' | 'x86', control: AnyDispatch, calls = 1) {
  const machine = await boot({ arch });
  expect(machine.loadDriver(NAME, driver({ control }))).toBe(STATUS_SUCCESS);
  const before = machine.stats();
  const seen: Awaited<ReturnType<typeof ioctl>>[] = [];
  const process = machine.spawn(async (k32) => {
    for (let i = 0; i < calls; i++) seen.push(await ioctl(k32));
    return 0;
  });
  const result = await machine.run();
  return { machine, before, seen, process, result };
}

/** The bug check a value no C driver could produce gives, in the frame of the routine that left it. */
function expectDriverFault(machine: Machine, code: number, routine: string): void {
  const b = machine.bugcheck;
  expect(b?.code).toBe(code);
  expect(b?.params[0]).toBe(STATUS_ACCESS_VIOLATION);
  expect(b?.stack[0]).toBe(`${NAME}!${routine}`);
}

describe.each(ARCHES)('DriverEntry\'s NTSTATUS on %s', (arch) => {
  it.each([
    ['a bigint', 5n, STATUS_SUCCESS],
    ['a negative bigint (a sign-extended 64-bit register)', -0x3fff_ffffn, 0xc000_0001],
    ['a number past 32 bits', 2 ** 40 + 0xc000_0001, 0xc000_0001],
    ['true', true, STATUS_SUCCESS],
  ])('%s is what a register holds of it', async (_what, returned, status) => {
    const machine = await boot({ arch });
    const loaded = machine.loadDriver(NAME, driver({ entry: () => returned }));
    expect(machine.bugcheck).toBeUndefined();
    expect(loaded).toBe(status);
    expect(machine.kernel.io.drivers.has(NAME.toUpperCase())).toBe(status === STATUS_SUCCESS);
  });

  it.each([
    ['a Symbol', () => Symbol('status')],
    ['an object whose valueOf throws', () => ({ valueOf() { throw new Error('no status'); } })],
  ])('%s is the driver\'s bug: 0x7E in DriverEntry, and loadDriver returns, not throws', async (_what, make) => {
    const machine = await boot({ arch });
    let loaded = -1;
    expect(() => { loaded = machine.loadDriver(NAME, driver({ entry: make })); }).not.toThrow();
    expect(loaded).toBe(STATUS_UNSUCCESSFUL);
    expectDriverFault(machine, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, 'DriverEntry');
    expect(machine.bugcheck?.explanation).toContain('which is no NTSTATUS');
  });

  it('through StartService: a failing bigint fails the start and leaves the service stopped', async () => {
    const machine = await boot({ arch });
    machine.installDriver(NAME, driver({ entry: () => -0x3fff_ffffn }));
    const seen = { started: true, error: 0, state: 0 };
    const process = machine.spawn((k32) => {
      const scm = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
      const { value: service } = k32.CreateServiceW(scm, NAME, NAME, SERVICE_START | SERVICE_QUERY_STATUS, SERVICE_KERNEL_DRIVER,
        SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, `C:\\ntshm\\${NAME}.sys`);
      seen.started = k32.StartServiceW(service, 0, null);
      seen.error = k32.GetLastError();
      seen.state = k32.QueryServiceStatus(service).serviceStatus?.dwCurrentState ?? 0;
      return 0;
    });
    const result = await machine.run();
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(0);
    expect(seen).toEqual({ started: false, error: ERROR_GEN_FAILURE, state: SERVICE_STOPPED });
  });
});

describe.each(ARCHES)('a dispatch routine\'s values on %s', (arch) => {
  it('a bigint status and a bigint Information are taken as registers: the caller gets them, the IRP is freed', async () => {
    const { machine, before, seen, process, result } = await run(arch, completing(0n, 8n, 0n), 20);
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(0);
    expect(seen.every((s) => s.ok && s.bytesReturned === 8)).toBe(true);
    // Twenty requests later, pool and frames are where they were.
    expect(machine.stats().pool).toEqual(before.pool);
    expect(machine.stats().frames.free).toBe(before.frames.free);
  });

  it('a status past 32 bits keeps its low 32 bits, returned or stored in IoStatus', async () => {
    const denied = 2 ** 40 + 0xc000_0022;
    const { seen, result } = await run(arch, completing(denied, 0, BigInt(denied)));
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual([{ ok: false, bytesReturned: 0, error: ERROR_ACCESS_DENIED }]);
  });

  const faults: [string, AnyDispatch][] = [
    ['returns a Symbol', completing(STATUS_SUCCESS, 0, Symbol('status'))],
    ['returns an object whose valueOf throws', completing(STATUS_SUCCESS, 0, { valueOf() { throw new Error('no'); } })],
    ['sets IoStatus.Status to a Symbol', completing(Symbol('status'), 0)],
    ['sets IoStatus.Information to an object whose valueOf throws', completing(STATUS_SUCCESS, { valueOf() { throw new RangeError('no'); } })],
    ['sets irp.IoStatus = null', (_d, irp, nt) => {
      nt.IoCompleteRequest(irp, 0);
      (irp as unknown as { IoStatus: null }).IoStatus = null;
      return STATUS_SUCCESS;
    }],
  ];
  it.each(faults)('one that %s is the driver\'s bug: 0x3B in its frame, never the program\'s exception', async (_what, control) => {
    const { machine, process, result } = await run(arch, control);
    expect(result.bugcheck).toBe(machine.bugcheck);
    expectDriverFault(machine, SYSTEM_SERVICE_EXCEPTION, 'DispatchControl');
    expect(process.stdout).not.toMatch(/TypeError|unhandled exception/);
  });
});

describe.each(ARCHES)('a spoilt MajorFunction table on %s', (arch) => {
  it.each([
    ['DriverObject.MajorFunction = null', (d: DriverObject) => { (d as unknown as { MajorFunction: null }).MajorFunction = null; }],
    ['a table whose read throws', (d: DriverObject) => {
      Object.defineProperty(d, 'MajorFunction', { get() { throw new Error('no table'); } });
    }],
    ['MajorFunction[IRP_MJ_CREATE] = 42', (d: DriverObject) => { (d.MajorFunction as unknown[])[IRP_MJ_CREATE] = 42; }],
  ])('%s: the call through it faults in the driver\'s frame (0x3B, a call to address 0)', async (_what, setup) => {
    const machine = await boot({ arch });
    expect(machine.loadDriver(NAME, driver({ setup }))).toBe(STATUS_SUCCESS);
    const process = machine.spawn((k32) => {
      k32.CreateFileW(PATH, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      return 0;
    });
    const result = await machine.run();
    expect(result.bugcheck?.code).toBe(SYSTEM_SERVICE_EXCEPTION);
    expect(result.bugcheck?.params.slice(0, 2)).toEqual([STATUS_ACCESS_VIOLATION, 0]);
    expect(result.bugcheck?.stack[0]).toBe(`${NAME}!IRP_MJ_CREATE`);
    expect(process.stdout).not.toMatch(/TypeError/);
  });
});
