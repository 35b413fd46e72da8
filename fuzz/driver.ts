/**
 * FuzzDrv: the fuzzer's driver. Its device takes five IOCTLs: one runs a
 * list of generated driver actions in the dispatch routine (in the calling
 * program's process, at PASSIVE_LEVEL); four echo their buffers with each
 * transfer method (BUFFERED, IN_DIRECT, OUT_DIRECT, NEITHER), as a careful
 * driver does, so that the I/O manager meets whatever buffers and lengths
 * the programs pass. Actions may queue DPCs, set timers and start the I/O
 * timer, whose routines run more actions at DISPATCH_LEVEL, in whatever
 * process the CPU is in.
 *
 * The driver itself is correct: IRP_MJ_CLEANUP undoes what a file object's
 * process had mapped or locked, DriverUnload cancels its timers and DPCs and
 * frees what it holds. Misuse comes only from actions labelled `misuse`
 * (or run where their IRQL forbids them); those are reported to the world
 * before they run, so that a bug check after them is the driver's due.
 */
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, FILE_WRITE_ACCESS, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_NEITHER, METHOD_OUT_DIRECT,
  NormalPagePriority, NtException, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, defineDriver, type DeviceObject, type DriverObject,
  type Irp, type Nt,
} from '../src/api/wdm.js';
import type { DriverDefinition } from '../src/api/wdm.js';
import { makeRunner } from './driver-actions.js';
import { TAG, type FuzzDriverHost, type FuzzDriverState } from './driver-state.js';
import { hostileValue } from './hostile.js';

export { FuzzDriverState, type FuzzDriverHost, type Resolver, type UserMapping } from './driver-state.js';

export const FUZZ_SERVICE = 'FuzzDrv';
export const FUZZ_PATH = `\\\\.\\${FUZZ_SERVICE}`;

/** The fuzz driver's IOCTL codes. */
export const FUZZ_IOCTL = {
  run: CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS),
  'echo-buffered': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS),
  'echo-in-direct': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, METHOD_IN_DIRECT, FILE_ANY_ACCESS),
  'echo-out-direct': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, METHOD_OUT_DIRECT, FILE_ANY_ACCESS),
  'echo-neither': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x904, METHOD_NEITHER, FILE_ANY_ACCESS),
  'write-only': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x905, METHOD_BUFFERED, FILE_WRITE_ACCESS),
  unknown: CTL_CODE(FILE_DEVICE_UNKNOWN, 0xabc, METHOD_BUFFERED, FILE_ANY_ACCESS),
  'other-device-type': CTL_CODE(0x22, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS),
} as const;

/** Builds the fuzz driver for one world. */
export function fuzzDriver(host: FuzzDriverHost, state: FuzzDriverState): DriverDefinition {
  return defineDriver({
    name: FUZZ_SERVICE,
    DriverEntry(nt: Nt, driverObject: DriverObject): number {
      const deviceName = `\\Device\\${FUZZ_SERVICE}`;
      const { status, deviceObject } = nt.IoCreateDevice(driverObject, 0, deviceName, FILE_DEVICE_UNKNOWN, 0, false);
      if (status !== STATUS_SUCCESS || !deviceObject) return status;
      const linked = nt.IoCreateSymbolicLink(`\\DosDevices\\${FUZZ_SERVICE}`, deviceName);
      if (linked !== STATUS_SUCCESS) {
        nt.IoDeleteDevice(deviceObject);
        return linked;
      }
      const run = makeRunner(nt, host, state, deviceObject);

      const complete = (irp: Irp, status: number, information: number): number => {
        irp.IoStatus.Status = status;
        irp.IoStatus.Information = information;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };
      driverObject.MajorFunction[IRP_MJ_CREATE] = function DispatchCreate(_d: DeviceObject, irp: Irp) {
        return complete(irp, STATUS_SUCCESS, 0);
      };
      driverObject.MajorFunction[IRP_MJ_CLOSE] = function DispatchClose(_d: DeviceObject, irp: Irp) {
        return complete(irp, STATUS_SUCCESS, 0);
      };
      // What a file object's process had mapped or locked goes with its last handle, in that process.
      driverObject.MajorFunction[IRP_MJ_CLEANUP] = function DispatchCleanup(_d: DeviceObject, irp: Irp) {
        const file = IoGetCurrentIrpStackLocation(irp).FileObject;
        for (const m of state.mappings) {
          if (m.live && m.file === file) {
            nt.MmUnmapLockedPages(m.va, m.record.mdl);
            m.live = false;
          }
        }
        for (const r of state.mdls) {
          if (r.live && r.locked && r.locked.file === file) {
            nt.MmUnlockPages(r.mdl);
            nt.IoFreeMdl(r.mdl);
            r.live = false;
          }
        }
        return complete(irp, STATUS_SUCCESS, 0);
      };
      driverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = function DispatchControl(_d: DeviceObject, irp: Irp) {
        const stack = IoGetCurrentIrpStackLocation(irp);
        const p = stack.Parameters.DeviceIoControl;
        const code = p.IoControlCode >>> 0;
        if (code === FUZZ_IOCTL.run) {
          if (p.InputBufferLength < 4) return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
          const call = host.takeCall(nt.getUint32(irp.AssociatedIrp.SystemBuffer));
          if (!call) return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
          const process = nt.PsGetCurrentProcess();
          if (!state.processes.includes(process)) {
            nt.ObReferenceObject(process);
            state.processes.push(process);
          }
          const returned = run(call.actions, { dispatch: true, irp, file: stack.FileObject, resolve: call.resolve, depth: 0 });
          if (returned.hostile !== undefined) {
            // A dispatch routine returning what no C routine could (issue 7, item 5).
            irp.IoStatus.Status = STATUS_SUCCESS;
            nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
            return hostileValue(returned.hostile) as number;
          }
          return complete(irp, STATUS_SUCCESS, 0);
        }
        const inLength = p.InputBufferLength;
        const outLength = p.OutputBufferLength;
        const n = Math.min(inLength, outLength);
        try {
          switch (code) {
            case FUZZ_IOCTL['echo-buffered']:
              // Input and output share the SystemBuffer: the echo is already in place.
              return complete(irp, STATUS_SUCCESS, n);
            case FUZZ_IOCTL['echo-in-direct']:
            case FUZZ_IOCTL['echo-out-direct']: {
              // The input comes buffered, the output through the MDL the I/O manager locked.
              const out = irp.MdlAddress ? nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority) : 0;
              if (out !== 0 && n > 0) nt.RtlCopyMemory(out, irp.AssociatedIrp.SystemBuffer, Math.min(n, 4096));
              return complete(irp, STATUS_SUCCESS, out === 0 ? 0 : Math.min(n, 4096));
            }
            case FUZZ_IOCTL['echo-neither']: {
              // User addresses, as the program passed them: probe, then copy, inside __try.
              const input = stack.Parameters.DeviceIoControl.Type3InputBuffer;
              const output = irp.UserBuffer;
              const count = Math.min(n, 4096);
              // Each buffer it was given is probed, whatever part of it the echo uses: a kernel address with a
              // length accepted unprobed is the bug (the verifier's 0xC4/0xE3), even when nothing is copied.
              if (inLength > 0) nt.ProbeForRead(input, inLength, 1);
              if (outLength > 0) nt.ProbeForWrite(output, outLength, 1);
              if (count > 0) nt.setBytes(output, nt.getBytes(input, count));
              return complete(irp, STATUS_SUCCESS, count);
            }
            case FUZZ_IOCTL['write-only']:
              return complete(irp, STATUS_SUCCESS, 0);
            default:
              return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
          }
        } catch (e) {
          if (e instanceof NtException) return complete(irp, e.status, 0);
          throw e;
        }
      };
      nt.IoInitializeTimer(deviceObject, function IoTimerRoutine() {
        const t = state.ioTimerActions;
        if (t) run(t.actions, { dispatch: false, file: null, resolve: t.resolve, depth: 1 });
      }, null);
      driverObject.DriverUnload = function DriverUnload(d: DriverObject) {
        if (state.ioTimerRunning && d.DeviceObject) nt.IoStopTimer(d.DeviceObject);
        for (const t of state.timers) nt.KeCancelTimer(t.timer);
        for (const dpc of state.dpcs) nt.KeRemoveQueueDpc(dpc);
        for (const m of state.mappings) if (m.live && m.record.live) m.live = false; // their processes are gone: their mappings went with them
        for (const r of state.mdls) {
          if (!r.live) continue;
          if (r.locked) nt.MmUnlockPages(r.mdl);
          nt.IoFreeMdl(r.mdl);
          r.live = false;
        }
        for (const b of state.blocks) {
          if (!b.live) continue;
          nt.ExFreePoolWithTag(b.va, TAG);
          b.live = false;
        }
        for (const p of state.processes.splice(0)) nt.ObDereferenceObject(p);
        nt.IoDeleteSymbolicLink(`\\DosDevices\\${FUZZ_SERVICE}`);
        if (d.DeviceObject) nt.IoDeleteDevice(d.DeviceObject);
      };
      return STATUS_SUCCESS;
    },
  });
}

