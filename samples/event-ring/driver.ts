/**
 * EventRing.sys: a single-producer/single-consumer ring of 64-byte records in
 * pages the driver shares with its program (protocol.ts has the layout and
 * the memory-ordering protocol both sides follow).
 *
 * IOCTL_EVENT_RING_SETUP (in the program's thread, PASSIVE_LEVEL): the
 * program's event handle is referenced with ObReferenceObjectByHandle(...,
 * EVENT_MODIFY_STATE, *ExEventObjectType, Irp->RequestorMode); the pages come
 * from MmAllocatePagesForMdlEx, are mapped at a system address
 * (MmGetSystemAddressForMdlSafe) for the driver and into the calling process
 * with MmMapLockedPagesSpecifyCache(UserMode) inside try/except, as seed 003
 * maps its page. IRP_MJ_CLEANUP, in the same process, unmaps both, frees the
 * pages and the MDL, and dereferences the event.
 *
 * IOCTL_EVENT_RING_DOORBELL (the program's producer thread): the driver takes
 * the requests the program put in the request ring, capturing each once,
 * and writes the records they ask for into the record ring through its
 * system mapping, as far as there is room; it sets the program's event when
 * the ring went from empty to non-empty. Why records are written here and
 * not from a timer DPC: the work is the program's requests, so the natural
 * moment is when the program says there are some, and a thread at
 * PASSIVE_LEVEL in the program's own process is where a driver may touch
 * anything; a DPC would add a tick of latency per batch and could only use
 * the system mapping anyway.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmallocatepagesformdlex
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obreferenceobjectbyhandle
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesetevent
 */
import {
  defineDriver, EVENT_MODIFY_STATE, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, IRP_MJ_CLEANUP, IRP_MJ_CLOSE,
  IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, MM_ALLOCATE_FULLY_REQUIRED, MmCached, MmGetMdlByteCount, NormalPagePriority, NT_SUCCESS,
  NtException, PAGE_SIZE, STATUS_BUFFER_TOO_SMALL, STATUS_DEVICE_BUSY, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER, STATUS_SUCCESS, UserMode, type DeviceObject, type DriverObject, type Irp, type Mdl, type Nt,
} from 'ntshm/wdm';
import {
  Capacity, CHECK_XOR, DEVICE_NAME, IOCTL_EVENT_RING_DOORBELL, IOCTL_EVENT_RING_SETUP, LINK_NAME, MAX_CAPACITY, MAX_REQUEST_RECORDS,
  MIN_CAPACITY, RECORD_RING, RECORD_SIZE, RecordHead, RecordTail, REC_CHECK, REC_INDEX, REC_PAYLOAD, REC_REQUEST_ID, REC_SEQUENCE,
  REQ_COUNT, REQ_ID, REQUEST_RING, REQUEST_SLOTS, RequestHead, RequestTail, SERVICE_NAME, sharedBytes,
} from './protocol.js';

/** The ring's size from the program's request: how many records the pages hold, and where the indexes wrap. */
export interface RingSize {
  status: number;
  /** Records the driver allocates pages for. */
  allocate: number;
  /** Records the driver's index arithmetic wraps at. */
  wrap: number;
}

/** How the doorbell reads the program's RequestHead: the value it checks, and the value it then runs to. */
export interface RequestHeadReader {
  check(nt: Nt, control: number): number;
  use(nt: Nt, control: number, checked: number): number;
}

/** How a variant differs (variants/*.ts). */
export interface EventRingDriverVariant {
  ringSize?: (asked: number) => RingSize;
  requestHead?: RequestHeadReader;
}

/** The right ring size: the program may pick one, a power of two within the driver's bounds, used for both. */
export function checkedRingSize(asked: number): RingSize {
  const pow2 = asked > 0 && (asked & (asked - 1)) === 0;
  if (!pow2 || asked < MIN_CAPACITY || asked > MAX_CAPACITY) return { status: STATUS_INVALID_PARAMETER, allocate: 0, wrap: 0 };
  return { status: STATUS_SUCCESS, allocate: asked, wrap: asked };
}

/** The right reader: RequestHead read once per doorbell; the loop runs to the checked copy (protocol.ts, rule 4). */
export const requestHeadOnce: RequestHeadReader = {
  check: (nt, control) => nt.getUint32(control + RequestHead),
  use: (_nt, _control, checked) => checked,
};

/** What ObReferenceObjectByHandle gives for the program's event. */
type EventObject = NonNullable<ReturnType<Nt['ObReferenceObjectByHandle']>['object']>;

/** The ring, in the device extension. */
interface Ring {
  mdl: Mdl;
  /** The driver's mapping (system PTEs) and the program's. */
  system: number;
  user: number;
  wrap: number;
  /** The program's event, referenced. */
  event: EventObject;
  /** The driver's own indexes (protocol.ts, rule 1). */
  recordHead: number;
  requestTail: number;
  /** The request being served: captured, so its fields are the driver's copy. */
  current: { id: number; count: number; done: number } | null;
  /**
   * The driver's own copy of the ring (in its own memory: nonpaged pool on Windows): a batch of records is
   * built here and copied into the shared pages with one write per contiguous run, as RtlCopyMemory would.
   */
  staging: Uint8Array;
  stagingView: DataView;
  sequence: number;
  requests: number;
  rejected: number;
  wakeUps: number;
}

export function eventRingDriver(variant: EventRingDriverVariant = {}) {
  const ringSize = variant.ringSize ?? checkedRingSize;
  const reader = variant.requestHead ?? requestHeadOnce;
  return defineDriver({
    name: SERVICE_NAME,
    DriverEntry(nt: Nt, DriverObject: DriverObject): number {
      let ring: Ring | null = null;

      const complete = (irp: Irp, status: number, information = 0): number => {
        irp.IoStatus.Status = status;
        irp.IoStatus.Information = information;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };

      function Setup(irp: Irp): number {
        const p = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
        const ptr = nt.sizeofPointer;
        if (p.InputBufferLength < 2 * ptr || p.OutputBufferLength < ptr) return complete(irp, STATUS_BUFFER_TOO_SMALL);
        if (ring !== null) return complete(irp, STATUS_DEVICE_BUSY);
        // METHOD_BUFFERED: the I/O manager already captured the input into SystemBuffer.
        const buffer = irp.AssociatedIrp.SystemBuffer;
        const hEvent = nt.getPointer(buffer);
        const size = ringSize(nt.getUint32(buffer + ptr));
        if (!NT_SUCCESS(size.status)) return complete(irp, size.status);
        // The program's handle, checked as the program may use it: RequestorMode is UserMode for its IOCTL.
        const ref = nt.ObReferenceObjectByHandle(hEvent, EVENT_MODIFY_STATE, nt.ExEventObjectType, irp.RequestorMode);
        if (!NT_SUCCESS(ref.status) || !ref.object) return complete(irp, ref.status);
        const bytes = sharedBytes(size.allocate);
        const mdl = nt.MmAllocatePagesForMdlEx(0, -1, 0, bytes, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
        if (mdl === null || MmGetMdlByteCount(mdl) < bytes) {
          if (mdl) { nt.MmFreePagesFromMdl(mdl); nt.ExFreePool(mdl); }
          nt.ObDereferenceObject(ref.object);
          return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
        }
        const system = nt.MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
        if (system === 0) {
          nt.MmFreePagesFromMdl(mdl);
          nt.ExFreePool(mdl);
          nt.ObDereferenceObject(ref.object);
          return complete(irp, STATUS_INSUFFICIENT_RESOURCES);
        }
        const staging = new Uint8Array(size.wrap * RECORD_SIZE);
        // The pages came zeroed (no MM_DONT_ZERO_ALLOCATION): every index starts at 0.
        nt.setUint32(system + Capacity, size.wrap);
        ring = {
          mdl, system, user: 0, wrap: size.wrap, event: ref.object, recordHead: 0, requestTail: 0, current: null,
          staging, stagingView: new DataView(staging.buffer), sequence: 0, requests: 0, rejected: 0, wakeUps: 0,
        };
        try {
          // If AccessMode is UserMode and the pages cannot be mapped, the routine raises an exception.
          ring.user = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority);
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
          nt.DbgPrint('EventRing: MmMapLockedPagesSpecifyCache raised %X\n', e.status);
          Release();
          return complete(irp, e.status);
        }
        nt.DbgPrint('EventRing: %d records of %d bytes; %d pages at %p (system), %p (process %d)\n', size.wrap, RECORD_SIZE,
          bytes / PAGE_SIZE, system, ring.user, nt.PsGetCurrentProcessId());
        nt.setPointer(buffer, ring.user);
        return complete(irp, STATUS_SUCCESS, ptr);
      }

      /** The next request, captured: its 64 bytes read once into the driver's copy (protocol.ts, rule 5). */
      function CaptureRequest(r: Ring): void {
        const slot = r.system + REQUEST_RING + (r.requestTail % REQUEST_SLOTS) * RECORD_SIZE;
        const copy = nt.getBytes(slot, RECORD_SIZE);
        r.requestTail = (r.requestTail + 1) >>> 0;
        const fields = new DataView(copy.buffer, copy.byteOffset, RECORD_SIZE);
        const id = fields.getUint32(REQ_ID, true);
        const count = fields.getUint32(REQ_COUNT, true);
        r.requests++;
        if (count === 0 || count > MAX_REQUEST_RECORDS) {
          r.rejected++;
          return;
        }
        r.current = { id, count, done: 0 };
      }

      /** Builds the next record of the current request (the next sequence number) in the staging copy, at `slot`. */
      function StageRecord(r: Ring, c: NonNullable<Ring['current']>, slot: number): void {
        const at = slot * RECORD_SIZE;
        const seq = r.sequence++;
        const v = r.stagingView;
        v.setUint32(at + REC_SEQUENCE, seq >>> 0, true);
        v.setUint32(at + REC_SEQUENCE + 4, Math.floor(seq / 2 ** 32), true);
        v.setUint32(at + REC_REQUEST_ID, c.id, true);
        v.setUint32(at + REC_INDEX, c.done, true);
        r.staging.fill(c.id & 0xff, at + REC_PAYLOAD, at + REC_CHECK);
        v.setUint32(at + REC_CHECK, (seq ^ CHECK_XOR) >>> 0, true);
      }

      /** Copies staged slots [from, from + count) into the ring through the system mapping: one copy per contiguous run. */
      function WriteRecords(r: Ring, from: number, count: number): void {
        const first = Math.min(count, r.wrap - from);
        nt.setBytes(r.system + RECORD_RING + from * RECORD_SIZE, r.staging.subarray(from * RECORD_SIZE, (from + first) * RECORD_SIZE));
        // Wrapped: the rest starts at slot 0.
        if (first < count) nt.setBytes(r.system + RECORD_RING, r.staging.subarray(0, (count - first) * RECORD_SIZE));
      }

      /** The doorbell: serve requests into the record ring while there is room. */
      function Doorbell(irp: Irp): number {
        const p = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
        if (ring === null) return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
        if (p.OutputBufferLength < 8) return complete(irp, STATUS_BUFFER_TOO_SMALL);
        const r = ring;
        const control = r.system;
        // The program's indexes, once per batch (rule 4): the consumer's tail, the producer's head, checked.
        const tail = nt.getUint32(control + RecordTail);
        const checked = reader.check(nt, control);
        if (((checked - r.requestTail) >>> 0) > REQUEST_SLOTS) {
          nt.DbgPrint('EventRing: RequestHead %u is more than %d requests past RequestTail %u\n', checked, REQUEST_SLOTS, r.requestTail);
          return complete(irp, STATUS_INVALID_PARAMETER);
        }
        const requestHead = reader.use(nt, control, checked);
        const oldHead = r.recordHead;
        let head = oldHead;
        // A tail the program moved past the head reads as a full ring, never as more room than the ring has.
        let free = r.wrap - ((head - tail) >>> 0);
        while (free > 0) {
          if (r.current === null) {
            if (r.requestTail === requestHead) break;
            CaptureRequest(r);
            continue;
          }
          const c = r.current;
          StageRecord(r, c, head % r.wrap);
          head = (head + 1) >>> 0;
          free--;
          if (++c.done === c.count) r.current = null;
        }
        const produced = (head - oldHead) >>> 0;
        // Rule 2: the records are written; a locked exchange publishes the head after them.
        if (produced !== 0) {
          WriteRecords(r, oldHead % r.wrap, produced);
          r.recordHead = head;
          nt.InterlockedExchange(control + RecordHead, head | 0);
        }
        nt.InterlockedExchange(control + RequestTail, r.requestTail | 0);
        // Rule 6: after publishing, the consumer's tail, by a locked read (a synchronising load, not a second
        // fetch of the data rule 4 read once); if it had caught up with the old head, it may be asleep.
        if (produced !== 0 && (nt.InterlockedCompareExchange(control + RecordTail, 0, 0) >>> 0) === oldHead) {
          nt.KeSetEvent(r.event, IO_NO_INCREMENT, false);
          r.wakeUps++;
        }
        const full = free === 0 && (r.current !== null || r.requestTail !== requestHead);
        const out = irp.AssociatedIrp.SystemBuffer;
        nt.setUint32(out, produced);
        nt.setUint32(out + 4, full ? 1 : 0);
        return complete(irp, STATUS_SUCCESS, 8);
      }

      /** Unmaps (the program's mapping first, in its own process), frees, dereferences. */
      function Release(): void {
        if (ring === null) return;
        const r = ring;
        if (r.user !== 0) nt.MmUnmapLockedPages(r.user, r.mdl);
        nt.MmUnmapLockedPages(r.system, r.mdl);
        nt.MmFreePagesFromMdl(r.mdl);
        // After MmFreePagesFromMdl the MDL itself is the caller's to free (ExFreePool).
        nt.ExFreePool(r.mdl);
        nt.ObDereferenceObject(r.event);
        nt.DbgPrint('EventRing: released after %d records for %d requests (%d rejected), %d wake-ups\n', r.sequence, r.requests, r.rejected, r.wakeUps);
        ring = null;
      }

      DriverObject.MajorFunction[IRP_MJ_CREATE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      DriverObject.MajorFunction[IRP_MJ_CLOSE] = (_d: DeviceObject, irp: Irp) => complete(irp, STATUS_SUCCESS);
      // The last handle's IRP_MJ_CLEANUP comes in the program's process: where its mapping must be undone.
      DriverObject.MajorFunction[IRP_MJ_CLEANUP] = (_d: DeviceObject, irp: Irp) => {
        Release();
        return complete(irp, STATUS_SUCCESS);
      };
      DriverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = (_d: DeviceObject, irp: Irp) => {
        switch (IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl.IoControlCode) {
          case IOCTL_EVENT_RING_SETUP: return Setup(irp);
          case IOCTL_EVENT_RING_DOORBELL: return Doorbell(irp);
          default: return complete(irp, STATUS_INVALID_DEVICE_REQUEST);
        }
      };
      DriverObject.DriverUnload = (driverObject: DriverObject) => {
        nt.IoDeleteSymbolicLink(LINK_NAME);
        if (driverObject.DeviceObject) nt.IoDeleteDevice(driverObject.DeviceObject);
      };

      // Exclusive: one program, one ring.
      const { status, deviceObject } = nt.IoCreateDevice(DriverObject, 0, DEVICE_NAME, FILE_DEVICE_UNKNOWN, 0, true);
      if (!NT_SUCCESS(status) || !deviceObject) return status;
      const link = nt.IoCreateSymbolicLink(LINK_NAME, DEVICE_NAME);
      if (!NT_SUCCESS(link)) nt.IoDeleteDevice(deviceObject);
      return link;
    },
  });
}
