/**
 * The services of the calling thread and its process: waiting
 * (NtDelayExecution), giving up the CPU (NtYieldExecution) and ending the
 * process (NtTerminateProcess).
 */
import { STATUS_NO_YIELD_PERFORMED, STATUS_SUCCESS } from '../../include/ntstatus.js';
import { captureOrStatus, ProbeAndCaptureLargeInteger } from '../ex/capture.js';
import { COST_YIELD_NS } from '../ke/cost.js';
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
export function NtDelayExecution(k: PsContext, _Alertable: number, DelayInterval: number): Promise<number> {
  const interval = captureOrStatus(() => ProbeAndCaptureLargeInteger(k, DelayInterval));
  if (typeof interval === 'number') return Promise.resolve(interval);
  const d = interval ?? 0n;
  const wakeNs = d === -(2n ** 63n) ? Infinity
    : d <= 0n ? k.clock.nowNs + Number(-d) * 100
    : Number(d - k.options.bootSystemTime) * 100;
  return k.scheduler.delay(k.currentThread, wakeNs).then(() => STATUS_SUCCESS);
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
