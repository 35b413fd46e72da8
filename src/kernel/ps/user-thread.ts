/**
 * A process's further threads (NtCreateThreadEx, CreateThread) and the end
 * of one thread. A new thread gets its own TEB and stack in the process
 * (anywhere free, as MmCreateTeb and the stack's reservation take them), a
 * client ID, and a thread object whose DISPATCHER_HEADER is signalled when
 * it ends: WaitForSingleObject on its handle returns then, and
 * GetExitCodeThread answers its code instead of STILL_ACTIVE.
 *
 * A thread that returns from its start routine, or calls ExitThread, ends
 * alone (PspExitThread): its mutexes are abandoned, its wait ends. The last
 * thread to end ends the process with its code. An exception nobody caught
 * ends the whole process, as the unhandled-exception filter does.
 * https://learn.microsoft.com/windows/win32/procthread/terminating-a-thread
 */
import { NtException } from '../../include/errors.js';
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE } from '../../include/memory-constants.js';
import { STATUS_NO_MEMORY, STATUS_PENDING, STATUS_PROCESS_IS_TERMINATING } from '../../include/ntstatus.js';
import { ProcessObject, ThreadObject } from '../ke/wait.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import { isThrownInstance } from '../../include/thrown.js';
import type { PsContext } from './context.js';
import { PspWriteTeb, STACK_COMMIT, STACK_RESERVE } from './environment.js';
import { ProcessType, type EProcess } from './process.js';
import { EThread, ThreadType } from './thread.js';

/** Two pages: the x64 TEB is 0x1838 bytes. */
const TEB_SIZE = 0x2000;

/** The DISPATCHER_HEADERs a process and its thread begin with (KeInitializeProcess, KeInitThread): not signalled. */
export function PspInitializeDispatcherHeader(k: PsContext, object: EProcess | EThread): void {
  const isProcess = object.header.type === ProcessType;
  const type = isProcess ? ProcessType : ThreadType;
  k.waits.KeInitializeDispatcherHeader(object.address, isProcess ? ProcessObject : ThreadObject, type.bodySize[k.arch]);
}

/** Allocates `size` bytes anywhere in the process (reserved, and committed unless `reserveOnly`); no memory is the creation's failure. */
function allocate(k: PsContext, process: EProcess, size: number, type: number, base = 0): number {
  const r = k.vm.NtAllocateVirtualMemory(process, base, size, type, PAGE_READWRITE);
  if (r.status !== 0) throw new NtException(r.status >= 0xc000_0000 ? r.status : STATUS_NO_MEMORY);
  return r.baseAddress;
}

/**
 * Creates a thread in `process` that will run the routine at `startAddress`
 * with `parameter` (process.startUserThread says how) when the scheduler
 * first runs it. The caller holds the one reference the creation gives.
 */
export function PspCreateUserThread(k: PsContext, process: EProcess, startAddress: number, parameter: number): EThread {
  if (process.terminating || process.exited || !process.startUserThread) throw new NtException(STATUS_PROCESS_IS_TERMINATING);
  const start = process.startUserThread;
  const cid = k.ps.newCid();
  let thread: EThread;
  try {
    thread = k.ob.ObCreateObject(new EThread(process, cid, false, `${process.ImageFileName} thread ${cid}`));
  } catch (e) {
    if (isThrownInstance(e, ObjectAllocationFailed)) throw new NtException(e.status);
    throw e;
  }
  try {
    const teb = allocate(k, process, TEB_SIZE, MEM_RESERVE | MEM_COMMIT);
    const reserve = allocate(k, process, STACK_RESERVE, MEM_RESERVE);
    thread.StackBase = reserve + STACK_RESERVE;
    thread.StackLimit = thread.StackBase - STACK_COMMIT;
    allocate(k, process, STACK_COMMIT, MEM_COMMIT, thread.StackLimit);
    thread.Teb = teb;
    k.ps.runInSystemThread(() => {
      const apcState = k.ps.KeStackAttachProcess(process);
      try {
        PspWriteTeb(k, process, thread, teb);
      } finally {
        k.ps.KeUnstackDetachProcess(apcState);
      }
    }, 'PspCreateUserEnvironment');
  } catch (e) {
    k.ob.ObDereferenceObject(thread);
    throw e;
  }
  PspInitializeDispatcherHeader(k, thread);
  thread.ExitStatus = STATUS_PENDING;
  process.threads.push(thread);
  // The process's list holds a reference on the thread (dropped when the process goes), the thread one on its process.
  k.ob.ObReferenceObject(thread);
  k.ob.ObReferenceObject(process);
  thread.continuation = () => {
    let result: Promise<number>;
    try {
      result = Promise.resolve(start(thread, startAddress, parameter));
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (code) => k.ps.threadReturned(thread, typeof code === 'number' ? code >>> 0 : 0, false),
      (e: unknown) => k.ps.threadFailed(thread, e),
    ).catch((e: unknown) => {
      k.emulatorFailed(e);
      thread.terminated = true;
      if (k.scheduler.running === thread) k.scheduler.giveUpCpu();
    });
  };
  k.scheduler.readyThread(thread);
  return thread;
}

/**
 * PspExitThread for a thread that is not its process's last: its mutexes
 * are abandoned and its wait ends (KeRundownThread), it leaves the
 * scheduler for good, and its object is signalled. The last live thread's
 * exit is its process's (PspExitProcess, the caller's business).
 */
export function PspExitThread(k: PsContext, thread: EThread, exitStatus: number): void {
  if (thread.terminated) return;
  thread.ExitStatus = exitStatus >>> 0;
  k.waits.KeRundownThread(thread);
  thread.terminated = true;
  k.scheduler.forget(thread);
  k.releaseUserMemory(thread);
  k.waits.KeSignalObject(thread.address);
}

/** Whether `thread` is the only thread of its process still running. */
export function PspIsLastThread(thread: EThread): boolean {
  return thread.process.threads.every((t) => t === thread || t.terminated);
}
