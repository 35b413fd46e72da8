/**
 * The system-call entry and exit (KiSystemService): what happens between a
 * program's `syscall` instruction and the service, and on the way back to
 * user mode. Entry refuses a thread that is not the one scheduled (it
 * awaited something other than a kernel call), lets a ready thread run if
 * this one's quantum is used up (at a preemption point), charges the call's
 * cost, and notes the time of the call (the memory-spin bound); exit
 * checks that the kernel returns at PASSIVE_LEVEL (else bug check 0x4A) and
 * not attached to another process (else 0x01), as Windows does.
 */
import { APC_INDEX_MISMATCH, IRQL_GT_ZERO_AT_SYSTEM_SERVICE } from '../../include/bugcodes.js';
import { EmulatorError, GuestMisuse } from '../../include/errors.js';
import { isThrownInstance } from '../../include/thrown.js';
import type { KeContext } from './context.js';
import { COST_SYSTEM_CALL_NS, THREAD_QUANTUM_NS } from './cost.js';
import { ntImageBase } from './nt-image.js';
import type { KThread } from './thread.js';
import { KiDeliverApcs } from './apc.js';

/** Where service `index` sits in ntoskrnl's image: the address bug checks name for it. */
export function KiServiceAddress(arch: 'x64' | 'x86', index: number): number {
  return ntImageBase(arch) + 0x1000 + 0x40 * index;
}

/** A system service as the entry calls it: numbers in, an NTSTATUS (or a promise of one) out. */
// `any[]` is the constraint only: each stub keeps its own service's exact parameter list.
export type ServiceRoutine = (...args: any[]) => number | Promise<number>;

/**
 * Wraps a service in the entry and exit of one thread's system calls: the
 * stub ntdll's `syscall` instruction stands for. `refuse` throws when the
 * thread may no longer enter (its process has exited).
 *
 * A stub that is a `preemptionPoint` (a service that may block, or a
 * preemptible one) is where the thread's quantum can end: JS can suspend the
 * thread only where it awaits. Until the quantum is used up the stub calls
 * the service at once and returns what it returns (a preemptible service's
 * status is a plain number then: no promise, no allocation); after that,
 * with another thread ready, the stub returns a promise that enters the
 * service when the thread runs again. `toNumbers`, if given, makes each
 * argument the number a register holds (api/ntdll.ts) before anything else.
 */
export function KiSystemServiceStub<F extends ServiceRoutine>(k: KeContext, thread: KThread, name: string, index: number,
  service: F, refuse: () => void, preemptionPoint = false, toNumbers?: (args: unknown[]) => void): F {
  const address = KiServiceAddress(k.arch, index);
  // `arguments`, not a rest parameter, and `apply`, not a spread: read only by index and passed on whole,
  // they cost optimized code no array (measured: some 15 ns a call). A copy is made only on the rare paths.
  const stub: (...args: unknown[]) => number | Promise<number> = function () {
    // The user-mode half (ntdll's): the arguments put in registers, before the `syscall` instruction.
    if (toNumbers !== undefined) {
      for (let i = 0; i < arguments.length; i++) {
        if (typeof arguments[i] !== 'number') {
          const args = copyArguments(arguments);
          toNumbers(args);
          return stub.apply(undefined, args);
        }
      }
    }
    refuse();
    if (k.currentThread !== thread) {
      throw new GuestMisuse(`${thread.label} made a system call while not scheduled (it awaited something other than a kernel call)`);
    }
    // Quantum end, tested inline so that the common call pays one comparison: the thread yields before it
    // enters, and enters (and is charged) when it runs again, with a new quantum. A paced run (a front end
    // that may pause) asks at every such call, so a pause can fall right after the previous one returned.
    if (preemptionPoint && (k.clock.nowNs - thread.quantumStartNs >= THREAD_QUANTUM_NS || k.scheduler.pauseRequested !== undefined)) {
      const turn = k.scheduler.preemptionPoint(thread);
      if (turn) {
        const args = copyArguments(arguments);
        return turn.then(() => stub.apply(undefined, args));
      }
    }
    k.charge(COST_SYSTEM_CALL_NS);
    thread.lastSystemCallNs = k.clock.nowNs;
    let result: number | Promise<number>;
    try {
      result = service.apply(undefined, arguments as unknown as Parameters<F>);
    } catch (error) {
      // A broken invariant of the emulator is the machine's failure, whatever the program does with it.
      if (isThrownInstance(error, EmulatorError)) k.emulatorFailed(error);
      throw error;
    }
    KiSystemServiceExit(k, thread, name, address);
    // Kernel APCs queued while the thread was in the kernel (a request of its own completed): on the way out.
    if (thread.apcQueue.length > 0 && k.currentThread === thread && !k.bugcheck) KiDeliverApcs(k, thread);
    return result;
  };
  // The stub has the service's own parameter list and result: the same type F, by construction.
  return stub as unknown as F;
}

/** The arguments of a call as an array, read by index (which keeps `arguments` itself unmaterialized in the caller's fast path). */
function copyArguments(args: IArguments): unknown[] {
  const copy = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) copy[i] = args[i];
  return copy;
}

/** The checks on the way back to user mode. */
export function KiSystemServiceExit(k: KeContext, thread: KThread, name: string, address: number): void {
  // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x4a--irql-gt-zero-at-system-service
  if (k.irql !== 0) {
    k.bugCheck(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, address, k.irql, 0, 0,
      `${name} returned to user mode at IRQL ${k.irql}: a driver raised the IRQL and did not lower it${k.attribution.irqlChangeText()}.`);
  }
  // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x1--apc-index-mismatch
  if (thread.attachStack.length > 0) {
    k.bugCheck(APC_INDEX_MISMATCH, address, 1, 0, 0, `${name} returned to user mode while the thread was still attached to ${thread.apcProcess.ImageFileName} (KeStackAttachProcess without KeUnstackDetachProcess).`);
  }
}
