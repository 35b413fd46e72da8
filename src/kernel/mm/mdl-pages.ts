/**
 * MmAllocatePagesForMdl(Ex) and MmFreePagesFromMdl: physical frames handed to
 * a driver inside an MDL, with no virtual address at all (StartVa NULL,
 * ByteOffset 0, not mapped). The driver maps them itself
 * (MmGetSystemAddressForMdlSafe, MmMapLockedPagesSpecifyCache), unmaps, gives
 * the frames back with MmFreePagesFromMdl and the MDL with ExFreePool.
 *
 * The routine may describe fewer bytes than asked: ByteCount says how many.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmallocatepagesformdlex
 * ReactOS: ntoskrnl/mm/freelist.c MiAllocatePagesForMdl, ntoskrnl/mm/ARM3/mdlsup.c MmFreePagesFromMdl.
 */
import { DRIVER_VERIFIER_TRACK_POOL_ALLOCATIONS, verifierChecks } from '../../include/verifier-flags.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { DRIVER_VERIFIER_DETECTED_VIOLATION, MEMORY_MANAGEMENT } from '../../include/bugcodes.js';
import {
  MDL_IO_SPACE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MM_ALLOCATE_FAST_LARGE_PAGES, MM_ALLOCATE_FULLY_REQUIRED,
  MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS, MM_DONT_ZERO_ALLOCATION,
} from '../../include/wdm-constants.js';
import type { MmContext } from './context.js';
import type { MdlManager } from './mdl.js';
import { Mdl, mdlHeaderSize } from './mdl-object.js';
import { NonPagedPool } from './pool.js';
import { PfnUse } from './pfn.js';

const MDL_TAG = 0x206c644d; // 'Mdl ', as IoAllocateMdl's
/** Every MM_ALLOCATE_* bit the WDK documents; any other bit fails the call. */
const MM_ALLOCATE_VALID_FLAGS = 0x7f;
/** "The maximum amount of memory that MmAllocatePagesForMdlEx can allocate in a single call is (4 gigabytes - PAGE_SIZE)." */
const MI_MAX_MDL_BYTES = 4 * 1024 ** 3 - PAGE_SIZE;

/** The MDLs MmAllocatePagesForMdl made and MmFreePagesFromMdl has not yet emptied, per machine (by its MdlManager). */
const allocatedMdls = new WeakMap<MdlManager, Set<Mdl>>();
const MiAllocatedMdls = (k: MmContext): Set<Mdl> => {
  let set = allocatedMdls.get(k.mdl);
  if (!set) allocatedMdls.set(k.mdl, (set = new Set()));
  return set;
};

/** A PHYSICAL_ADDRESS (LARGE_INTEGER) as an unsigned 64-bit value: -1 is the top of memory. */
const physical = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));

/**
 * MmAllocatePagesForMdlEx: frames from [LowAddress, HighAddress] (then the
 * same range moved up by SkipBytes, again and again, while it is short),
 * zeroed unless MM_DONT_ZERO_ALLOCATION, in an MDL from nonpaged pool with
 * MDL_PAGES_LOCKED and Process NULL. NULL when no frame (or no pool for the
 * MDL) was found, when SkipBytes is not a multiple of PAGE_SIZE, and when the
 * flags ask for what cannot be had.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmallocatepagesformdlex
 */
export function MmAllocatePagesForMdlEx(k: MmContext, lowAddress: number | bigint, highAddress: number | bigint, skipBytes: number | bigint,
  totalBytes: number, _cacheType: number, flags: number): Mdl | null {
  const skip = physical(skipBytes);
  if (skip % BigInt(PAGE_SIZE) !== 0n) return null; // ReactOS: BYTE_OFFSET(SkipBytes) → NULL
  if ((flags & ~MM_ALLOCATE_VALID_FLAGS) !== 0) return null;
  // No large-page cache here: "If the cache is empty, allocation fails."
  if (flags & MM_ALLOCATE_FAST_LARGE_PAGES) return null;
  const bytes = Math.min(Math.max(0, Math.floor(totalBytes)), MI_MAX_MDL_BYTES);
  const wanted = Math.ceil(bytes / PAGE_SIZE);
  if (wanted === 0) return null;
  const contiguous = (flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS) !== 0;
  const chunk = Number(skip / BigInt(PAGE_SIZE));
  // Contiguous chunks of SkipBytes: a power of two, at least a page, and TotalBytes a multiple of it.
  if (contiguous && chunk !== 0 && ((chunk & (chunk - 1)) !== 0 || bytes % (chunk * PAGE_SIZE) !== 0)) return null;

  const ptr = k.layout.pointerSize;
  const size = mdlHeaderSize(k.arch) + wanted * ptr;
  const address = k.pool.allocate(NonPagedPool, size, MDL_TAG);
  if (address === 0) return null;

  const lastPfn = k.pfn.total - 1;
  const low = Number(physical(lowAddress) >> 12n);
  const highRaw = physical(highAddress) >> 12n;
  const high = highRaw > BigInt(lastPfn) ? lastPfn : Number(highRaw);
  const frames = contiguous
    ? MiTakeContiguous(k, low, high, wanted, chunk)
    : MiTakeAny(k, low, high, chunk, wanted);
  if (frames.length === 0 || ((flags & MM_ALLOCATE_FULLY_REQUIRED) && frames.length < wanted)) {
    for (const pfn of frames) k.pfn.freePage(pfn);
    k.pool.free(address);
    return null;
  }
  if ((flags & MM_DONT_ZERO_ALLOCATION) === 0) for (const pfn of frames) k.memory.zeroFrame(pfn);

  // No virtual address: StartVa NULL, ByteOffset 0; ByteCount what was found (ReactOS: PagesFound << PAGE_SHIFT).
  const mdl = new Mdl(0, Math.min(bytes, frames.length * PAGE_SIZE), frames.length, size);
  frames.forEach((pfn, i) => { mdl.PfnArray[i] = pfn; });
  mdl.address = address;
  mdl.owner = k.attribution.top()?.driver;
  mdl.Process = null;
  mdl.MdlFlags = MDL_PAGES_LOCKED;
  k.mdl.live.set(address, mdl);
  MiAllocatedMdls(k).add(mdl);
  return mdl;
}

/** Any free frames in the ranges [low, high] + n * chunk (only the first range when chunk is 0). */
function MiTakeAny(k: MmContext, low: number, high: number, chunk: number, wanted: number): number[] {
  const frames: number[] = [];
  const pfn = k.pfn;
  // The whole of memory: straight off the free list (MiRemoveAnyPage), as ReactOS does.
  if (low === 0 && high >= pfn.total - 1) {
    while (frames.length < wanted) {
      const f = pfn.removeAnyPage(PfnUse.MdlPages);
      if (f < 0) break;
      frames.push(f);
    }
    return frames;
  }
  for (let base = 0; low + base < pfn.total; base += chunk) {
    for (let f = Math.max(1, low + base); f <= Math.min(high + base, pfn.total - 1) && frames.length < wanted; f++) {
      if (pfn.removeFreePage(f, PfnUse.MdlPages)) frames.push(f);
    }
    if (frames.length === wanted || chunk === 0) break;
  }
  return frames;
}

/**
 * MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS: with chunk 0, one run of `wanted`
 * frames or nothing; otherwise runs of `chunk` frames aligned on `chunk`,
 * as many as are found (a partial allocation is whole chunks).
 */
function MiTakeContiguous(k: MmContext, low: number, high: number, wanted: number, chunk: number): number[] {
  const pfn = k.pfn;
  const run = chunk === 0 ? wanted : chunk;
  const step = chunk === 0 ? 1 : chunk;
  const frames: number[] = [];
  // Frame 0 is never handed out; a chunk starts on a multiple of its length.
  const first = chunk === 0 ? Math.max(1, low) : Math.ceil(Math.max(1, low) / chunk) * chunk;
  for (let start = first; start + run - 1 <= high && frames.length < wanted; start += step) {
    let free = true;
    for (let f = start; f < start + run && free; f++) free = pfn.use[f] === PfnUse.Free;
    if (!free) continue;
    const taken: number[] = [];
    for (let f = start; f < start + run && pfn.removeFreePage(f, PfnUse.MdlPages); f++) taken.push(f);
    if (taken.length < run) {
      // The commit charge ran out inside the run: a partial chunk is no chunk.
      for (const f of taken) pfn.freePage(f);
      break;
    }
    frames.push(...taken);
    if (chunk === 0) break;
    start += run - step;
  }
  return frames;
}

/**
 * MmFreePagesFromMdl: unmaps a system mapping the driver left (Windows does,
 * before it checks: MiFreePagesFromMdl), then frees every frame. A frame that
 * is not one MmAllocatePagesForMdl gave this MDL — freed already, or never
 * its — is bug check 0x1A with P1 = 0x1236 (MDL, the PFN array entry, the
 * frame), as Windows and ReactOS check the frame's PFN entry. Clears
 * MDL_PAGES_LOCKED; the MDL itself is the caller's to free (ExFreePool).
 * A user mapping left behind keeps showing the frames: a finding, and the
 * frames wait until it goes.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmfreepagesfrommdl
 */
export function MmFreePagesFromMdl(k: MmContext, arg: Mdl | number | null): void {
  const mdl = k.mdl.resolve(arg);
  if (mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) k.mdl.MmUnmapLockedPages(mdl.MappedSystemVa, mdl);
  if (mdl.MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_IO_SPACE)) {
    k.bugCheck(MEMORY_MANAGEMENT, 0x1238, mdl.address, mdl.MdlFlags, 0, 'MmFreePagesFromMdl was given an MDL that is still mapped to system space or describes I/O space.');
  }
  const allocated = MiAllocatedMdls(k);
  const ptr = k.layout.pointerSize;
  mdl.PfnArray.forEach((pfn, i) => {
    if (!allocated.has(mdl) || k.pfn.use[pfn] !== PfnUse.MdlPages) {
      k.bugCheck(MEMORY_MANAGEMENT, 0x1236, mdl.address, mdl.address + mdlHeaderSize(k.arch) + i * ptr, pfn,
        `MmFreePagesFromMdl found frame 0x${pfn.toString(16)} in the MDL at ${k.formatAddress(mdl.address)}, which is not a page MmAllocatePagesForMdl gave it: the pages were freed already, or the MDL was not made by MmAllocatePagesForMdl.`);
    }
  });
  const mapped = mdl.userMappings.filter((m) => !m.process.exited);
  if (mapped.length) {
    const frame = k.attribution.top();
    k.report({
      kind: 'mdl-pages-freed-while-mapped',
      ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
      message: `MmFreePagesFromMdl freed ${mdl.PfnArray.length} frame(s) that ${mapped.map((m) => `${m.process.ImageFileName} still maps at ${k.formatAddress(m.va)}`).join(', ')}: unmap (MmUnmapLockedPages) first`,
      details: { mdl: k.formatAddress(mdl.address), frames: mdl.PfnArray.map((p) => `0x${p.toString(16)}`), mappings: mapped.map((m) => ({ pid: m.process.UniqueProcessId, address: k.formatAddress(m.va) })) },
    });
  }
  for (const pfn of mdl.PfnArray) k.pfn.freePage(pfn);
  allocated.delete(mdl);
  mdl.MdlFlags &= ~MDL_PAGES_LOCKED;
}

/**
 * What a driver leaves behind when it unloads. With the verifier (pool
 * tracking), pool it never freed is 0xC4 with P1 = 0x62 (P2 the driver, P4
 * the allocations not freed); without it, frames of MmAllocatePagesForMdl
 * it never gave back are a finding ("frames leaked"): nothing else will
 * ever free them.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 */
export function MiCheckUnloadedDriverLeaks(k: MmContext, driver: string, driverAddress: number): void {
  const leaked = [...MiAllocatedMdls(k)].filter((m) => m.owner === driver);
  if (verifierChecks(k.options, DRIVER_VERIFIER_TRACK_POOL_ALLOCATIONS)) {
    const blocks = [...k.pool.allocations.values()].filter((block) => block.owner === driver);
    if (blocks.length > 0) {
      // As !verifier 3 lists them: each block's tag, size and address (the first few).
      const listed = blocks.slice(0, 8).map((b) => `'${MiTagText(b.tag)}' ${b.numberOfBytes} bytes at ${k.formatAddress(b.address)}`).join(', ');
      k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, driverAddress, 0, blocks.length,
        `${driver} unloaded without freeing ${blocks.length} pool allocation(s): ${listed}${blocks.length > 8 ? ', ...' : ''}` +
        `${leaked.length ? `; among them ${leaked.length} MDL(s) of MmAllocatePagesForMdl with their frames` : ''}.`);
    }
  }
  if (leaked.length === 0) return;
  const frames = leaked.flatMap((m) => m.PfnArray);
  k.report({
    kind: 'frames-leaked',
    driver,
    message: `frames leaked: ${driver} unloaded with ${frames.length} frame(s) of MmAllocatePagesForMdl never given back (MmFreePagesFromMdl): PFN ${frames.map((p) => `0x${p.toString(16)}`).join(', ')}; nothing can free them now`,
    details: { mdls: leaked.map((m) => k.formatAddress(m.address)), frames: frames.map((p) => `0x${p.toString(16)}`), pages: frames.length },
  });
}

/** A pool tag as its four characters (the low byte first, as `!poolused` prints it). */
function MiTagText(tag: number): string {
  let text = '';
  for (let i = 0; i < 4; i++) {
    const c = (tag >>> (8 * i)) & 0xff;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return text;
}
