/**
 * Requests that go pending. A dispatch routine that returns STATUS_PENDING
 * without completing the IRP keeps it; the request is finished when the
 * driver completes it later, from a DPC, a timer, a worker or another
 * thread's request. Then, as on Windows, IoCompleteRequest queues a kernel
 * APC (IopCompleteRequest) to the thread that asked, and the final stage runs
 * there, in its process: a buffered output is copied to the caller's buffer,
 * the IO_STATUS_BLOCK written, the caller's event (or the file object's)
 * signalled, the IRP freed.
 *
 * The caller meanwhile: on a file object opened for synchronous I/O
 * (FO_SYNCHRONOUS_IO, a handle without FILE_FLAG_OVERLAPPED) it waits on the
 * file object's Event and returns the request's final status
 * (FileObject->FinalStatus); requests on such a file are serialised, one at a
 * time (the file object's lock: a second request waits for the first). On an
 * overlapped handle it gets STATUS_PENDING at once and learns the end from
 * its IO_STATUS_BLOCK (the OVERLAPPED's Internal) and event.
 * ReactOS ntoskrnl/io/iomgr/irp.c (IofCompleteRequest, IopCompleteRequest), iofunc.c (IopPerformSynchronousRequest)
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/completing-irps
 */
import { EVENT_MODIFY_STATE, ExEventObjectType } from '../ps/sync-objects.js';
import { KeInsertQueueUserApc } from '../ke/user-apc.js';
import { NT_ERROR, STATUS_PENDING } from '../../include/ntstatus.js';
import { SynchronizationEvent } from '../../include/wdm-constants.js';
import { writeIoStatus } from '../ex/capture.js';
import { KeInsertQueueApc } from '../ke/apc.js';
import type { KThread } from '../ke/thread.js';
import { NotificationEvent } from '../ke/wait.js';
import type { KernelObject } from '../ob/object.js';
import type { IoContext } from './context.js';
import { IopTracePending } from './trace-io.js';
import type { Irp } from './irp.js';
import { FILE_OBJECT_LAYOUT, type FileObject } from './objects.js';

/** What finishing a pending request owes its caller. */
export interface IopPendingRequest {
  readonly file: FileObject;
  /** The caller's IO_STATUS_BLOCK (a user or kernel address in the caller's process), or 0. */
  readonly userIosb: number;
  /** The caller's event object (a referenced Event), or null. */
  readonly event: KernelObject | null;
  /** A request on a synchronous file object: the caller waits for it. */
  readonly synchronous: boolean;
  /** The caller's ApcRoutine (PIO_APC_ROUTINE, an address of the program's), queued to its thread at the end; 0 for none. */
  readonly apcRoutine: number;
  readonly apcContext: number;
}

/**
 * IopCompleteRequest's last step for a request with an ApcRoutine: a user
 * APC (ApcContext, IoStatusBlock, 0) to the requesting thread, run at its
 * next alertable wait (ke/user-apc.ts). Only for an end the caller is told
 * of: success, or any status of a request that went pending on an
 * asynchronous handle.
 * https://github.com/reactos/reactos/blob/master/ntoskrnl/io/iomgr/irp.c (IopCompleteRequest)
 */
export function IopQueueUserApcCompletion(k: IoContext, thread: KThread, apcRoutine: number, apcContext: number, userIosb: number): void {
  KeInsertQueueUserApc(k, thread, { NormalRoutine: apcRoutine, NormalContext: apcContext, SystemArgument1: userIosb, SystemArgument2: 0 });
}

/** FILE_OBJECT.Lock and FILE_OBJECT.Event: the addresses of the file object's two KEVENTs. */
export function IopFileEvents(k: IoContext, file: FileObject): { lock: number; event: number } {
  const layout = FILE_OBJECT_LAYOUT[k.arch];
  return { lock: file.address + layout.Lock, event: file.address + layout.Event };
}

/**
 * The event of an asynchronous request (NtReadFile, NtWriteFile, NtDeviceIoControlFile): the caller's, referenced
 * for EVENT_MODIFY_STATE and cleared, or with none the file object's own Event, cleared; a status for a bad handle.
 */
export function IopReferenceRequestEvent(k: IoContext, file: FileObject, Event: number): KernelObject | null | number {
  if (Event === 0) {
    k.waits.KeResetEvent(IopFileEvents(k, file).event);
    return null;
  }
  const ref = k.ob.ObReferenceObjectByHandle(Event, EVENT_MODIFY_STATE, ExEventObjectType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  k.waits.KeResetEvent(ref.object.address);
  return ref.object;
}

/** IopParseDevice: the file object's Lock (a synchronization event, set: free) and Event (a notification event, clear). */
export function IopInitializeFileEvents(k: IoContext, file: FileObject): void {
  const { lock, event } = IopFileEvents(k, file);
  k.waits.KeInitializeEvent(lock, SynchronizationEvent, false);
  k.waits.KeInitializeEvent(event, NotificationEvent, false);
}

/**
 * IopLockFileObject for a synchronous file object: undefined when no request
 * of it is in progress; else a promise that settles when the one in progress
 * has finished (the caller then starts its request again).
 */
export function IopLockFileObject(k: IoContext, file: FileObject): Promise<void> | undefined {
  if (!file.Busy) return undefined;
  file.Waiters++;
  const { lock } = IopFileEvents(k, file);
  const waited = k.waits.KeWaitForObjects(k.currentThread, [lock], false, Infinity, () => { file.Waiters--; });
  return Promise.resolve(waited).then(() => { file.Waiters--; });
}

/** IopUnlockFileObject: the request in progress has finished; the next waiter, if any, goes. */
export function IopUnlockFileObject(k: IoContext, file: FileObject): void {
  file.Busy = false;
  if (file.Waiters > 0) k.waits.KeSetEvent(IopFileEvents(k, file).lock);
}

/**
 * The dispatch routine returned STATUS_PENDING and the IRP is not complete:
 * the IRP keeps a reference on the file object (and the caller's event),
 * and joins its thread's list of requests in progress (ETHREAD.IrpList),
 * where CancelIo and the thread's exit find it.
 */
export function IopMarkRequestPending(k: IoContext, irp: Irp, request: IopPendingRequest): void {
  irp.pending = request;
  if (k.trace) IopTracePending(k, irp, true);
  k.ob.ObReferenceObject(request.file);
  const thread = irp.Tail.Overlay.Thread;
  if (thread) k.io.threadIrps(thread).add(irp);
}

/**
 * A synchronous caller waits for its pending request (on the file object's
 * Event) and gets FileObject->FinalStatus; the file object's lock goes to
 * the next request. If the thread ends first, the wait is abandoned.
 */
export function IopWaitForRequest(k: IoContext, file: FileObject): Promise<number> {
  const { event } = IopFileEvents(k, file);
  const thread = k.currentThread;
  k.ob.ObReferenceObject(file);
  const done = (): void => {
    IopUnlockFileObject(k, file);
    k.ob.ObDereferenceObject(file);
  };
  const waited = k.waits.KeWaitForObjects(thread, [event], false, Infinity, done);
  return Promise.resolve(waited).then(() => {
    const status = file.FinalStatus;
    done();
    return status;
  });
}

/**
 * IoCompleteRequest of a pending request: the final stage goes to the
 * requesting thread as a kernel APC. A request whose thread has gone (its
 * IRP disassociated at the thread's exit) is only cleaned up.
 */
export function IopQueueRequestCompletion(k: IoContext, irp: Irp): void {
  const thread = irp.Tail.Overlay.Thread;
  if (thread === null || thread.terminated) {
    IopCleanupIrp(k, irp);
    return;
  }
  KeInsertQueueApc(k, thread, { name: 'IopCompleteRequest', KernelRoutine: () => IopCompletePendingRequest(k, irp, thread) });
}

/**
 * IopCompleteRequest, in the requesting thread: the output copied back and
 * the IRP freed (IoManager.IopCompleteRequest), then the IO_STATUS_BLOCK
 * written and the events set. For an error status the caller's block is
 * written only for an asynchronous request (its OVERLAPPED must learn the
 * error); a synchronous caller gets the status from FinalStatus.
 */
function IopCompletePendingRequest(k: IoContext, irp: Irp, thread: KThread): void {
  const request = irp.pending!;
  const status = irp.finalStatus;
  const information = irp.finalInformation;
  k.io.threadIrps(thread).delete(irp);
  if (k.trace) IopTracePending(k, irp, false, status);
  k.io.IopCompleteRequest(irp);
  if (!NT_ERROR(status) || !request.synchronous) {
    writeIoStatus(k, request.userIosb, status, information);
    if (request.apcRoutine !== 0) IopQueueUserApcCompletion(k, thread, request.apcRoutine, request.apcContext, request.userIosb);
  }
  const file = request.file;
  if (request.event) {
    k.waits.KeSetEvent(request.event.address);
    k.ob.ObDereferenceObject(request.event);
  }
  if (request.synchronous || !request.event) {
    file.FinalStatus = status;
    k.waits.KeSetEvent(IopFileEvents(k, file).event);
  }
  irp.pending = null;
  k.ob.ObDereferenceObject(file);
}

/** IopCleanupIrp: a request nobody waits for any more is freed, and what it held let go. */
function IopCleanupIrp(k: IoContext, irp: Irp): void {
  const request = irp.pending!;
  const thread = irp.Tail.Overlay.Thread;
  if (thread) k.io.threadIrps(thread).delete(irp);
  if (k.trace) IopTracePending(k, irp, false, irp.finalStatus);
  k.io.freeIrp(irp);
  if (request.event) k.ob.ObDereferenceObject(request.event);
  irp.pending = null;
  k.ob.ObDereferenceObject(request.file);
}

/** Whether a dispatch routine's answer leaves the request pending (the IRP kept, not completed). */
export function IopRequestWentPending(irp: Irp, status: number): boolean {
  return status === STATUS_PENDING && !irp.completed;
}
