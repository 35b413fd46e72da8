/**
 * The second method of seed 004: the driver allocates the memory and maps
 * it into the program. The article's pseudo-code, in order:
 *
 *   PVOID kva = ExAllocatePoolWithTag(NonPagedPool, 1024, (ULONG)'PMET');
 *   MDL *mdl = IoAllocateMdl(uva, uva_size, FALSE, FALSE, NULL);
 *   __try { MmBuildMdlForNonPagedPool(mdl); } __except (...) { ... }
 *   PVOID uva = MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
 *
 * "If kva is allocated from nonpaged pool, the physical pages are locked:
 * therefore MmBuildMdlForNonPagedPool is used." Read literally, the MDL is
 * built over `uva`, the program's address: the right code builds it over
 * `kva`, allocates a whole page (a 1024-byte block shares its page with
 * other pool, and a mapping maps pages, not bytes) and zeroes it, and maps
 * inside try/except (a UserMode mapping raises when it fails).
 */
import {
  defineDriver, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL, MmCached, NonPagedPool, NormalPagePriority, NT_SUCCESS, NtException, PAGE_SIZE, STATUS_BUFFER_TOO_SMALL,
  STATUS_DEVICE_BUSY, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, UserMode,
  type DeviceObject, type DriverObject, type Irp, type Mdl, type Nt,
} from 'ntshm/wdm';
import {
  DEVICE_NAME, IOCTL_ALLOCATE_OTHER, IOCTL_MAP_POOL, IOCTL_UNMAP_POOL, LINK_NAME, MESSAGE, OTHER_MESSAGE, POOL_TAG, requestSize,
  SERVICE_NAME,
} from './ioctl.js';

/** How a variant of the driver differs (variants.ts). */
export interface PoolDriverVariant {
  /** partial-page: the article's 1024 bytes instead of a page. */
  poolBytes?: number;
  /** wrong-va: the MDL is built over the program's `uva`, as the pseudo-code reads. */
  mdlOverUva?: boolean;
  /** free-while-mapped: IOCTL_UNMAP_POOL frees the pool and the MDL but leaves the user mapping. */
  freeWhileMapped?: boolean;
}

export function poolToUserDriver(variant: PoolDriverVariant = {}) {
  const poolBytes = variant.poolBytes ?? PAGE_SIZE;
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, DriverObject: DriverObject): number {
      let kva = 0;
      let mdl: Mdl | null = null;
      let uvaMapped = 0;
      const others: number[] = [];

      const complete = (irp: Irp, status: number, information = 0): number => {
        irp.IoStatus.Status = status;
        irp.IoStatus.Information = information;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };

      function FreePool(): void {
        if (mdl !== null) nt.IoFreeMdl(mdl);
        if (kva !== 0) nt.ExFreePoolWithTag(kva, POOL_TAG);
        nt.DbgPrint('PoolToUser: pool at %p and its MDL freed\n', kva);
        mdl = null;
        kva = 0;
      }

      /** Returns the user address of the pool, or throws the status the request fails with. */
      function MapPoolToUser(uva: number, uva_size: number): number {
        if (kva !== 0) throw new NtException(STATUS_DEVICE_BUSY);
        kva = nt.ExAllocatePoolWithTag(NonPagedPool, poolBytes, POOL_TAG);
        if (kva === 0) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
        // Pool is not zeroed: the right code clears what it is about to show the program.
        if (!variant.poolBytes) nt.RtlZeroMemory(kva, poolBytes);
        nt.setString(kva, MESSAGE, 'utf-16le');
        nt.DbgPrint('PoolToUser: %d bytes of nonpaged pool at %p\n', poolBytes, kva);
        // Wrong (wrong-va): the MDL describes the program's buffer, not the pool.
        mdl = variant.mdlOverUva ? nt.IoAllocateMdl(uva, uva_size, false, false, null) : nt.IoAllocateMdl(kva, poolBytes, false, false, null);
        if (mdl === null) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
        // The pages of nonpaged pool are resident and stay so: describing them is enough, no locking.
        nt.MmBuildMdlForNonPagedPool(mdl);
        const m = mdl;
        uvaMapped = nt.MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, 0, false, NormalPagePriority);
        nt.DbgPrint('PoolToUser: MDL %p: StartVa %p ByteOffset 0x%X ByteCount 0x%X MdlFlags 0x%04X, mapped at %p in process %d\n',
          m.address, m.StartVa, m.ByteOffset, m.ByteCount, m.MdlFlags, uvaMapped, nt.PsGetCurrentProcessId());
        return uvaMapped;
      }

      /** In the program's context (its IOCTL or its last handle's IRP_MJ_CLEANUP). */
      function UnmapPool(): void {
        if (kva === 0) return;
        if (variant.freeWhileMapped) {
          // Wrong (free-while-mapped): the program still sees this page at uvaMapped.
          FreePool();
          return;
        }
        if (uvaMapped !== 0 && mdl !== null) {
          nt.MmUnmapLockedPages(uvaMapped, mdl);
          nt.DbgPrint('PoolToUser: user mapping at %p unmapped\n', uvaMapped);
        }
        uvaMapped = 0;
        FreePool();
      }

      function DispatchControl(_device: DeviceObject, irp: Irp): number {
        const stack = IoGetCurrentIrpStackLocation(irp);
        const { IoControlCode, InputBufferLength, OutputBufferLength } = stack.Parameters.DeviceIoControl;
        const buffer = irp.AssociatedIrp.SystemBuffer;
        switch (IoControlCode) {
          case IOCTL_MAP_POOL: {
            if (InputBufferLength < requestSize(nt.sizeofPointer) || OutputBufferLength < nt.sizeofPointer) {
              return complete(irp, STATUS_BUFFER_TOO_SMALL);
            }
            try {
              const uva = MapPoolToUser(nt.getPointer(buffer), nt.getUint32(buffer + nt.sizeofPointer));
              nt.setPointer(buffer, uva);
              return complete(irp, STATUS_SUCCESS, nt.sizeofPointer);
            } catch (e) {
              if (!(e instanceof NtException)) throw e;
              nt.DbgPrint('PoolToUser: error code = %X\n', e.status);
              UnmapPool();
              return complete(irp, e.status);
            }
          }
          case IOCTL_UNMAP_POOL:
            UnmapPool();
            return complete(irp, STATUS_SUCCESS);
          case IOCTL_ALLOCATE_OTHER: {
            const other = nt.ExAllocatePoolWithTag(NonPagedPool, poolBytes, 'Othr');
            if (other === 0) return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
            nt.setString(other, OTHER_MESSAGE, 'utf-16le');
            others.push(other);
            nt.DbgPrint('PoolToUser: another %d bytes of pool at %p\n', poolBytes, other);
            return complete(irp, STATUS_SUCCESS);
          }
          default:
            return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
        }
      }

      DriverObject.MajorFunction[IRP_MJ_CREATE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_CLEANUP] = (_d: DeviceObject, irp: Irp) => {
        UnmapPool();
        return complete(irp, STATUS_SUCCESS);
      };
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
      DriverObject.DriverUnload = (driverObject: DriverObject) => {
        for (const other of others.splice(0)) nt.ExFreePoolWithTag(other, 'Othr');
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
