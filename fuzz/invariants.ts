/**
 * What must hold between any two guest calls, read from the kernel's own
 * structures (white-box: the fuzzer is a test). Each checker returns the
 * problems it found, as sentences; an empty list is a consistent machine.
 *
 *   PFN database     the free list and the use column agree; each frame's
 *                    share count is its number of mappings in the reverse
 *                    map, each of which is a valid PTE naming that frame in
 *                    a live address space; each frame's lock count is the
 *                    number of locked MDL pages naming it.
 *   pool             bytes counted = bytes of the live blocks; blocks do
 *                    not overlap; each is mapped in system space.
 *   VADs             sorted, page aligned, disjoint, inside user space; a
 *                    private page holds a frame only where it is committed
 *                    (commit counts), through a PTE naming that frame, which
 *                    the PFN database calls Private; every Private frame
 *                    belongs to exactly one VAD page.
 *   handle tables    open + free + skipped entries = the entries the table
 *                    has grown to; each object's HandleCount is the number
 *                    of entries naming it, its PointerCount at least that.
 *   locked pages     NumberOfLockedPages = the pages of the live locked
 *                    MDLs of that process.
 *
 * The full check walks every frame (a few hundred microseconds on a 16 MiB
 * machine); `quickProblems` is the part that costs almost nothing.
 */
import type { Machine } from '../src/index.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { MDL_PAGES_LOCKED } from '../src/include/wdm-constants.js';
import { PAGE_SIZE } from '../src/include/page.js';
import { PfnUse, pfnUseName } from '../src/kernel/mm/pfn.js';
import { HANDLE_ENTRIES_PER_PAGE } from '../src/kernel/ob/handle.js';
import type { KernelObject } from '../src/kernel/ob/object.js';

/** Counters that must stay in range after every call. */
export function quickProblems(machine: Machine): string[] {
  const k = machine.kernel;
  const problems: string[] = [];
  if (!(k.pfn.freeCount >= 0 && k.pfn.freeCount <= k.pfn.total)) problems.push(`free frames ${k.pfn.freeCount} of ${k.pfn.total}`);
  if (!(k.pool.nonPagedBytes >= 0)) problems.push(`nonpaged pool bytes ${k.pool.nonPagedBytes}`);
  if (!(k.pool.pagedBytes >= 0)) problems.push(`paged pool bytes ${k.pool.pagedBytes}`);
  for (const p of k.ps.processes) {
    if (!(p.NumberOfLockedPages >= 0)) problems.push(`${p.ImageFileName}: ${p.NumberOfLockedPages} locked pages`);
  }
  return problems;
}

/** Every invariant of the file comment. */
export function machineProblems(machine: Machine): string[] {
  const k = machine.kernel;
  return [
    ...quickProblems(machine), ...pfnProblems(k), ...poolProblems(k), ...vadProblems(k), ...handleProblems(k), ...lockedPageProblems(k),
  ];
}

/** The PFN database against the reverse map, the page tables and the locked MDLs. */
export function pfnProblems(k: Kernel): string[] {
  const problems = k.pfn.check();
  const pfn = k.pfn;
  const locks = new Uint32Array(pfn.total);
  for (const mdl of k.mdl.live.values()) {
    if (mdl.MdlFlags & MDL_PAGES_LOCKED) for (const p of mdl.PfnArray) if (p >= 0 && p < pfn.total) locks[p]!++;
  }
  for (let p = 0; p < pfn.total; p++) {
    const list = k.pageTables.mappings.get(p);
    const n = list?.length ?? 0;
    if (pfn.shareCount[p] !== n) problems.push(`PFN ${p}: share count ${pfn.shareCount[p]}, ${n} mapping(s) in the reverse map`);
    if (n > 0 && pfn.use[p] === PfnUse.Free) problems.push(`PFN ${p} is free but mapped`);
    if (pfn.lockCount[p] !== locks[p]) problems.push(`PFN ${p}: lock count ${pfn.lockCount[p]}, ${locks[p]} locked MDL page(s) name it`);
    if (pfn.lockCount[p]! > 0 && pfn.use[p] === PfnUse.Free) problems.push(`PFN ${p} is free but locked`);
    if (pfn.isFreePending(p) && pfn.shareCount[p] === 0 && pfn.lockCount[p] === 0) problems.push(`PFN ${p} waits to be freed with no mapping or lock left`);
    for (const m of list ?? []) {
      const root = m.root < 0 ? k.systemRoot : m.root;
      const actual = k.pageTables.frameAt(root, m.va);
      if (actual !== p) problems.push(`PFN ${p}: the reverse map says ${k.formatAddress(m.va)} maps it, the PTE says ${actual}`);
      if (m.root >= 0 && m.root !== k.systemRoot && !k.ps.processByRoot(m.root)) problems.push(`PFN ${p}: mapped in a dead address space (root ${m.root})`);
    }
  }
  return problems;
}

/** Pool accounting against the live blocks. */
export function poolProblems(k: Kernel): string[] {
  const problems: string[] = [];
  let nonPaged = 0;
  let paged = 0;
  const blocks = [...k.pool.allocations.values()].sort((a, b) => a.address - b.address);
  let previousEnd = 0;
  for (const a of blocks) {
    if (a.poolType & 1) paged += a.charged;
    else nonPaged += a.charged;
    if (a.address < previousEnd) problems.push(`pool block ${k.formatAddress(a.address)} overlaps the block before it`);
    previousEnd = a.address + a.numberOfBytes;
    // A trimmed paged pool page is not mapped, but its PTE names its frame or its pagefile copy (mm/working-set.ts).
    const resident = k.pageTables.frameAt(k.systemRoot, a.address) >= 0 || k.workingSets.MiTrimmedState(k.systemRoot, a.address) !== undefined;
    if (!resident) problems.push(`pool block ${k.formatAddress(a.address)} is not mapped`);
  }
  if (nonPaged !== k.pool.nonPagedBytes) problems.push(`nonpaged pool: ${k.pool.nonPagedBytes} bytes counted, ${nonPaged} allocated`);
  if (paged !== k.pool.pagedBytes) problems.push(`paged pool: ${k.pool.pagedBytes} bytes counted, ${paged} allocated`);
  return problems;
}

/** VADs, commit and private frames of every live process. */
export function vadProblems(k: Kernel): string[] {
  const problems: string[] = [];
  const l = k.layout;
  let privateFrames = 0;
  const seenTrees = new Set<unknown>();
  for (const p of k.ps.processes) {
    if (p.exited || seenTrees.has(p.VadRoot)) continue;
    seenTrees.add(p.VadRoot);
    const name = `${p.ImageFileName} (${p.UniqueProcessId})`;
    let end = 0;
    for (const v of p.VadRoot.vads) {
      if (v.start % PAGE_SIZE !== 0 || v.end % PAGE_SIZE !== 0 || v.end <= v.start) problems.push(`${name}: VAD ${k.formatAddress(v.start)}-${k.formatAddress(v.end)} is malformed`);
      if (v.start < end) problems.push(`${name}: VAD at ${k.formatAddress(v.start)} overlaps the one before`);
      if (v.end > l.highestUserAddress + 1) problems.push(`${name}: VAD ${k.formatAddress(v.start)} runs past user space`);
      end = v.end;
      for (const [va, frame] of v.frames) {
        if (v.kind === 'private') privateFrames++;
        if (va < v.start || va >= v.end) { problems.push(`${name}: frame of ${k.formatAddress(va)} outside its VAD`); continue; }
        if (v.kind === 'private' && v.commit.get((va - v.start) / PAGE_SIZE) === 0) problems.push(`${name}: ${k.formatAddress(va)} holds a frame but is not committed`);
        if (v.kind === 'private' && k.pfn.use[frame] !== PfnUse.Private) problems.push(`${name}: ${k.formatAddress(va)} holds PFN ${frame}, which is ${pfnUseName(k.pfn.use[frame]!)}`);
        const mapped = k.pageTables.frameAt(p.DirectoryTableBase, va);
        if (mapped >= 0 && mapped !== frame) problems.push(`${name}: ${k.formatAddress(va)} holds PFN ${frame} but its PTE names ${mapped}`);
      }
    }
  }
  // A page released while an MDL still locks it keeps its frame until the unlock (free pending), in no VAD.
  let privateInUse = 0;
  for (let f = 0; f < k.pfn.total; f++) if (k.pfn.use[f] === PfnUse.Private && !k.pfn.isFreePending(f)) privateInUse++;
  if (privateInUse !== privateFrames) problems.push(`${privateInUse} frames are Private, ${privateFrames} VAD pages hold one`);
  return problems;
}

/** Handle tables: their free lists and the objects' handle and pointer counts. */
export function handleProblems(k: Kernel): string[] {
  const problems: string[] = [];
  const named = new Map<KernelObject, number>();
  const tables = new Set(k.ps.processes.map((p) => p.ObjectTable));
  for (const t of tables) {
    const grown = t.nextHandleNeedingPool - 1;
    // The first entry of each page (index 0, P, 2P, ...) is never a handle.
    const skipped = Math.floor(grown / HANDLE_ENTRIES_PER_PAGE[k.arch]);
    if (t.count + t.freeCount + skipped !== grown) {
      problems.push(`a handle table has ${t.count} open and ${t.freeCount} free entries, ${skipped} skipped, but grew to ${grown}`);
    }
    for (const h of t.handles()) {
      const e = t.lookup(h)!;
      named.set(e.object, (named.get(e.object) ?? 0) + 1);
    }
  }
  for (const [object, n] of named) {
    const h = object.header;
    if (h.HandleCount !== n) problems.push(`a ${h.type.name} object has HandleCount ${h.HandleCount}, ${n} handle(s) name it`);
    if (h.PointerCount < h.HandleCount) problems.push(`a ${h.type.name} object has PointerCount ${h.PointerCount} < HandleCount ${h.HandleCount}`);
  }
  return problems;
}

/** NumberOfLockedPages against the live locked MDLs. */
export function lockedPageProblems(k: Kernel): string[] {
  const problems: string[] = [];
  const pages = new Map<unknown, number>();
  for (const mdl of k.mdl.live.values()) {
    if ((mdl.MdlFlags & MDL_PAGES_LOCKED) && mdl.Process) pages.set(mdl.Process, (pages.get(mdl.Process) ?? 0) + mdl.PfnArray.length);
  }
  for (const p of k.ps.processes) {
    const expected = pages.get(p) ?? 0;
    if (p.NumberOfLockedPages !== expected) problems.push(`${p.ImageFileName} (${p.UniqueProcessId}): ${p.NumberOfLockedPages} locked pages, its MDLs lock ${expected}`);
  }
  return problems;
}
