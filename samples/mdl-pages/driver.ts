/**
 * The SharedMemory driver of seed 002 (Habr; built on Walter Oney's Generic
 * sample). Its two routines, in the article's order:
 *
 *   AllocateSharedMemory(pdx, Irp):
 *     pdx->vaReturned = GenericGetSystemAddressForMdl(Irp->MdlAddress);
 *     pdx->mdl = MmAllocatePagesForMdl(pstart, pstop, pskip, memory_size);
 *     pdx->kernel_va = MmGetSystemAddressForMdlSafe(pdx->mdl, NormalPagePriority);
 *     for (int i = 0; i < 10; ++i) pdx->kernel_va[i] = 10 - i;
 *     pdx->user_va = MmMapLockedPagesSpecifyCache(pdx->mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
 *     *pdx->vaReturned = pdx->user_va;
 *   ReleaseSharedMemory(pdx, Irp):
 *     MmUnmapLockedPages(pdx->user_va, pdx->mdl);
 *     MmUnmapLockedPages(pdx->kernel_va, pdx->mdl);
 *     MmFreePagesFromMdl(pdx->mdl);
 *     IoFreeMdl(pdx->mdl);
 *
 * The right driver adds what the article leaves out: it checks what
 * MmAllocatePagesForMdl really gave (MmGetMdlByteCount), maps to user mode
 * inside try/except (a UserMode mapping raises when it fails), forgets the
 * MDL once released (a second release is refused), and releases in
 * IRP_MJ_CLEANUP when the client goes away without pressing Release. The
 * article frees the MDL with IoFreeMdl; the WDK's page says ExFreePool: the
 * MDL is a block of nonpaged pool either way.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmallocatepagesformdl
 */
import {
  defineDriver, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL, MmCached, MmGetMdlByteCount, NormalPagePriority, NT_SUCCESS, NtException, STATUS_BUFFER_TOO_SMALL,
  STATUS_DEVICE_BUSY, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, UserMode,
  type DeviceObject, type DriverObject, type Irp, type Mdl, type Nt,
} from 'ntshm/wdm';
import {
  DEVICE_NAME, IOCTL_ALLOCATE_SHARED_MEMORY, IOCTL_RELEASE_SHARED_MEMORY, LINK_NAME, MEMORY_SIZE, SERVICE_NAME, VALUE_COUNT,
} from './ioctl.js';

/** How a variant of the driver differs (variants/). */
export interface SharedMemoryDriverVariant {
  /** release-twice: ReleaseSharedMemory does not check that there is anything to release (the article's). */
  noGuard?: boolean;
  /** short-allocation: clears the memory_size bytes it asked for, whatever MmGetMdlByteCount says. */
  ignoreByteCount?: boolean;
  /** no-release: no IRP_MJ_CLEANUP, and DriverUnload frees nothing (the article's). */
  noCleanup?: boolean;
}

export function sharedMemoryDriver(variant: SharedMemoryDriverVariant = {}) {
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, DriverObject: DriverObject): number {
      // The device extension (pdx): the MDL and its two mappings.
      const pdx: { mdl: Mdl | null; kernel_va: number; user_va: number } = { mdl: null, kernel_va: 0, user_va: 0 };

      const complete = (irp: Irp, status: number, information = 0): number => {
        irp.IoStatus.Status = status;
        irp.IoStatus.Information = information;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };

      function AllocateSharedMemory(irp: Irp): number {
        const OutputBufferLength = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl.OutputBufferLength;
        if (irp.MdlAddress === null || OutputBufferLength < nt.sizeofPointer) return complete(irp, STATUS_BUFFER_TOO_SMALL);
        if (pdx.mdl !== null && !variant.noGuard) return complete(irp, STATUS_DEVICE_BUSY);
        const vaReturned = nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority);
        if (vaReturned === 0) return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
        // pstart 0, pstop -1, pskip 0: any frame of physical memory.
        const mdl = nt.MmAllocatePagesForMdl(0, -1, 0, MEMORY_SIZE);
        if (mdl === null) return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
        const byteCount = MmGetMdlByteCount(mdl);
        nt.DbgPrint('SharedMemory: MmAllocatePagesForMdl: MDL %p describes %d of the %d bytes asked\n', mdl.address, byteCount, MEMORY_SIZE);
        if (byteCount < VALUE_COUNT * 2 && !variant.ignoreByteCount) {
          nt.MmFreePagesFromMdl(mdl);
          nt.ExFreePool(mdl);
          return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
        }
        pdx.mdl = mdl;
        pdx.kernel_va = nt.MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        if (pdx.kernel_va === 0) {
          ReleaseSharedMemory();
          return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
        }
        nt.DbgPrint('SharedMemory: kernel_va = %p\n', pdx.kernel_va);
        // Wrong (short-allocation): clears all it asked for; past ByteCount there is no mapping.
        if (variant.ignoreByteCount) nt.RtlZeroMemory(pdx.kernel_va, MEMORY_SIZE);
        for (let i = 0; i < VALUE_COUNT; ++i) nt.setUint16(pdx.kernel_va + 2 * i, 10 - i);
        try {
          pdx.user_va = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
          nt.DbgPrint('SharedMemory: MmMapLockedPagesSpecifyCache raised %X\n', e.status);
          ReleaseSharedMemory();
          return complete(irp, e.status);
        }
        nt.DbgPrint('SharedMemory: user_va = %p in process %d\n', pdx.user_va, nt.PsGetCurrentProcessId());
        nt.setPointer(vaReturned, pdx.user_va);
        return complete(irp, STATUS_SUCCESS, nt.sizeofPointer);
      }

      /** In the client's context: its IOCTL, or its last handle's IRP_MJ_CLEANUP. */
      function ReleaseSharedMemory(): number {
        if (pdx.mdl === null && !variant.noGuard) return STATUS_INVALID_DEVICE_REQUEST;
        // The article's order: the client's mapping, the system mapping, the frames, the MDL.
        const mdl = pdx.mdl as Mdl;
        if (pdx.user_va !== 0 || variant.noGuard) nt.MmUnmapLockedPages(pdx.user_va, mdl);
        if (pdx.kernel_va !== 0 || variant.noGuard) nt.MmUnmapLockedPages(pdx.kernel_va, mdl);
        nt.MmFreePagesFromMdl(mdl);
        nt.IoFreeMdl(mdl);
        nt.DbgPrint('SharedMemory: shared memory released\n');
        // The right driver forgets what it released; the article's keeps the stale pointers.
        if (!variant.noGuard) Object.assign(pdx, { mdl: null, kernel_va: 0, user_va: 0 });
        return STATUS_SUCCESS;
      }

      function DispatchControl(_device: DeviceObject, irp: Irp): number {
        switch (IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl.IoControlCode) {
          case IOCTL_ALLOCATE_SHARED_MEMORY:
            return AllocateSharedMemory(irp);
          case IOCTL_RELEASE_SHARED_MEMORY:
            return complete(irp, ReleaseSharedMemory());
          default:
            return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
        }
      }

      DriverObject.MajorFunction[IRP_MJ_CREATE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      if (!variant.noCleanup) {
        DriverObject.MajorFunction[IRP_MJ_CLEANUP] = (_d: DeviceObject, irp: Irp) => {
          if (pdx.mdl !== null) ReleaseSharedMemory();
          return complete(irp, STATUS_SUCCESS);
        };
      }
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
      DriverObject.DriverUnload = (driverObject: DriverObject) => {
        nt.IoDeleteSymbolicLink(LINK_NAME);
        if (driverObject.DeviceObject) nt.IoDeleteDevice(driverObject.DeviceObject);
      };

      const { status, deviceObject } = nt.IoCreateDevice(DriverObject, 0, DEVICE_NAME, FILE_DEVICE_UNKNOWN, 0, false);
      if (!NT_SUCCESS(status) || !deviceObject) return status;
      const link = nt.IoCreateSymbolicLink(LINK_NAME, DEVICE_NAME);
      if (!NT_SUCCESS(link)) nt.IoDeleteDevice(deviceObject);
      return link;
    },
  });
}
