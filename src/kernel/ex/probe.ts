/**
 * ProbeForRead and ProbeForWrite: check that a user buffer lies in user
 * space and is aligned; ProbeForWrite also touches each page for writing.
 * Both raise; a Length of 0 checks nothing.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread
 */
import { STATUS_ACCESS_VIOLATION, STATUS_DATATYPE_MISALIGNMENT } from '../../include/ntstatus.js';
import { ACCESS_WRITE } from '../../hw/mmu.js';
import { PAGE_MASK, PAGE_SIZE } from '../../hw/physical-memory.js';
import { NtException } from '../../include/errors.js';
import type { MmContext } from '../mm/context.js';
import { MmAccessFault } from '../mm/fault.js';

/** MmUserProbeAddress: one past the last byte a probe accepts (the 64 KB guard below the system range). */
export const userProbeAddress = (k: MmContext): number => k.layout.highestUserAddress + 1;

/**
 * ProbeForRead: raises unless the buffer is aligned and lies below MmUserProbeAddress.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread
 */
export function ProbeForRead(k: MmContext, address: number, length: number, alignment: number): void {
  if (length === 0) return;
  if (!Number.isInteger(address) || (alignment > 1 && misaligned(address, alignment))) {
    throw new NtException(STATUS_DATATYPE_MISALIGNMENT);
  }
  const end = address + length;
  if (!Number.isInteger(length) || length < 0 || end > userProbeAddress(k) || end < address || address < 0) {
    throw new NtException(STATUS_ACCESS_VIOLATION, [0, address]);
  }
}

/**
 * ProbeForWrite: ProbeForRead, then each page is faulted in for writing (which raises if it cannot be written).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforwrite
 */
export function ProbeForWrite(k: MmContext, address: number, length: number, alignment: number): void {
  if (length === 0) return;
  ProbeForRead(k, address, length, alignment);
  const mmu = k.current.cpu.mmu;
  // `address` is a non-negative integer below 2^47 now: `&` takes its page offset (`%` of an x64 address, a double, is a slow fmod).
  for (let page = address - (address & PAGE_MASK); page < address + length; page += PAGE_SIZE) {
    const va = page > address ? page : address;
    while (mmu.translate(va, ACCESS_WRITE, true) < 0) MmAccessFault(k, mmu.fault);
  }
}

/**
 * `address % alignment !== 0`, for an integer address: the low bits for a
 * power of two (every alignment the page documents: 1, 2, 4, 8, 16), as
 * `&` reads them even from a double; `%` for any other.
 */
function misaligned(address: number, alignment: number): boolean {
  return Number.isInteger(alignment) && alignment <= 0x4000_0000 && (alignment & (alignment - 1)) === 0 ? (address & (alignment - 1)) !== 0 : address % alignment !== 0;
}
