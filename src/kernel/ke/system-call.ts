/**
 * The system-call entry and exit (KiSystemService): what happens between a
 * program's `syscall` instruction and the service, and on the way back to
 * user mode. Entry charges the call's cost, refuses a thread that is not the
 * one scheduled (it awaited something other than a kernel call), and notes
 * the time of the call (the memory-spin bound); exit checks that the kernel
 * returns at PASSIVE_LEVEL (else bug check 0x4A) and not attached to
 * another process (else 0x01), as Windows does.
 */
import { APC_INDEX_MISMATCH, IRQL_GT_ZERO_AT_SYSTEM_SERVICE } from '../../include/bugcodes.js';
import { EmulatorError, GuestMisuse } from '../../include/errors.js';
import type { KeContext } from './context.js';
import { COST_SYSTEM_CALL_NS } from './cost.js';
import type { KThread } from './thread.js';

/** Where ntoskrnl's image starts (fffff800`02600000 on x64, 804d7000 on x86): the base of the addresses bug checks name in it. */
export function KiNtosBase(arch: 'x64' | 'x86'): number {
  return arch === 'x64' ? 0xf800_0260_0000 : 0x804d_7000;
}

/** Where service `index` sits in ntoskrnl's image: the address bug checks name for it. */
export function KiServiceAddress(arch: 'x64' | 'x86', index: number): number {
  return KiNtosBase(arch) + 0x1000 + 0x40 * index;
}

/** A system service as the entry calls it: numbers in, an NTSTATUS (or a promise of one) out. */
// `any[]` is the constraint only: each stub keeps its own service's exact parameter list.
export type ServiceRoutine = (...args: any[]) => number | Promise<number>;

/**
 * Wraps a service in the entry and exit of one thread's system calls: the
 * stub ntdll's `syscall` instruction stands for. `refuse` throws when the
 * thread may no longer enter (its process has exited).
 */
export function KiSystemServiceStub<F extends ServiceRoutine>(k: KeContext, thread: KThread, name: string, index: number,
  service: F, refuse: () => void, blocking = false): F {
  const address = KiServiceAddress(k.arch, index);
  const stub = (...args: Parameters<F>): ReturnType<F> => {
    refuse();
    k.charge(COST_SYSTEM_CALL_NS);
    if (k.currentThread !== thread) {
      throw new GuestMisuse(`${thread.label} made a system call while not scheduled (it awaited something other than a kernel call)`);
    }
    thread.lastSystemCallNs = k.clock.nowNs;
    // A service that may block is where JS can suspend the thread, so where its quantum can end.
    if (blocking) {
      const turn = k.scheduler.preemptionPoint(thread);
      if (turn) return turn.then(() => stub(...args)) as ReturnType<F>;
    }
    let result: ReturnType<F>;
    try {
      result = service(...args) as ReturnType<F>;
    } catch (error) {
      // A broken invariant of the emulator is the machine's failure, whatever the program does with it.
      if (error instanceof EmulatorError) k.emulatorFailed(error);
      throw error;
    }
    KiSystemServiceExit(k, thread, name, address);
    return result;
  };
  // The stub has the service's own parameter list and result: the same type F, by construction.
  return stub as unknown as F;
}

/** The checks on the way back to user mode. */
export function KiSystemServiceExit(k: KeContext, thread: KThread, name: string, address: number): void {
  // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x4a--irql-gt-zero-at-system-service
  if (k.irql !== 0) {
    k.bugCheck(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, address, k.irql, 0, 0, `${name} returned to user mode at IRQL ${k.irql}: a driver raised the IRQL and did not lower it.`);
  }
  // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x1--apc-index-mismatch
  if (thread.attachStack.length > 0) {
    k.bugCheck(APC_INDEX_MISMATCH, address, 1, 0, 0, `${name} returned to user mode while the thread was still attached to ${thread.apcProcess.ImageFileName} (KeStackAttachProcess without KeUnstackDetachProcess).`);
  }
}
