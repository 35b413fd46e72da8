/**
 * A small driver and its client sharing one page: the driver maps a page of
 * nonpaged pool into the client (IOCTL_COUNTER_MAP) and counts in it
 * (IOCTL_COUNTER_BUMP); the client reads the count straight from its own
 * mapping of the same frame. `ntshm run examples/counter/scenario.ts` runs it.
 */
import { defineScenario } from 'ntshm';
import {
  CTL_CODE, defineDriver, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation,
  IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, METHOD_BUFFERED, MmCached, NonPagedPool,
  NormalPagePriority, NtException, PAGE_SIZE, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, UserMode,
  type Irp, type Mdl,
} from 'ntshm/wdm';
import { defineProgram, GENERIC_READ, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE } from 'ntshm/win32';

const IOCTL_COUNTER_MAP = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_COUNTER_BUMP = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);

export const counterDriver = defineDriver({
  name: 'Counter',
  DriverEntry(nt, DriverObject) {
    let page = 0;
    let mdl: Mdl | null = null;
    let userAddress = 0;

    const complete = (irp: Irp, status: number, information = 0): number => {
      irp.IoStatus.Status = status;
      irp.IoStatus.Information = information;
      nt.IofCompleteRequest(irp, IO_NO_INCREMENT);
      return status;
    };

    DriverObject.MajorFunction[IRP_MJ_CREATE] = (_device, irp) => complete(irp, STATUS_SUCCESS);
    DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_device, irp) => complete(irp, STATUS_SUCCESS);

    DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = (_device, irp) => {
      const code = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl.IoControlCode;
      if (code === IOCTL_COUNTER_MAP && mdl === null) {
        page = nt.ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, 'Cntr');
        nt.RtlZeroMemory(page, PAGE_SIZE);
        mdl = nt.IoAllocateMdl(page, PAGE_SIZE, false, false, null)!;
        nt.MmBuildMdlForNonPagedPool(mdl);
        try {
          // In the caller's context (a dispatch routine at PASSIVE_LEVEL): the page lands in the client.
          userAddress = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
        } catch (e) {
          if (e instanceof NtException) return complete(irp, e.status);
          throw e;
        }
        nt.setPointer(irp.AssociatedIrp.SystemBuffer, userAddress);
        return complete(irp, STATUS_SUCCESS, nt.sizeofPointer);
      }
      if (code === IOCTL_COUNTER_BUMP && page !== 0) {
        nt.setUint32(page, nt.getUint32(page) + 1);
        return complete(irp, STATUS_SUCCESS);
      }
      return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
    };

    // The last handle is gone, and we are still in the client's context: unmap there.
    DriverObject.MajorFunction[IRP_MJ_CLEANUP] = (_device, irp) => {
      if (mdl !== null) {
        if (userAddress !== 0) nt.MmUnmapLockedPages(userAddress, mdl);
        nt.IoFreeMdl(mdl);
        nt.ExFreePoolWithTag(page, 'Cntr');
        [mdl, page, userAddress] = [null, 0, 0];
      }
      return complete(irp, STATUS_SUCCESS);
    };

    DriverObject.DriverUnload = (driver) => {
      nt.IoDeleteSymbolicLink('\\DosDevices\\Counter');
      if (driver.DeviceObject) nt.IoDeleteDevice(driver.DeviceObject);
    };

    const { status } = nt.IoCreateDevice(DriverObject, 0, '\\Device\\Counter', FILE_DEVICE_UNKNOWN, 0, false);
    if (status !== STATUS_SUCCESS) return status;
    return nt.IoCreateSymbolicLink('\\DosDevices\\Counter', '\\Device\\Counter');
  },
});

export const counterProgram = defineProgram(async (k32) => {
  const device = k32.CreateFileW('\\\\.\\Counter', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
  if (device === INVALID_HANDLE_VALUE) return k32.GetLastError();
  const out = k32.VirtualAlloc(0, k32.sizeofPointer, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  const mapped = await k32.DeviceIoControl(device, IOCTL_COUNTER_MAP, 0, 0, out, k32.sizeofPointer);
  if (!mapped.ok) return k32.GetLastError();
  const counter = k32.getPointer(out);
  for (let i = 0; i < 3; i++) await k32.DeviceIoControl(device, IOCTL_COUNTER_BUMP, 0, 0, 0, 0);
  k32.print(`counter at ${counter.toString(16)}: ${k32.getUint32(counter)}`);
  k32.CloseHandle(device);
  return 0;
}, 'Counter.exe');

export default defineScenario({
  name: 'counter',
  summary: 'a driver counts in a page it maps into its client; the client reads the count from its own mapping',
  setup(machine) {
    machine.loadDriver('Counter', counterDriver);
    machine.spawn(counterProgram);
  },
  teardown(machine) {
    machine.unloadDriver('Counter');
  },
});
