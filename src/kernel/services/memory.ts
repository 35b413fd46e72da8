/**
 * The virtual-memory services as a program reaches them: a process handle
 * referenced with ObReferenceObjectByHandle, in/out parameters read from
 * and written back to the caller's memory (probed first), then the memory
 * manager's work (mm/virtual.ts).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-ntallocatevirtualmemory
 */
import { STATUS_INFO_LENGTH_MISMATCH, STATUS_INVALID_INFO_CLASS } from '../../include/ntstatus.js';
import { writeMemoryBasicInformation } from '../../include/struct-access.js';
import { MEMORY_BASIC_INFORMATION } from '../../include/structures.js';
import {
  captureOrStatus, ProbeForWritePointer, ProbeForWriteUlong, readInOutPointer, readInOutSize, writeOutPointer, writeOutSize, writeOutUlong,
} from '../ex/capture.js';
import { ProbeForWrite } from '../ex/probe.js';
import type { PsContext } from '../ps/context.js';
import type { EProcess } from '../ps/process.js';
import { ProcessType } from '../ps/process.js';

/** PROCESS_VM_OPERATION, PROCESS_VM_READ. https://learn.microsoft.com/windows/win32/procthread/process-security-and-access-rights */
const PROCESS_VM_OPERATION = 0x0008;
const PROCESS_QUERY_INFORMATION = 0x0400;

/** Runs `body` with the process a handle names, referenced for the call. */
function withProcess(k: PsContext, handle: number, access: number, body: (process: EProcess) => number): number {
  const ref = k.ob.ObReferenceObjectByHandle(handle, access, ProcessType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  try {
    return body(ref.object as EProcess);
  } finally {
    k.ob.ObDereferenceObject(ref.object);
  }
}

/** Reads an in/out (PVOID*, PSIZE_T) pair after probing both for writing. */
function captureInOut(k: PsContext, baseAddress: number, regionSize: number): { base: number; size: number } | number {
  return captureOrStatus(() => {
    ProbeForWritePointer(k, baseAddress);
    ProbeForWritePointer(k, regionSize);
    return { base: readInOutPointer(k, baseAddress), size: readInOutSize(k, regionSize) };
  });
}

/** Writes the updated in/out pair back; a fault now is the service's status. */
function writeInOut(k: PsContext, baseAddress: number, regionSize: number, base: number, size: number, status: number): number {
  const w = captureOrStatus(() => {
    writeOutPointer(k, baseAddress, base);
    writeOutSize(k, regionSize, size);
  });
  return typeof w === 'number' ? w : status;
}

export function NtAllocateVirtualMemory(k: PsContext, ProcessHandle: number, BaseAddress: number, _ZeroBits: number, RegionSize: number,
  AllocationType: number, Protect: number): number {
  const io = captureInOut(k, BaseAddress, RegionSize);
  if (typeof io === 'number') return io;
  return withProcess(k, ProcessHandle, PROCESS_VM_OPERATION, (p) => {
    const r = k.vm.NtAllocateVirtualMemory(p, io.base, io.size, AllocationType >>> 0, Protect >>> 0);
    return r.status < 0x8000_0000 ? writeInOut(k, BaseAddress, RegionSize, r.baseAddress, r.regionSize, r.status) : r.status;
  });
}

export function NtFreeVirtualMemory(k: PsContext, ProcessHandle: number, BaseAddress: number, RegionSize: number, FreeType: number): number {
  const io = captureInOut(k, BaseAddress, RegionSize);
  if (typeof io === 'number') return io;
  return withProcess(k, ProcessHandle, PROCESS_VM_OPERATION, (p) => {
    const r = k.vm.NtFreeVirtualMemory(p, io.base, io.size, FreeType >>> 0);
    return r.status < 0x8000_0000 ? writeInOut(k, BaseAddress, RegionSize, r.baseAddress, r.regionSize, r.status) : r.status;
  });
}

export function NtProtectVirtualMemory(k: PsContext, ProcessHandle: number, BaseAddress: number, RegionSize: number, NewProtect: number,
  OldProtect: number): number {
  const io = captureInOut(k, BaseAddress, RegionSize);
  if (typeof io === 'number') return io;
  const probed = captureOrStatus(() => ProbeForWriteUlong(k, OldProtect));
  if (probed !== undefined) return probed;
  return withProcess(k, ProcessHandle, PROCESS_VM_OPERATION, (p) => {
    const r = k.vm.NtProtectVirtualMemory(p, io.base, io.size, NewProtect >>> 0);
    if (r.status >= 0x8000_0000) return r.status;
    const w = captureOrStatus(() => writeOutUlong(k, OldProtect, r.oldProtect));
    return typeof w === 'number' ? w : writeInOut(k, BaseAddress, RegionSize, r.baseAddress, r.regionSize, r.status);
  });
}

/** MemoryBasicInformation (class 0) only; other classes give STATUS_INVALID_INFO_CLASS. */
export function NtQueryVirtualMemory(k: PsContext, ProcessHandle: number, BaseAddress: number, MemoryInformationClass: number,
  MemoryInformation: number, MemoryInformationLength: number, ReturnLength: number): number {
  if (MemoryInformationClass !== 0) return STATUS_INVALID_INFO_CLASS;
  const size = MEMORY_BASIC_INFORMATION[k.arch].size;
  if (MemoryInformationLength < size) return STATUS_INFO_LENGTH_MISMATCH;
  const probed = captureOrStatus(() => {
    if (k.currentThread.PreviousMode !== 0) ProbeForWrite(k, MemoryInformation, MemoryInformationLength, k.layout.pointerSize);
    if (ReturnLength !== 0) ProbeForWritePointer(k, ReturnLength);
  });
  if (probed !== undefined) return probed;
  return withProcess(k, ProcessHandle, PROCESS_QUERY_INFORMATION, (p) => {
    const r = k.vm.NtQueryVirtualMemory(p, BaseAddress);
    if (!r.buffer) return r.status;
    const mbi = r.buffer;
    const w = captureOrStatus(() => {
      writeMemoryBasicInformation(k.kernelMemory, k.arch, MemoryInformation, { ...mbi, PartitionId: 0 });
      if (ReturnLength !== 0) writeOutSize(k, ReturnLength, size);
    });
    return typeof w === 'number' ? w : r.status;
  });
}
