/**
 * The finding `kernel-info-leak`: uninitialized kernel bytes (taint.ts)
 * becoming readable from user mode, with the bytes and the path they took:
 *
 *   mapped   MmMapLockedPagesSpecifyCache(UserMode) of pages holding them
 *            (whole pages: the bytes around an MDL's range go too)
 *   copied   a kernel copy into a user address: a driver's RtlCopyMemory to
 *            a METHOD_NEITHER buffer, or the I/O manager copying a
 *            METHOD_BUFFERED SystemBuffer back (IoStatus.Information bytes)
 *   viewed   a view of a section mapped into a process (ZwMapViewOfSection):
 *            the frames it shows at once, a physical section's or section
 *            pages a kernel view filled from pool (whole pages)
 *
 * Reported once per path, process and user address.
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { MmContext, MmProcess } from './context.js';
import type { Mdl } from './mdl-object.js';

/** Bytes shown in a finding: the first of them, as `+offset: xx`. */
const EXCERPT = 32;

/** Who is copying now, when it is not the driver on top of the attribution stack (the I/O manager's copy back). */
export interface LeakCopyPath {
  readonly path: string;
  readonly driver: string;
  readonly routine: string;
}

const reported = new WeakMap<MmContext, Set<string>>();

function report(k: MmContext, path: string, by: { driver?: string; routine?: string }, process: MmProcess, userVa: number,
  tainted: number, excerpt: string[], what: string): void {
  let seen = reported.get(k);
  if (!seen) reported.set(k, (seen = new Set()));
  const key = `${path}|${process.UniqueProcessId}|${userVa}`;
  if (seen.has(key)) return;
  seen.add(key);
  k.report({
    kind: 'kernel-info-leak',
    ...(by.driver ? { driver: by.driver } : {}),
    ...(by.routine ? { routine: by.routine } : {}),
    message: `${tainted} byte(s) of kernel memory that no kernel code wrote since it was allocated became readable by ` +
      `${process.ImageFileName} (pid ${process.UniqueProcessId}) at ${k.formatAddress(userVa)}, through ${path} ` +
      `(offset:byte ${excerpt.slice(0, 8).join(' ')}${tainted > 8 ? ' ...' : ''}): ${what}`,
    details: { path, process: process.UniqueProcessId, userAddress: k.formatAddress(userVa), uninitializedBytes: tainted, bytes: excerpt.join(' ') },
  });
}

/** The uninitialized bytes of whole pages `pfns` (-1: no frame yet), and the first of them as `+offset:byte`. */
function taintedPages(k: MmContext, pfns: ArrayLike<number>): { tainted: number; excerpt: string[] } {
  let tainted = 0;
  const excerpt: string[] = [];
  for (let page = 0; page < pfns.length; page++) {
    const pfn = pfns[page]!;
    if (pfn < 0) continue;
    for (const offset of k.uninitialized.taintedIn(pfn * PAGE_SIZE, PAGE_SIZE)) {
      tainted++;
      if (excerpt.length < EXCERPT) excerpt.push(`+${(page * PAGE_SIZE + offset).toString(16)}:${hex(k.memory.u8[pfn * PAGE_SIZE + offset]!)}`);
    }
  }
  return { tainted, excerpt };
}

/** At a UserMode mapping of `mdl` at `base`: the uninitialized bytes of its pages. */
export function MiReportMappedLeak(k: MmContext, mdl: Mdl, base: number, process: MmProcess): void {
  const { tainted, excerpt } = taintedPages(k, mdl.PfnArray);
  if (tainted === 0) return;
  report(k, 'MmMapLockedPagesSpecifyCache(UserMode)', k.attribution.top() ?? {}, process, base, tainted, excerpt,
    'pool mapped to user mode must be written first (RtlZeroMemory, or ExAllocatePool2, which zeroes)');
}

/** At a view of a section mapped at `base` in `process`: the uninitialized bytes of the frames it shows at once. */
export function MiReportViewLeak(k: MmContext, pfns: ArrayLike<number>, base: number, process: MmProcess): void {
  const { tainted, excerpt } = taintedPages(k, pfns);
  if (tainted === 0) return;
  report(k, 'section view', k.attribution.top() ?? {}, process, base, tainted, excerpt,
    'a section shown to user mode may hold only bytes some code wrote (zero what is copied into it)');
}

/** At a kernel copy of `length` bytes from physical `from` to `to`, user address `toVa`, once the taint has moved. */
export function MiReportCopiedLeak(k: MmContext, to: number, from: number, length: number, toVa: number): void {
  const offsets = k.uninitialized.taintedIn(to, length);
  if (offsets.length === 0) return;
  const excerpt = offsets.slice(0, EXCERPT).map((o) => `+${o.toString(16)}:${hex(k.memory.u8[from + o]!)}`);
  const copier = k.uninitialized.copyPath;
  const frame = copier ?? k.attribution.top() ?? {};
  report(k, copier?.path ?? 'a kernel copy into a user address (RtlCopyMemory)', frame, k.currentProcess, toVa, offsets.length, excerpt,
    copier ? 'the driver said it wrote more than it did' : 'only bytes the driver wrote may be copied out');
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');
