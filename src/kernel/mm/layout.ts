/**
 * The map of the address space, per architecture.
 *
 * x64 addresses are 48-bit numbers: the kernel half is [2^47, 2^48), printed
 * sign-extended (0xF780_0000_0000 is fffff780`00000000). The regions follow
 * the Windows 7 layout that Windows Internals draws, which keeps every region
 * at a fixed, recognisable address (docs/fidelity.md).
 *
 *   x64                                      x86 (2 GB user / 2 GB system)
 *   0000000000010000 user space starts         00010000
 *   000007fffffeffff MmHighestUserAddress      7ffeffff
 *   000000007ffe0000 KUSER_SHARED_DATA (user)  7ffe0000
 *   fffff68000000000 page tables (self-map)    c0000000
 *   fffff78000000000 KUSER_SHARED_DATA         ffdf0000
 *   fffff88000000000 system PTEs               a0000000
 *   fffff8a000000000 paged pool                e1000000
 *   fffffa8000000000 nonpaged pool             81000000
 */
import type { Arch } from '../../hw/pte.js';

/** The address-space map of one architecture: the user range, MmSystemRangeStart, KUSER_SHARED_DATA, the self-map, the system regions. */
export interface AddressLayout {
  readonly arch: Arch;
  readonly lowestUserAddress: number;
  readonly highestUserAddress: number;
  /** First kernel address (MmSystemRangeStart). */
  readonly systemRangeStart: number;
  readonly userSharedData: number;
  readonly kernelSharedData: number;
  readonly pteBase: number;
  /** Index of the root-table entry that maps the page tables themselves. */
  readonly selfMapIndex: number;
  readonly nonPagedPool: Region;
  readonly pagedPool: Region;
  readonly systemPtes: Region;
  /** User allocations are aligned to this (the allocation granularity). */
  readonly allocationGranularity: number;
  readonly pointerSize: 4 | 8;
}

/** A range of system space (pool, system PTEs): base address and size in bytes. */
export interface Region {
  readonly base: number;
  readonly size: number;
}

const MiB = 1024 * 1024;

/** Region sizes scale with memory, within the limits of each architecture. */
export function addressLayout(arch: Arch, memoryBytes: number): AddressLayout {
  const poolSize = Math.max(8 * MiB, Math.min(memoryBytes, arch === 'x64' ? 64 * 1024 * MiB : 256 * MiB));
  const ptesSize = Math.max(8 * MiB, Math.min(memoryBytes / 2, arch === 'x64' ? 16 * 1024 * MiB : 256 * MiB));
  const round = (n: number) => Math.ceil(n / (4 * MiB)) * 4 * MiB;
  if (arch === 'x64') {
    return {
      arch, pointerSize: 8, allocationGranularity: 0x10000,
      lowestUserAddress: 0x10000, highestUserAddress: 0x7fff_fffe_ffff, systemRangeStart: 2 ** 47,
      userSharedData: 0x7ffe_0000, kernelSharedData: 0xf780_0000_0000,
      pteBase: 0xf680_0000_0000, selfMapIndex: 0x1ed,
      systemPtes: { base: 0xf880_0000_0000, size: round(ptesSize) },
      pagedPool: { base: 0xf8a0_0000_0000, size: round(poolSize) },
      nonPagedPool: { base: 0xfa80_0000_0000, size: round(poolSize) },
    };
  }
  return {
    arch, pointerSize: 4, allocationGranularity: 0x10000,
    lowestUserAddress: 0x10000, highestUserAddress: 0x7ffe_ffff, systemRangeStart: 0x8000_0000,
    userSharedData: 0x7ffe_0000, kernelSharedData: 0xffdf_0000,
    pteBase: 0xc000_0000, selfMapIndex: 0x300,
    systemPtes: { base: 0xa000_0000, size: round(Math.min(ptesSize, 0x1000_0000)) },
    pagedPool: { base: 0xe100_0000, size: round(Math.min(poolSize, 0x1000_0000)) },
    nonPagedPool: { base: 0x8100_0000, size: round(Math.min(poolSize, 0x1f00_0000)) },
  };
}

/** Whether `va` lies in system space (at or above MmSystemRangeStart). */
export function isKernelAddress(layout: AddressLayout, va: number): boolean {
  return va >= layout.systemRangeStart;
}

export { PAGE_ALIGN } from '../../include/page.js';

/**
 * Prints an address the way kd does: fffff780`00000000 on x64, 7ffe0000 on
 * x86. Total on any number, as a register would hold it: a fraction is
 * truncated, NaN and ±Infinity print as 0, and anything else wraps to the
 * architecture's width (-1 is ffffffff`ffffffff).
 */
export function formatAddress(arch: Arch, va: number): string {
  const n = Number.isFinite(va) ? Math.trunc(va) : 0;
  if (arch === 'x86') return (n >>> 0).toString(16).padStart(8, '0');
  // ntshm's 48-bit form of a high address (at or above 2^47) prints sign-extended, as the CPU sees it.
  const v = BigInt.asUintN(64, BigInt(n));
  const canonical = v >= 1n << 47n && v < 1n << 48n ? v | 0xffff_0000_0000_0000n : v;
  const hex = canonical.toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}\`${hex.slice(8)}`;
}

/** Parses kd-style or plain hex addresses, accepting the sign-extended x64 form. */
export function parseAddress(text: string): number {
  const clean = text.replace(/`/g, '').replace(/^0x/i, '');
  if (!/^[0-9a-f]+$/i.test(clean)) throw new RangeError(`not an address: ${text}`);
  const value = BigInt(`0x${clean}`) & 0xffff_ffff_ffffn;
  return Number(value);
}
