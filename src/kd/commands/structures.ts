/**
 * dt nt!_MDL, dt nt!_IRP, !mdl, !irp and !lockedpages: the I/O structures, with
 * the public symbols' field offsets for each architecture.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/dt--display-type-
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-irp
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-lockedpages
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_mdl
 */
import { MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_SOURCE_IS_NONPAGED_POOL, irpMajorFunctionName } from '../../include/wdm-constants.js';
import type { KdIrp, KdMdl } from '../snapshot.js';
import { columns, hex, ptr, ulongPtr } from '../format.js';
import { KdError, kdNumber, type KdContext } from '../target.js';

/** `0xfffffa80`00009000 Void`, or `(null)` as dt prints a NULL pointer. */
function pointer(ctx: KdContext, value: number, type = 'Void'): string {
  return value === 0 ? '(null) ' : `0x${ptr(ctx.arch, value)} ${type}`;
}

function field(offset: number, name: string, value: string): string {
  return `   +0x${hex(offset, 3)} ${name.padEnd(16)} : ${value}`;
}

const MDL_FLAG_NAMES: readonly [number, string][] = [
  [MDL_MAPPED_TO_SYSTEM_VA, 'MDL_MAPPED_TO_SYSTEM_VA'], [MDL_PAGES_LOCKED, 'MDL_PAGES_LOCKED'], [MDL_SOURCE_IS_NONPAGED_POOL, 'MDL_SOURCE_IS_NONPAGED_POOL'],
  [0x8, 'MDL_ALLOCATED_FIXED_SIZE'], [0x10, 'MDL_PARTIAL'], [0x20, 'MDL_PARTIAL_HAS_BEEN_MAPPED'], [0x40, 'MDL_IO_PAGE_READ'], [0x80, 'MDL_WRITE_OPERATION'],
  [0x200, 'MDL_FREE_EXTRA_PTES'], [0x800, 'MDL_IO_SPACE'], [0x2000, 'MDL_MAPPING_CAN_FAIL'],
];

/** An MDL's flags by name: `MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA`. */
export function mdlFlagNames(flags: number): string {
  const names = MDL_FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  return names.length ? names.join(' | ') : '0';
}

function findMdl(ctx: KdContext, address: number): KdMdl {
  const m = ctx.s.mdls.find((x) => x.address === address);
  if (!m) throw new KdError(`No live MDL at ${ptr(ctx.arch, address)} (!lockedpages lists those holding locked pages)`);
  return m;
}

/** dt nt!_MDL ADDR: the header, at the offsets of each architecture's _MDL; then the PFN array that follows it. */
export function dtMdl(ctx: KdContext, args: string[]): string[] {
  const m = findMdl(ctx, kdNumber(args[0], 'an MDL address'));
  const x64 = ctx.arch === 'x64';
  const lines = [
    field(0, 'Next', pointer(ctx, 0, '_MDL')),
    field(x64 ? 0x8 : 0x4, 'Size', `0n${m.size}`),
    field(x64 ? 0xa : 0x6, 'MdlFlags', `0n${m.flags}`),
    ...(x64 ? [field(0xc, 'AllocationProcessorNumber', '0'), field(0xe, 'Reserved', '0')] : []),
    field(x64 ? 0x10 : 0x8, 'Process', pointer(ctx, m.processAddress, '_EPROCESS')),
    field(x64 ? 0x18 : 0xc, 'MappedSystemVa', pointer(ctx, m.mappedSystemVa)),
    field(x64 ? 0x20 : 0x10, 'StartVa', pointer(ctx, m.startVa)),
    field(x64 ? 0x28 : 0x14, 'ByteCount', `0x${hex(m.byteCount)}`),
    field(x64 ? 0x2c : 0x18, 'ByteOffset', `0x${hex(m.byteOffset)}`),
  ];
  lines.push(`   MdlFlags: ${mdlFlagNames(m.flags)}`);
  lines.push(`   PFN array (+0x${hex(x64 ? 0x30 : 0x1c)}): ${m.pfns.map((p) => hex(p)).join(' ') || '(empty)'}`);
  return lines;
}

/**
 * !mdl ADDR: `Mdl ADDR: No chain` (ntshm's MDLs are never chained: Next is NULL), the header's fields,
 * then the PFN array that follows the header, eight entries a line at their own addresses.
 * https://learn.microsoft.com/windows-hardware/drivers/debuggercmds/-mdl
 */
export function mdlCommand(ctx: KdContext, args: string[]): string[] {
  const m = findMdl(ctx, kdNumber(args[0], 'an MDL address'));
  const u = (v: number) => ulongPtr(ctx.arch, v);
  const lines = [
    `Mdl ${u(m.address)}: No chain`,
    `    Next ${u(0)}  Size ${hex(m.size, 4)}  MdlFlags ${hex(m.flags, 4)}  Process ${u(m.processAddress)}`,
    `    MappedSystemVa ${u(m.mappedSystemVa)}  StartVa ${u(m.startVa)}  ByteCount ${hex(m.byteCount, 8)}  ByteOffset ${hex(m.byteOffset, 8)}`,
    `    MdlFlags: ${mdlFlagNames(m.flags)}`,
  ];
  const first = m.address + (ctx.arch === 'x64' ? 0x30 : 0x1c);
  const entry = ctx.arch === 'x64' ? 8 : 4;
  for (let i = 0; i < m.pfns.length; i += 8) {
    lines.push(`${u(first + i * entry)}: ${m.pfns.slice(i, i + 8).map((p) => hex(p, entry * 2)).join(' ')}`);
  }
  if (m.pfns.length === 0) lines.push('    (no PFN array: the MDL describes no pages yet)');
  return lines;
}

function findIrp(ctx: KdContext, address: number): KdIrp {
  const irp = ctx.s.irps.find((x) => x.address === address);
  if (!irp) throw new KdError(`No IRP in progress at ${ptr(ctx.arch, address)} (only requests that went pending are kept; !irp on one of those)`);
  return irp;
}

/** dt nt!_IRP ADDR: the IRP's fields at the offsets of each architecture's _IRP. */
export function dtIrp(ctx: KdContext, args: string[]): string[] {
  const irp = findIrp(ctx, kdNumber(args[0], 'an IRP address'));
  const x64 = ctx.arch === 'x64';
  const size = x64 ? 0xd0 + 0x48 * irp.stackCount : 0x70 + 0x24 * irp.stackCount;
  return [
    field(0, 'Type', '0n6'),
    field(2, 'Size', `0x${hex(size)}`),
    field(x64 ? 0x8 : 0x4, 'MdlAddress', pointer(ctx, irp.mdl, '_MDL')),
    field(x64 ? 0x18 : 0xc, 'AssociatedIrp', `<unnamed-tag> SystemBuffer ${pointer(ctx, irp.systemBuffer)}`),
    field(x64 ? 0x30 : 0x18, 'IoStatus', `_IO_STATUS_BLOCK Status 0x${hex(irp.status >>> 0, 8)} Information 0x${hex(irp.information)}`),
    field(x64 ? 0x40 : 0x20, 'RequestorMode', `${irp.requestorMode} ''`),
    field(x64 ? 0x41 : 0x21, 'PendingReturned', `0x${hex(Number(irp.pendingReturned), 2)} ''`),
    field(x64 ? 0x42 : 0x22, 'StackCount', `${irp.stackCount} ''`),
    field(x64 ? 0x43 : 0x23, 'CurrentLocation', `${irp.currentLocation} ''`),
    field(x64 ? 0x44 : 0x24, 'Cancel', `0x${hex(Number(irp.cancel), 2)} ''`),
    field(x64 ? 0x70 : 0x3c, 'UserBuffer', pointer(ctx, irp.userBuffer)),
    field(x64 ? 0x78 : 0x40, 'Tail', `<unnamed-tag> Thread Cid ${irp.thread === null ? '(none)' : hex(irp.thread, 4)}`),
  ];
}

/** !irp ADDR: the IRP's state and its stack locations, the current one marked `>`. */
export function irpCommand(ctx: KdContext, args: string[]): string[] {
  if (args[0] === undefined) {
    if (ctx.s.irps.length === 0) return ['No IRP is in progress (no request went pending)'];
    return ctx.s.irps.map((i) => `Irp ${ptr(ctx.arch, i.address)}  thread ${i.thread === null ? '-' : hex(i.thread, 4)}  ${irpMajorFunctionName(i.stack[i.currentLocation - 1]?.major ?? 0)}`);
  }
  const irp = findIrp(ctx, kdNumber(args[0], 'an IRP address'));
  const lines = [
    `Irp is active with ${irp.stackCount} stacks ${irp.currentLocation} is current`,
    ` Mdl=${irp.mdl ? ptr(ctx.arch, irp.mdl) : '(none)'}: ${irp.systemBuffer ? `System buffer=${ptr(ctx.arch, irp.systemBuffer)}` : 'No System Buffer'}: Thread ${irp.thread === null ? '00000000' : hex(irp.thread, 4)}:  Irp stack trace.${irp.pendingReturned ? '  Pending has been returned' : ''}`,
    '     cmd  flg cl Device   File     Completion-Context',
  ];
  irp.stack.forEach((s, i) => {
    const mark = i + 1 === irp.currentLocation ? '>' : ' ';
    lines.push(`${mark}[${irpMajorFunctionName(s.major)}(${hex(s.major)}), N/A(${hex(s.minor)})]`);
    lines.push(`           ${hex(s.flags, 2)} ${hex(s.control, 2)} ${ptr(ctx.arch, s.device)} ${ptr(ctx.arch, s.file)} 00000000-00000000${s.control & 1 ? '    pending' : ''}`);
    if (s.major === 0xe) lines.push(`\t\t\tArgs: 00000000 00000000 ${hex(s.ioControlCode, 8)} 00000000`);
  });
  return lines;
}

/** !lockedpages [Process]: the MDLs that hold a process's pages locked (MmProbeAndLockPages without MmUnlockPages). */
export function lockedPages(ctx: KdContext, args: string[]): string[] {
  const pid = args[0] === undefined ? undefined : kdNumber(args[0], 'a process');
  const locked = ctx.s.mdls.filter((m) => m.flags & MDL_PAGES_LOCKED && m.process !== null && (pid === undefined || m.process === pid || m.processAddress === pid));
  if (locked.length === 0) return ['No locked pages are tracked (no MDL holds a process\'s pages locked)'];
  const lines: string[] = [];
  for (const p of ctx.s.processes) {
    const mine = locked.filter((m) => m.process === p.pid);
    if (mine.length === 0) continue;
    lines.push(`Locked pages tracking for process ${ptr(ctx.arch, p.address)} (${p.name}, Cid ${hex(p.pid, 4)}${p.exited ? ', exited' : ''}): ${mine.reduce((n, m) => n + m.pfns.length, 0)} page(s) locked`);
    const rows = [['MDL', 'Va', 'ByteCount', 'Pfns', 'Caller'], ...mine.map((m) => [
      ptr(ctx.arch, m.address), ptr(ctx.arch, m.startVa + m.byteOffset), hex(m.byteCount), m.pfns.map((x) => hex(x)).join(' '), m.owner ?? '?',
    ])];
    lines.push(...columns(rows).map((l) => `    ${l}`));
  }
  return lines;
}
