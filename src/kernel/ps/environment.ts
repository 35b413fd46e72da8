/**
 * A new process's user-mode environment, as PspCreateProcess and
 * MmCreatePeb/MmCreateTeb leave it: the PEB, the main thread's TEB and
 * stack, and the process parameters (standard handles, current directory),
 * all in the process's own memory, written while attached to it.
 *
 *   7ffe0000  KUSER_SHARED_DATA (read-only, every process)
 *   7ffdf000  PEB
 *   7ffdc000  TEB of the main thread (two pages: the x64 TEB is 0x1838 bytes)
 *   7ffd0000  RTL_USER_PROCESS_PARAMETERS (one page, with its strings)
 *   7fed0000  the main thread's stack, 1 MB reserved and committed, growing down from 7ffd0000
 *
 * Fixed addresses, the same on x64 and x86, so that a run is reproducible
 * (Windows places the PEB and TEB at random since Vista; docs/fidelity.md).
 */
import { writeClientId, writePointer, writeUnicodeString } from '../../include/struct-access.js';
import { CURDIR, PEB, RTL_USER_PROCESS_PARAMETERS, TEB } from '../../include/structures.js';
import { EmulatorError, NtException } from '../../include/errors.js';
import { STATUS_COMMITMENT_LIMIT, STATUS_INSUFFICIENT_RESOURCES, STATUS_NO_MEMORY, ntStatusText } from '../../include/ntstatus.js';
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE } from '../../include/memory-constants.js';
import type { PsContext } from './context.js';
import type { EProcess } from './process.js';
import type { EThread } from './thread.js';

export const ENVIRONMENT_BASE = 0x7ffd_0000;
export const PROCESS_PARAMETERS = 0x7ffd_0000;
export const TEB_ADDRESS = 0x7ffd_c000;
export const PEB_ADDRESS = 0x7ffd_f000;
export const STACK_RESERVE = 0x10_0000;
/**
 * The part of the stack committed at creation. Windows commits the image's
 * SizeOfStackCommit (4 KB by default) and grows the rest through a guard
 * page; ntshm has no guard pages yet, so it commits what a program's calls
 * can use (its structures on the stack) and no more: the rest of the reserve
 * costs no commit charge, as on Windows.
 */
export const STACK_COMMIT = 0x1_0000;

/** RTL_USER_PROC_PARAMS_NORMALIZED: the parameters' strings are pointers, not offsets. */
const RTL_USER_PROC_PARAMS_NORMALIZED = 0x01;

/** Where a new process's environment landed. */
export interface UserEnvironment {
  readonly peb: number;
  readonly teb: number;
  readonly processParameters: number;
  /** The stack's base (highest address, exclusive) and limit. */
  readonly stackBase: number;
  readonly stackLimit: number;
}

/** Statuses that say the machine is full: the process's creation fails with them (spawn raises it). */
const OUT_OF_RESOURCES = new Set([STATUS_COMMITMENT_LIMIT, STATUS_NO_MEMORY, STATUS_INSUFFICIENT_RESOURCES]);

/**
 * Reserves and commits a fixed range of the new process. No commit or frames
 * left is the creation's failure, raised; any other failure is the
 * emulator's (the process is empty, so the range is free).
 */
function allocateAt(k: PsContext, process: EProcess, base: number, size: number, type = MEM_RESERVE | MEM_COMMIT): void {
  const r = k.vm.NtAllocateVirtualMemory(process, base, size, type, PAGE_READWRITE);
  if (OUT_OF_RESOURCES.has(r.status)) throw new NtException(r.status);
  if (r.status !== 0) throw new EmulatorError(`cannot lay out ${process.ImageFileName}'s environment at ${k.formatAddress(base)}: ${ntStatusText(r.status)}`);
}

/** Reserves a fixed range of the new process (no commit charge). */
function reserveAt(k: PsContext, process: EProcess, base: number, size: number): void {
  allocateAt(k, process, base, size, MEM_RESERVE);
}

/** Lays out the PEB, TEB, process parameters and stack of a new process with one thread. */
export function PspCreateUserEnvironment(k: PsContext, process: EProcess, thread: EThread, standardOutput: number): UserEnvironment {
  const stackBase = ENVIRONMENT_BASE;
  const stackLimit = stackBase - STACK_COMMIT;
  allocateAt(k, process, ENVIRONMENT_BASE, PEB_ADDRESS + 0x1000 - ENVIRONMENT_BASE);
  reserveAt(k, process, stackBase - STACK_RESERVE, STACK_RESERVE);
  allocateAt(k, process, stackLimit, STACK_COMMIT, MEM_COMMIT);
  k.runInSystemThread(() => {
    const apcState = k.ps.KeStackAttachProcess(process);
    try {
      writeEnvironment(k, process, thread, standardOutput);
    } catch (e) {
      // The pages were just committed: a fault on them means no frame was left to back them.
      if (e instanceof NtException) throw new NtException(STATUS_NO_MEMORY, [], { cause: e });
      throw e;
    } finally {
      k.ps.KeUnstackDetachProcess(apcState);
    }
  }, 'PspCreateUserEnvironment');
  return { peb: PEB_ADDRESS, teb: TEB_ADDRESS, processParameters: PROCESS_PARAMETERS, stackBase, stackLimit };
}

function writeEnvironment(k: PsContext, process: EProcess, thread: EThread, standardOutput: number): void {
  const mem = k.kernelMemory;
  const arch = k.arch;
  const pp = RTL_USER_PROCESS_PARAMETERS[arch];
  const paramsSize = pp.Environment + k.layout.pointerSize;
  mem.setUint32(PROCESS_PARAMETERS + pp.MaximumLength, paramsSize);
  mem.setUint32(PROCESS_PARAMETERS + pp.Length, paramsSize);
  mem.setUint32(PROCESS_PARAMETERS + pp.Flags, RTL_USER_PROC_PARAMS_NORMALIZED);
  writePointer(mem, arch, PROCESS_PARAMETERS + pp.StandardOutput, standardOutput >>> 0);
  writePointer(mem, arch, PROCESS_PARAMETERS + pp.StandardError, standardOutput >>> 0);
  // CurrentDirectory.DosPath, its buffer just after the structure.
  const directory = process.currentDirectory;
  const buffer = PROCESS_PARAMETERS + 0x400;
  mem.setString(buffer, `${directory}\0`, 'utf-16le');
  writeUnicodeString(mem, arch, PROCESS_PARAMETERS + pp.CurrentDirectory + CURDIR[arch].DosPath, directory.length * 2, directory.length * 2 + 2, buffer);

  writePointer(mem, arch, PEB_ADDRESS + PEB[arch].ProcessParameters, PROCESS_PARAMETERS);
  mem.setUint32(PEB_ADDRESS + PEB[arch].SessionId, process.SessionId);
  PspWriteTeb(k, process, thread, TEB_ADDRESS);
}

/** A TEB's fields a thread reads of itself (MmCreateTeb): NtTib.Self, ClientId, the PEB; written while attached to the process. */
export function PspWriteTeb(k: PsContext, process: EProcess, thread: EThread, tebAddress: number): void {
  const mem = k.kernelMemory;
  const arch = k.arch;
  const teb = TEB[arch];
  writePointer(mem, arch, tebAddress + teb.Self, tebAddress);
  writeClientId(mem, arch, tebAddress + teb.ClientId, process.UniqueProcessId, thread.Cid);
  writePointer(mem, arch, tebAddress + teb.ProcessEnvironmentBlock, PEB_ADDRESS);
}
