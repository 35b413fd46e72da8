/**
 * The user/kernel boundary: one typed table of system calls. Programs reach
 * the kernel only through it (k32 is written on top of it, as kernel32 is on
 * ntdll), so that it can later cross a worker-thread mailbox unchanged.
 *
 * Every call charges its cost, runs with PreviousMode = UserMode, and checks
 * on the way out that the kernel returns at PASSIVE_LEVEL: a driver that
 * left the IRQL raised is bug check 0x4A, as on Windows. A service that
 * returns a promise is also a preemption point (ke/scheduler.ts).
 */
import { EmulatorError, GuestMisuse } from '../include/errors.js';
import { STATUS_INVALID_HANDLE, STATUS_NOT_IMPLEMENTED, STATUS_SUCCESS } from '../include/ntstatus.js';
import { APC_INDEX_MISMATCH, IRQL_GT_ZERO_AT_SYSTEM_SERVICE } from '../include/bugcodes.js';
import { COST_SYSTEM_CALL_NS } from '../kernel/ke/cost.js';
import { IopCreateFile } from '../kernel/io/file.js';
import { NtDeviceIoControlFile } from '../kernel/io/ioctl.js';
import type { Kernel } from '../kernel/kernel.js';
import { UserMode } from '../include/wdm-constants.js';
import { NtCurrentProcess } from '../kernel/ob/handle.js';
import type { EProcess } from '../kernel/ps/process.js';
import type { EThread } from '../kernel/ps/thread.js';

/** The process a handle names, for the *VirtualMemory services (only NtCurrentProcess for now). */
function processFor(k: Kernel, handle: number): EProcess | undefined {
  return handle === NtCurrentProcess ? k.currentProcess : undefined;
}

/** Builds a kernel's system-call table: the Nt* services, as programs reach them through ntdll's stubs. */
export function makeSystemCalls(k: Kernel) {
  return {
    NtCreateFile: (path: string, desiredAccess: number, shareAccess: number, _disposition: number, options: number) =>
      IopCreateFile(k, path, desiredAccess >>> 0, shareAccess, options),
    NtDeviceIoControlFile: (handle: number, code: number, inBuffer: number, inLength: number, outBuffer: number, outLength: number) =>
      NtDeviceIoControlFile(k, handle, code, inBuffer, inLength, outBuffer, outLength),
    NtClose: (handle: number) => k.ob.closeHandle(handle, UserMode, k.currentProcess),
    NtAllocateVirtualMemory: (processHandle: number, baseAddress: number, regionSize: number, allocationType: number, protect: number) => {
      const p = processFor(k, processHandle);
      return p ? k.vm.NtAllocateVirtualMemory(p, baseAddress, regionSize, allocationType, protect) : { status: STATUS_INVALID_HANDLE, baseAddress, regionSize };
    },
    NtFreeVirtualMemory: (processHandle: number, baseAddress: number, regionSize: number, freeType: number) => {
      const p = processFor(k, processHandle);
      return p ? k.vm.NtFreeVirtualMemory(p, baseAddress, regionSize, freeType) : { status: STATUS_INVALID_HANDLE, baseAddress, regionSize };
    },
    NtProtectVirtualMemory: (processHandle: number, baseAddress: number, regionSize: number, newProtect: number) => {
      const p = processFor(k, processHandle);
      return p ? k.vm.NtProtectVirtualMemory(p, baseAddress, regionSize, newProtect) : { status: STATUS_INVALID_HANDLE, baseAddress, regionSize, oldProtect: 0 };
    },
    NtQueryVirtualMemory: (processHandle: number, baseAddress: number) => {
      const p = processFor(k, processHandle);
      return p ? k.vm.NtQueryVirtualMemory(p, baseAddress) : { status: STATUS_INVALID_HANDLE };
    },
    /**
     * NtDelayExecution: a negative interval is relative (100 ns units), a
     * positive one an absolute system time; the most negative LARGE_INTEGER
     * is Sleep(INFINITE) and never ends.
     */
    NtDelayExecution: (delayInterval100ns: bigint): Promise<number> => {
      const d = BigInt.asIntN(64, delayInterval100ns);
      const wakeNs = d === -(2n ** 63n) ? Infinity
        : d <= 0n ? k.clock.nowNs + Number(-d) * 100
        : Number(d - k.options.bootSystemTime) * 100;
      return k.scheduler.delay(k.currentThread, wakeNs).then(() => STATUS_SUCCESS);
    },
    NtTerminateProcess: (processHandle: number, exitStatus: number) => {
      const p = processFor(k, processHandle);
      if (!p) return STATUS_INVALID_HANDLE;
      k.ps.PspExitProcess(p, exitStatus >>> 0);
      return STATUS_SUCCESS;
    },
    NtMapViewOfSection: () => STATUS_NOT_IMPLEMENTED,
    NtUnmapViewOfSection: () => STATUS_NOT_IMPLEMENTED,
    NtCreateSection: () => STATUS_NOT_IMPLEMENTED,
    NtOpenSection: () => STATUS_NOT_IMPLEMENTED,
  };
}

// [quantum] The services that return a promise: where JS can suspend a thread, so where its quantum can end.
const PREEMPTIBLE_SERVICES: ReadonlySet<string> = new Set<SystemCallName>(['NtDelayExecution']);

/** The typed table of system calls, from which each thread's stubs are made. */
export type SystemCallTable = ReturnType<typeof makeSystemCalls>;
/** The name of a system call (NtCreateFile, NtDeviceIoControlFile, ...). */
export type SystemCallName = keyof SystemCallTable;

/**
 * The system-call stubs of one thread (ntdll's Nt* entry points): each
 * enters the kernel with the call's cost, checks that the thread is the one
 * scheduled, and on the way out that the kernel returns at PASSIVE_LEVEL —
 * a driver that left the IRQL raised is bug check 0x4A. Fixed-arity
 * wrappers, so that a call allocates nothing.
 */
export function makeSystemCallStubs(k: Kernel, table: SystemCallTable, thread: EThread, refuse: () => void): SystemCallTable {
  const stubs: Record<string, unknown> = {};
  // Where each service would sit in ntoskrnl's image: the address bug checks name for it.
  const ntBase = k.arch === 'x64' ? 0xf800_0260_0000 : 0x804d_7000;
  let index = 0;
  for (const name of Object.keys(table) as SystemCallName[]) {
    const address = ntBase + 0x1000 + 0x40 * index++;
    const fn = table[name] as (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown) => unknown;
    const preemptible = PREEMPTIBLE_SERVICES.has(name); // [quantum]
    stubs[name] = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown): unknown => {
      refuse();
      thread.lastSystemCallNs = k.clock.nowNs; // [quantum] the memory-spin bound counts from here
      k.charge(COST_SYSTEM_CALL_NS);
      if (k.currentThread !== thread) {
        throw new GuestMisuse(`${thread.label} made a system call while not scheduled (it awaited something other than a kernel call)`);
      }
      // [quantum] Quantum end: an async service first lets the others run, then enters the kernel again when the thread's turn comes.
      const turn = preemptible ? k.scheduler.preemptionPoint(thread) : undefined;
      if (turn) return turn.then(() => (stubs[name] as typeof fn)(a, b, c, d, e, f));
      let result: unknown;
      try {
        result = fn(a, b, c, d, e, f);
      } catch (error) {
        // A broken invariant of the emulator is the machine's failure, whatever the program does with it.
        if (error instanceof EmulatorError) k.emulatorFailed(error);
        throw error;
      }
      // On the way back to user mode: https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x4a--irql-gt-zero-at-system-service
      if (k.irql !== 0) {
        k.bugCheck(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, address, k.irql, 0, 0, `${name} returned to user mode at IRQL ${k.irql}: a driver raised the IRQL and did not lower it.`);
      }
      // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x1--apc-index-mismatch
      if (thread.attachStack.length > 0) {
        k.bugCheck(APC_INDEX_MISMATCH, address, 1, 0, 0, `${name} returned to user mode while the thread was still attached to ${thread.apcProcess.ImageFileName} (KeStackAttachProcess without KeUnstackDetachProcess).`);
      }
      return result;
    };
  }
  return stubs as SystemCallTable;
}
