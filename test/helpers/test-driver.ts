/**
 * A configurable test driver and the plumbing to run a program against it.
 *
 * The driver creates `\Device\<name>` and `\DosDevices\<name>`, records every
 * IRP it receives (major function, the process it ran in, the IRQL), and
 * hands the IRPs to the handlers a test gives. A handler sets IoStatus (the
 * default is STATUS_SUCCESS with Information 0); the driver completes the
 * IRP afterwards unless the handler already did.
 *
 * Handlers run inside the emulated kernel: an `expect` that fails there would
 * become a bug check, not a test failure. So handlers *record* what they see
 * into the test's variables, and the test asserts after `machine.run`.
 */
import { boot, type BootOptions, type Machine, type Process, type RunResult } from 'ntshm';
import {
  defineDriver, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLEANUP, IRP_MJ_CLOSE,
  IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE, DO_BUFFERED_IO, STATUS_PENDING, STATUS_SUCCESS, type DeviceObject, type DriverDefinition, type DriverObject,
  type IoStackLocation, type Irp, type Nt,
} from 'ntshm/wdm';
import type { K32 } from 'ntshm/win32';

/** What a dispatch handler is given. */
export interface DispatchContext {
  nt: Nt;
  device: DeviceObject;
  irp: Irp;
  stack: IoStackLocation;
}

/** A handler returns the dispatch routine's NTSTATUS, or nothing for IoStatus.Status. */
export type DispatchHandler = (ctx: DispatchContext) => number | void;

/** One IRP the driver saw. */
export interface IrpRecord {
  major: number;
  /** PsGetCurrentProcessId() in the dispatch routine. */
  pid: number;
  irql: number;
}

export interface TestDriverOptions {
  /** Service and device name (default 'TestDrv'). */
  name?: string;
  /** IoCreateDevice's Exclusive. */
  exclusive?: boolean;
  /** Runs at the end of DriverEntry; a number it returns becomes DriverEntry's status. */
  entry?: (nt: Nt, driverObject: DriverObject, device: DeviceObject) => number | void;
  create?: DispatchHandler;
  cleanup?: DispatchHandler;
  close?: DispatchHandler;
  control?: DispatchHandler;
  /** IRP_MJ_READ and IRP_MJ_WRITE (the device does buffered I/O when `bufferedIo`). */
  read?: DispatchHandler;
  write?: DispatchHandler;
  bufferedIo?: boolean;
  /** The device's I/O timer routine; the driver calls IoInitializeTimer in DriverEntry (start it with IoStartTimer). */
  timer?: (nt: Nt, device: DeviceObject) => void;
}

export interface TestDriver {
  readonly definition: DriverDefinition;
  readonly name: string;
  /** `\\.\<name>`, for CreateFileW. */
  readonly path: string;
  /** Every IRP, in order. */
  readonly irps: IrpRecord[];
  /** IRPs of one major function. */
  count(major: number): number;
  /** The `nt` DriverEntry received (after the driver is loaded). */
  readonly nt: Nt;
  readonly device: DeviceObject;
}

/** Builds a test driver; see the file comment. */
export function testDriver(options: TestDriverOptions = {}): TestDriver {
  const name = options.name ?? 'TestDrv';
  const irps: IrpRecord[] = [];
  let savedNt: Nt | undefined;
  let savedDevice: DeviceObject | undefined;

  const definition = defineDriver({
    name,
    DriverEntry(nt: Nt, driverObject: DriverObject): number {
      savedNt = nt;
      const deviceName = `\\Device\\${name}`;
      const { status, deviceObject } = nt.IoCreateDevice(driverObject, 0, deviceName, FILE_DEVICE_UNKNOWN, 0, options.exclusive ?? false);
      if (status !== STATUS_SUCCESS || !deviceObject) return status;
      savedDevice = deviceObject;
      const linkStatus = nt.IoCreateSymbolicLink(`\\DosDevices\\${name}`, deviceName);
      if (linkStatus !== STATUS_SUCCESS) {
        nt.IoDeleteDevice(deviceObject);
        return linkStatus;
      }

      const dispatch = (handler: DispatchHandler | undefined) => (device: DeviceObject, irp: Irp): number => {
        const stack = IoGetCurrentIrpStackLocation(irp);
        irps.push({ major: stack.MajorFunction, pid: nt.PsGetCurrentProcessId(), irql: nt.KeGetCurrentIrql() });
        irp.IoStatus.Status = STATUS_SUCCESS;
        irp.IoStatus.Information = 0;
        const returned = handler?.({ nt, device, irp, stack });
        const status = typeof returned === 'number' ? returned : irp.IoStatus.Status;
        // A handler that returns STATUS_PENDING keeps the IRP: it completes it later.
        if (!irp.completed && status !== STATUS_PENDING) nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };
      // Named functions, so that bug-check stacks name them as a driver's symbols would.
      const DispatchCreate = dispatch(options.create);
      const DispatchCleanup = dispatch(options.cleanup);
      const DispatchClose = dispatch(options.close);
      const DispatchControl = dispatch(options.control);
      Object.defineProperty(DispatchCreate, 'name', { value: 'DispatchCreate' });
      Object.defineProperty(DispatchCleanup, 'name', { value: 'DispatchCleanup' });
      Object.defineProperty(DispatchClose, 'name', { value: 'DispatchClose' });
      Object.defineProperty(DispatchControl, 'name', { value: 'DispatchControl' });
      driverObject.MajorFunction[IRP_MJ_CREATE] = DispatchCreate;
      driverObject.MajorFunction[IRP_MJ_CLEANUP] = DispatchCleanup;
      driverObject.MajorFunction[IRP_MJ_CLOSE] = DispatchClose;
      driverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
      if (options.read) driverObject.MajorFunction[IRP_MJ_READ] = Object.defineProperty(dispatch(options.read), 'name', { value: 'DispatchRead' });
      if (options.write) driverObject.MajorFunction[IRP_MJ_WRITE] = Object.defineProperty(dispatch(options.write), 'name', { value: 'DispatchWrite' });
      if (options.bufferedIo) deviceObject.Flags |= DO_BUFFERED_IO;
      driverObject.DriverUnload = function DriverUnload(d: DriverObject): void {
        nt.IoDeleteSymbolicLink(`\\DosDevices\\${name}`);
        if (d.DeviceObject) nt.IoDeleteDevice(d.DeviceObject);
      };

      const timer = options.timer;
      if (timer) {
        const TimerRoutine = (device: DeviceObject): void => timer(nt, device);
        Object.defineProperty(TimerRoutine, 'name', { value: 'TimerRoutine' });
        const s = nt.IoInitializeTimer(deviceObject, TimerRoutine, null);
        if (s !== STATUS_SUCCESS) return s;
      }
      const entryStatus = options.entry?.(nt, driverObject, deviceObject);
      return typeof entryStatus === 'number' ? entryStatus : STATUS_SUCCESS;
    },
  });

  return {
    definition,
    name,
    path: `\\\\.\\${name}`,
    irps,
    count: (major) => irps.filter((r) => r.major === major).length,
    get nt(): Nt {
      if (!savedNt) throw new Error(`${name} is not loaded`);
      return savedNt;
    },
    get device(): DeviceObject {
      if (!savedDevice) throw new Error(`${name} has no device`);
      return savedDevice;
    },
  };
}

/** Loads a test driver now (DriverEntry runs); throws if DriverEntry fails or the machine stopped. */
export function load(machine: Machine, driver: TestDriver): void {
  const status = machine.loadDriver(driver.name, driver.definition);
  if (machine.bugcheck) throw new Error(`loading ${driver.name} stopped the machine: ${machine.bugcheck.name}\n${machine.bugcheck.explanation}`);
  if (status !== STATUS_SUCCESS) throw new Error(`DriverEntry of ${driver.name} returned 0x${status.toString(16)}`);
}

/** Boots a machine and loads the drivers; fails the test if a DriverEntry fails. */
export async function bootWith(drivers: TestDriver[], options: BootOptions = {}): Promise<Machine> {
  const machine = await boot(options);
  for (const d of drivers) load(machine, d);
  return machine;
}

/** Spawns one program, runs the machine until it ends (or `seconds` pass), and returns both. */
export async function runProgram(machine: Machine, main: (k32: K32) => Promise<number> | number,
  options: { seconds?: number; name?: string } = {}): Promise<{ process: Process; result: RunResult }> {
  const process = machine.spawn(main, { name: options.name ?? 'test.exe' });
  const result = await machine.run(options.seconds === undefined ? {} : { seconds: options.seconds });
  return { process, result };
}

/** The EPROCESS of a running process, by pid (white-box: for page-table checks). */
export function eprocessOf(machine: Machine, pid: number) {
  const p = machine.kernel.ps.processes.find((e) => e.UniqueProcessId === pid);
  if (!p) throw new Error(`no process ${pid}`);
  return p;
}

/** Bytes as a plain array, for toEqual. */
export const bytes = (u: Uint8Array): number[] => [...u];

/**
 * An IRP_MJ_DEVICE_CONTROL handler for pointer-sized arguments: the input
 * buffer holds up to eight pointers, which go to the operation registered for
 * the IOCTL's function number; the pointers it returns go back through the
 * same (METHOD_BUFFERED) buffer. `call` is the program's half.
 */
export type PointerOp = (ctx: DispatchContext, args: number[]) => number[] | void;

export function pointerControl(ops: Record<number, PointerOp>): DispatchHandler {
  return (ctx) => {
    const { nt, irp, stack } = ctx;
    const p = stack.Parameters.DeviceIoControl;
    const size = nt.sizeofPointer;
    const sb = irp.AssociatedIrp.SystemBuffer;
    const args = Array.from({ length: Math.floor(p.InputBufferLength / size) }, (_, i) => nt.getPointer(sb + i * size));
    const op = ops[(p.IoControlCode >>> 2) & 0xfff];
    if (!op) {
      irp.IoStatus.Status = 0xc000_0010; // STATUS_INVALID_DEVICE_REQUEST
      return;
    }
    const results = op(ctx, args) ?? [];
    const n = Math.min(results.length, Math.floor(p.OutputBufferLength / size));
    for (let i = 0; i < n; i++) nt.setPointer(sb + i * size, results[i]!);
    irp.IoStatus.Information = n * size;
  };
}

/** The IOCTL code `pointerControl` dispatches on for `fn` (METHOD_BUFFERED, FILE_ANY_ACCESS). */
export const opCode = (fn: number): number => ((0x22 << 16) | (fn << 2)) >>> 0;

/** Sends opCode(fn) with pointer arguments; resolves to the pointers returned (empty on failure). */
export async function call(k32: K32, handle: number, fn: number, ...args: number[]): Promise<number[]> {
  const size = k32.sizeofPointer;
  const heap = k32.GetProcessHeap();
  const buffer = k32.HeapAlloc(heap, 0, 8 * size);
  args.forEach((a, i) => k32.setPointer(buffer + i * size, a));
  const { ok, bytesReturned } = await k32.DeviceIoControl(handle, opCode(fn), buffer, args.length * size, buffer, 8 * size);
  const out = ok ? Array.from({ length: bytesReturned / size }, (_, i) => k32.getPointer(buffer + i * size)) : [];
  k32.HeapFree(heap, 0, buffer);
  return out;
}
