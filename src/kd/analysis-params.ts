/**
 * What each bug check's four parameters mean, for every code ntshm raises,
 * from the WDK's bug check pages (windows-driver-docs-pr/debugger/
 * bug-check-0x..md; https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-code-reference2),
 * in the words `!analyze -v` prints after `Arg1:`. 0xC4's meanings depend on
 * its P1 (the violation), so it has a table of its own.
 */
import { C4_MORE, C9 } from './analysis-verifier-params.js';

/** A code's one-line description and its parameters' meanings, P1..P4. */
export interface BugCheckParamText {
  summary: string;
  params: [string, string, string, string];
}

const T = (summary: string, p1: string, p2: string, p3: string, p4: string): BugCheckParamText => ({ summary, params: [p1, p2, p3, p4] });

// https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-code-reference2 (each code's page)
const CODES: Readonly<Record<number, BugCheckParamText>> = {
  0x01: T('A system call returned with its APC state or kernel APC disable count unbalanced.', 'Address of the system function (system call or worker routine)', 'Thread\'s ApcStateIndex', '(Thread->SpecialApcDisable << 16) | Thread->KernelApcDisable', 'Call type (0: system call, 1: worker routine)'),
  0x05: T('A thread attached to a process when that was not allowed.', 'Pointer to the dispatcher object for the target process, or 0', 'Pointer to the object of the current process', 'Value of the thread\'s ApcStateIndex', 'Nonzero when the thread was running a DPC'),
  0x06: T('A thread detached from a process it was not attached to.', 'Pointer to the thread object', 'Attached process count', 'Kernel APC disable count', 'Current IRQL'),
  0x09: T('An operation was performed at an IRQL lower than it requires.', '0', '0', '0', '0'),
  0x0a: T('Kernel-mode code touched pageable (or invalid) memory at an IRQL too high.', 'Memory referenced', 'IRQL at the time of the reference', 'Bitfield: bit 0 = write, bit 3 = execute', 'Address which referenced memory'),
  0x0c: T('A wait named more objects than it may.', '0', '0', '0', '0'),
  0x18: T('An object\'s reference count is wrong for its current state.', 'Object type of the object whose reference count is being lowered', 'Object whose reference count is being lowered', 'Reserved', 'Reserved'),
  0x19: T('A pool header is corrupt.', 'Type of corruption', 'Depends on P1', 'Depends on P1', 'Depends on P1'),
  0x1a: T('A severe memory-management error occurred.', 'Type of violation (0x1236: an MDL mapped with a page not locked; 0x41790: a page table page\'s count went wrong; ...)', 'Depends on P1', 'Depends on P1', 'Depends on P1'),
  0x1e: T('A kernel-mode program generated an exception that the error handler did not catch.', 'The exception code that was not handled', 'The address at which the exception occurred', 'Parameter 0 of the exception', 'Parameter 1 of the exception'),
  0x20: T('A thread exited with a kernel APC pending or kernel APCs disabled.', 'Address of the APC found pending during exit', 'Thread\'s APC disable count', 'Current IRQL', '0'),
  0x35: T('IoCallDriver had no stack location left.', 'Address of the IRP', '0', '0', '0'),
  0x3b: T('An exception happened while executing a routine that transitions from non-privileged code to privileged code.', 'The exception that caused the bug check', 'Address of the instruction that caused the bug check', 'Address of the context record for the exception', '0'),
  0x3f: T('No more system PTEs: the system PTE pool is exhausted or fragmented.', '0 (a request for system PTEs failed)', 'Size of the request (pages)', 'Total free system PTEs', 'Total system PTEs'),
  0x44: T('A driver tried to complete an IRP that was already completed.', 'Address of the IRP', 'Reserved', 'Reserved', 'Reserved'),
  0x48: T('An IRP that was completed still had a cancel routine set.', 'Address of the IRP', '0', '0', '0'),
  0x4a: T('A thread returned to user mode from a system call while its IRQL was above PASSIVE_LEVEL.', 'Address of the system function called', 'Current IRQL', '0', '0'),
  0x4e: T('The PFN list is corrupt.', 'Type of corruption', 'Depends on P1', 'Depends on P1', 'Depends on P1'),
  0x50: T('Invalid system memory was referenced.', 'Memory referenced', 'Value 0: read operation, 2: write operation, 10: execute operation', 'Address which referenced memory (if known)', 'Type of page fault (0xF: a user address referenced from kernel mode where that is not allowed)'),
  0x76: T('A process ended while a driver still held its pages locked (MmProbeAndLockPages without MmUnlockPages).', '0 (locked pages found at process exit) or 1 (unlocking pages not locked)', 'The process object, or the MDL when P1 is 1', 'Number of locked pages, or the process\'s locked count', '0 (the driver stacks when pages are tracked)'),
  0x7e: T('A system thread generated an exception that the error handler did not catch.', 'The exception code that was not handled', 'The address where the exception occurred', 'The exception record address', 'The context record address'),
  0x7f: T('A trap occurred in kernel mode that the kernel does not allow or catch.', 'The trap number (8: double fault)', 'Reserved', 'Reserved', 'Reserved'),
  0x93: T('Kernel code closed an invalid or protected handle.', 'The handle that was closed', '0: a protected handle was closed, 1: an invalid handle was closed', '0', '0'),
  0xb8: T('A context switch (a wait, a yield) was attempted in a DPC routine.', '0', '0', '0', '0'),
  0xbe: T('A driver tried to write to read-only memory.', 'Virtual address of the attempted write', 'PTE contents', 'Reserved', 'Reserved'),
  0xc2: T('The current thread is making a bad pool request.', 'The type of violation (P1\'s table on the bug check page)', 'Depends on P1', 'Depends on P1', 'Depends on P1'),
  0xc1: T('The driver wrote to an invalid section of special pool.', 'Address that the driver tried to free', 'Reserved', 'Reserved (0x24 when bytes past the end changed)', 'Type of corruption'),
  0xc8: T('The IRQL is not what the system expected.', '(Current IRQL << 16) | (Expected IRQL << 8) | UniqueValue', 'Depends on the value of P1 (UniqueValue)', 'Depends on the value of P1', 'Depends on the value of P1'),
  0xc9: T('Driver Verifier\'s I/O verification found a violation.', 'Type of violation', 'Depends on P1', 'Depends on P1', 'Depends on P1'),
  0xcb: T('A driver did not release the pages it locked after an I/O operation, and the process that owned them ended (locked-page tracking on).', 'Calling address in the driver that locked the pages', 'Caller of the calling address in the driver that locked the pages', 'Address of the MDL containing the locked pages', 'Number of locked pages'),
  0xce: T('A driver unloaded without cancelling timers, DPCs, worker threads or other pending operations.', 'The memory referenced', '0: read, 1: write', 'Address that referenced the memory (if known)', 'Reserved'),
  0xd1: T('A driver touched pageable (or completely invalid) memory at an IRQL too high.', 'Memory referenced', 'IRQL at the time of the reference', '0: read, 1: write, 8: execute', 'Address that referenced the memory'),
  0xd5: T('A driver referenced memory that was freed earlier (special pool).', 'Memory referenced', '0: read, 1: write', 'Address that referenced memory (if known)', 'Reserved'),
  0xd6: T('A driver accessed memory beyond the end of its special-pool allocation.', 'Memory referenced', '0: read, 1: write', 'Address that referenced memory (if known)', 'Reserved'),
  0xd7: T('A driver tried to unmap an address that was not mapped.', 'Virtual address to unmap', '1 (the view is being unmapped twice), 2 (the caller is unmapping an invalid system view)', '0', '0'),
  0xe1: T('A worker routine returned at a raised IRQL.', 'Address of the worker routine', 'IRQL that the worker thread returned at', 'Work item parameter', 'Work item address'),
  0xe3: T('A thread tried to release a resource it did not own.', 'Address of the thread', 'Address of the owner table', 'Address of the resource', 'Reserved'),
  0x133: T('A DPC ran too long, or the system spent too long at DISPATCH_LEVEL or above.', '0: a single DPC exceeded its time allotment, 1: the system cumulatively spent too long at DISPATCH_LEVEL or above', 'The DPC time count (in ticks)', 'The DPC time allotment (in ticks)', 'Reserved'),
};

// https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
const C4: Readonly<Record<number, BugCheckParamText>> = {
  0x32: T('KeReleaseSpinLock was called at an IRQL other than DISPATCH_LEVEL (a double release?).', 'Violation 0x32', 'Current IRQL', 'Spin lock address', '0'),
  0x33: T('A fast mutex was acquired with IRQL > APC_LEVEL.', 'Violation 0x33', 'Current IRQL', 'Fast mutex address', '0'),
  0x34: T('A fast mutex was released at an IRQL other than APC_LEVEL.', 'Violation 0x34', 'Current IRQL', 'Fast mutex address', '0'),
  0x37: T('A resource was acquired with APCs not disabled.', 'Violation 0x37', 'Current IRQL', 'Thread APC disable count', 'Resource'),
  0x38: T('A resource was released with APCs not disabled.', 'Violation 0x38', 'Current IRQL', 'Thread APC disable count', 'Resource'),
  0x3e: T('KeLeaveCriticalRegion for a thread that is not in a critical region.', 'Violation 0x3E', '0', '0', '0'),
  0x40: T('KeAcquireSpinLockAtDpcLevel with IRQL < DISPATCH_LEVEL.', 'Violation 0x40', 'Current IRQL', 'Spin lock address', '0'),
  0x41: T('KeReleaseSpinLockFromDpcLevel with IRQL < DISPATCH_LEVEL.', 'Violation 0x41', 'Current IRQL', 'Spin lock address', '0'),
  0x42: T('KeAcquireSpinLock with IRQL > DISPATCH_LEVEL.', 'Violation 0x42', 'Current IRQL', 'Spin lock address', '0'),
  0x62: T('The driver is unloading without first freeing its pool allocations.', 'Violation 0x62', 'Name of the driver', 'Reserved', 'Total number of allocations that were not freed'),
  0x70: T('MmProbeAndLockPages with IRQL > DISPATCH_LEVEL.', 'Violation 0x70', 'Current IRQL', 'MDL address', 'Access mode'),
  0x76: T('MmMapLockedPagesSpecifyCache (kernel mode) with IRQL > DISPATCH_LEVEL.', 'Violation 0x76', 'Current IRQL', 'MDL address', 'Access mode'),
  0x77: T('MmMapLockedPagesSpecifyCache (user mode) with IRQL > APC_LEVEL.', 'Violation 0x77', 'Current IRQL', 'MDL address', 'Access mode'),
  0x78: T('MmUnlockPages with IRQL > DISPATCH_LEVEL.', 'Violation 0x78', 'Current IRQL', 'MDL address', '0'),
  0x79: T('MmUnmapLockedPages (kernel mode) with IRQL > DISPATCH_LEVEL.', 'Violation 0x79', 'Current IRQL', 'Virtual address being unmapped', 'MDL address'),
  0x7a: T('MmUnmapLockedPages (user mode) with IRQL > APC_LEVEL.', 'Violation 0x7A', 'Current IRQL', 'Virtual address being unmapped', 'MDL address'),
  0x7c: T('MmUnlockPages on an MDL whose pages were never successfully locked.', 'Violation 0x7C', 'MDL address', 'MDL flags', '0'),
  0x7d: T('MmUnlockPages on an MDL whose pages are from nonpaged pool (these should never be unlocked).', 'Violation 0x7D', 'MDL address', 'MDL flags', '0'),
  0x7f: T('MmBuildMdlForNonPagedPool was passed an MDL whose pages are from paged pool.', 'Violation 0x7F', 'Current IRQL', 'MDL address', 'MDL flags'),
  0x82: T('MmMapLockedPagesSpecifyCache with BugCheckOnFailure = TRUE (it should be FALSE).', 'Violation 0x82', 'MDL address', 'MDL flags', '0'),
  0x85: T('MmMapLockedPages without having locked down the MDL pages.', 'Violation 0x85', 'MDL address', 'Number of pages to map', 'First page frame number that isn\'t locked down'),
  0xb0: T('MmProbeAndLockPages for an MDL with incorrect flags.', 'Violation 0xB0', 'MDL address', 'MDL flags', 'Incorrect MDL flags'),
  0xb2: T('MmMapLockedPages for an MDL with incorrect flags (already mapped to a system address).', 'Violation 0xB2', 'MDL address', 'MDL flags', 'Incorrect MDL flags'),
  0xb3: T('MmMapLockedPages for an MDL that is not locked.', 'Violation 0xB3', 'MDL address', 'MDL flags', 'Missing MDL flags (at least one was expected)'),
  0xb4: T('MmUnlockPages for a partial MDL (one IoBuildPartialMdl created).', 'Violation 0xB4', 'MDL address', 'MDL flags', 'Unexpected partial MDL flag'),
  0xb5: T('MmUnlockPages for an MDL that is not locked.', 'Violation 0xB5', 'MDL address', 'MDL flags', 'Missing MDL flags (at least one was expected)'),
  0xb6: T('MmUnmapLockedPages for an MDL that is not mapped to a system address.', 'Violation 0xB6', 'MDL address', 'MDL flags', 'Missing MDL flags (at least one was expected)'),
  0xb8: T('The pages that are described by the MDL are still mapped: the driver must unmap them before calling IoFreeMdl.', 'Violation 0xB8', 'MDL address', 'MDL flags', 'Reserved'),
  0xb9: T('MmUnmapLockedPages with a user address that is not this MDL\'s mapping in the current process.', 'Violation 0xB9', 'Virtual address being unmapped', 'MDL address', '0'),
  0xd0: T('The driver has attempted to re-initialize an ERESOURCE structure.', 'Violation 0xD0', 'Address of the ERESOURCE structure', 'Reserved', 'Reserved'),
  0xd1: T('The driver has attempted to delete an uninitialized ERESOURCE structure.', 'Violation 0xD1', 'Address of the ERESOURCE structure', 'Reserved', 'Reserved'),
  0xe3: T('A driver has made a call to a kernel-mode ZwXxx routine with a user-mode address as a parameter (ntshm raises it too for METHOD_NEITHER data used unprobed).', 'Violation 0xE3', 'Address of the call to the API', 'User-mode address used as a parameter in the API', 'Reserved'),
  0xf5: T('A driver passed a NULL handle to ObReferenceObjectByHandle.', 'Violation 0xF5', 'Address of the NULL handle', 'Object type', 'Reserved'),
  0xf6: T('A driver referenced a user-mode handle as kernel mode.', 'Violation 0xF6', 'Handle value being referenced', 'Address of the current process', 'Address inside the driver that is performing the incorrect reference'),
};

/** The description of `code` (and of 0xC4's P1), or undefined for one ntshm has no words for. */
export function bugCheckParamText(code: number, p1: number): BugCheckParamText | undefined {
  if (code === 0xc4) return C4[p1] ?? C4_MORE[p1] ?? T('Driver Verifier found a violation (P1 names it).', 'Type of violation', 'Depends on P1', 'Depends on P1', 'Depends on P1');
  if (code === 0xc9 && C9[p1]) return C9[p1];
  return CODES[code];
}
