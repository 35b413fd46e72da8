/**
 * POOL_HEADER in guest memory: the pool's own record in front of every small
 * block, allocated or free, that the pool reads back when a block is freed.
 *
 *   x64 (16 bytes, sizes in 16-byte units)     x86 (8 bytes, sizes in 8-byte units)
 *   byte 0  PreviousSize                       bits  0..8   PreviousSize
 *   byte 1  PoolIndex                          bits  9..15  PoolIndex
 *   byte 2  BlockSize                          bits 16..24  BlockSize
 *   byte 3  PoolType (0 = free, else type + 1) bits 25..31  PoolType
 *   +4      PoolTag                            +4           PoolTag
 *   +8      ProcessBilled
 *
 * PreviousSize is the BlockSize of the block just before in the same page (0
 * for the first block), so that neighbours vouch for each other: a driver
 * that writes past the end of its block changes the next block's header, and
 * the free of either block finds the two disagreeing.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x19--bad-pool-header
 *
 * Every access goes through the physical frame, so the pool's own bookkeeping
 * never counts as a driver's access. Headers are 8-byte aligned and physical
 * memory ends below 4 GiB, so each field is one element of the 32-bit view.
 */
import type { PhysicalMemory } from '../../hw/physical-memory.js';
import type { Arch } from '../../hw/pte.js';

/** Reads and writes POOL_HEADERs of one architecture at physical addresses. */
export class PoolHeaders {
  /** sizeof(POOL_HEADER), which is also the block unit. */
  readonly size: number;
  private readonly x64: boolean;
  private readonly u32: Uint32Array;

  constructor(memory: PhysicalMemory, arch: Arch) {
    this.x64 = arch === 'x64';
    this.size = this.x64 ? 16 : 8;
    this.u32 = memory.u32;
  }

  /** The first ULONG (Ulong1: the sizes and the pool type), as bug checks report it. */
  ulong1(pa: number): number {
    return this.u32[pa >>> 2]!;
  }

  previousSize(pa: number): number {
    return this.previousOf(this.u32[pa >>> 2]!);
  }

  blockSize(pa: number): number {
    return this.sizeOf(this.u32[pa >>> 2]!);
  }

  /** The fields of a Ulong1 already read. */
  previousOf(ulong1: number): number {
    return this.x64 ? ulong1 & 0xff : ulong1 & 0x1ff;
  }

  sizeOf(ulong1: number): number {
    return this.x64 ? (ulong1 >>> 16) & 0xff : (ulong1 >>> 16) & 0x1ff;
  }

  /** PoolType as stored: 0 for a free block, the POOL_TYPE + 1 for an allocated one. */
  typeOf(ulong1: number): number {
    return this.x64 ? ulong1 >>> 24 : ulong1 >>> 25;
  }

  tag(pa: number): number {
    return this.u32[(pa + 4) >>> 2]!;
  }

  /** Ulong1 for these fields (PoolIndex 0). */
  encode(previousSize: number, blockSize: number, poolTypeField: number): number {
    return this.x64
      ? ((previousSize & 0xff) | (blockSize & 0xff) << 16 | (poolTypeField & 0xff) << 24) >>> 0
      : ((previousSize & 0x1ff) | (blockSize & 0x1ff) << 16 | (poolTypeField & 0x7f) << 25) >>> 0;
  }

  /** An allocated block's header: sizes, POOL_TYPE + 1, tag, no process billed. */
  writeAllocated(pa: number, previousSize: number, blockSize: number, poolType: number, tag: number): void {
    this.u32[pa >>> 2] = this.encode(previousSize, blockSize, poolType + 1);
    this.u32[(pa + 4) >>> 2] = tag >>> 0;
    if (this.x64) {
      this.u32[(pa + 8) >>> 2] = 0;
      this.u32[(pa + 12) >>> 2] = 0;
    }
  }

  /** A free block's header: sizes and PoolType 0; the tag of its last owner stays, as `!pool` shows it. */
  writeFree(pa: number, previousSize: number, blockSize: number): void {
    this.u32[pa >>> 2] = this.encode(previousSize, blockSize, 0);
  }

  /** Rewrites only PreviousSize (the block before this one changed size). */
  writePreviousSize(pa: number, previousSize: number): void {
    const word = this.u32[pa >>> 2]!;
    const mask = this.x64 ? 0xff : 0x1ff;
    this.u32[pa >>> 2] = ((word & ~mask) | (previousSize & mask)) >>> 0;
  }
}
