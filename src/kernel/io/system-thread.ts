/**
 * A driver's System thread (PsCreateSystemThread): its StartRoutine runs as
 * a scheduled thread of the System process, KernelMode, at PASSIVE_LEVEL,
 * in the driver's frame (bug checks, findings and pool ownership name the
 * driver). Unlike every other driver routine it may be `async`: where it
 * awaits a wait (KeWaitForSingleObject, KeWaitForMultipleObjects,
 * KeDelayExecutionThread return a Promise in such a thread, api/nt-sync.ts)
 * the thread blocks and other threads run; the frame leaves the attribution
 * stack while it does and comes back when it runs again.
 *
 * Its end: the StartRoutine returns (or its promise settles), or it calls
 * PsTerminateSystemThread (a ThreadExit thrown through its code). An
 * exception that leaves it is 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, as
 * PspUnhandledExceptionInSystemThread raises it. A driver that unloads while
 * its thread has not ended: the thread's next step runs code of an unloaded
 * image, 0xCE DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, as the
 * fault on the unloaded image's address is on Windows.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-pscreatesystemthread
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-psterminatesystemthread
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x7e--system-thread-exception-not-handled
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xce--driver-unloaded-without-cancelling-pending-operations
 */
import { EmulatorError, MachineHalted, ThreadExit } from '../../include/errors.js';
import { STATUS_SUCCESS } from '../../include/ntstatus.js';
import { DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS } from '../../include/bugcodes.js';
import { DISPATCH_LEVEL, PASSIVE_LEVEL } from '../../include/wdm-constants.js';
import { isThrownInstance, readThrown, toUint32 } from '../../include/thrown.js';
import type { DriverFrame } from '../ke/attribution.js';
import { PspCreateSystemThread, PspExitSystemThread } from '../ps/system-thread.js';
import type { EThread } from '../ps/thread.js';
import type { EProcess } from '../ps/process.js';
import type { IoContext } from './context.js';
import { frameFor, IopEnterDriverRoutine, isThenable } from './driver-load.js';
import { unhandledDriverException } from './exception-boundary.js';
import type { DriverObject } from './objects.js';

/** KSTART_ROUTINE: (StartContext) => void; in ntshm it may return a Promise (an async routine). */
export type KStartRoutine = (StartContext: unknown) => void | Promise<void>;

/** The frame of each driver System thread's StartRoutine. */
const startFrames = new WeakMap<EThread, DriverFrame>();
/** What runs when a thread's routine has returned (IopCreateSystemThread's `returned`). */
const endHooks = new WeakMap<EThread, () => void>();

/**
 * The System thread running now whose own routine (not a routine it called into, not a DPC) is the code
 * executing, below DISPATCH_LEVEL: where a wait may block it. Undefined anywhere else.
 */
export function IopBlockableSystemThread(k: IoContext): EThread | undefined {
  const thread = k.currentThread;
  const frame = startFrames.get(thread);
  if (!frame || k.scheduler.running !== thread || k.current.dpcRoutineActive || k.irql >= DISPATCH_LEVEL) return undefined;
  return k.attribution.top() === frame ? thread : undefined;
}

/** Whether the thread executing now is a driver's System thread (PsCreateSystemThread's). */
export function IopIsDriverSystemThread(k: IoContext): boolean {
  return startFrames.has(k.currentThread) && k.scheduler.running === k.currentThread && !k.current.dpcRoutineActive;
}

/**
 * PsCreateSystemThread's work: the thread, ready to run `StartRoutine(StartContext)` in `driver`'s frame.
 * `returned` runs when the routine has returned, before the thread ends (an async DriverUnload's thread
 * completes the unload there, io/driver-load.ts).
 */
export function IopCreateSystemThread(k: IoContext, driver: DriverObject, StartRoutine: KStartRoutine, StartContext: unknown,
  returned?: () => void, process: EProcess = k.systemProcess): EThread {
  const frame = frameFor(driver, StartRoutine, 'StartRoutine');
  let irql = PASSIVE_LEVEL;
  const label = process === k.systemProcess ? `${driver.serviceName} system thread` : `${driver.serviceName} thread in ${process.ImageFileName}`;
  const thread = PspCreateSystemThread(k, label, (t) => IopSystemThreadStartup(k, t, frame, StartRoutine, StartContext), process);
  if (returned) endHooks.set(thread, returned);
  startFrames.set(thread, frame);
  // Each time it takes a CPU: its driver's code is what runs (0xCE if the driver is gone), at the IRQL it left at.
  thread.onResume = () => {
    if (driver.unloaded) {
      // The thread's next instruction is in the unloaded image: the fault there is 0xCE (P1, P3 the address).
      k.bugCheck(DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, frame.address, 0, frame.address, 0,
        `${frame.driver}!${frame.routine}, a System thread of ${frame.driver}, ran again after ${frame.driver} unloaded: ` +
        'a driver must make its threads end (signal them, then wait on their thread objects) before its DriverUnload returns.');
    }
    IopEnterDriverRoutine(k, driver, StartRoutine, 'StartRoutine');
    k.current.cpu.irql = irql;
  };
  thread.onSuspend = () => {
    irql = k.irql;
    k.attribution.pop(frame);
  };
  return thread;
}

/** PspSystemThreadStartup: runs the StartRoutine; its return, or its promise's, ends the thread. */
function IopSystemThreadStartup(k: IoContext, thread: EThread, frame: DriverFrame, StartRoutine: KStartRoutine, StartContext: unknown): void {
  let result: unknown;
  let thenable: PromiseLike<unknown> | undefined;
  try {
    result = StartRoutine(StartContext);
    // Reading a returned value's `then` may run the driver's getter: in its frame, its throw is the thread's.
    if (isThenable(result)) thenable = result;
  } catch (e) {
    IopSystemThreadFailed(k, thread, frame, e);
    return;
  }
  if (!thenable) {
    IopSystemThreadEnded(k, thread, frame, STATUS_SUCCESS);
    return;
  }
  const settled = (e?: unknown): void => {
    if (!isThrownInstance(e, MachineHalted)) k.emulatorFailed(e);
    IopAbandonThread(k, thread, frame);
  };
  try {
    Promise.resolve(thenable).then(() => IopSystemThreadEnded(k, thread, frame, STATUS_SUCCESS), (e: unknown) => IopSystemThreadFailed(k, thread, frame, e))
      .then(undefined, settled);
  } catch (e) {
    settled(e);
  }
}

/** The thread's code threw: PsTerminateSystemThread's ThreadExit ends it; anything else is 0x7E. */
function IopSystemThreadFailed(k: IoContext, thread: EThread, frame: DriverFrame, e: unknown): void {
  if (isThrownInstance(e, ThreadExit)) {
    IopSystemThreadEnded(k, thread, frame, toUint32(readThrown(() => e.exitCode, 0)));
    return;
  }
  try {
    // ntshm's own failure is not the driver's; a rule of ntshm's broken in the thread (a GuestMisuse) has no
    // process to end, so it is the thread's unhandled exception, its message in the explanation.
    if (isThrownInstance(e, EmulatorError)) k.emulatorFailed(e);
    else if (!isThrownInstance(e, MachineHalted) && !k.bugcheck) unhandledDriverException(k, frame, 'system-thread', e);
  } catch (halted) {
    if (!isThrownInstance(halted, MachineHalted)) k.emulatorFailed(halted);
  }
  IopAbandonThread(k, thread, frame);
}

/** The thread ends with `status` (PspTerminateThreadByPointer): its frame goes, then the thread. */
function IopSystemThreadEnded(k: IoContext, thread: EThread, frame: DriverFrame, status: number): void {
  k.attribution.pop(frame);
  thread.onResume = thread.onSuspend = undefined;
  startFrames.delete(thread);
  if (k.bugcheck) {
    IopAbandonThread(k, thread, frame);
    return;
  }
  const returned = endHooks.get(thread);
  endHooks.delete(thread);
  returned?.();
  PspExitSystemThread(k, thread, status);
}

/** The machine stopped under the thread: it never runs again, and gives its CPU up. */
function IopAbandonThread(k: IoContext, thread: EThread, frame: DriverFrame): void {
  k.attribution.pop(frame);
  thread.onResume = thread.onSuspend = undefined;
  thread.terminated = true;
  if (k.scheduler.running === thread) k.scheduler.giveUpCpu();
}
