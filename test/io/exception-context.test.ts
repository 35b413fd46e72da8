/**
 * An exception that leaves driver code unhandled ends as the bug check of the
 * place it happened (reference/bugchecks.md): a dispatch routine reached from
 * a program's system service → 0x3B; the same routine reached from a
 * driver's own thread (DriverEntry's System thread) → 0x7E; reached from a
 * DPC → 0x1E; a completion routine run as a program's request completes →
 * 0x3B, named as the filter's.
 */
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, FILE_READ_DATA, METHOD_BUFFERED, STATUS_ACCESS_VIOLATION, STATUS_SUCCESS,
  defineDriver, type DeviceObject, type Irp, type Nt,
} from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING } from 'ntshm/win32';
import { KMODE_EXCEPTION_NOT_HANDLED, SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED } from '../../src/include/bugcodes.js';
import { bootWith, runProgram, testDriver } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x830, METHOD_BUFFERED, FILE_ANY_ACCESS);
const nothing = { a: null as { b: number } | null };

/** TestDrv's dispatch routine dereferences NULL. */
const faulting = () => testDriver({ control: () => void nothing.a!.b });

/** A driver that sends TestDrv an IOCTL from DriverEntry, directly or from a DPC it queues there. */
function sender(fromDpc: boolean) {
  return defineDriver({
    name: 'Sender',
    DriverEntry(nt: Nt) {
      const target = nt.IoGetDeviceObjectPointer('\\Device\\TestDrv', FILE_READ_DATA);
      const irp = nt.IoBuildDeviceIoControlRequest(IOCTL, target.deviceObject!, null, 0, null, 0, false, null, { Status: 0, Information: 0 })!;
      if (!fromDpc) {
        nt.IoCallDriver(target.deviceObject!, irp);
        return STATUS_SUCCESS;
      }
      const { dpc } = nt.KeInitializeDpc(function SendFromDpc() {
        nt.IoCallDriver(target.deviceObject!, irp);
      }, null);
      nt.KeInsertQueueDpc(dpc, null, null);
      return STATUS_SUCCESS;
    },
  });
}

describe.each(ARCHES)('where an unhandled exception happened picks the bug check, on %s', (arch) => {
  it('a dispatch routine reached from DriverEntry\'s System thread: 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED', async () => {
    const machine = await bootWith([faulting()], { arch });
    machine.loadDriver('Sender', sender(false));
    expect(machine.bugcheck).toMatchObject({ code: SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, params: [STATUS_ACCESS_VIOLATION, expect.any(Number), 0, 0] });
    expect(machine.bugcheck?.stack[0]).toBe('TestDrv!DispatchControl');
  });

  it('a dispatch routine reached from a DPC: 0x1E KMODE_EXCEPTION_NOT_HANDLED', async () => {
    const machine = await bootWith([faulting()], { arch });
    machine.loadDriver('Sender', sender(true));
    expect(machine.bugcheck).toMatchObject({ code: KMODE_EXCEPTION_NOT_HANDLED, params: [STATUS_ACCESS_VIOLATION, expect.any(Number), 0, 0] });
    expect(machine.bugcheck?.stack[0]).toBe('TestDrv!DispatchControl');
  });

  it('a filter\'s completion routine run as a program\'s request completes: 0x3B SYSTEM_SERVICE_EXCEPTION, in the filter', async () => {
    const lower = testDriver({});
    const machine = await bootWith([lower], { arch });
    machine.loadDriver('Filter', defineDriver({
      name: 'Filter',
      DriverEntry(nt: Nt, driverObject) {
        const { deviceObject } = nt.IoCreateDevice(driverObject, 0, null, FILE_DEVICE_UNKNOWN, 0, false);
        const target = nt.IoGetDeviceObjectPointer('\\Device\\TestDrv', FILE_READ_DATA);
        const next = nt.IoAttachDeviceToDeviceStack(deviceObject!, target.deviceObject!)!;
        nt.ObDereferenceObject(target.fileObject!);
        const FilterCompletion = (): number => nothing.a!.b;
        driverObject.MajorFunction.fill(function FilterPass(_d: DeviceObject, irp: Irp) {
          nt.IoCopyCurrentIrpStackLocationToNext(irp);
          nt.IoSetCompletionRoutine(irp, FilterCompletion, null, true, true, true);
          return nt.IoCallDriver(next, irp);
        });
        return STATUS_SUCCESS;
      },
    }));
    await runProgram(machine, async (k32) => {
      const h = k32.CreateFileW(lower.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(h, IOCTL, 0, 0, 0, 0);
      return 0;
    });
    expect(machine.bugcheck).toMatchObject({ code: SYSTEM_SERVICE_EXCEPTION, params: [STATUS_ACCESS_VIOLATION, expect.any(Number), 0, 0] });
    expect(machine.bugcheck?.stack[0]).toBe('Filter!FilterCompletion');
  });
});
