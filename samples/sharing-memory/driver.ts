/**
 * SharingMemory.sys, ported from Four-F's "SharingMemory" (seed 003): the same
 * routines in the same order, the same DbgPrint messages (pointers printed
 * with %p, which is %08X on x86 and the full address on x64).
 *
 * On IOCTL_GIVE_ME_YOUR_MEMORY it allocates a page of nonpaged pool, describes
 * it with an MDL, maps it into the calling process, returns the user address
 * and starts the I/O timer, which writes the local time into the page once a
 * second at DISPATCH_LEVEL. IRP_MJ_CLEANUP stops the timer and unmaps, in the
 * client's own process context.
 */
import {
  defineDriver, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLEANUP,
  IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, MmCached, NonPagedPool, NormalPagePriority, PagedPool, NtException, PAGE_SIZE,
  STATUS_BUFFER_TOO_SMALL, STATUS_DEVICE_CONFIGURATION_ERROR, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS,
  STATUS_UNSUCCESSFUL, UserMode, type DeviceObject, type DriverObject, type FileObject, type Irp, type Mdl, type Nt,
} from 'ntshm/wdm';
import { IOCTL_GIVE_ME_YOUR_MEMORY, SERVICE_NAME } from './ioctl.js';
import type { DriverVariant } from './variants.js';

export function sharingMemoryDriver(variant: DriverVariant = 'none') {
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, pDriverObject: DriverObject, _pusRegistryPath: string): number {
      const g_usDeviceName = '\\Device\\SharingMemory';
      const g_usSymbolicLinkName = '\\DosDevices\\SharingMemory';
      const sizeofPVOID = nt.sizeofPointer;

      // U N I N I T I A L I Z E D   D A T A
      let g_pSharedMemory = 0;
      let g_pMdl: Mdl | null = null;
      let g_pUserAddress = 0;
      let g_fTimerStarted = false;
      let g_pFileObject: FileObject | null = null;
      let g_fHandleClosed = false;

      // This routine is called from TimerRoutine at IRQL DISPATCH_LEVEL!
      // The routine itself and all memory it touches must be in nonpaged memory.
      function UpdateTime(): void {
        const { currentTime: SysTime } = nt.KeQuerySystemTime();
        const { localTime } = nt.ExSystemTimeToLocalTime(SysTime);
        nt.setBigUint64(g_pSharedMemory, localTime);
      }

      // This routine is called at IRQL DISPATCH_LEVEL!
      function TimerRoutine(pDeviceObject: DeviceObject, _pContext: unknown): void {
        if (variant === 'map-at-dispatch' && g_pUserAddress === 0 && g_pMdl) {
          // Wrong: a UserMode mapping at DISPATCH_LEVEL lands in whatever process this CPU is running.
          g_pUserAddress = nt.MmMapLockedPagesSpecifyCache(g_pMdl, UserMode, MmCached, 0, false, NormalPagePriority);
          nt.DbgPrint('SharingMemory: Memory mapped into user space at address %p, in process %d, at IRQL %d\n',
            g_pUserAddress, nt.PsGetCurrentProcessId(), nt.KeGetCurrentIrql());
        }
        if (variant === 'close-not-cleanup' && g_fHandleClosed && g_pFileObject) {
          // The driver lets its extra reference go here, at DISPATCH_LEVEL: the file object's
          // deletion, and so its IRP_MJ_CLOSE, goes to a System worker thread.
          const fileObject = g_pFileObject;
          g_pFileObject = null;
          nt.ObDereferenceObject(fileObject);
        }
        void pDeviceObject;
        UpdateTime();
      }

      function Cleanup(pDeviceObject: DeviceObject): void {
        if (g_fTimerStarted) {
          nt.IoStopTimer(pDeviceObject);
          nt.DbgPrint('SharingMemory: Timer stopped\n');
        }
        // Wrong (never-unmap): the user mapping is left in place; the page is freed at unload.
        if (variant === 'never-unmap') return;
        if (g_pUserAddress !== 0 && g_pMdl !== null) {
          // If the call to MmMapLockedPagesSpecifyCache specified user mode, the caller must be in the
          // context of the original process before calling MmUnmapLockedPages.
          nt.MmUnmapLockedPages(g_pUserAddress, g_pMdl);
          nt.DbgPrint('SharingMemory: Memory at address %p unmapped\n', g_pUserAddress);
          g_pUserAddress = 0;
        }
        if (g_pMdl !== null) {
          nt.IoFreeMdl(g_pMdl);
          nt.DbgPrint('SharingMemory: MDL at address %p freed\n', g_pMdl.address);
          g_pMdl = null;
        }
        if (g_pSharedMemory !== 0) {
          nt.ExFreePool(g_pSharedMemory);
          nt.DbgPrint('SharingMemory: Memory at address %p released\n', g_pSharedMemory);
          g_pSharedMemory = 0;
        }
      }

      // We MUST unmap the memory mapped into the user process before it exits.
      function DispatchCleanup(pDeviceObject: DeviceObject, pIrp: Irp): number {
        return CleanupAndComplete('DispatchCleanup', pDeviceObject, pIrp);
      }

      /** DispatchCleanup's body (shared with the close-not-cleanup variant's DispatchClose). */
      function CleanupAndComplete(routine: string, pDeviceObject: DeviceObject, pIrp: Irp): number {
        nt.DbgPrint('\nSharingMemory: Entering %s\n', routine);
        Cleanup(pDeviceObject);
        pIrp.IoStatus.Status = STATUS_SUCCESS;
        pIrp.IoStatus.Information = 0;
        nt.IofCompleteRequest(pIrp, IO_NO_INCREMENT);
        nt.DbgPrint('SharingMemory: Leaving %s\n', routine);
        return STATUS_SUCCESS;
      }

      function DispatchCreateClose(_pDeviceObject: DeviceObject, pIrp: Irp): number {
        const stack = IoGetCurrentIrpStackLocation(pIrp);
        if (variant === 'close-not-cleanup' && stack.MajorFunction === IRP_MJ_CREATE && stack.FileObject) {
          // Wrong (close-not-cleanup): a second reference keeps the file object alive past its last handle.
          g_pFileObject = stack.FileObject;
          nt.ObReferenceObject(g_pFileObject);
        }
        if (variant === 'close-not-cleanup' && stack.MajorFunction === IRP_MJ_CLEANUP) g_fHandleClosed = true;
        pIrp.IoStatus.Status = STATUS_SUCCESS;
        pIrp.IoStatus.Information = 0;
        nt.IofCompleteRequest(pIrp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
      }

      // Wrong (close-not-cleanup): the unmapping waits for IRP_MJ_CLOSE, which comes in whatever
      // context drops the last reference.
      function DispatchClose(pDeviceObject: DeviceObject, pIrp: Irp): number {
        return CleanupAndComplete('DispatchClose', pDeviceObject, pIrp);
      }

      function DispatchControl(pDeviceObject: DeviceObject, pIrp: Irp): number {
        nt.DbgPrint('\nSharingMemory: Entering DispatchControl\n');
        pIrp.IoStatus.Status = STATUS_UNSUCCESSFUL;
        pIrp.IoStatus.Information = 0;
        const stack = IoGetCurrentIrpStackLocation(pIrp);
        if (stack.Parameters.DeviceIoControl.IoControlCode === IOCTL_GIVE_ME_YOUR_MEMORY) {
          if (stack.Parameters.DeviceIoControl.OutputBufferLength >= sizeofPVOID) {
            // Wrong (paged-pool): pageable memory, which the timer routine touches at DISPATCH_LEVEL.
            const eax = nt.ExAllocatePool(variant === 'paged-pool' ? PagedPool : NonPagedPool, PAGE_SIZE);
            if (eax !== 0) {
              g_pSharedMemory = eax;
              nt.DbgPrint('SharingMemory: %X bytes of %s memory allocated at address %p\n', PAGE_SIZE,
                variant === 'paged-pool' ? 'paged' : 'nonpaged', g_pSharedMemory);
              // The memory g_pSharedMemory points to contains garbage because memory allocated
              // in kernel isn't zeroed out. "It may be better to fill it with the zeroes before",
              // the article says, though its example does not: here it must, for the whole page
              // goes to the program, garbage and all.
              // Wrong (unzeroed, the article's own code): mapped as the pool left it.
              if (variant !== 'unzeroed') nt.RtlZeroMemory(g_pSharedMemory, PAGE_SIZE);
              const mdl = nt.IoAllocateMdl(g_pSharedMemory, PAGE_SIZE, false, false, null);
              if (mdl !== null) {
                g_pMdl = mdl;
                nt.DbgPrint('SharingMemory: MDL allocated at address %p\n', g_pMdl.address);
                nt.MmBuildMdlForNonPagedPool(g_pMdl);
                const map = () => nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
                // Wrong (no-try): the UserMode mapping outside try/except; when it fails, nothing catches it.
                const unguarded = variant === 'no-try' ? map() : 0;
                try {
                  // If AccessMode is UserMode and the pages cannot be mapped, the routine raises an exception.
                  const userAddress = variant === 'map-at-dispatch' ? -1 : unguarded || map();
                  if (userAddress !== 0) {
                    if (userAddress !== -1) {
                      g_pUserAddress = userAddress;
                      nt.DbgPrint('SharingMemory: Memory mapped into user space at address %p\n', g_pUserAddress);
                    }
                    nt.setPointer(pIrp.AssociatedIrp.SystemBuffer, g_pUserAddress);
                    UpdateTime();
                    if (nt.IoInitializeTimer(pDeviceObject, TimerRoutine, null) === STATUS_SUCCESS) {
                      // Our TimerRoutine routine will be called once per second.
                      nt.IoStartTimer(pDeviceObject);
                      g_fTimerStarted = true;
                      nt.DbgPrint('SharingMemory: Timer started\n');
                      pIrp.IoStatus.Information = sizeofPVOID;
                      pIrp.IoStatus.Status = STATUS_SUCCESS;
                    }
                  }
                } catch (e) {
                  if (!(e instanceof NtException)) throw e;
                }
              }
            }
          } else {
            pIrp.IoStatus.Status = STATUS_BUFFER_TOO_SMALL;
          }
        } else {
          pIrp.IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
        }
        // If something went wrong do cleanup
        if (pIrp.IoStatus.Status !== STATUS_SUCCESS) {
          nt.DbgPrint('SharingMemory: Something went wrong:\n');
          Cleanup(pDeviceObject);
        }
        const status = pIrp.IoStatus.Status;
        nt.IofCompleteRequest(pIrp, IO_NO_INCREMENT);
        nt.DbgPrint('SharingMemory: Leaving DispatchControl\n');
        return status;
      }

      function DriverUnload(pDriverObject: DriverObject): void {
        if (variant === 'never-unmap' && g_pMdl && g_pSharedMemory) {
          nt.IoFreeMdl(g_pMdl);
          nt.ExFreePool(g_pSharedMemory);
          nt.DbgPrint('SharingMemory: Memory at address %p released\n', g_pSharedMemory);
        }
        nt.IoDeleteSymbolicLink(g_usSymbolicLinkName);
        if (pDriverObject.DeviceObject) nt.IoDeleteDevice(pDriverObject.DeviceObject);
      }

      // DriverEntry
      let status = STATUS_DEVICE_CONFIGURATION_ERROR;
      // Create exclusive device
      const { status: created, deviceObject: pDeviceObject } = nt.IoCreateDevice(pDriverObject, 0, g_usDeviceName, FILE_DEVICE_UNKNOWN, 0, true);
      if (created === STATUS_SUCCESS && pDeviceObject) {
        if (nt.IoCreateSymbolicLink(g_usSymbolicLinkName, g_usDeviceName) === STATUS_SUCCESS) {
          pDriverObject.MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
          pDriverObject.MajorFunction[IRP_MJ_CLEANUP] = variant === 'close-not-cleanup' ? DispatchCreateClose : DispatchCleanup;
          pDriverObject.MajorFunction[IRP_MJ_CLOSE] = variant === 'close-not-cleanup' ? DispatchClose : DispatchCreateClose;
          pDriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
          pDriverObject.DriverUnload = DriverUnload;
          status = STATUS_SUCCESS;
        } else {
          nt.IoDeleteDevice(pDeviceObject);
        }
      }
      return status;
    },
  });
}
