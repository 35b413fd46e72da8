/**
 * What ExFreePoolWithTag checks before it frees: that the address is pool,
 * that the block is allocated, that the tag is the allocator's, and that the
 * block's POOL_HEADER agrees with its neighbours' — a bad free or a corrupt
 * header stops the machine with the bug check and parameters the pages give:
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc2--bad-pool-caller
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x19--bad-pool-header
 *
 * The neighbour checks read the headers in guest memory, as Windows does
 * (ReactOS's ExpCheckPoolHeader makes the same ones): a driver that wrote
 * past the end of its block into the next header is caught at the free of
 * either block.
 *
 *   P1 of 0x19   what disagrees                       P2            P4
 *   0x05         PreviousSize vs the previous block    previous      entry
 *   0x06         PreviousSize reaches before the page  that address  entry
 *   0x07         PreviousSize 0 but not first in page  0             entry
 *   0x08         BlockSize 0                           0             entry
 *   0x09         BlockSize reaches past the page       that address  entry
 *   0x20         the next block's PreviousSize         entry   (P3 = next entry)
 *
 * (P2..P4 are POOL_HEADER addresses; "reserved" parameters are 0.)
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { BAD_POOL_CALLER, BAD_POOL_HEADER } from '../../include/bugcodes.js';
import type { MmContext } from './context.js';
import type { PoolHeaders } from './pool-header.js';

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** 0xC2 / 7: the block is not allocated (freed twice, or the bytes before the address say free). */
export function ExpBugCheckFreedTwice(k: MmContext, address: number, headerUlong1: number): never {
  return k.bugCheck(BAD_POOL_CALLER, 0x07, 0, headerUlong1, address,
    `ExFreePool was given ${k.formatAddress(address)}, which is not an allocated pool block (freed twice, or never allocated).`);
}

/** 0xC2 / 0x0A: ExFreePoolWithTag with another tag than the allocator's. */
export function ExpBugCheckWrongTag(k: MmContext, address: number, allocatorTag: number, tag: number): never {
  return k.bugCheck(BAD_POOL_CALLER, 0x0a, address, allocatorTag, tag,
    `ExFreePoolWithTag was given tag ${hex(tag)} for a block allocated with ${hex(allocatorTag)}.`);
}

/**
 * The header of the small block at `entryOffset` (in block units) of the
 * pool page at `pageVa` (physical `pagePa`): allocated, with the right tag,
 * and consistent with both neighbours. Returns its BlockSize; never returns
 * otherwise. `address` is what the caller is freeing (the byte after the header).
 */
export function ExpCheckPoolHeader(k: MmContext, headers: PoolHeaders, address: number, pageVa: number, pagePa: number,
  entryOffset: number, tag: number): number {
  const unit = headers.size;
  const units = PAGE_SIZE / unit;
  const entryVa = pageVa + entryOffset * unit;
  const entryPa = pagePa + entryOffset * unit;
  const ulong1 = headers.ulong1(entryPa);
  if (headers.typeOf(ulong1) === 0) ExpBugCheckFreedTwice(k, address, ulong1);
  if (tag !== 0 && headers.tag(entryPa) !== tag) ExpBugCheckWrongTag(k, address, headers.tag(entryPa), tag);

  const previous = headers.previousOf(ulong1);
  if (previous !== 0) {
    const previousVa = entryVa - previous * unit;
    if (previous > entryOffset) {
      corrupt(k, 0x06, previousVa, 0, entryVa, `the PreviousSize of the header at ${k.formatAddress(entryVa)} reaches before its page`);
    }
    if (headers.blockSize(entryPa - previous * unit) !== previous) {
      corrupt(k, 0x05, previousVa, 0, entryVa,
        `the header at ${k.formatAddress(entryVa)} says the block before it has ${previous} units; that block's header disagrees`);
    }
  } else if (entryOffset !== 0) {
    corrupt(k, 0x07, 0, 0, entryVa, `the header at ${k.formatAddress(entryVa)} says it is first in its page, and it is not`);
  }

  const size = headers.sizeOf(ulong1);
  if (size === 0) corrupt(k, 0x08, 0, 0, entryVa, `the header at ${k.formatAddress(entryVa)} has a BlockSize of 0`);
  const next = entryOffset + size;
  const nextVa = entryVa + size * unit;
  if (next > units) corrupt(k, 0x09, nextVa, 0, entryVa, `the BlockSize of the header at ${k.formatAddress(entryVa)} reaches past its page`);
  if (next < units && headers.previousSize(pagePa + next * unit) !== size) {
    corrupt(k, 0x20, entryVa, nextVa, 0,
      `the block at ${k.formatAddress(entryVa)} has ${size} units, but the next header (${k.formatAddress(nextVa)}) says ${headers.previousSize(pagePa + next * unit)}: a write past the end of one block into the next block's header`);
  }
  return size;
}

function corrupt(k: MmContext, kind: number, p2: number, p3: number, p4: number, what: string): never {
  return k.bugCheck(BAD_POOL_HEADER, kind, p2, p3, p4, `A pool header is corrupt: ${what}. Pool memory was written outside the block that owns it.`);
}
