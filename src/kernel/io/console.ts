/**
 * The console: a built-in driver (\Driver\ConDrv, device \Device\ConDrv)
 * whose IRP_MJ_WRITE is a program's standard output. Every program inherits
 * a handle to one console connection (a file object opened at boot), as a
 * console program inherits its parent's console; kernel32's WriteFile and
 * WriteConsoleW on GetStdHandle(STD_OUTPUT_HANDLE) reach it through
 * NtWriteFile. The device does neither buffered nor direct I/O: the driver
 * reads the caller's buffer in the caller's context, inside try/except.
 *
 * Output is UTF-8 (code page 65001). Each complete line becomes a line of
 * the machine's log, named by the writing process; the process's `stdout`
 * keeps every byte.
 */
import { NtException } from '../../include/errors.js';
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_SUCCESS, ntStatusText } from '../../include/ntstatus.js';
import { FILE_GENERIC_READ, FILE_GENERIC_WRITE, FO_SYNCHRONOUS_IO, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_WRITE } from '../../include/wdm-constants.js';
import { EmulatorError } from '../../include/errors.js';
import type { EProcess } from '../ps/process.js';
import type { IoContext } from './context.js';
import { IoCreateDevice } from './device.js';
import { makeInvalidDeviceRequest } from './driver-load.js';
import { IoGetCurrentIrpStackLocation, type Irp } from './irp.js';
import { DriverObject, FileObject, type DeviceObject } from './objects.js';

/** FILE_DEVICE_CONSOLE. https://learn.microsoft.com/windows-hardware/drivers/kernel/specifying-device-types */
const FILE_DEVICE_CONSOLE = 0x50;

/** The console driver, its device, and the connection every program inherits. */
export class Console {
  readonly driver: DriverObject;
  readonly device: DeviceObject;
  /** The console connection: one file object, a handle to which each program inherits. */
  readonly connection: FileObject;
  /** Each process's unfinished last line. */
  private readonly partialLines = new WeakMap<EProcess, string>();
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly k: IoContext) {
    this.driver = k.ob.ObCreateObject(new DriverObject('ConDrv', makeInvalidDeviceRequest(k)));
    k.ob.insertName(this.driver.DriverName, this.driver, 0, true);
    const complete = (irp: Irp, status: number, information: number): number => {
      irp.IoStatus.Status = status;
      irp.IoStatus.Information = information;
      k.io.IoCompleteRequest(irp, 0);
      return status;
    };
    const succeed = (_device: DeviceObject, irp: Irp): number => complete(irp, STATUS_SUCCESS, 0);
    this.driver.MajorFunction[IRP_MJ_CREATE] = succeed;
    this.driver.MajorFunction[IRP_MJ_CLEANUP] = succeed;
    this.driver.MajorFunction[IRP_MJ_CLOSE] = succeed;
    this.driver.MajorFunction[IRP_MJ_WRITE] = (_device: DeviceObject, irp: Irp): number => {
      const length = IoGetCurrentIrpStackLocation(irp).Parameters.Write.Length;
      try {
        this.write(k.currentProcess, k.kernelMemory.getBytes(irp.UserBuffer, length));
      } catch (e) {
        if (!(e instanceof NtException)) throw e;
        return complete(irp, e.status, 0);
      }
      return complete(irp, STATUS_SUCCESS, length);
    };
    const { status, deviceObject } = IoCreateDevice(k, this.driver, 0, '\\Device\\ConDrv', FILE_DEVICE_CONSOLE, 0, false);
    if (!deviceObject) throw new EmulatorError(`no console device: ${ntStatusText(status)}`);
    deviceObject.Flags &= ~0x80; // DO_DEVICE_INITIALIZING
    this.device = deviceObject;
    this.connection = k.ob.ObCreateObject(new FileObject(deviceObject, '', FILE_GENERIC_READ | FILE_GENERIC_WRITE));
    this.connection.opened = true;
    // Opened for synchronous I/O, as a console handle is: WriteFile gives it no ByteOffset.
    this.connection.Flags |= FO_SYNCHRONOUS_IO;
    deviceObject.ReferenceCount++;
    k.ps.exitNotifyRoutines.push((process) => this.flush(process));
  }

  /** A handle to the console connection in a new process (its inherited standard handles); 0 if its table is full. */
  inherit(process: EProcess): number {
    try {
      return this.k.ob.createHandle(process, this.connection, FILE_GENERIC_READ | FILE_GENERIC_WRITE, 0);
    } catch (e) {
      if (e instanceof NtException && e.status === STATUS_INSUFFICIENT_RESOURCES) return 0;
      throw e;
    }
  }

  /** Console output from a process: kept whole in its stdout, and logged line by line. */
  private write(process: EProcess, bytes: Uint8Array): void {
    const text = this.decoder.decode(bytes);
    process.stdout += text;
    const lines = ((this.partialLines.get(process) ?? '') + text).split('\n');
    this.partialLines.set(process, lines.pop() ?? '');
    for (const line of lines) this.k.emit('stdout', process.ImageFileName, line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  /** The process has gone: an unfinished last line is logged as it stands. */
  private flush(process: EProcess): void {
    const rest = this.partialLines.get(process);
    if (rest) this.k.emit('stdout', process.ImageFileName, rest);
    this.partialLines.delete(process);
  }
}
