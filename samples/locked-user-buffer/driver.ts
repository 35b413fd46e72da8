/**
 * The first method of seed 004 ("Shared memory between user and core states
 * through MDL"): the program allocates the buffer and the driver maps it into
 * kernel space. The article's pseudo-code, in order:
 *
 *   MDL *mdl = IoAllocateMdl(uva, uva_size, FALSE, FALSE, NULL);
 *   __try { MmProbeAndLockPages(mdl, UserMode, IoReadAccess); }
 *   __except (EXCEPTION_EXECUTE_HANDLER) { DbgPrint("error code = %d", GetExceptionCode()); }
 *   PVOID kva = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
 *   // use kva ...
 *   MmUnlockPages(mdl); IoFreeMdl(mdl);
 *
 * "Remember to unlock and free the MDL before the driver unloads, otherwise
 * a BSOD will occur": the program's pages are locked from the first IOCTL to
 * the third, and IRP_MJ_CLEANUP unlocks them if the program never asked.
 */
import {
  ADDRESS_AND_SIZE_TO_SPAN_PAGES, defineDriver, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IoReadAccess,
  IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, NT_SUCCESS, NormalPagePriority, NtException,
  STATUS_BUFFER_TOO_SMALL, STATUS_DEVICE_BUSY, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS,
  UserMode, type DeviceObject, type DriverObject, type Irp, type Mdl, type Nt,
} from 'ntshm/wdm';
import {
  ARTICLE_VA, DEVICE_NAME, IOCTL_LOCK_USER_BUFFER, IOCTL_READ_LOCKED_BUFFER, IOCTL_UNLOCK_USER_BUFFER, LINK_NAME, requestSize,
  SERVICE_NAME,
} from './ioctl.js';

/** How a variant of the driver differs (variants.ts). */
export interface LockingDriverVariant {
  /** no-unlock: no IRP_MJ_CLEANUP, so pages the program never asked to unlock stay locked. */
  noCleanup?: boolean;
  /** unlock-twice: MmUnlockPages a second time on release. */
  unlockTwice?: boolean;
  /** no-try: MmProbeAndLockPages outside try/except. */
  noTry?: boolean;
}

export function lockedUserBufferDriver(variant: LockingDriverVariant = {}) {
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, DriverObject: DriverObject): number {
      let mdl: Mdl | null = null;
      let kva = 0;

      const complete = (irp: Irp, status: number, information = 0): number => {
        irp.IoStatus.Status = status;
        irp.IoStatus.Information = information;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };

      /** The article's MDL fields, as a debugger's `dt nt!_MDL` would show them. */
      function ShowMdl(what: string, m: Mdl): void {
        nt.DbgPrint('LockedUserBuffer: %s: MDL %p StartVa %p ByteOffset 0x%X ByteCount 0x%X MdlFlags 0x%04X MappedSystemVa %p\n',
          what, m.address, m.StartVa, m.ByteOffset, m.ByteCount, m.MdlFlags, m.MappedSystemVa);
        nt.DbgPrint('LockedUserBuffer: MmGetMdlVirtualAddress %p, %d page(s), PFN %s\n', nt.MmGetMdlVirtualAddress(m),
          ADDRESS_AND_SIZE_TO_SPAN_PAGES(nt.MmGetMdlVirtualAddress(m), m.ByteCount),
          Array.from(nt.MmGetMdlPfnArray(m), (pfn) => pfn.toString(16)).join(' '));
      }

      function LockUserBuffer(uva: number, uva_size: number): number {
        if (mdl !== null) return STATUS_DEVICE_BUSY;
        // assume uva is a virtual address in user space, uva_size is its size
        const m = nt.IoAllocateMdl(uva, uva_size, false, false, null);
        if (m === null) return STATUS_INSUFFICIENT_RESOURCES;
        if (variant.noTry) {
          // Wrong (no-try): a bad user address raises, and nothing here catches it.
          nt.MmProbeAndLockPages(m, UserMode, IoReadAccess);
        } else {
          try {
            nt.MmProbeAndLockPages(m, UserMode, IoReadAccess);
          } catch (e) {
            if (!(e instanceof NtException)) throw e;
            nt.DbgPrint('LockedUserBuffer: error code = %X\n', e.status);
            nt.IoFreeMdl(m);
            return e.status;
          }
        }
        mdl = m;
        kva = nt.MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
        ShowMdl('user buffer locked', m);
        nt.DbgPrint('LockedUserBuffer: user %p is kernel %p in process %d; it says "%ws"\n', uva, kva, nt.PsGetCurrentProcessId(),
          nt.getString(kva, 'utf-16le', uva_size / 2));
        return STATUS_SUCCESS;
      }

      function UnlockUserBuffer(): void {
        if (mdl === null) return;
        nt.MmUnlockPages(mdl);
        // Wrong (unlock-twice): the pages were unlocked a line ago.
        if (variant.unlockTwice) nt.MmUnlockPages(mdl);
        nt.IoFreeMdl(mdl);
        nt.DbgPrint('LockedUserBuffer: user buffer unlocked, MDL freed\n');
        mdl = null;
        kva = 0;
      }

      function DispatchControl(_device: DeviceObject, irp: Irp): number {
        const stack = IoGetCurrentIrpStackLocation(irp);
        const { IoControlCode, InputBufferLength } = stack.Parameters.DeviceIoControl;
        switch (IoControlCode) {
          case IOCTL_LOCK_USER_BUFFER: {
            if (InputBufferLength < requestSize(nt.sizeofPointer)) return complete(irp, STATUS_BUFFER_TOO_SMALL);
            const request = irp.AssociatedIrp.SystemBuffer;
            return complete(irp, LockUserBuffer(nt.getPointer(request), nt.getUint32(request + nt.sizeofPointer)));
          }
          case IOCTL_READ_LOCKED_BUFFER:
            // use kva: the program's page, read through the kernel's own address for it.
            if (mdl !== null) nt.DbgPrint('LockedUserBuffer: kernel %p now says "%ws"\n', kva, nt.getString(kva, 'utf-16le', mdl.ByteCount / 2));
            return complete(irp, STATUS_SUCCESS);
          case IOCTL_UNLOCK_USER_BUFFER:
            UnlockUserBuffer();
            return complete(irp, STATUS_SUCCESS);
          default:
            return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
        }
      }

      DriverObject.MajorFunction[IRP_MJ_CREATE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      // The program's last handle goes in its own context: the pages can still be unlocked there.
      if (!variant.noCleanup) {
        DriverObject.MajorFunction[IRP_MJ_CLEANUP] = (_d: DeviceObject, irp: Irp) => {
          UnlockUserBuffer();
          return complete(irp, STATUS_SUCCESS);
        };
      }
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
      DriverObject.DriverUnload = (driverObject: DriverObject) => {
        nt.IoDeleteSymbolicLink(LINK_NAME);
        if (driverObject.DeviceObject) nt.IoDeleteDevice(driverObject.DeviceObject);
      };

      // The article's example: an MDL describes where a buffer starts, not the page it starts in.
      const example = nt.IoAllocateMdl(ARTICLE_VA, 0x100, false, false, null);
      if (example !== null) {
        nt.DbgPrint('LockedUserBuffer: IoAllocateMdl(%p): StartVa %p, ByteOffset 0x%X, MmGetMdlVirtualAddress %p\n',
          ARTICLE_VA, example.StartVa, example.ByteOffset, nt.MmGetMdlVirtualAddress(example));
        nt.IoFreeMdl(example);
      }
      const { status, deviceObject } = nt.IoCreateDevice(DriverObject, 0, DEVICE_NAME, FILE_DEVICE_UNKNOWN, 0, false);
      if (!NT_SUCCESS(status) || !deviceObject) return status;
      const link = nt.IoCreateSymbolicLink(LINK_NAME, DEVICE_NAME);
      if (!NT_SUCCESS(link)) nt.IoDeleteDevice(deviceObject);
      return link;
    },
  });
}
