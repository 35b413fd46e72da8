/**
 * The services of threads and their process: waiting (NtDelayExecution),
 * giving up the CPU (NtYieldExecution), ending the process
 * (NtTerminateProcess), creating, ending and querying threads
 * (NtCreateThreadEx, NtTerminateThread, NtQueryInformationThread).
 */
import {
  STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_INFO_CLASS, STATUS_NO_YIELD_PERFORMED, STATUS_NOT_IMPLEMENTED, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { writeClientId, writePointer } from '../../include/struct-access.js';
import {
  captureOrStatus, ProbeAndCaptureLargeInteger, ProbeAndCaptureObjectAttributes, ProbeForWritePointer, ProbeForWriteUlong, writeHandle, writeOutUlong,
} from '../ex/capture.js';
import { ProbeForWrite } from '../ex/probe.js';
import { ObInsertObject } from '../ob/named.js';
import { EThread, ThreadType } from '../ps/thread.js';
import { PspCreateUserThread, PspExitThread, PspIsLastThread } from '../ps/user-thread.js';
import { COST_YIELD_NS } from '../ke/cost.js';
import { KiTestUserApc } from '../ke/user-apc.js';
import type { PsContext } from '../ps/context.js';
import type { EProcess } from '../ps/process.js';
import { ProcessType } from '../ps/process.js';

/** PROCESS_TERMINATE. https://learn.microsoft.com/windows/win32/procthread/process-security-and-access-rights */
const PROCESS_TERMINATE = 0x0001;

/**
 * NtDelayExecution: a negative interval is relative (100 ns units), a
 * positive one an absolute system time; the most negative LARGE_INTEGER is
 * Sleep(INFINITE) and never ends.
 * https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-ntdelayexecution
 */
export function NtDelayExecution(k: PsContext, Alertable: number, DelayInterval: number): Promise<number> {
  const interval = captureOrStatus(() => ProbeAndCaptureLargeInteger(k, DelayInterval));
  if (typeof interval === 'number') return Promise.resolve(interval);
  const d = interval ?? 0n;
  const wakeNs = d === -(2n ** 63n) ? Infinity
    : d <= 0n ? k.clock.nowNs + Number(-d) * 100
    : Number(d - k.options.bootSystemTime) * 100;
  const thread = k.currentThread;
  // Alertable (SleepEx(ms, TRUE)): queued user APCs end it at once, one queued meanwhile ends it then (ke/user-apc.ts).
  if ((Alertable & 0xff) === 0 || thread.PreviousMode === 0) return k.scheduler.delay(thread, wakeNs).then(() => STATUS_SUCCESS);
  const alerted = KiTestUserApc(thread);
  if (alerted !== undefined) return Promise.resolve(alerted);
  thread.alertableWait = true;
  return k.scheduler.delay(thread, wakeNs).then(() => {
    const status = thread.unwaitStatus ?? STATUS_SUCCESS;
    thread.alertableWait = false;
    thread.unwaitStatus = undefined;
    return status;
  });
}

/** NtYieldExecution: the rest of the quantum goes to a ready thread, if there is one (else STATUS_NO_YIELD_PERFORMED). */
export function NtYieldExecution(k: PsContext): Promise<number> {
  k.charge(COST_YIELD_NS);
  const yielded = k.scheduler.yieldThread(k.currentThread);
  return yielded ? yielded.then(() => STATUS_SUCCESS) : Promise.resolve(STATUS_NO_YIELD_PERFORMED);
}

/** NtTerminateProcess: ends the process a handle names (today, only the caller's own process can be named). */
export function NtTerminateProcess(k: PsContext, ProcessHandle: number, ExitStatus: number): number {
  const ref = k.ob.ObReferenceObjectByHandle(ProcessHandle, PROCESS_TERMINATE, ProcessType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  const process = ref.object as EProcess;
  try {
    k.ps.PspExitProcess(process, ExitStatus >>> 0);
  } finally {
    k.ob.ObDereferenceObject(process);
  }
  return STATUS_SUCCESS;
}

/** THREAD_TERMINATE, THREAD_QUERY_INFORMATION, THREAD_QUERY_LIMITED_INFORMATION. https://learn.microsoft.com/windows/win32/procthread/thread-security-and-access-rights */
const THREAD_TERMINATE = 0x0001;
const THREAD_QUERY_LIMITED_INFORMATION = 0x0800;
/** PROCESS_CREATE_THREAD. */
const PROCESS_CREATE_THREAD = 0x0002;
/** THREAD_CREATE_FLAGS_CREATE_SUSPENDED: ntshm has no suspended threads (docs/api-coverage.md). */
const THREAD_CREATE_FLAGS_CREATE_SUSPENDED = 0x1;

/**
 * NtCreateThreadEx: a thread of the caller's own process (another process's
 * is STATUS_NOT_IMPLEMENTED) that runs the routine at StartRoutine with
 * Argument; the handle has the access asked for. StackSize and the
 * AttributeList are not read (every thread's stack is 1 MB reserved).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-pscreatesystemthread (the kernel-mode counterpart)
 */
export function NtCreateThreadEx(k: PsContext, ThreadHandle: number, DesiredAccess: number, ObjectAttributes: number, ProcessHandle: number,
  StartRoutine: number, Argument: number, CreateFlags: number, _ZeroBits: number, _StackSize: number, _MaximumStackSize: number,
  _AttributeList: number): number {
  if ((CreateFlags & THREAD_CREATE_FLAGS_CREATE_SUSPENDED) !== 0) return STATUS_NOT_IMPLEMENTED;
  const oa = captureOrStatus(() => {
    ProbeForWritePointer(k, ThreadHandle);
    return ObjectAttributes === 0 ? null : ProbeAndCaptureObjectAttributes(k, ObjectAttributes);
  });
  if (typeof oa === 'number') return oa;
  const ref = k.ob.ObReferenceObjectByHandle(ProcessHandle, PROCESS_CREATE_THREAD, ProcessType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  try {
    if (ref.object !== k.currentProcess) return STATUS_NOT_IMPLEMENTED;
    const created = captureOrStatus(() => PspCreateUserThread(k, ref.object as EProcess, StartRoutine, Argument));
    if (typeof created === 'number') return created;
    const r = ObInsertObject(k, created, oa, DesiredAccess >>> 0, k.currentThread.PreviousMode);
    if (r.status !== STATUS_SUCCESS) return r.status;
    const written = captureOrStatus(() => writeHandle(k, ThreadHandle, r.handle));
    return typeof written === 'number' ? written : STATUS_SUCCESS;
  } finally {
    k.ob.ObDereferenceObject(ref.object);
  }
}

/**
 * NtTerminateThread: the thread ends with ExitStatus (the calling thread's
 * code goes on until it returns to its start, which ExitThread does by
 * throwing); the last thread's end is its process's.
 * https://learn.microsoft.com/windows/win32/api/processthreadsapi/nf-processthreadsapi-terminatethread
 */
export function NtTerminateThread(k: PsContext, ThreadHandle: number, ExitStatus: number): number {
  const ref = k.ob.ObReferenceObjectByHandle(ThreadHandle, THREAD_TERMINATE, ThreadType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  const thread = ref.object as EThread;
  try {
    if (thread.terminated) return STATUS_SUCCESS;
    if (PspIsLastThread(thread)) k.ps.PspExitProcess(thread.process, ExitStatus >>> 0);
    else PspExitThread(k, thread, ExitStatus >>> 0);
  } finally {
    k.ob.ObDereferenceObject(thread);
  }
  return STATUS_SUCCESS;
}

/** THREAD_BASIC_INFORMATION: ExitStatus, TebBaseAddress, ClientId, AffinityMask, Priority, BasePriority (ntddk.h / winternl.h). */
const THREAD_BASIC_INFORMATION = {
  x64: { size: 0x30, ExitStatus: 0x0, TebBaseAddress: 0x8, ClientId: 0x10, AffinityMask: 0x20, Priority: 0x28, BasePriority: 0x2c },
  x86: { size: 0x1c, ExitStatus: 0x0, TebBaseAddress: 0x4, ClientId: 0x8, AffinityMask: 0x10, Priority: 0x14, BasePriority: 0x18 },
} as const;

/**
 * NtQueryInformationThread, ThreadBasicInformation (0) only (another class:
 * STATUS_INVALID_INFO_CLASS); ExitStatus is STATUS_PENDING (STILL_ACTIVE)
 * while the thread runs. Priority 8, BasePriority 0: every thread runs at
 * NORMAL_PRIORITY_CLASS's normal priority.
 * https://learn.microsoft.com/windows/win32/api/winternl/nf-winternl-ntqueryinformationthread
 */
export function NtQueryInformationThread(k: PsContext, ThreadHandle: number, ThreadInformationClass: number, ThreadInformation: number,
  ThreadInformationLength: number, ReturnLength: number): number {
  if (ThreadInformationClass >>> 0 !== 0) return STATUS_INVALID_INFO_CLASS;
  const layout = THREAD_BASIC_INFORMATION[k.arch];
  if (ThreadInformationLength >>> 0 !== layout.size) return STATUS_INFO_LENGTH_MISMATCH;
  const probed = captureOrStatus(() => {
    if (k.currentThread.PreviousMode !== 0) ProbeForWrite(k, ThreadInformation, layout.size, 4);
    if (ReturnLength !== 0) ProbeForWriteUlong(k, ReturnLength);
  });
  if (probed !== undefined) return probed;
  const ref = k.ob.ObReferenceObjectByHandle(ThreadHandle, THREAD_QUERY_LIMITED_INFORMATION, ThreadType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  const thread = ref.object as EThread;
  try {
    const w = captureOrStatus(() => {
      const mem = k.kernelMemory;
      const at = ThreadInformation;
      mem.setUint32(at + layout.ExitStatus, thread.ExitStatus >>> 0);
      writePointer(mem, k.arch, at + layout.TebBaseAddress, thread.Teb);
      writeClientId(mem, k.arch, at + layout.ClientId, thread.process.UniqueProcessId, thread.Cid);
      writePointer(mem, k.arch, at + layout.AffinityMask, (2 ** k.prcbs.length) - 1);
      mem.setUint32(at + layout.Priority, 8);
      mem.setUint32(at + layout.BasePriority, 0);
      if (ReturnLength !== 0) writeOutUlong(k, ReturnLength, layout.size);
    });
    return typeof w === 'number' ? w : STATUS_SUCCESS;
  } finally {
    k.ob.ObDereferenceObject(thread);
  }
}
