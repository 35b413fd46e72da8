/**
 * What the loader hands each thread of a program (ntdll's LdrInitializeThunk
 * and RtlUserThreadStart, in effect): its system-call stubs, its TEB, its
 * stack and its view of memory, as a `k32`; and the table of the program's
 * routines that CreateThread starts threads at, each named by an address
 * standing for it in the image.
 */
import { makeK32, type K32 } from '../api/k32.js';
import { makeSystemCallStubs } from '../api/ntdll.js';
import type { ThreadStartRoutine } from '../api/thread-api.js';
import type { ApcRoutine } from '../api/apc-api.js';
import type { ProgramRoutine as NativeRoutine } from '../api/native.js';
import { UserStack } from '../api/user-stack.js';
import { NtException, ProcessExit, ThreadExit } from '../include/errors.js';
import { STATUS_ACCESS_VIOLATION } from '../include/ntstatus.js';
import type { SystemServiceTable } from '../include/system-services.js';
import { COST_PAUSE_NS } from '../kernel/ke/cost.js';
import type { Kernel } from '../kernel/kernel.js';
import type { EProcess } from '../kernel/ps/process.js';
import type { EThread } from '../kernel/ps/thread.js';

/**
 * Where the addresses standing for a program's thread routines begin: its image's code, at the base an
 * .exe loads at (0x400000). No code lives there; the address only names the JS function (docs/fidelity.md).
 */
const PROGRAM_ROUTINES_BASE = 0x0040_1000;

/** A user APC routine as the dispatcher calls it: PAPCFUNC (dwData) or PIO_APC_ROUTINE (ApcContext, IoStatusBlock, Reserved). */
type UserApcRoutine = (k32: K32, a1: number, a2: number, a3: number) => Promise<void> | void;
/** Any routine of the program the kernel names by address. */
type ProgramRoutine = ThreadStartRoutine<K32> | ApcRoutine<K32> | UserApcRoutine | NativeRoutine;

/** Sets up a new process's loader: returns how to make a thread's k32, and starts CreateThread's threads at their routines. */
export function LdrInitializeProcess(k: Kernel, process: EProcess, services: () => SystemServiceTable): (thread: EThread) => K32 {
  // Start routines (CreateThread) and user APC routines (QueueUserAPC, an I/O request's ApcRoutine): one table.
  const routines = new Map<number, ProgramRoutine>();
  const addresses = new Map<ProgramRoutine, number>();
  const registerRoutine = (routine: ProgramRoutine): number => {
    let address = addresses.get(routine);
    if (address === undefined) {
      address = PROGRAM_ROUTINES_BASE + 0x10 * routines.size;
      routines.set(address, routine);
      addresses.set(routine, address);
    }
    return address;
  };
  const k32For = (thread: EThread): K32 => {
    // A thread may no longer enter the kernel once its process, or it, has gone.
    const refuse = (): void => {
      if (process.exited) throw new ProcessExit(process.ExitStatus);
      if (thread.terminated) throw new ThreadExit(thread.ExitStatus);
    };
    const sys = makeSystemCallStubs(k, services(), thread, refuse);
    const k32: K32 = makeK32(sys, {
      arch: k.arch, mem: k.userMemoryOf(thread), teb: thread.Teb, stack: new UserStack(thread.StackBase, thread.StackLimit),
      pause: () => k.charge(COST_PAUSE_NS), registerStartRoutine: registerRoutine, registerApcRoutine: registerRoutine,
      deliverUserApcs: () => KiUserApcDispatcher(thread, k32),
    });
    return k32;
  };
  /**
   * KiUserApcDispatcher: each queued user APC's routine, oldest first, in the thread, given its arguments
   * (NormalContext, SystemArgument1, SystemArgument2). An address that is no routine of the program faults.
   */
  const KiUserApcDispatcher = async (thread: EThread, k32: K32): Promise<void> => {
    let apc;
    while ((apc = thread.userApcQueue.shift()) !== undefined) {
      const routine = routines.get(apc.NormalRoutine) as UserApcRoutine | undefined;
      if (!routine) throw new NtException(STATUS_ACCESS_VIOLATION);
      await routine(k32, apc.NormalContext, apc.SystemArgument1, apc.SystemArgument2);
    }
  };
  process.startUserThread = async (thread, startAddress, parameter) => {
    const routine = routines.get(startAddress) as ThreadStartRoutine<K32> | undefined;
    // A start address that is no routine of the program: the new thread faults on its first instruction.
    if (!routine) throw new NtException(STATUS_ACCESS_VIOLATION);
    return await routine(k32For(thread), parameter);
  };
  return k32For;
}
