/**
 * User-mode access discipline (issue 11 §5), under the verifier's Security
 * Checks: driver code that touches a user-mode address through `nt`'s raw
 * memory routines (nt.getUint32, nt.setBytes, RtlCopyMemory, ...) without a
 * ProbeForRead/ProbeForWrite that covers it is a finding
 * `user-access-discipline`. The program owns that address: it may be a
 * kernel address in disguise (past MmUserProbeAddress), unmapped, or
 * changing under the driver; the WDK asks for a probe inside try/except,
 * and now for the User-mode Accessors (ReadULongFromUser, CopyFromUser, ...,
 * api/nt-user-accessors.ts), which check and access in one step and are
 * never a finding.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/user-mode-accessors
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread
 *
 * A raw access inside a range the same thread probed is the classic pattern
 * (METHOD_NEITHER read after ProbeForRead) and is left alone. ntshm cannot
 * see a JavaScript try block; an exception from an unprobed access that no
 * handler catches is already the bug check of its context (0x3B, 0x1E,
 * 0x7E). An MDL mapped to user mode and written through its system address
 * is kernel memory, not a finding; through the user address it is one.
 * Without Security Checks nothing is watched: the raw routines are the
 * plain ones (no cost).
 */
import type { KThread } from '../ke/thread.js';
import type { IoContext } from '../io/context.js';

/** How many probed ranges each thread keeps (the latest): a request probes one or two. */
const PROBES_KEPT = 16;

/** The ranges each thread probed, newest last. */
const probes = new WeakMap<KThread, { start: number; end: number }[]>();
/** Findings already reported, by driver routine: one each per run. */
const reported = new WeakMap<IoContext, Set<string>>();

/** ProbeForRead/ProbeForWrite returned: the range is the current thread's to touch. */
export function VfNoteUserProbe(k: IoContext, va: number, length: number): void {
  const thread = k.currentThread;
  let list = probes.get(thread);
  if (!list) probes.set(thread, (list = []));
  if (list.length >= PROBES_KEPT) list.shift();
  list.push({ start: va, end: va + Math.max(length, 1) });
}

const probed = (k: IoContext, va: number, length: number): boolean => {
  const list = probes.get(k.currentThread);
  if (!list) return false;
  const end = va + Math.max(length, 1);
  for (const r of list) if (va >= r.start && end <= r.end) return true;
  return false;
};

/** One raw access by driver code: a finding if `va` is a user address nothing probed. */
export function VfCheckUserAccess(k: IoContext, routine: string, va: unknown, length: number, write: boolean): void {
  if (typeof va !== 'number' || va === 0 || va >= k.layout.systemRangeStart) return;
  const frame = k.attribution.top();
  if (!frame || probed(k, va, length)) return;
  let seen = reported.get(k);
  if (!seen) reported.set(k, (seen = new Set()));
  const key = `${frame.driver}!${frame.routine}`;
  if (seen.has(key)) return;
  seen.add(key);
  k.report({
    kind: 'user-access-discipline',
    driver: frame.driver,
    routine: frame.routine,
    message: `user-access-discipline: ${key} ${write ? 'wrote' : 'read'} ${length} byte${length === 1 ? '' : 's'} at the user-mode address ` +
      `${k.formatAddress(va)} with nt.${routine}, which no ProbeFor${write ? 'Write' : 'Read'} covered: probe a program's address inside try/except ` +
      `before touching it, or use the User-mode Accessors (${write ? 'WriteULongToUser, CopyToUser' : 'ReadULongFromUser, CopyFromUser'}, ...)`,
    details: { address: va, length, access: write ? 'write' : 'read', accessor: routine },
  });
}

/** The raw accessors `nt` gives drivers, each with how long its access is and whether it writes. */
const WATCHED: Readonly<Record<string, (args: readonly unknown[], pointerSize: number) => [length: number, write: boolean]>> = {
  getUint8: () => [1, false], getUint16: () => [2, false], getUint32: () => [4, false], getBigUint64: () => [8, false],
  setUint8: () => [1, true], setUint16: () => [2, true], setUint32: () => [4, true], setBigUint64: () => [8, true],
  getPointer: (_a, p) => [p, false], setPointer: (_a, p) => [p, true],
  getBytes: (a) => [Number(a[1]) || 1, false],
  setBytes: (a) => [(a[1] as { length?: number } | undefined)?.length ?? 1, true],
  getString: () => [1, false], setString: (a) => [String(a[1] ?? '').length || 1, true],
};

/** `accessors` (memoryAccessors' result) with each raw access checked first. */
export function VfWatchUserAccessors<T extends object>(k: IoContext, accessors: T): T {
  const watched = { ...accessors } as Record<string, unknown>;
  const pointerSize = k.layout.pointerSize;
  for (const [name, size] of Object.entries(WATCHED)) {
    const inner = watched[name];
    if (typeof inner !== 'function') continue;
    watched[name] = (...args: unknown[]): unknown => {
      const [length, write] = size(args, pointerSize);
      VfCheckUserAccess(k, name, args[0], length, write);
      return (inner as (...a: unknown[]) => unknown)(...args);
    };
  }
  return watched as T;
}
