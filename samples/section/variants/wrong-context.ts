/**
 * Variant `wrong-context` of Section.sys (reference/misuse.md): the driver
 * does ShareSection's work in a System worker thread (IoQueueWorkItem)
 * instead of in its dispatch routine, and waits for it there. Diff it
 * against ShareSection in ../driver.ts: the same calls, run by the worker.
 *
 * A work item runs in the System process, so ZwMapViewOfSection(
 * NtCurrentProcess()) maps the view into the System process's (empty) user
 * address space, not the program's: the address the driver hands back
 * (IOCTL_SECTION_MAP_VIEW) maps nothing in the program. And the program's
 * own address, where it wrote the message (IOCTL_SECTION_MESSAGE sends it),
 * maps nothing in the System process: reading it from the worker is a fault
 * on a user address with no VAD, which MmAccessFault answers with
 * STATUS_ACCESS_VIOLATION, raised in the worker. The worker routine has no
 * try/except (the article's was around the dispatch routine's reads), so the
 * exception leaves a system thread: bug check 0x7E
 * SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, P1 = 0xC0000005. Not 0x50, which
 * reference/misuse.md names: 0x50 is a fault on an invalid *system*
 * address; a user address raises an exception (docs/fidelity.md).
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x7e--system-thread-exception-not-handled
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioqueueworkitem
 */
import {
  DelayedWorkQueue, Executive, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation, KernelMode, NonPagedPoolNx, NotificationEvent, NT_SUCCESS,
  STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_DEVICE_STATE, STATUS_IO_TIMEOUT,
  STATUS_SUCCESS, STATUS_TIMEOUT, type DeviceObject, type Irp, type Nt,
} from 'ntshm/wdm';
import { IOCTL_SECTION_MAP_VIEW, IOCTL_SECTION_MESSAGE, REPLY, SECTION_SIZE } from '../ioctl.js';
import { mapSectionView, type KeptView } from './map-view.js';

/** The pool tag of the event the dispatch routine waits on ('SecW'). */
const TAG = 'SecW';
/** How long the dispatch routine waits for the worker: 5 s, relative (100 ns units). */
const WORKER_TIMEOUT = -50_000_000n;

/**
 * Runs `work` in a System worker thread and waits for it: a KEVENT in nonpaged pool, an IO_WORKITEM,
 * KeWaitForSingleObject. The status of the wait, or why there was none.
 */
function runInSystemWorker(nt: Nt, device: DeviceObject, work: (nt: Nt) => void): number {
  const event = nt.ExAllocatePoolWithTag(NonPagedPoolNx, nt.sizeofPointer === 8 ? 0x18 : 0x10 /* sizeof(KEVENT) */, TAG);
  if (event === 0) return STATUS_INSUFFICIENT_RESOURCES;
  const item = nt.IoAllocateWorkItem(device);
  if (!item) {
    nt.ExFreePoolWithTag(event, TAG);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  nt.KeInitializeEvent(event, NotificationEvent, false);
  nt.IoQueueWorkItem(item, () => {
    work(nt);
    nt.KeSetEvent(event, IO_NO_INCREMENT, false);
  }, DelayedWorkQueue, null);
  const status = nt.KeWaitForSingleObject(event, Executive, KernelMode, false, WORKER_TIMEOUT);
  // Timed out, the item is still queued and its event in use: both are left to it.
  if (status === STATUS_TIMEOUT) return STATUS_IO_TIMEOUT;
  nt.IoFreeWorkItem(item);
  nt.ExFreePoolWithTag(event, TAG);
  return STATUS_SUCCESS;
}

/** The driver's IOCTL handling for `wrong-context`: every step done by a System worker thread. */
export function wrongContextControl() {
  let kept: KeptView | undefined;
  return (nt: Nt, device: DeviceObject, irp: Irp): { status: number; information?: number } => {
    const { IoControlCode, InputBufferLength, OutputBufferLength } = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
    if (IoControlCode === IOCTL_SECTION_MAP_VIEW) {
      if (OutputBufferLength < nt.sizeofPointer) return { status: STATUS_BUFFER_TOO_SMALL };
      let mapped = STATUS_INVALID_DEVICE_STATE;
      // Wrong: in the worker, NtCurrentProcess() is the System process, so that is where the view goes.
      const waited = runInSystemWorker(nt, device, () => {
        const { status, view } = mapSectionView(nt);
        mapped = status;
        kept = view;
      });
      if (!NT_SUCCESS(waited)) return { status: waited };
      if (!kept) return { status: mapped };
      nt.setPointer(irp.AssociatedIrp.SystemBuffer, kept.baseAddress);
      return { status: STATUS_SUCCESS, information: nt.sizeofPointer };
    }
    if (IoControlCode === IOCTL_SECTION_MESSAGE) {
      if (InputBufferLength < nt.sizeofPointer) return { status: STATUS_BUFFER_TOO_SMALL };
      const programAddress = nt.getPointer(irp.AssociatedIrp.SystemBuffer);
      const waited = runInSystemWorker(nt, device, () => {
        // Wrong: the program's address means nothing in the System process, where the worker runs.
        const message = nt.getString(programAddress, 'utf-16le', SECTION_SIZE / 2);
        nt.DbgPrint('Section: the application says "%ws"\n', message);
        nt.setString(programAddress, REPLY, 'utf-16le');
      });
      return { status: waited };
    }
    return { status: STATUS_INVALID_DEVICE_REQUEST };
  };
}
