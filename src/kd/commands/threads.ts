/**
 * !thread: a thread's summary as the debugger reference's example lays it
 * out (THREAD, Cid, Teb, Win32Thread, state), the objects it waits on, its
 * IRP List (the requests it has pending, which IoCancelThreadIo cancels as
 * it exits), its owning and attached process, and the driver routines on
 * its stack where ntshm knows them (the bug check's thread).
 * https://learn.microsoft.com/windows-hardware/drivers/debuggercmds/-thread
 */
import type { KdIrp, KdProcess, KdThread } from '../snapshot.js';
import { hex, ulongPtr } from '../format.js';
import { readVirtual } from './memory.js';
import { predates } from './devices.js';
import { KdError, kdNumber, type KdContext } from '../target.js';

/** DISPATCHER_HEADER.Type as !thread names a waited-on object (ke/wait.ts's KOBJECTS). */
const OBJECT_TYPES: Readonly<Record<number, string>> = {
  0: 'NotificationEvent', 1: 'SynchronizationEvent', 2: 'Mutant', 3: 'ProcessObject', 5: 'Semaphore', 6: 'ThreadObject',
  8: 'NotificationTimer', 9: 'SynchronizationTimer',
};

/** sizeof(IRP) with its stack locations, as IoSizeOfIrp gives it (0xd0 + 0x48 each on x64, 0x70 + 0x24 on x86). */
export function irpSize(arch: 'x64' | 'x86', stackCount: number): number {
  return arch === 'x64' ? 0xd0 + 0x48 * stackCount : 0x70 + 0x24 * stackCount;
}

function stateText(t: KdThread): string {
  const r = t.run;
  if (!r) return t.terminated ? 'TERMINATED' : '';
  if (r.state === 'RUNNING') return `RUNNING on processor ${r.processor ?? 0}`;
  if (r.state !== 'WAIT') return r.state;
  return `WAIT: (${r.waitReason ?? 'Executive'}) ${r.waitMode ?? 'KernelMode'} ${r.alertable ? 'Alertable' : 'Non-Alertable'}`;
}

/** A waited-on object's line: its address and the type its DISPATCHER_HEADER says (read from memory, as kd does). */
function waitObjectLine(ctx: KdContext, object: number): string {
  const type = readVirtual(ctx, object, 1)[0];
  const name = type === undefined ? '(header not readable)' : OBJECT_TYPES[type] ?? `Type ${hex(type)}`;
  return `    ${ulongPtr(ctx.arch, object)}  ${name}`;
}

/** An IRP List entry: `ADDR: (Type,Size) Flags: F  Mdl: M`. */
function irpLine(ctx: KdContext, irp: KdIrp): string {
  return `    ${ulongPtr(ctx.arch, irp.address)}: (0006,${hex(irpSize(ctx.arch, irp.stackCount), 4)}) Flags: ${hex(irp.flags ?? 0, 8)}  Mdl: ${ulongPtr(ctx.arch, irp.mdl)}`;
}

/** The lines of one thread: what !thread prints, and what !process prints for each of its threads (indented). */
export function threadSummary(ctx: KdContext, p: KdProcess, t: KdThread, withStack: boolean): string[] {
  const u = (v: number) => ulongPtr(ctx.arch, v);
  const lines = [`THREAD ${u(t.address)}  Cid ${hex(p.pid, 4)}.${hex(t.tid, 4)}  Teb: ${u(t.teb)} Win32Thread: ${u(0)} ${stateText(t)}`.trimEnd()];
  for (const o of t.run?.waitObjects ?? []) lines.push(waitObjectLine(ctx, o));
  const irps = ctx.s.irps.filter((i) => i.thread === t.tid);
  if (irps.length) lines.push('IRP List:', ...irps.map((i) => irpLine(ctx, i)));
  lines.push('Not impersonating');
  const column = (label: string, value: string, image: string) => `${label.padEnd(26)}${value.padEnd(ctx.arch === 'x64' ? 23 : 15)}Image:         ${image}`;
  lines.push(column('Owning Process', u(p.address), p.name));
  const attached = t.run?.attachedProcess === undefined ? undefined : ctx.s.processes.find((x) => x.pid === t.run?.attachedProcess);
  lines.push(column('Attached Process', attached ? u(attached.address) : 'N/A', attached ? attached.name : 'N/A'));
  if (withStack) lines.push(...stackLines(ctx, t));
  return lines;
}

/** The call sites ntshm knows: the bug check's thread has the driver routines that were on its stack; others none. */
function stackLines(ctx: KdContext, t: KdThread): string[] {
  const b = ctx.s.bugcheck;
  if (!b || ctx.s.currentThread !== t.tid) return [`(${t.label}: ntshm keeps no stack for a thread that is not the bug check's)`];
  return ['Call Site', 'nt!KeBugCheckEx', ...b.stack];
}

/** The thread `!thread` shows with no address: the bug check's, else the implicit process's first live thread. */
function defaultThread(ctx: KdContext): { p: KdProcess; t: KdThread } | undefined {
  const current = ctx.s.currentThread;
  if (ctx.s.bugcheck && current !== undefined && current !== null) {
    for (const p of ctx.s.processes) {
      const t = p.threads.find((x) => x.tid === current);
      if (t) return { p, t };
    }
  }
  // No bug check: the implicit process's first live thread, or (the System process's threads are not listed) the first program's.
  for (const p of [ctx.process, ...ctx.s.processes]) {
    const t = p.threads.find((x) => !x.terminated);
    if (t) return { p, t };
  }
  // Every program has ended (a bug check at process exit): the implicit process's last thread, terminated.
  const p = ctx.s.processes.find((x) => x.threads.length > 0 && x.pid === ctx.process.pid) ?? ctx.s.processes.find((x) => x.threads.length > 0);
  const t = p?.threads[p.threads.length - 1];
  return p && t ? { p, t } : undefined;
}

/** !thread [-p] [-t] [Address [Flags]]: an ETHREAD address (or, with -t, a thread id); flags 0x6 (the default) add the stack. */
export function thread(ctx: KdContext, args: string[]): string[] {
  const byTid = args.includes('-t');
  const withProcess = args.includes('-p');
  const rest = args.filter((a) => a !== '-t' && a !== '-p');
  const found = rest[0] === undefined || rest[0] === '-1' ? defaultThread(ctx) : findThread(ctx, kdNumber(rest[0], 'a thread address'), byTid);
  if (!found) throw new KdError(rest[0] === undefined ? 'No thread to show: no process has a live thread' : `${rest[0]} is not a thread address (!process 0 7 lists every thread; -t takes a thread id)`);
  const flags = rest[1] === undefined ? 6 : kdNumber(rest[1], 'flags');
  if (found.t.run === undefined) throw predates('!thread');
  const lines = withProcess ? [`PROCESS ${ulongPtr(ctx.arch, found.p.address)}`, `    Image: ${found.p.name}`, ''] : [];
  return [...lines, ...threadSummary(ctx, found.p, found.t, (flags & 6) === 6)];
}

function findThread(ctx: KdContext, value: number, byTid: boolean): { p: KdProcess; t: KdThread } | undefined {
  for (const p of ctx.s.processes) {
    const t = p.threads.find((x) => (byTid ? x.tid === value : x.address === value));
    if (t) return { p, t };
  }
  return undefined;
}
