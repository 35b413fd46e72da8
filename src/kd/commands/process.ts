/**
 * !process, .process, !vad, !handle, lm and k: the processes, their address
 * spaces and handle tables, the loaded drivers, and the driver routines on
 * the stack when the machine stopped, in WinDbg's shapes.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-process
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-process--set-process-context-
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-vad
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-handle
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/lm--list-loaded-modules-
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/k--kb--kc--kd--kp--kp--kv--display-stack-backtrace-
 */
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import type { KdProcess } from '../snapshot.js';
import { hex, ptr } from '../format.js';
import { KdError, findProcess, kdNumber, type KdContext } from '../target.js';
import { threadSummary } from './threads.js';

const PAGE_PROTECTIONS: Readonly<Record<number, string>> = {
  0x01: 'NO_ACCESS', 0x02: 'READONLY', 0x04: 'READWRITE', 0x08: 'WRITECOPY', 0x10: 'EXECUTE', 0x20: 'EXECUTE_READ', 0x40: 'EXECUTE_READWRITE', 0x80: 'EXECUTE_WRITECOPY',
};

function protectionName(protect: number): string {
  const base = PAGE_PROTECTIONS[protect & 0xff] ?? hex(protect);
  return `${base}${protect & 0x200 ? ' NOCACHE' : ''}${protect & 0x100 ? ' GUARD' : ''}`;
}

function processHeader(ctx: KdContext, p: KdProcess): string[] {
  return [
    `PROCESS ${ptr(ctx.arch, p.address)}`,
    `    SessionId: ${p.pid === 4 ? 'none' : p.sessionId}  Cid: ${hex(p.pid, 4)}    Peb: ${hex(p.peb, 8)}`,
    `    DirBase: ${hex(p.directoryTableBase, 8)}  HandleCount: ${p.handles.length}.`,
    `    Image: ${p.name}${p.exited ? `  (exited: ${hex(p.exitStatus, 8)})` : ''}`,
  ];
}

/** Each thread as !thread prints it, indented under its process (with the stack when flags has both 2 and 4). */
function threadLines(ctx: KdContext, p: KdProcess, flags: number): string[] {
  return p.threads.flatMap((t) => [...threadSummary(ctx, p, t, (flags & 6) === 6).map((l) => `        ${l}`), '']);
}

/** !process [PID|EPROCESS|0] [Flags]: 0 lists every process; flags 7 adds the VADs, locked pages and threads. */
export function process(ctx: KdContext, args: string[]): string[] {
  const which = args[0] === undefined ? ctx.process.pid : kdNumber(args[0], 'a process id or EPROCESS address');
  const flags = args[1] === undefined ? (args[0] === undefined ? 7 : 0) : kdNumber(args[1], 'flags');
  const all = which === 0;
  const list = all ? ctx.s.processes : [findProcess(ctx.s, which)].filter((p): p is KdProcess => p !== undefined);
  if (list.length === 0) throw new KdError(`No process ${hex(which)} (a Cid or an EPROCESS address; !process 0 0 lists them)`);
  const lines = all ? ['**** NT ACTIVE PROCESS DUMP ****'] : [];
  for (const p of list) {
    lines.push(...processHeader(ctx, p));
    if (flags & 1) {
      lines.push(`    VadRoot: ${p.vads.length} Vads  LockedPages: ${p.lockedPages}`);
      lines.push(`    CommitCharge: ${p.vads.reduce((n, v) => n + v.committed, 0)}`);
    }
    lines.push('');
    if (flags & 2 || flags & 4) lines.push(...threadLines(ctx, p, flags));
  }
  return lines;
}

/** .process [PID|EPROCESS]: sets (or shows) the implicit process, whose page tables user addresses are read through. */
export function setProcess(ctx: KdContext, args: string[]): string[] {
  // `/p`, `/r`, `/i` change how WinDbg switches; ntshm's kd only reads, so each is the plain form.
  const target = args.find((a) => !a.startsWith('/'));
  if (target === undefined) return [`Implicit process is ${ptr(ctx.arch, ctx.process.address)}`];
  const value = kdNumber(target, 'a process id or EPROCESS address');
  const p = findProcess(ctx.s, value);
  if (!p) throw new KdError(`No process ${hex(value)} (a Cid or an EPROCESS address; !process 0 0 lists them)`);
  ctx.setProcess(p.pid);
  return [`Implicit process is now ${ptr(ctx.arch, p.address)}`];
}

/** !vad: the implicit process's VADs (start and end as page numbers, as !vad prints them). */
export function vad(ctx: KdContext, args: string[]): string[] {
  const p = args[0] === undefined ? ctx.process : findProcess(ctx.s, kdNumber(args[0], 'a process'));
  if (!p) throw new KdError('No such process');
  const rows = p.vads.map((v, i) => {
    const kind = v.kind === 'private' ? 'Private' : v.kind === 'mapped' ? 'Mapped ' : v.kind === 'mdl' ? 'Mdl    ' : 'Shared ';
    return `${String(i).padStart(4)}  ${hex(v.start / PAGE_SIZE).padStart(12)} ${hex((v.end - 1) / PAGE_SIZE).padStart(12)} ${String(v.committed).padStart(6)} ${kind}  ${protectionName(v.protection)}${v.mdl ? `  MDL ${ptr(ctx.arch, v.mdl)}` : ''}`;
  });
  return [`VAD (${p.name})  Start          End Commit`, ...rows, '', `Total VADs: ${p.vads.length}`];
}

/** !handle [Handle] [Flags] [PID]: the handle table of a process (the implicit one by default). */
export function handle(ctx: KdContext, args: string[]): string[] {
  const one = args[0] === undefined || args[0] === '0' ? undefined : kdNumber(args[0], 'a handle');
  const p = args[2] === undefined ? ctx.process : findProcess(ctx.s, kdNumber(args[2], 'a process'));
  if (!p) throw new KdError('No such process');
  const handles = p.handles.filter((h) => one === undefined || h.handle === one);
  const lines = [...processHeader(ctx, p), '', `Handle table with ${p.handles.length} entries in use`, ''];
  for (const h of handles) {
    lines.push(`${hex(h.handle >>> 0, 4)}: Object: ${ptr(ctx.arch, h.object)}  GrantedAccess: ${hex(h.grantedAccess, 8)}`);
    lines.push(`Object: ${ptr(ctx.arch, h.object)}  Type: ${h.type}`);
    if (h.name) lines.push(`    Name: ${h.name}`);
    lines.push('');
  }
  if (one !== undefined && handles.length === 0) lines.push(`Handle ${hex(one)} is not in the table`);
  return lines;
}

/** lm: the loaded drivers (start, end, name), then the unloaded ones. */
export function lm(ctx: KdContext): string[] {
  const width = ctx.arch === 'x64' ? 17 : 8;
  const loaded = ctx.s.drivers.filter((d) => !d.unloaded).sort((a, b) => a.start - b.start);
  const lines = [`${'start'.padEnd(width)} ${'end'.padEnd(width)}     module name`];
  for (const d of loaded) lines.push(`${ptr(ctx.arch, d.start)} ${ptr(ctx.arch, d.start + d.size)}   ${d.service.padEnd(16)} (deferred)`);
  const unloaded = ctx.s.drivers.filter((d) => d.unloaded);
  if (unloaded.length) {
    lines.push('', 'Unloaded modules:');
    for (const d of unloaded) lines.push(`${ptr(ctx.arch, d.start)} ${ptr(ctx.arch, d.start + d.size)}   ${d.service}.sys`);
  }
  return lines;
}

/** k: the driver routines on the stack when the machine stopped, innermost first. */
export function stack(ctx: KdContext): string[] {
  const b = ctx.s.bugcheck;
  if (!b) return ['(the machine did not stop: no thread is stopped in a driver routine to show)'];
  if (b.stack.length === 0) return [' # Call Site', '00 nt!KeBugCheckEx', '   (no driver routine was on the stack)'];
  return [' # Call Site', '00 nt!KeBugCheckEx', ...b.stack.map((f, i) => `${hex(i + 1, 2)} ${f}`)];
}
