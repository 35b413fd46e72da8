/**
 * !pte, !vtop and !pfn: the page tables walked in physical memory, every
 * level with its flags in !pte's letters; a frame's PFN entry with its share
 * and lock counts and every virtual address that maps it.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-pte
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-vtop
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-pfn
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import {
  PTE_ACCESSED, PTE_CACHE_DISABLE, PTE_DIRTY, PTE_GLOBAL, PTE_LARGE_PAGE, PTE_OWNER, PTE_SW_PROTECTION_MASK, PTE_SW_PROTECTION_SHIFT,
  PTE_SW_PROTOTYPE, PTE_SW_TRANSITION, PTE_VALID, PTE_WRITE, PTE_WRITE_THROUGH, pagingFormat,
} from '../../hw/pte.js';
import { entryFrame, mappings, translate, walk, type PteLevel } from '../paging.js';
import { hex, ptr } from '../format.js';
import { KdError, kdNumber, type KdContext } from '../target.js';

/** !pte's flag letters, in its order: C G L D A N T U/K W/R E V (a dash for a clear bit). */
export function pteFlags(arch: 'x64' | 'x86', value: bigint): string {
  const low = Number(value & 0xfffn);
  const bit = (mask: number, letter: string): string => ((low & mask) !== 0 ? letter : '-');
  const nx = arch === 'x64' && (value >> 63n) === 1n;
  return [
    '-', bit(PTE_GLOBAL, 'G'), bit(PTE_LARGE_PAGE, 'L'), bit(PTE_DIRTY, 'D'), bit(PTE_ACCESSED, 'A'), bit(PTE_CACHE_DISABLE, 'N'),
    bit(PTE_WRITE_THROUGH, 'T'), (low & PTE_OWNER) !== 0 ? 'U' : 'K', (low & PTE_WRITE) !== 0 ? 'W' : 'R', nx || arch === 'x86' ? '-' : 'E', bit(PTE_VALID, 'V'),
  ].join('');
}

const PROTECTIONS = ['NoAccess', 'ReadOnly', 'Execute', 'ExecuteRead', 'ReadWrite', 'WriteCopy', 'ExecuteReadWrite', 'ExecuteWriteCopy'];

/** What an invalid entry holds, as !pte decodes a software PTE: transition, pagefile, or nothing. */
function invalidText(arch: 'x64' | 'x86', entry: PteLevel): string[] {
  if (entry.value === 0n) return ['not valid'];
  const low = Number(entry.value & 0xffff_ffffn);
  const protection = (low & PTE_SW_PROTECTION_MASK) >>> PTE_SW_PROTECTION_SHIFT;
  const protect = `Protect: ${hex(protection)} - ${PROTECTIONS[protection & 7] ?? 'Unknown'}`;
  if (low & PTE_SW_PROTOTYPE) return ['not valid', ' Proto: (prototype PTE)', protect];
  if (low & PTE_SW_TRANSITION) return ['not valid', ` Transition: ${hex(entryFrame(pagingFormat(arch), entry.value))}`, ` ${protect}`];
  const offset = arch === 'x64' ? Number(entry.value >> 32n) : low >>> 12;
  return ['not valid', ' PageFile:  0', ` Offset: ${hex(offset * PAGE_SIZE)}`, ` ${protect}`];
}

/** The entry's value as !pte prints it: 16 digits on x64, 8 on x86. */
function contains(arch: 'x64' | 'x86', value: bigint): string {
  return hex(value, arch === 'x64' ? 16 : 8).toUpperCase();
}

/** !pte VA: each level's entry, where it is, what it contains, its frame and flags. */
export function pte(ctx: KdContext, args: string[]): string[] {
  const va = kdNumber(args[0], 'a virtual address');
  const levels = walk(ctx.memory, ctx.arch, ctx.process.directoryTableBase, va);
  const width = 27;
  const cell = (text: string): string => text.padEnd(width);
  const lines = [`${' '.repeat(43)}VA ${ptr(ctx.arch, va).replace('`', '')}`];
  lines.push(levels.map((l) => cell(`${l.name} at ${ptr(ctx.arch, l.va).replace('`', '').toUpperCase()}`)).join('').trimEnd());
  lines.push(levels.map((l) => cell(`contains ${contains(ctx.arch, l.value)}`)).join('').trimEnd());
  const last = levels[levels.length - 1];
  const valid = levels.filter((l) => l.valid).map((l) => cell(`pfn ${hex(entryFrame(pagingFormat(ctx.arch), l.value)).padEnd(8)}  ${pteFlags(ctx.arch, l.value)}`));
  if (valid.length) lines.push(valid.join('').trimEnd());
  if (last && !last.valid) lines.push(...invalidText(ctx.arch, last));
  return lines;
}

/** !vtop DirBase VA (DirBase 0: the implicit process's): each step of the translation, then the physical address. */
export function vtop(ctx: KdContext, args: string[]): string[] {
  if (args.length < 2) throw new KdError('Usage: !vtop DirBase VirtualAddress');
  const given = kdNumber(args[0], 'a DirBase');
  const dirBase = given === 0 ? ctx.process.directoryTableBase : given;
  const va = kdNumber(args[1], 'a virtual address');
  const levels = walk(ctx.memory, ctx.arch, dirBase, va);
  const lines = [`Amd64VtoP: Virt ${ptr(ctx.arch, va)}, pagedir ${hex(dirBase, ctx.arch === 'x64' ? 16 : 8)}`];
  if (ctx.arch === 'x86') lines[0] = `X86VtoP: Virt ${ptr(ctx.arch, va)}, pagedir ${hex(dirBase, 8)}`;
  const prefix = ctx.arch === 'x64' ? 'Amd64VtoP' : 'X86VtoP';
  for (const l of levels) lines.push(`${prefix}: ${l.name} ${hex(l.pa, ctx.arch === 'x64' ? 16 : 8)} - ${contains(ctx.arch, l.value).toLowerCase()}`);
  const pa = translate(ctx.memory, ctx.arch, dirBase, va);
  if (pa === undefined) lines.push(`${prefix}: ${levels[levels.length - 1]?.name ?? 'entry'} not present`, `Virtual address ${ptr(ctx.arch, va)} translation fails, error 0xD0000147.`);
  else lines.push(`${prefix}: Mapped phys ${hex(pa, ctx.arch === 'x64' ? 16 : 8)}`, `Virtual address ${ptr(ctx.arch, va)} translates to physical address ${hex(pa)}.`);
  return lines;
}

/** Who maps `pfn`: every valid PTE naming it, in every process's user half and in the kernel half (once). */
export function mappersOf(ctx: KdContext, pfn: number): { va: number; who: string; pte: bigint }[] {
  const found: { va: number; who: string; pte: bigint }[] = [];
  const system = ctx.s.processes.find((p) => p.pid === 4) ?? ctx.s.processes[0];
  if (system) for (const m of mappings(ctx.memory, ctx.arch, system.directoryTableBase, 'kernel')) if (m.pfn === pfn) found.push({ va: m.va, who: 'kernel', pte: m.pte });
  for (const p of ctx.s.processes) {
    if (p.exited && p.pid !== 4) continue;
    for (const m of mappings(ctx.memory, ctx.arch, p.directoryTableBase, 'user')) if (m.pfn === pfn) found.push({ va: m.va, who: `${p.name} (Cid ${hex(p.pid, 4)})`, pte: m.pte });
  }
  return found;
}

/** !pfn N: the frame's PFN entry (use, share count, lock count) and the addresses that map it. */
export function pfn(ctx: KdContext, args: string[]): string[] {
  const n = kdNumber(args[0], 'a page frame number');
  if (n >= ctx.s.frameCount) throw new KdError(`${hex(n)} is not a valid PFN (the machine has ${hex(ctx.s.frameCount)} frames)`);
  const entry = ctx.s.pfns.find((p) => p.pfn === n) ?? { pfn: n, use: 'Free', share: 0, lock: 0 };
  const lines = [
    `    PFN ${hex(n, 8).toUpperCase()} at physical address ${hex(n * PAGE_SIZE, 8).toUpperCase()}`,
    `    share count ${hex(entry.share, 8)}  reference (lock) count ${hex(entry.lock, 4)}  ${entry.use}`,
  ];
  const mdls = ctx.s.mdls.filter((m) => m.pfns.includes(n));
  for (const m of mdls) lines.push(`    in MDL ${ptr(ctx.arch, m.address)} (flags ${hex(m.flags, 4)}${m.owner ? `, ${m.owner}` : ''})`);
  const mappers = mappersOf(ctx, n);
  lines.push(mappers.length ? '    mapped at:' : '    mapped at: nothing (no valid PTE names it)');
  for (const m of mappers) lines.push(`      ${ptr(ctx.arch, m.va)}  ${m.who.padEnd(28)} ${pteFlags(ctx.arch, m.pte)}`);
  return lines;
}

