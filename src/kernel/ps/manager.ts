/**
 * Processes and threads: the System and Idle processes, user processes,
 * attachment, and process exit.
 *
 * Exit follows Windows' order: the handle table is closed first (each file's
 * last handle sends IRP_MJ_CLEANUP, then IRP_MJ_CLOSE when its last
 * reference goes, in the exiting process's context), then pages still locked
 * by a driver stop the machine (0x76), then the address space is torn down.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x76--process-has-locked-pages
 */
import { DRIVER_VERIFIER_TRACK_POOL_ALLOCATIONS, verifierChecks } from '../../include/verifier-flags.js';
import {
  DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, INVALID_PROCESS_ATTACH_ATTEMPT, INVALID_PROCESS_DETACH_ATTEMPT, KERNEL_APC_PENDING_DURING_EXIT, PROCESS_HAS_LOCKED_PAGES,
  WORKER_THREAD_RETURNED_AT_BAD_IRQL,
} from '../../include/bugcodes.js';
import { PASSIVE_LEVEL } from '../../include/wdm-constants.js';
import { KiRoutineAddress, type NtRoutine } from '../ke/nt-image.js';
import { GuestMisuse, MachineHalted, NtException, ProcessExit, ThreadExit } from '../../include/errors.js';
import { STATUS_NO_MEMORY, STATUS_STACK_OVERFLOW, ntStatusText } from '../../include/ntstatus.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import { describeThrown, isThrownInstance, readThrown, toUint32 } from '../../include/thrown.js';
import { isHostStackOverflow } from '../../include/host-stack-overflow.js';
import type { PsContext } from './context.js';
import { EProcess, ProcessType } from './process.js';
import { EThread } from './thread.js';
import { PspCreateUserEnvironment, type UserEnvironment } from './environment.js';
import { PspExitThread, PspInitializeDispatcherHeader, PspIsLastThread } from './user-thread.js';

/** An object the creation needs; no pool for it is STATUS_INSUFFICIENT_RESOURCES, raised. */
function createOrRaise<T>(create: () => T): T {
  try {
    return create();
  } catch (e) {
    if (isThrownInstance(e, ObjectAllocationFailed)) throw new NtException(e.status);
    throw e;
  }
}

/** The exception code of an MSVC C++ `throw` (0xE0 'msc'), which an unhandled one ends its process with. */
const CPP_EXCEPTION_CODE = 0xe06d_7363;

/** The process manager (Ps): the System and Idle processes, process creation, KeStackAttachProcess, and process exit. */
export class ProcessManager {
  readonly systemProcess: EProcess;
  readonly idleProcess: EProcess;
  /** Every process that has not been deleted, System and Idle first. */
  readonly processes: EProcess[] = [];
  /** A System thread for work that must run in the System process (DriverEntry, unload). */
  readonly systemWorker: EThread;
  /** Told of every process that exits, after its handles are closed (PsSetCreateProcessNotifyRoutine's exit half). */
  readonly exitNotifyRoutines: ((process: EProcess) => void)[] = [];
  /**
   * Run as threads end, before anything of them goes (PspExitThread's
   * IoCancelThreadIo): `exiting` ends, with `threads` (itself, or every
   * thread of its process). A promise means the exit waits for it.
   */
  readonly threadRundownRoutines: ((exiting: EThread, threads: readonly EThread[]) => Promise<void> | undefined)[] = [];
  private nextCid = 0x100;

  constructor(private readonly k: PsContext) {
    // ProcessType's delete procedure: the last reference takes the page directory with it.
    k.ob.registerType<EProcess>(ProcessType, {
      delete: (process) => {
        if (process.exited) k.vm.MmDeleteProcessAddressSpace(process);
        // PspDeleteProcess drops the primary token with the process.
        if (process.Token) k.ob.ObDereferenceObject(process.Token);
        process.Token = undefined;
      },
    });
    this.systemProcess = k.ob.ObCreateObject(new EProcess(4, 'System', k.systemRoot, true));
    // The Idle process runs in the System address space (same root, same VADs).
    this.idleProcess = k.ob.ObCreateObject(new EProcess(0, 'Idle', k.systemRoot, true, this.systemProcess.VadRoot));
    this.processes.push(this.systemProcess, this.idleProcess);
    k.sharedUserData.mapInto(this.systemProcess);
    for (const prcb of k.prcbs) {
      const idle = k.ob.ObCreateObject(new EThread(this.idleProcess, 0, true, `Idle/${prcb.number}`));
      prcb.idleThread = idle;
      prcb.currentThread = idle;
    }
    this.systemWorker = k.ob.ObCreateObject(new EThread(this.systemProcess, this.newCid(), true, 'System worker'));
  }

  /** The next client ID (process and thread IDs share one numbering, multiples of 4). */
  newCid(): number {
    const cid = this.nextCid;
    this.nextCid += 4;
    return cid;
  }

  processByRoot(root: number): EProcess | undefined {
    return this.processes.find((p) => p.DirectoryTableBase === root && p !== this.idleProcess);
  }

  /**
   * Creates a user process with one thread, its PEB, TEB, stack and process
   * parameters (ps/environment.ts); `inheritHandles` gives it its standard
   * handle (the console). The thread runs `body` when first scheduled.
   */
  createProcess(name: string, inheritHandles: (process: EProcess) => number,
    body: (thread: EThread, environment: UserEnvironment) => Promise<number>): EProcess {
    const k = this.k;
    const pid = this.newCid();
    const process = createOrRaise(() => k.ob.ObCreateObject(new EProcess(pid, name, 0, false)));
    let thread: EThread | undefined;
    let environment: UserEnvironment;
    try {
      const root = k.pageTables.createProcessRoot(k.systemRoot, process.pageTableFrames);
      if (root < 0) throw new NtException(STATUS_NO_MEMORY);
      process.DirectoryTableBase = root;
      this.processes.push(process);
      if (!k.sharedUserData.mapInto(process)) throw new NtException(STATUS_NO_MEMORY);
      thread = createOrRaise(() => k.ob.ObCreateObject(new EThread(process, this.newCid(), false, `${name} main thread`)));
      process.threads.push(thread);
      // The thread's own reference on its process (as a KTHREAD holds one on Windows).
      k.ob.ObReferenceObject(process);
      // On a stopped machine nothing runs again: the process never starts (a wait on it answers STILL_ACTIVE).
      if (k.bugcheck) {
        process.resolveExit(process.ExitStatus);
        return process;
      }
      PspInitializeDispatcherHeader(k, process);
      PspInitializeDispatcherHeader(k, thread);
      environment = PspCreateUserEnvironment(k, process, thread, inheritHandles(process));
    } catch (e) {
      // A machine with no pool or frames left for a new process: the creation fails, as
      // NtCreateUserProcess would, and nothing of the process is left behind.
      if (!isThrownInstance(e, NtException)) throw e;
      this.PspDeleteUnstartedProcess(process, thread);
      throw e;
    }
    thread.Teb = environment.teb;
    thread.continuation = () => {
      let result: Promise<unknown>;
      try {
        result = Promise.resolve(body(thread, environment));
      } catch (e) {
        result = Promise.reject(e);
      }
      result.then(
        (code) => this.threadReturned(thread, typeof code === 'number' ? code >>> 0 : this.exitCodeFor(new TypeError(`main returned ${typeof code}, not an exit code`), process), true),
        (e: unknown) => this.threadFailed(thread, e),
      ).catch((e: unknown) => {
        // Only ntshm's own code runs here (exitCodeFor cannot throw): the thread still gives up its CPU.
        k.emulatorFailed(e);
        thread.terminated = true;
        if (k.scheduler.running === thread) k.scheduler.giveUpCpu();
      });
    };
    k.scheduler.readyThread(thread);
    return process;
  }

  /**
   * Undoes a creation that failed part way: the handles it inherited, its
   * address space and page directory, its thread and the process object
   * go, in the order process exit takes them.
   */
  private PspDeleteUnstartedProcess(process: EProcess, thread: EThread | undefined): void {
    const k = this.k;
    process.terminating = true;
    k.ob.closeAllHandles(process);
    if (process.DirectoryTableBase !== 0) k.vm.MmCleanProcessAddressSpace(process);
    process.exited = true;
    const listed = this.processes.indexOf(process);
    if (listed >= 0) this.processes.splice(listed, 1);
    if (thread) {
      thread.terminated = true;
      k.ob.ObDereferenceObject(thread);
      if (process.threads.includes(thread)) k.ob.ObDereferenceObject(process); // the thread's reference
    }
    k.ob.ObDereferenceObject(process); // the creator's
  }

  /**
   * What an exception that ends a program makes its exit code. Whatever the
   * program threw (null, a Symbol, a Proxy whose traps throw), this never
   * throws: the value is only looked at through include/thrown.ts.
   */
  private exitCodeFor(e: unknown, process: EProcess): number {
    if (this.k.bugcheck) return 0xc000_0001;
    // ExitProcess has run (the program caught its ProcessExit, or went on after it): nothing the
    // program does now is seen, not even its end. The exit code is the one ExitProcess set.
    if (process.exited) return process.ExitStatus;
    // ExitProcess's UINT, recognised by class (an Error merely named ProcessExit is an exception).
    if (isThrownInstance(e, ProcessExit)) return toUint32(readThrown(() => e.exitCode, 0));
    // Any other thrown value is what an MSVC C++ `throw` raises: 0xE06D7363 ('msc'), whatever was thrown;
    // the host's stack running out is the thread's stack overflow.
    const misuse = isThrownInstance(e, GuestMisuse);
    const code = isThrownInstance(e, NtException) ? toUint32(readThrown(() => e.status, CPP_EXCEPTION_CODE))
      : misuse ? toUint32(readThrown(() => e.exitStatus ?? CPP_EXCEPTION_CODE, CPP_EXCEPTION_CODE))
        : isHostStackOverflow(e) ? STATUS_STACK_OVERFLOW : CPP_EXCEPTION_CODE;
    // A broken rule of ntshm's execution model is not the program's exception: the line says why it ended.
    const how = misuse ? `ended: ${String(readThrown(() => String(e.message), 'a rule of the execution model was broken'))}`
      : `ended by an unhandled exception, ${describeThrown(e)}`;
    const line = `[${process.ImageFileName} ${how}; exit code ${ntStatusText(code)}]`;
    process.stdout += `${line}\n`;
    this.k.emit('stdout', process.ImageFileName, line);
    // A program that crashed is worth a finding: its run "completes", but not as its author meant.
    const where = guestFrame(e);
    this.k.report({
      kind: misuse ? 'execution-limit' : 'unhandled-exception',
      message: `${process.ImageFileName} ${how}${where ? ` (${where})` : ''}; exit code ${ntStatusText(code)}`,
      details: { process: process.ImageFileName, pid: process.UniqueProcessId, exitCode: code, where: where ?? null },
    });
    return code;
  }

  /**
   * A thread's start routine returned `code`, or it called ExitThread: the thread ends
   * (user-thread.ts). The main thread's return (mainCRTStartup's exit) or the last live
   * thread's end ends the process with that code.
   */
  threadReturned(thread: EThread, code: number, wholeProcess: boolean): void {
    if (thread.exiting) return;
    let rundown: Promise<void> | undefined;
    try {
      if (!this.k.bugcheck && !thread.process.exited && !thread.terminated) rundown = this.PspRundownThreads(thread, wholeProcess);
    } catch (e) {
      if (!isThrownInstance(e, MachineHalted)) this.k.emulatorFailed(e);
    }
    if (!rundown) {
      this.PspThreadEnded(thread, code, wholeProcess);
      return;
    }
    // The exit waits (its I/O cancelled and not yet finished): the thread holds no CPU meanwhile.
    thread.exiting = true;
    rundown.then(() => this.PspThreadEnded(thread, code, wholeProcess), (e: unknown) => {
      if (!isThrownInstance(e, MachineHalted)) this.k.emulatorFailed(e);
      thread.terminated = true;
    });
  }

  /**
   * The first part of an exit: a process's other threads stop for good (their
   * waits end, they never run again, their mutants are abandoned), then the
   * thread-rundown routines run (the I/O manager cancels the threads' I/O).
   */
  private PspRundownThreads(thread: EThread, wholeProcess: boolean): Promise<void> | undefined {
    const whole = wholeProcess || PspIsLastThread(thread);
    const threads = whole ? thread.process.threads.filter((t) => !t.terminated) : [thread];
    for (const t of threads) {
      if (t === thread) continue;
      t.exiting = true;
      this.k.waits.KeRundownThread(t);
      this.k.scheduler.forget(t);
    }
    const waits = this.threadRundownRoutines.map((r) => r(thread, threads)).filter((w): w is Promise<void> => w !== undefined);
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
  }

  /** The last part of an exit: the thread, or its whole process, ends (user-thread.ts, PspExitProcess). */
  private PspThreadEnded(thread: EThread, code: number, wholeProcess: boolean): void {
    try {
      if (!this.k.bugcheck && !thread.process.exited && !thread.terminated) {
        const process = thread.process;
        if (wholeProcess || PspIsLastThread(thread)) this.runAsThread(thread, () => this.PspExitProcess(process, code));
        else this.runAsThread(thread, () => PspExitThread(this.k, thread, code));
      }
    } catch (e) {
      if (!isThrownInstance(e, MachineHalted)) this.k.emulatorFailed(e);
    } finally {
      thread.terminated = true;
      // Only the thread that holds the CPU gives it up (one that ended outside its turn holds none).
      if (this.k.scheduler.running === thread) this.k.scheduler.giveUpCpu();
    }
  }

  /** A thread's code threw: ExitThread's ThreadExit ends the thread alone; anything else nobody caught ends the process. */
  threadFailed(thread: EThread, e: unknown): void {
    if (isThrownInstance(e, ThreadExit) && !thread.process.exited) {
      this.threadReturned(thread, toUint32(readThrown(() => e.exitCode, 0)), false);
      return;
    }
    this.threadReturned(thread, this.exitCodeFor(e, thread.process), true);
  }

  /** Ends a process from one of its own threads (ExitProcess / NtTerminateProcess on itself). */
  PspExitProcess(process: EProcess, status: number): void {
    const k = this.k;
    if (process.exited) return;
    process.terminating = true;
    // ExitProcess's UINT: whatever the caller passed, the status is a 32-bit number.
    process.ExitStatus = toUint32(status);
    // KeRundownThread: each thread's mutants are abandoned (a waiter gets STATUS_ABANDONED_WAIT_0), its wait ends.
    for (const t of process.threads) k.waits.KeRundownThread(t);
    k.ob.closeAllHandles(process);
    for (const notify of this.exitNotifyRoutines) notify(process);
    // Closing the handles ran drivers' IRP_MJ_CLEANUP and IRP_MJ_CLOSE in this thread: one that
    // left the IRQL raised is found by PspExitThread's check after ObKillProcess, which reports
    // the current IRQL as P3 (WRK ps/psdelete.c; docs/fidelity.md says why ntshm needs no pending APC).
    // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x20--kernel-apc-pending-during-exit
    if (k.irql !== PASSIVE_LEVEL) {
      k.bugCheck(KERNEL_APC_PENDING_DURING_EXIT, 0, 0, k.irql, 0,
        `${process.ImageFileName} (pid ${process.UniqueProcessId}) was exiting at IRQL ${k.irql} once its handles were closed: a driver left the IRQL raised${k.attribution.irqlChangeText()}.`);
    }
    if (process.NumberOfLockedPages > 0) {
      const mdls = k.mdl.lockedIn(process);
      const first = mdls[0];
      if (verifierChecks(k.options, DRIVER_VERIFIER_TRACK_POOL_ALLOCATIONS) && first) {
        // Pool tracking tracks locked pages: the MDL is named (0xCB). ntshm keeps no LOCK_TRACKER, so P1 is 0.
        // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xcb--driver-left-locked-pages-in-process
        k.bugCheck(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, 0, 0, first.address, first.PfnArray.length,
          `${process.ImageFileName} (pid ${process.UniqueProcessId}) exited while MDL ${k.formatAddress(first.address)}` +
          `${first.owner ? ` from ${first.owner}` : ''} still held ${first.PfnArray.length} of its page(s) locked (MmProbeAndLockPages without MmUnlockPages); ` +
          'unlock them in IRP_MJ_CLEANUP at the latest.');
      }
      k.bugCheck(PROCESS_HAS_LOCKED_PAGES, 0, process.address, process.NumberOfLockedPages, 0,
        `${process.ImageFileName} (pid ${process.UniqueProcessId}) exited while ${process.NumberOfLockedPages} of its page(s) were still locked by MmProbeAndLockPages` +
        `${mdls.length ? ` (MDL ${mdls.map((m) => k.formatAddress(m.address)).join(', ')}${mdls[0]?.owner ? ` from ${mdls[0].owner}` : ''})` : ''}; a driver must unlock them (MmUnlockPages) before the process goes, in IRP_MJ_CLEANUP at the latest.`);
    }
    // Leave the dying address space before its tables are freed.
    const prcb = k.current;
    if (prcb.currentThread.process === process) prcb.currentThread.apcProcess = this.systemProcess;
    k.switchTo(prcb);
    k.vm.MmCleanProcessAddressSpace(process);
    process.exited = true;
    for (const t of process.threads) {
      if (!t.terminated) t.ExitStatus = process.ExitStatus;
      t.terminated = true;
      k.scheduler.forget(t);
      k.releaseUserMemory(t);
      k.waits.KeSignalObject(t.address);
    }
    k.waits.KeSignalObject(process.address);
    this.processes.splice(this.processes.indexOf(process), 1);
    for (const t of process.threads) k.ob.ObDereferenceObject(t);
    for (let i = 0; i < process.threads.length; i++) k.ob.ObDereferenceObject(process); // each thread's reference
    k.ob.ObDereferenceObject(process); // the creator's
    process.resolveExit(process.ExitStatus);
  }

  /**
   * KeStackAttachProcess: the current thread moves into another address space.
   * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-kestackattachprocess
   */
  KeStackAttachProcess(process: EProcess): { process: EProcess } {
    const thread = this.k.currentThread;
    // A DPC runs in no thread of its own: it may not attach. https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x5--invalid-process-attach-attempt
    if (this.k.current.dpcRoutineActive) {
      this.k.bugCheck(INVALID_PROCESS_ATTACH_ATTEMPT, process.address, thread.apcProcess.address, thread.attachStack.length, 1,
        'KeStackAttachProcess was called from a DPC (a timer or DPC routine), where there is no thread to attach.');
    }
    const apcState = { process: thread.apcProcess };
    thread.attachStack.push(thread.apcProcess);
    // Attached, the thread holds the process (its page directory is this CPU's CR3).
    this.k.ob.ObReferenceObject(process);
    thread.apcProcess = process;
    this.k.switchTo(this.k.current);
    return apcState;
  }

  /** KeUnstackDetachProcess: back to where the matching attach came from. */
  KeUnstackDetachProcess(apcState: { process: EProcess }): void {
    const thread = this.k.currentThread;
    const previous = thread.attachStack.pop();
    if (!previous || previous !== apcState.process) {
      this.k.bugCheck(INVALID_PROCESS_DETACH_ATTEMPT, 0, 0, 0, 0, 'KeUnstackDetachProcess was called without a matching KeStackAttachProcess.');
    }
    const leaving = thread.apcProcess;
    thread.apcProcess = previous;
    this.k.switchTo(this.k.current);
    this.k.ob.ObDereferenceObject(leaving);
  }

  /**
   * Runs `body` in a System thread (the I/O manager's worker), then returns
   * to the thread that asked: how DriverEntry and DriverUnload get the System
   * process context whatever process called StartService. `body` is a work
   * item of `workerRoutine`; when it is done, ExpWorkerThread's check: a work
   * item that returns above PASSIVE_LEVEL is bug check 0xE1, P1 the worker
   * routine, P2 the IRQL (WRK ex/worker.c; P3 and P4, the work item's
   * parameter and address, are 0: ntshm keeps no work item in memory).
   * Work the worker itself asks for (a nested load) runs on its own thread,
   * unchecked until the outer item ends, as IopLoadUnloadDriver is called
   * directly from the System process.
   * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xe1--worker-thread-returned-at-bad-irql
   */
  runInSystemThread<T>(body: () => T, workerRoutine: NtRoutine): T {
    const k = this.k;
    if (k.currentThread === this.systemWorker && k.irql === PASSIVE_LEVEL) return body();
    return this.runAsThread(this.systemWorker, () => {
      const result = body();
      if (k.irql !== PASSIVE_LEVEL) {
        k.bugCheck(WORKER_THREAD_RETURNED_AT_BAD_IRQL, KiRoutineAddress(k.arch, workerRoutine), k.irql, 0, 0,
          `A System worker thread's work item (${workerRoutine}) returned at IRQL ${k.irql}; a work item must end at PASSIVE_LEVEL${k.attribution.irqlChangeText()}.`);
      }
      return result;
    });
  }

  /**
   * Runs `body` with `thread` current on this CPU at PASSIVE_LEVEL, then
   * returns to what ran before: a System worker's work item, or a thread's
   * own exit when its last code ran outside its turn.
   */
  runAsThread<T>(thread: EThread, body: () => T): T {
    const prcb = this.k.current;
    const previous = prcb.currentThread;
    const previousIrql = prcb.cpu.irql;
    if (previous === thread && previousIrql === 0) return body();
    prcb.currentThread = thread;
    prcb.cpu.irql = 0;
    this.k.switchTo(prcb);
    try {
      return body();
    } finally {
      prcb.currentThread = previous;
      prcb.cpu.irql = previousIrql;
      this.k.switchTo(prcb);
    }
  }
}

/** Frames of ntshm itself (and of the loaders it runs under) in a stack: what is left is the guest's. */
const HOST_FRAME = /[\\/]src[\\/](?:kernel|api|hw|include|cli)[\\/]|[\\/]src[\\/](?:machine|scenario|report|testing)\.[jt]s|node:internal|[\\/]node_modules[\\/](?:tsx|vitest|@vitest)[\\/]/;

/** `at file:line:column` of the guest code that threw, from an Error's stack; undefined when there is none. */
function guestFrame(e: unknown): string | undefined {
  if (!isThrownInstance(e, Error)) return undefined;
  const stack = readThrown(() => e.stack, undefined);
  if (typeof stack !== 'string') return undefined;
  const frame = stack.split('\n').find((line) => /^\s+at /.test(line) && !HOST_FRAME.test(line));
  return frame?.trim();
}
