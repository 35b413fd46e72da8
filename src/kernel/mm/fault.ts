/**
 * MmAccessFault and what follows when it cannot resolve a fault: the page
 * fault policy of the machine.
 *
 *   an entry naming memory not installed     → bug check 0x1A/0x61941 (corruption.ts)
 *   a trimmed page (transition or pagefile)   → soft or hard page-in, retry (working-set.ts)
 *   user address, committed, not yet touched  → demand-zero page, retry
 *   user address in a view of a section        → the section's page mapped
 *                                               (or copied, write-copy), retry
 *   kernel touch of a special pool guard page  → bug check 0xD6 (driver) / 0xCD
 *   or of freed special pool                    → bug check 0xD5 (driver) / 0xCC (special-pool.ts)
 *   any fault at IRQL >= DISPATCH_LEVEL       → bug check 0xD1 (driver) / 0x0A
 *   user address, otherwise                   → STATUS_ACCESS_VIOLATION raised
 *                                               (catchable in the driver or program)
 *   kernel address from user mode             → STATUS_ACCESS_VIOLATION raised
 *   kernel address from kernel mode           → bug check 0x50 (or 0xBE for a
 *                                               write to read-only memory)
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x50--page-fault-in-nonpaged-area
 */
import { MiTraceFault } from './trace-mm.js';
import { STATUS_ACCESS_VIOLATION } from '../../include/ntstatus.js';
import { ACCESS_EXECUTE, ACCESS_WRITE, type PageFault } from '../../hw/mmu.js';
import { ATTEMPTED_WRITE_TO_READONLY_MEMORY, PAGE_FAULT_IN_NONPAGED_AREA } from '../../include/bugcodes.js';
import { DISPATCH_LEVEL } from '../ke/dispatcher.js';
import { NtException } from '../../include/errors.js';
import type { MmContext } from './context.js';
import { MiReservedBitFault } from './corruption.js';

/** Resolves the fault (the caller retries), or raises, or stops the machine. */
export function MmAccessFault(k: MmContext, fault: PageFault): void {
  if (fault.reserved) MiReservedBitFault(k, fault);
  const { access, user } = fault;
  // The address as the CPU's register held it: on x86 a JS number past 32 bits is its low 32 bits
  // (the walk used them), so the fault is classified, and reported, at that address.
  const va = k.arch === 'x86' ? fault.va >>> 0 : fault.va;
  const userAddress = va >= 0 && va < k.layout.systemRangeStart;
  const what = access === ACCESS_WRITE ? 'write' : access === ACCESS_EXECUTE ? 'execute' : 'read';
  // A trimmed page comes back only below DISPATCH_LEVEL: above it, the fault is the bug check below.
  if (!fault.present && k.irql < DISPATCH_LEVEL && (userAddress || !user)
    && k.workingSets.MiResolveSoftwareFault(k.currentProcess.DirectoryTableBase, va, access)) {
    if (k.trace) MiTraceFault(k, va, what, 'paged in');
    return;
  }
  if (userAddress && k.irql < DISPATCH_LEVEL && k.vm.resolveFault(k.currentProcess, va, access, fault.present)) {
    if (k.trace) MiTraceFault(k, va, what, 'resolved');
    return;
  }
  if (k.trace) MiTraceFault(k, va, what, userAddress || user ? 'access violation' : 'bug check');
  // A guard page or a freed block of the verifier's special pool, at any IRQL (special-pool.ts).
  if (!userAddress && !user && !fault.present && k.pool.special !== null) k.pool.special.MiCheckSpecialPoolFault(va, access);
  if (k.irql >= DISPATCH_LEVEL) {
    const trimmed = k.workingSets.MiTrimmedState(k.currentProcess.DirectoryTableBase, va);
    const why = trimmed === undefined ? '' : ` The page is pageable and was trimmed (its PTE is a ${trimmed === 'transition' ? 'transition PTE' : 'pagefile PTE'}).`;
    k.ke.irqlFault(va, access, `A ${what} of ${k.formatAddress(va)} at IRQL ${k.irql} faulted: at DISPATCH_LEVEL or above nothing can be paged in, so memory touched there must be resident nonpaged memory.${why}`);
  }
  if (userAddress || user) throw new NtException(STATUS_ACCESS_VIOLATION, [access, va]);
  const frame = k.attribution.top();
  if (fault.present && access === ACCESS_WRITE) {
    // P2 the PTE's contents (all 64 bits on x64, the NX bit included): bug-check-0xbe--attempted-write-to-readonly-memory.
    const pte = k.pageTables.ptePa(k.currentProcess.DirectoryTableBase, va, false, undefined);
    const low = pte < 0 ? 0 : k.memory.read32(pte);
    const contents = k.arch === 'x64' && pte >= 0 ? (BigInt(k.memory.read32(pte + 4)) << 32n) | BigInt(low) : low;
    k.bugCheck(ATTEMPTED_WRITE_TO_READONLY_MEMORY, va, contents, 0, 0, `Kernel code wrote to read-only memory at ${k.formatAddress(va)}.`);
  }
  const p2 = access === ACCESS_WRITE ? 2 : access === ACCESS_EXECUTE ? 0x10 : 0;
  k.bugCheck(PAGE_FAULT_IN_NONPAGED_AREA, va, p2, frame?.address ?? 0, 0,
    `Kernel code ${what === 'read' ? 'read' : what === 'write' ? 'wrote' : 'executed'} ${k.formatAddress(va)}, a system address that maps nothing (invalid or freed memory); such a fault cannot be caught.`);
}
