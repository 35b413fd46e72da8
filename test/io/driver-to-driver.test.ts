/**
 * Driver to driver: a filter attached over a device (requests from user mode
 * reach the top of the stack first), IoSkipCurrentIrpStackLocation,
 * IoCopyCurrentIrpStackLocationToNext with IoSetCompletionRoutine (and
 * STATUS_MORE_PROCESSING_REQUIRED keeping the IRP), a second driver sending
 * IoBuildDeviceIoControlRequest IRPs (IRP_MJ_DEVICE_CONTROL and
 * IRP_MJ_INTERNAL_DEVICE_CONTROL) through IoGetDeviceObjectPointer and
 * IoCallDriver, and 0x35 NO_MORE_IRP_STACK_LOCATIONS.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/passing-irps-down-the-driver-stack
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from 'ntshm';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, FILE_READ_DATA, IO_NO_INCREMENT, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL, KernelMode, METHOD_BUFFERED, METHOD_OUT_DIRECT, NonPagedPool, NormalPagePriority,
  STATUS_MORE_PROCESSING_REQUIRED, STATUS_SUCCESS, defineDriver, type DeviceObject, type Irp, type IoStatusBlock, type Nt,
} from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE } from 'ntshm/win32';
import { NO_MORE_IRP_STACK_LOCATIONS } from '../../src/include/bugcodes.js';
import { bootWith, bytes, runProgram, testDriver, type TestDriver } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x820, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_DIRECT = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x821, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);

/** The lower driver: answers every IOCTL with 4 bytes 0xA1..0xA4 and records what reached it. */
function lowerDriver(log: string[]): TestDriver {
  return testDriver({
    control: ({ nt, irp, stack }) => {
      log.push(`lower ${stack.MajorFunction === IRP_MJ_DEVICE_CONTROL ? 'DEVICE_CONTROL' : 'other'} mode=${irp.RequestorMode}`);
      const p = stack.Parameters.DeviceIoControl;
      const out = (p.IoControlCode & 3) === METHOD_BUFFERED ? irp.AssociatedIrp.SystemBuffer : nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority);
      nt.setBytes(out, [0xa1, 0xa2, 0xa3, 0xa4]);
      irp.IoStatus.Information = 4;
    },
    entry: (nt, driverObject) => {
      driverObject.MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = function DispatchInternal(_d: DeviceObject, irp: Irp) {
        log.push(`lower INTERNAL_DEVICE_CONTROL code=${nt.IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl.IoControlCode.toString(16)}`);
        irp.IoStatus.Status = STATUS_SUCCESS;
        irp.IoStatus.Information = 0;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
      };
    },
  });
}

type FilterMode = 'skip' | 'completion' | 'more-processing';

/** A filter attached over `\Device\TestDrv`, passing everything down as `mode` says. */
function filterDriver(mode: FilterMode, log: string[]) {
  return defineDriver({
    name: 'Filter',
    DriverEntry(nt: Nt, driverObject) {
      const { deviceObject } = nt.IoCreateDevice(driverObject, 0, null, FILE_DEVICE_UNKNOWN, 0, false);
      const target = nt.IoGetDeviceObjectPointer('\\Device\\TestDrv', FILE_READ_DATA);
      const lower = nt.IoAttachDeviceToDeviceStack(deviceObject!, target.deviceObject!);
      nt.ObDereferenceObject(target.fileObject!);
      log.push(`attached: StackSize ${deviceObject!.StackSize}, lower is TestDrv ${lower === target.deviceObject}`);
      const FilterCompletion = (device: DeviceObject | null, irp: Irp, context: unknown): number => {
        log.push(`completion device=${device === deviceObject} context=${String(context)} status=${irp.IoStatus.Status} info=${irp.IoStatus.Information}`);
        if (mode === 'more-processing') return STATUS_MORE_PROCESSING_REQUIRED;
        if (irp.PendingReturned) nt.IoMarkIrpPending(irp);
        return STATUS_SUCCESS;
      };
      const FilterPass = (_d: DeviceObject, irp: Irp): number => {
        const major = nt.IoGetCurrentIrpStackLocation(irp).MajorFunction;
        if (major !== IRP_MJ_DEVICE_CONTROL || mode === 'skip') {
          if (major === IRP_MJ_DEVICE_CONTROL) log.push('filter skip');
          nt.IoSkipCurrentIrpStackLocation(irp);
          return nt.IoCallDriver(lower!, irp);
        }
        log.push('filter copy');
        nt.IoCopyCurrentIrpStackLocationToNext(irp);
        nt.IoSetCompletionRoutine(irp, FilterCompletion, 'ctx', true, true, true);
        const status = nt.IoCallDriver(lower!, irp);
        if (mode === 'more-processing') {
          // The IRP is ours again: change the answer and complete it once more.
          log.push(`filter owns it again, IoCallDriver returned ${status}`);
          nt.setBytes(irp.AssociatedIrp.SystemBuffer, [0xf1]);
          irp.IoStatus.Information = 1;
          nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
          return STATUS_SUCCESS;
        }
        return status;
      };
      for (const major of [IRP_MJ_CREATE, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_DEVICE_CONTROL]) driverObject.MajorFunction[major] = FilterPass;
      deviceObject!.Flags &= ~0x80; // DO_DEVICE_INITIALIZING
      return STATUS_SUCCESS;
    },
  });
}

async function withFilter(arch: 'x64' | 'x86', mode: FilterMode) {
  const log: string[] = [];
  const lower = lowerDriver(log);
  const machine = await bootWith([lower], { arch });
  machine.loadDriver('Filter', filterDriver(mode, log));
  expect(machine.bugcheck).toBeUndefined();
  const out: unknown[] = [];
  await runProgram(machine, async (k32) => {
    const h = k32.CreateFileW(lower.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    const va = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const r = await k32.DeviceIoControl(h, IOCTL, 0, 0, va, 4);
    out.push(r.ok, r.bytesReturned, bytes(k32.getBytes(va, 4)));
    k32.CloseHandle(h);
    return 0;
  });
  expect(machine.bugcheck).toBeUndefined();
  return { log, out, machine };
}

describe.each(ARCHES)('a filter over a device, on %s', (arch) => {
  it('skipping its stack location: the program\'s request reaches the filter first, then the device, on an IRP of two locations', async () => {
    const { log, out } = await withFilter(arch, 'skip');
    expect(log).toEqual(['attached: StackSize 2, lower is TestDrv true', 'filter skip', 'lower DEVICE_CONTROL mode=1']);
    expect(out).toEqual([true, 4, [0xa1, 0xa2, 0xa3, 0xa4]]);
  });

  it('copying it with a completion routine: the routine runs after the device completes, with the filter\'s device and its context', async () => {
    const { log, out } = await withFilter(arch, 'completion');
    expect(log).toEqual(['attached: StackSize 2, lower is TestDrv true', 'filter copy', 'lower DEVICE_CONTROL mode=1',
      'completion device=true context=ctx status=0 info=4']);
    expect(out).toEqual([true, 4, [0xa1, 0xa2, 0xa3, 0xa4]]);
  });

  it('STATUS_MORE_PROCESSING_REQUIRED stops the completion: the filter owns the IRP again and completes it with its own answer', async () => {
    const { log, out } = await withFilter(arch, 'more-processing');
    expect(log.slice(1)).toEqual(['filter copy', 'lower DEVICE_CONTROL mode=1', 'completion device=true context=ctx status=0 info=4',
      'filter owns it again, IoCallDriver returned 0']);
    expect(out).toEqual([true, 1, [0xf1, 0, 0, 0]]);
  });

  it('IoDetachDevice takes the filter out: requests go straight to the device again', async () => {
    const log: string[] = [];
    const lower = lowerDriver(log);
    const machine = await bootWith([lower], { arch });
    machine.loadDriver('Filter', filterDriver('skip', log));
    const top: DeviceObject[] = [];
    lower.nt.IoDetachDevice(lower.device);
    top.push(lower.nt.IoGetAttachedDevice(lower.device));
    expect(top).toEqual([lower.device]);
    expect(lower.device.AttachedDevice).toBeNull();
  });
});

/** A second driver that opens TestDrv with IoGetDeviceObjectPointer and sends it IOCTLs it builds. */
function senderDriver(results: unknown[], send: (nt: Nt, device: DeviceObject) => void) {
  return defineDriver({
    name: 'Sender',
    DriverEntry(nt: Nt) {
      const target = nt.IoGetDeviceObjectPointer('\\Device\\TestDrv', FILE_READ_DATA);
      results.push(target.status);
      send(nt, target.deviceObject!);
      nt.ObDereferenceObject(target.fileObject!);
      return STATUS_SUCCESS;
    },
  });
}

describe.each(ARCHES)('a second driver sending IOCTLs it builds, on %s', (arch) => {
  const boot2 = async (send: (nt: Nt, device: DeviceObject, results: unknown[]) => void) => {
    const log: string[] = [];
    const lower = lowerDriver(log);
    const machine: Machine = await bootWith([lower], { arch });
    const results: unknown[] = [];
    machine.loadDriver('Sender', senderDriver(results, (nt, device) => send(nt, device, results)));
    expect(machine.bugcheck).toBeUndefined();
    return { log, results, machine };
  };

  it.each([
    ['METHOD_BUFFERED', IOCTL],
    ['METHOD_OUT_DIRECT', IOCTL_DIRECT],
  ])('IoBuildDeviceIoControlRequest (%s) and IoCallDriver: KernelMode, the output in the sender\'s buffer, its IO_STATUS_BLOCK filled', async (_n, code) => {
    const { log, results, machine } = await boot2((nt, device, results) => {
      const out = nt.ExAllocatePoolWithTag(NonPagedPool, 16, 'Send');
      nt.RtlZeroMemory(out, 16);
      const iosb: IoStatusBlock = { Status: -1, Information: -1 };
      const irp = nt.IoBuildDeviceIoControlRequest(code, device, null, 0, out, 16, false, null, iosb)!;
      results.push(irp.StackCount, nt.IoGetNextIrpStackLocation(irp).MajorFunction);
      results.push(nt.IoCallDriver(device, irp), { ...iosb }, bytes(nt.getBytes(out, 4)));
      nt.ExFreePool(out);
    });
    expect(log).toEqual([`lower DEVICE_CONTROL mode=${KernelMode}`]);
    expect(results).toEqual([0, 1, IRP_MJ_DEVICE_CONTROL, 0, { Status: 0, Information: 4 }, [0xa1, 0xa2, 0xa3, 0xa4]]);
    expect(machine.kernel.mdl.live.size).toBe(0);
  });

  it('InternalDeviceIoControl: IRP_MJ_INTERNAL_DEVICE_CONTROL reaches the device\'s internal dispatch routine', async () => {
    const { log, results } = await boot2((nt, device, results) => {
      const iosb: IoStatusBlock = { Status: -1, Information: -1 };
      const irp = nt.IoBuildDeviceIoControlRequest(0x22_2003, device, null, 0, null, 0, true, null, iosb)!;
      results.push(nt.IoCallDriver(device, irp), iosb.Status);
    });
    expect(log).toEqual(['lower INTERNAL_DEVICE_CONTROL code=222003']);
    expect(results).toEqual([0, 0, 0]);
  });

  it('IoCallDriver with no stack location left is 0x35 NO_MORE_IRP_STACK_LOCATIONS with P1 = the IRP', async () => {
    const log: string[] = [];
    let irpAddress = 0;
    // TestDrv forwards what it gets to a device of its own without IoSkipCurrentIrpStackLocation: the IRP has one location.
    const lower = testDriver({
      control: ({ nt, irp, device }) => {
        irpAddress = irp.address;
        nt.IoCallDriver(device, irp);
      },
    });
    const machine = await bootWith([lower], { arch });
    machine.loadDriver('Sender', senderDriver([], (nt, device) => {
      const irp = nt.IoBuildDeviceIoControlRequest(IOCTL, device, null, 0, null, 0, false, null, { Status: 0, Information: 0 })!;
      nt.IoCallDriver(device, irp);
    }));
    void log;
    expect(machine.bugcheck).toMatchObject({ code: NO_MORE_IRP_STACK_LOCATIONS, params: [irpAddress, 0, 0, 0] });
    expect(irpAddress).not.toBe(0);
  });
});

