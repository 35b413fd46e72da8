/**
 * !timer and !dpcs: the armed KTIMERs in the page's example's columns (the
 * timer table list, the timer, P for a periodic one, the due interrupt time
 * as two DWORDs, the fire time, the DPC routine), and each processor's DPC
 * queue.
 * https://learn.microsoft.com/windows-hardware/drivers/debuggercmds/-timer
 * https://learn.microsoft.com/windows-hardware/drivers/debuggercmds/-dpcs
 */
import { CLOCK_TICK_100NS } from '../../kernel/ke/cost.js';
import type { KdTimer } from '../snapshot.js';
import { hex, ulongPtr } from '../format.js';
import { predates } from './devices.js';
import { kdNumber, type KdContext } from '../target.js';

/** TIMER_TABLE_SIZE: the lists a due time hashes into (KiComputeTimerTableIndex: due time / the clock increment, modulo the size). */
const TIMER_TABLE_SIZE = 256;
/** 100 ns intervals from 1601 to 1970, to turn a system time into a date. */
const EPOCH_1601_100NS = 116_444_736_000_000_000n;

function tableIndex(due100ns: bigint): number {
  return Number((due100ns / BigInt(CLOCK_TICK_100NS)) % BigInt(TIMER_TABLE_SIZE));
}

/** `12/ 8/2000 10:59:23.154` as !timer prints a time (UTC: ntshm's machines keep UTC). */
function dateText(bootSystemTime: bigint, interrupt100ns: bigint): string {
  const ms = Number((bootSystemTime + interrupt100ns - EPOCH_1601_100NS) / 10_000n);
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(d.getUTCMonth() + 1).padStart(2)}/${String(d.getUTCDate()).padStart(2)}/${d.getUTCFullYear()} `
    + `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
}

/** An interrupt time as !timer's two DWORDs, low then high. */
function lowHigh(t100ns: bigint): string {
  return `${hex(t100ns & 0xffff_ffffn, 8)} ${hex(t100ns >> 32n, 8)}`;
}

/** !timer: every armed timer, by timer-table list, then the totals. */
export function timer(ctx: KdContext): string[] {
  const { timers, clock } = ctx.s;
  if (timers === undefined || clock === undefined) throw predates('!timer');
  const now = BigInt(Math.floor(clock.nowNs / 100));
  const lines = ['Dump system timers', '', `Interrupt time: ${lowHigh(now)} [${dateText(clock.bootSystemTime, now)} (UTC)]`, ''];
  const w = ctx.arch === 'x64' ? 16 : 8;
  lines.push(`List ${'Timer'.padEnd(w)}    Interrupt Low/High     Fire Time              DPC/thread`);
  const rows = timers.map((t) => ({ t, due: BigInt(Math.floor(t.dueNs / 100)) })).map((r) => ({ ...r, list: tableIndex(r.due) }))
    .sort((a, b) => a.list - b.list || (a.due < b.due ? -1 : a.due > b.due ? 1 : 0));
  let previous = -1;
  const perList = new Map<number, number>();
  for (const { t, due, list } of rows) {
    perList.set(list, (perList.get(list) ?? 0) + 1);
    const label = list === previous ? '   ' : String(list).padStart(3);
    previous = list;
    lines.push(`${label} ${ulongPtr(ctx.arch, t.address)} ${t.periodMs ? 'P' : ' '} ${lowHigh(due)} [${dateText(clock.bootSystemTime, due)}]  ${dpcText(t)}`);
  }
  lines.push('', `Total Timers: ${timers.length}, Maximum List: ${Math.max(0, ...perList.values())}`, `Current Hand: ${tableIndex(now)}`);
  return lines;
}

/** The DPC/thread column: the DPC's routine; a timer without one (a dispatcher object a thread may wait on) says so. */
function dpcText(t: KdTimer): string {
  if (t.dpc) return t.dpc.routine.name;
  return t.thread !== null ? `thread ${hex(t.thread)}` : '(no DPC)';
}

/** !dpcs [Processor]: each processor's queued DPCs, in the order they will run. */
export function dpcs(ctx: KdContext, args: string[]): string[] {
  const queues = ctx.s.dpcQueues;
  if (queues === undefined) throw predates('!dpcs');
  const only = args[0] === undefined ? undefined : kdNumber(args[0], 'a processor number');
  const lines = ['CPU Type      KDPC       Function'];
  queues.forEach((q, cpu) => {
    if (only !== undefined && cpu !== only) return;
    if (q.length === 0) lines.push(`${String(cpu).padStart(2)}: (queue empty)`);
    for (const d of q) lines.push(`${String(cpu).padStart(2)}: Normal  : 0x${ulongPtr(ctx.arch, d.address)} 0x${ulongPtr(ctx.arch, d.routine.address)} ${d.routine.name}`);
  });
  return lines;
}
