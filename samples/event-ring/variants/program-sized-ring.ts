/**
 * Variant `program-sized-ring` of EventRing.sys: the ring's size comes from
 * the program's IOCTL_EVENT_RING_SETUP. Diff it against `checkedRingSize` in
 * ../driver.ts.
 *
 * The driver bounds the allocation (no more than MAX_CAPACITY records of
 * pages) but wraps its index at the size the program asked for. A program
 * asking for 4096 records gets 1024 records of pages, and the driver's 1025th
 * record goes to the page after its system mapping: nothing is mapped there,
 * and the write at PASSIVE_LEVEL is bug check 0x50
 * (PAGE_FAULT_IN_NONPAGED_AREA), P1 the address, in the doorbell's dispatch
 * routine. On Windows the page after a system-PTE mapping may be another
 * mapping (the overrun then corrupts it silently); special pool, or the
 * verifier's, puts a guard page there. docs/fidelity.md says why ntshm's is
 * unmapped here.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x50--page-fault-in-nonpaged-area
 */
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from 'ntshm/wdm';
import type { RingSize } from '../driver.js';
import { MAX_CAPACITY } from '../protocol.js';

/** What the program asks for in this variant: four times what the driver will allocate. */
export const PROGRAM_CAPACITY = 4 * MAX_CAPACITY;

/** The misuse: the allocation is bounded, the wrap is the program's number. */
export function programSizedRing(asked: number): RingSize {
  if (asked === 0) return { status: STATUS_INVALID_PARAMETER, allocate: 0, wrap: 0 };
  // Wrong: the pages are for at most MAX_CAPACITY records, the index arithmetic uses the program's count.
  return { status: STATUS_SUCCESS, allocate: Math.min(asked, MAX_CAPACITY), wrap: asked };
}
