/**
 * Figure 3 of the performance targets (README, Performance): one in-thread DeviceIoControl, METHOD_BUFFERED,
 * 64 bytes in and 64 bytes out, to a driver that does the least a driver can.
 *
 * The program calls k32.DeviceIoControl (the whole user-mode round trip: the
 * system-call entry, the I/O manager's probe and SystemBuffer copy, the IRP,
 * the dispatch routine, completion and the copy back, and the await). Beside
 * it, the same request through the kernel service alone
 * (NtDeviceIoControlFile, synchronously) tells the await from the kernel.
 */
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IoGetCurrentIrpStackLocation, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED, STATUS_SUCCESS,
} from '../src/api/wdm.js';
import { GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE } from '../src/api/win32.js';
import { NtDeviceIoControlFile } from '../src/kernel/io/ioctl.js';
import { boot } from '../src/index.js';
import { benchDriver, completeSuccess } from './device.js';
import { inProgram } from './guest.js';
import { median, timePerCall, timePerCallAsync } from './measure.js';

const SERVICE = 'BenchIoctl';
const IOCTL_ECHO = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
const BYTES = 64;

/**
 * The echo driver. With METHOD_BUFFERED the input and output share the
 * SystemBuffer, so "copy the input to the output" is done once the I/O
 * manager has copied the input in: the driver only says how many bytes to
 * copy back.
 */
const echoDriver = benchDriver(SERVICE, (nt) => ({
  [IRP_MJ_DEVICE_CONTROL]: (_d, irp) => {
    const p = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
    return completeSuccess(nt, irp, Math.min(p.InputBufferLength, p.OutputBufferLength));
  },
}));

export interface IoctlFigures {
  /** Median ns per k32.DeviceIoControl call (the figure of §9). */
  deviceIoControlNs: number;
  /** Median ns per NtDeviceIoControlFile call, synchronous, no system-call entry. */
  kernelServiceNs: number;
  /** Median ns of an await of an already-resolved promise: the host's floor for an async call. */
  awaitFloorNs: number;
  calls: number;
}

export async function benchIoctl(quick: boolean): Promise<IoctlFigures> {
  const machine = await boot({ arch: 'x64' });
  const loaded = machine.loadDriver(SERVICE, echoDriver);
  if (loaded !== STATUS_SUCCESS) throw new Error(`the echo driver did not load: 0x${(loaded >>> 0).toString(16)}`);
  const batch = 256;
  const warmupBatches = quick ? 20 : 200;
  const batches = quick ? 20 : 101;
  return inProgram(machine, 'ioctl.exe', async (k32) => {
    const h = k32.CreateFileW(`\\\\.\\${SERVICE}`, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    if (h === INVALID_HANDLE_VALUE) throw new Error(`CreateFileW failed (error ${k32.GetLastError()})`);
    const inVa = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const outVa = inVa + 2048;
    for (let i = 0; i < BYTES; i++) k32.setUint8(inVa + i, i);
    const first = await k32.DeviceIoControl(h, IOCTL_ECHO, inVa, BYTES, outVa, BYTES);
    if (!first.ok || first.bytesReturned !== BYTES || k32.getUint8(outVa + BYTES - 1) !== BYTES - 1) {
      throw new Error(`the echo IOCTL did not echo (ok ${first.ok}, ${first.bytesReturned} bytes, error ${k32.GetLastError()})`);
    }

    const call = () => k32.DeviceIoControl(h, IOCTL_ECHO, inVa, BYTES, outVa, BYTES);
    const k = machine.kernel;
    const iosb = outVa + 1024;
    const service = () => { NtDeviceIoControlFile(k, h, 0, 0, 0, iosb, IOCTL_ECHO, inVa, BYTES, outVa, BYTES); };
    const resolved = Promise.resolve(0);
    const awaitOnly = () => resolved;

    const user: number[] = [];
    const kernel: number[] = [];
    const floor: number[] = [];
    for (let b = 0; b < warmupBatches + batches; b++) {
      const u = await timePerCallAsync(call, batch);
      const s = timePerCall(service, batch);
      const f = await timePerCallAsync(awaitOnly, batch);
      if (b >= warmupBatches) {
        user.push(u);
        kernel.push(s);
        floor.push(f);
      }
    }
    k32.CloseHandle(h);
    return {
      deviceIoControlNs: median(user), kernelServiceNs: median(kernel), awaitFloorNs: median(floor),
      calls: (warmupBatches + batches) * batch,
    };
  });
}
