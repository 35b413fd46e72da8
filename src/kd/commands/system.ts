/**
 * !poolused, !pool, !object, !verifier and !analyze: pool by tag and by
 * block, the object namespace, the verifier's state, and the bug check.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-poolused
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-pool
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-object
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-verifier
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-analyze
 */
import type { VerifierCounters } from '../../kernel/verifier/statistics.js';
import { VERIFIER_OPTIONS, VERIFIER_STANDARD_FLAGS, type VerifierOption } from '../../include/verifier-flags.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { analyzeText } from '../analysis.js';
import { hex, ptr } from '../format.js';
import { KdError, kdNumber, type KdContext } from '../target.js';

/** !poolused: allocations and bytes by tag, nonpaged and paged, sorted by tag. */
export function poolUsed(ctx: KdContext): string[] {
  const tags = new Map<string, { npAllocs: number; npUsed: number; pAllocs: number; pUsed: number; owners: Set<string> }>();
  for (const b of ctx.s.pool) {
    const t = tags.get(b.tag) ?? { npAllocs: 0, npUsed: 0, pAllocs: 0, pUsed: 0, owners: new Set<string>() };
    if (b.paged) { t.pAllocs++; t.pUsed += b.size; } else { t.npAllocs++; t.npUsed += b.size; }
    if (b.owner) t.owners.add(b.owner);
    tags.set(b.tag, t);
  }
  const lines = ['   Sorting by Tag', '', '  Pool Used:', '            NonPaged                  Paged', ' Tag    Allocs         Used    Allocs         Used'];
  const total = { npAllocs: 0, npUsed: 0, pAllocs: 0, pUsed: 0 };
  for (const [tag, t] of [...tags].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(` ${tag.padEnd(4)} ${String(t.npAllocs).padStart(9)} ${String(t.npUsed).padStart(12)} ${String(t.pAllocs).padStart(9)} ${String(t.pUsed).padStart(12)}\t${[...t.owners].join(', ') || 'UNKNOWN pooltag'}`);
    total.npAllocs += t.npAllocs; total.npUsed += t.npUsed; total.pAllocs += t.pAllocs; total.pUsed += t.pUsed;
  }
  lines.push(` TOTAL ${String(total.npAllocs).padStart(8)} ${String(total.npUsed).padStart(12)} ${String(total.pAllocs).padStart(9)} ${String(total.pUsed).padStart(12)}`);
  return lines;
}

/** !pool ADDR: every block on the page holding ADDR, the one holding it marked `*`, with its tag and owner. */
export function pool(ctx: KdContext, args: string[]): string[] {
  const va = kdNumber(args[0], 'a pool address');
  const page = va - (va % PAGE_SIZE);
  const blocks = ctx.s.pool.filter((b) => b.address < page + PAGE_SIZE && b.address + Math.max(b.size, 1) > page);
  if (blocks.length === 0) throw new KdError(`Pool page ${ptr(ctx.arch, va)} holds no allocation (it is not pool, or the block was freed)`);
  // WinDbg names the special pool as the region of a page there (the block's own pool type follows its tag).
  const region = blocks[0]?.special ? `Special pool (${blocks[0].paged ? 'paged' : 'nonpaged'})` : blocks[0]?.paged ? 'Paged pool' : 'Nonpaged pool';
  const lines = [`Pool page ${ptr(ctx.arch, va)} region is ${region}`];
  for (const b of blocks) {
    const hit = va >= b.address && va < b.address + Math.max(b.size, 1);
    lines.push(`${hit ? '*' : ' '}${ptr(ctx.arch, b.address)} size: ${hex(b.size).padStart(4)} previous size:    0  (Allocated) ${hit ? '*' : ' '}${b.tag}`);
    if (hit) lines.push(`\t\tOwning component : ${b.owner ?? 'Unknown (the tag names no driver)'}`);
  }
  return lines;
}

/** !object PATH|ADDR: a named object's header counts and type; a directory's entries; a link's target. */
export function object(ctx: KdContext, args: string[]): string[] {
  const arg = args[0] ?? '\\';
  const found = arg.startsWith('\\')
    ? ctx.s.objects.find((o) => o.path.toLowerCase() === (arg.length > 1 ? arg.replace(/\\$/, '') : arg).toLowerCase())
    : ctx.s.objects.find((o) => o.address === kdNumber(arg, 'an object path or address'));
  if (!found) throw new KdError(`${arg} is not a valid object path or address (!object \\ lists the root)`);
  const name = found.path === '\\' ? '\\' : found.path.slice(found.path.lastIndexOf('\\') + 1);
  const lines = [
    `Object: ${ptr(ctx.arch, found.address)}  Type: ${found.type}`,
    `    ObjectHeader: ${ptr(ctx.arch, found.headerAddress)} (new version)`,
    `    HandleCount: ${found.handleCount}  PointerCount: ${found.pointerCount}`,
    `    Name: ${name}`,
  ];
  if (found.target !== undefined) lines.push(`    Target String is '${found.target}'`);
  if (found.type === 'Directory') {
    const prefix = found.path === '\\' ? '\\' : `${found.path}\\`;
    const children = ctx.s.objects.filter((o) => o.path !== '\\' && o.path.startsWith(prefix) && !o.path.slice(prefix.length).includes('\\'));
    lines.push('', '    Hash Address          Type                      Name', '    ---- -------          ----                      ----');
    for (const c of children) lines.push(`         ${ptr(ctx.arch, c.address)} ${c.type.padEnd(25)} ${c.path.slice(prefix.length)}`);
  }
  return lines;
}

/** !verifier: whether the verifier is on, the drivers verified, and what it found short of a bug check. */
export function verifier(ctx: KdContext): string[] {
  if (!ctx.s.verifier) return ['Driver Verifier is not enabled (boot with verifier: true, or ntshm run --verifier)'];
  const flags = ctx.s.verifierFlags ?? VERIFIER_STANDARD_FLAGS;
  const row = (o: VerifierOption): string => `    [${flags & o.flag ? 'X' : ' '}] (0x${o.flag.toString(16).padStart(8, '0')}) ${o.title}${o.checks ? ` (ntshm: ${o.checks})` : ' (ntshm: nothing behind it yet)'}`;
  const standard = VERIFIER_OPTIONS.filter((o) => VERIFIER_STANDARD_FLAGS & o.flag);
  const additional = VERIFIER_OPTIONS.filter((o) => !(VERIFIER_STANDARD_FLAGS & o.flag));
  const lines = [`Verify Flags Level 0x${flags.toString(16).padStart(8, '0')}`, '', '  STANDARD FLAGS:', ...standard.map(row),
    '', '  ADDITIONAL FLAGS:', ...additional.map(row), '', '    [X] Indicates flag is enabled', '', 'Driver Verification List', '------------------------'];
  const stats = ctx.s.verifierStatistics;
  if (stats) lines.splice(1, 0, ...verifierCounters(stats.counters));
  for (const d of ctx.s.drivers) {
    const pool = ctx.s.pool.filter((b) => b.owner === d.service);
    lines.push(`MODULE: ${d.service}.sys (${d.unloaded ? 'unloaded' : 'loaded'})`);
    lines.push(`    Pool Allocation Totals: ${pool.length} allocations, ${pool.reduce((n, b) => n + b.size, 0)} bytes`);
    const p = stats?.drivers[d.service];
    if (p) {
      const row = (what: string, n: number, bytes: number) => `    ${what.padEnd(38)} 0x${n.toString(16)} for ${bytes.toString(16).padStart(8, '0')} bytes`;
      lines.push(row('Current paged pool allocations', p.currentPagedPoolAllocations, p.pagedPoolUsageInBytes),
        row('Peak paged pool allocations', p.peakPagedPoolAllocations, p.peakPagedPoolUsageInBytes),
        row('Current nonpaged pool allocations', p.currentNonPagedPoolAllocations, p.nonPagedPoolUsageInBytes),
        row('Peak nonpaged pool allocations', p.peakNonPagedPoolAllocations, p.peakNonPagedPoolUsageInBytes));
    }
  }
  lines.push('', `Findings (the verifier's reports that did not stop the machine): ${ctx.s.findings.length}`);
  for (const f of ctx.s.findings) lines.push(`    ${f.kind}${f.driver ? ` in ${f.driver}${f.routine ? `!${f.routine}` : ''}` : ''}: ${f.message}`);
  return lines;
}

/** The global counters, as !verifier prints them under its flags (names and order from the debugger page). */
function verifierCounters(c: VerifierCounters): string[] {
  const row = (what: string, n: number) => `  ${what.padEnd(40)} 0x${n.toString(16)}`;
  return ['', row('RaiseIrqls', c.RaiseIrqls), row('AcquireSpinLocks', c.AcquireSpinLocks), row('Synch Executions', c.SynchronizeExecutions),
    row('Trims', c.Trims), '', row('Pool Allocations Attempted', c.AllocationsAttempted), row('Pool Allocations Succeeded', c.AllocationsSucceeded),
    row('Pool Allocations Succeeded SpecialPool', c.AllocationsSucceededSpecialPool), row('Pool Allocations With NO TAG', c.AllocationsWithNoTag),
    row('Pool Allocations Failed', c.AllocationsFailed), row('Resource Allocations Failed Deliberately', c.AllocationsFailedDeliberately)];
}

/** !analyze [-v]: the bug check, analysed. */
export function analyze(ctx: KdContext): string[] {
  const b = ctx.s.bugcheck;
  if (!b) return ['No bug check: the machine is running (or ran to its end) without stopping.'];
  return analyzeText(b, b.analysis);
}
