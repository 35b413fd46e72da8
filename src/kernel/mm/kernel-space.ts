/**
 * The kernel's own access to system space, below any driver's view: the
 * physical address behind a kernel virtual address, and fills through the
 * frames (bookkeeping writes that must not count as a driver's accesses).
 */
import { EmulatorError } from '../../include/errors.js';
import { PAGE_SIZE } from '../../include/page.js';
import type { MmContext } from './context.js';

/** Physical address behind a kernel virtual address, through the executing CPU's MMU (kernel space is the same in every address space). */
export function MiKernelPhysicalAddress(k: MmContext, va: number): number {
  const pa = k.current.cpu.mmu.translate(va, 0, false);
  if (pa < 0) throw new EmulatorError(`kernel address ${k.formatAddress(va)} is not mapped`);
  return pa;
}

/** Fills kernel memory through its physical frames. */
export function MiFillKernel(k: MmContext, va: number, length: number, value: number): void {
  let offset = 0;
  while (offset < length) {
    const n = Math.min(length - offset, PAGE_SIZE - ((va + offset) % PAGE_SIZE));
    const pa = MiKernelPhysicalAddress(k, va + offset);
    k.memory.u8.fill(value, pa, pa + n);
    offset += n;
  }
}
