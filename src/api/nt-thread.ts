/**
 * `nt`'s System threads: PsCreateSystemThread, PsTerminateSystemThread,
 * PsGetCurrentThread, and *PsThreadType for ObReferenceObjectByHandle on
 * the thread's handle. The thread runs the driver's StartRoutine as a
 * scheduled thread of the System process (kernel/io/system-thread.ts); in
 * its own code KeWaitForSingleObject & co. and KeDelayExecutionThread return
 * a Promise, and `await` blocks the thread while other threads run.
 *
 * The usual "stop the worker" pattern works as on Windows: the driver keeps
 * the thread object (ObReferenceObjectByHandle(ThreadHandle, SYNCHRONIZE,
 * *PsThreadType, KernelMode), then ZwClose), signals its stop event, and
 * waits on the thread object, which is signalled when the thread ends.
 */
import { ThreadExit } from '../include/errors.js';
import { isThrownInstance } from '../include/thrown.js';
import { STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_PROCESS_IS_TERMINATING, STATUS_SUCCESS } from '../include/ntstatus.js';
import { OBJ_KERNEL_HANDLE, PASSIVE_LEVEL } from '../include/wdm-constants.js';
import { IopCreateSystemThread, IopIsDriverSystemThread, type KStartRoutine } from '../kernel/io/system-thread.js';
import type { Kernel } from '../kernel/kernel.js';
import { ObjectAllocationFailed } from '../kernel/ob/manager.js';
import { EThread, ThreadType } from '../kernel/ps/thread.js';
import { ProcessType, type EProcess } from '../kernel/ps/process.js';

/** PROCESS_CREATE_THREAD: what a thread in another process asks of its handle. */
const PROCESS_CREATE_THREAD = 0x0002;
import { handleArgument, ulongArgument } from './driver-arguments.js';
import type { DriverObjectAttributes } from './nt-objects.js';

const HIGH = 31;

type Enter = (name: string, maxIrql: number, violation?: readonly [number, number, number]) => void;

/** CLIENT_ID: the thread's process and thread IDs. */
export interface ClientId {
  UniqueProcess: number;
  UniqueThread: number;
}

/** The routines, for nt.ts. */
export function makeNtThread(k: Kernel, driverName: string, enter: Enter) {
  return {
    /**
     * PsCreateSystemThread(DesiredAccess, ObjectAttributes, ProcessHandle, StartRoutine, StartContext):
     * `{ status, threadHandle, clientId }` (ThreadHandle and ClientId are its out-parameters). ProcessHandle
     * NULL: a thread of the System process; otherwise (NtCurrentProcess() from a dispatch routine, say) a
     * kernel-mode thread of that process, in its address space, referenced for PROCESS_CREATE_THREAD with
     * the caller's previous mode (ps/system-thread.ts for its life and end).
     * The handle is a kernel handle when ObjectAttributes has OBJ_KERNEL_HANDLE, as the WDK asks; otherwise it
     * is in the calling process's table, as on Windows. StartRoutine may be async (see above).
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-pscreatesystemthread
     */
    PsCreateSystemThread(DesiredAccess: number, ObjectAttributes: DriverObjectAttributes | null, ProcessHandle: number | null,
      StartRoutine: KStartRoutine, StartContext: unknown): { status: number; threadHandle: number; clientId: ClientId | null } {
      enter('PsCreateSystemThread', PASSIVE_LEVEL);
      const failed = (status: number) => ({ status, threadHandle: 0, clientId: null });
      const driver = k.io.drivers.get(driverName.toUpperCase());
      if (!driver) return failed(STATUS_INVALID_PARAMETER);
      let process = k.systemProcess;
      const handle = ProcessHandle === null || ProcessHandle === undefined ? 0 : handleArgument(k.arch, ProcessHandle);
      if (handle !== 0) {
        // PspCreateThread: the handle is referenced with ExGetPreviousMode(), as the caller's request came.
        const ref = k.ob.ObReferenceObjectByHandle(handle, PROCESS_CREATE_THREAD, ProcessType, k.currentThread.PreviousMode, k.currentProcess);
        if (!ref.object) return failed(ref.status);
        process = ref.object as EProcess;
        k.ob.ObDereferenceObject(process); // the thread takes its own reference below
        if (process.terminating || process.exited) return failed(STATUS_PROCESS_IS_TERMINATING);
      }
      let thread: EThread;
      try {
        thread = IopCreateSystemThread(k, driver, StartRoutine, StartContext, undefined, process);
      } catch (e) {
        if (isThrownInstance(e, ObjectAllocationFailed)) return failed(STATUS_INSUFFICIENT_RESOURCES);
        throw e;
      }
      const attributes = (ObjectAttributes?.Attributes ?? 0) & OBJ_KERNEL_HANDLE;
      const threadHandle = k.ob.createHandle(k.currentProcess, thread, ulongArgument(k.arch, DesiredAccess), attributes);
      return { status: STATUS_SUCCESS, threadHandle, clientId: { UniqueProcess: process.UniqueProcessId, UniqueThread: thread.Cid } };
    },
    /**
     * PsTerminateSystemThread(ExitStatus): ends the System thread that calls it, which never returns from
     * it (a ThreadExit unwinds its code). Called from any other thread: STATUS_INVALID_PARAMETER.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-psterminatesystemthread
     */
    PsTerminateSystemThread(ExitStatus: number): number {
      enter('PsTerminateSystemThread', PASSIVE_LEVEL);
      if (!IopIsDriverSystemThread(k)) return STATUS_INVALID_PARAMETER;
      throw new ThreadExit(ulongArgument(k.arch, ExitStatus));
    },
    /** PsGetCurrentThread: the ETHREAD running now. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-psgetcurrentthread */
    PsGetCurrentThread: (): EThread => (enter('PsGetCurrentThread', HIGH), k.currentThread),
    /** *PsThreadType, for ObReferenceObjectByHandle on a thread's handle. */
    PsThreadType: ThreadType,
  };
}
