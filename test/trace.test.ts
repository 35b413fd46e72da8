/**
 * The trace (`boot({ trace: true })`, `machine.trace()`, `ntshm run --trace
 * FILE`): Chrome's trace-event JSON, checked against the format (every
 * event's fields and their types, complete events with a duration, async
 * spans that begin and end, named tracks) and for what a run must show:
 * the IOCTL and its dispatch routine, the mapping and the unmapping of the
 * shared page, the timer's DPCs, clock ticks, a pending request's span, and
 * the bug check.
 */
import { describe, expect, it } from 'vitest';
import { boot, type TraceEvent, type TraceFile } from 'ntshm';
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, METHOD_BUFFERED, STATUS_PENDING } from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING } from 'ntshm/win32';
import { findSample } from '../samples/registry.js';
import { IOCTL_GIVE_ME_YOUR_MEMORY } from '../samples/sharing-memory/ioctl.js';
import { bootWith, testDriver } from './helpers/test-driver.js';

const PHASES = new Set(['X', 'i', 'b', 'e', 'M']);

/** Every rule of the trace-event format ntshm's events are subject to; returns the problems found. */
function formatProblems(file: TraceFile): string[] {
  const problems: string[] = [];
  if (!Array.isArray(file.traceEvents)) return ['traceEvents is not an array'];
  if (!['ms', 'ns'].includes(file.displayTimeUnit)) problems.push(`displayTimeUnit ${String(file.displayTimeUnit)}`);
  const open = new Map<string, number>();
  const named = new Set<string>();
  for (const [i, e] of file.traceEvents.entries()) {
    const where = `event ${i} (${e.name})`;
    if (typeof e.name !== 'string' || typeof e.cat !== 'string') problems.push(`${where}: name and cat must be strings`);
    if (!PHASES.has(e.ph)) problems.push(`${where}: phase ${e.ph}`);
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) problems.push(`${where}: ts ${e.ts}`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) problems.push(`${where}: pid/tid must be integers`);
    if (e.ph === 'X' && (typeof e.dur !== 'number' || e.dur < 0)) problems.push(`${where}: a complete event needs dur >= 0`);
    if (e.ph === 'i' && !['t', 'p', 'g'].includes(e.s ?? '')) problems.push(`${where}: an instant needs a scope`);
    if (e.ph === 'M') {
      if (typeof e.args?.name !== 'string') problems.push(`${where}: metadata without a name`);
      named.add(`${e.name}:${e.pid}:${e.name === 'thread_name' ? e.tid : 0}`);
    }
    if (e.ph === 'b' || e.ph === 'e') {
      if (typeof e.id !== 'string') problems.push(`${where}: an async event needs an id`);
      const key = `${e.cat}/${e.name}/${e.id}`;
      const depth = (open.get(key) ?? 0) + (e.ph === 'b' ? 1 : -1);
      if (depth < 0) problems.push(`${where}: ends a span that never began`);
      open.set(key, depth);
    }
  }
  for (const e of file.traceEvents) {
    if (e.ph === 'M') continue;
    if (!named.has(`process_name:${e.pid}:0`)) problems.push(`pid ${e.pid} has no process_name`);
    if (!named.has(`thread_name:${e.pid}:${e.tid}`)) problems.push(`pid ${e.pid} tid ${e.tid} has no thread_name`);
  }
  return [...new Set(problems)];
}

const byCat = (file: TraceFile, cat: string): TraceEvent[] => file.traceEvents.filter((e) => e.cat === cat);

describe.each(['x64', 'x86'] as const)('the trace of a run on %s', (arch) => {
  it('sharing-memory: the IOCTL, the page mapped and unmapped, the timer DPCs and clock ticks, in the trace-event format', async () => {
    const machine = await boot({ arch, trace: true, profile: 'nt4' });
    await machine.runScenario(findSample('sharing-memory')!, { seconds: 3 });
    const file = JSON.parse(JSON.stringify(machine.trace())) as TraceFile;
    expect(formatProblems(file)).toEqual([]);
    const ioctl = byCat(file, 'irp').find((e) => e.args?.ioctl === `0x${IOCTL_GIVE_ME_YOUR_MEMORY.toString(16)}`);
    expect(ioctl).toMatchObject({ ph: 'X', name: 'SharingMemory!DispatchControl', args: { major: 'IRP_MJ_DEVICE_CONTROL', status: 'STATUS_SUCCESS' } });
    const mappings = byCat(file, 'mapping').filter((e) => e.name.endsWith('MDL (user)'));
    expect(mappings.map((e) => e.name)).toEqual(['map MDL (user)', 'unmap MDL (user)']);
    expect(mappings[0]!.args?.va).toBe(mappings[1]!.args?.va);
    expect(byCat(file, 'dpc').length).toBeGreaterThanOrEqual(2);
    // The I/O timer's DPC, which calls the driver's timer routine each second.
    expect(new Set(byCat(file, 'dpc').map((e) => e.name))).toEqual(new Set(['nt!IopTimerDispatch']));
    expect(byCat(file, 'interrupt').length).toBeGreaterThan(0);
    // Every event lies within the run's virtual time (a complete event is written when it ends, with its start as ts).
    const endUs = machine.kernel.clock.nowNs / 1000;
    expect(file.traceEvents.every((e) => e.ts + (e.dur ?? 0) <= endUs)).toBe(true);
  });

  it('a request held pending is a span from the dispatch routine to its completion', async () => {
    const code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x940, METHOD_BUFFERED, FILE_ANY_ACCESS);
    const driver = testDriver({
      control: ({ nt, irp }) => {
        nt.IoMarkIrpPending(irp);
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => nt.IoCompleteRequest(irp, IO_NO_INCREMENT), null);
        nt.KeSetTimer(timer, -500_000n, dpc);
        return STATUS_PENDING;
      },
    });
    const machine = await bootWith([driver], { arch, trace: true });
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(h, code, 0, 0, 0, 0);
      k32.CloseHandle(h);
      return 0;
    });
    await machine.run({ seconds: 2 });
    const file = machine.trace()!;
    expect(formatProblems(file)).toEqual([]);
    const span = file.traceEvents.filter((e) => e.ph === 'b' || e.ph === 'e');
    expect(span.map((e) => [e.ph, e.name])).toEqual([['b', 'IRP_MJ_DEVICE_CONTROL pending'], ['e', 'IRP_MJ_DEVICE_CONTROL pending']]);
    expect(span[1]!.ts - span[0]!.ts).toBeGreaterThanOrEqual(50_000);
  });

  it('a bug check is an instant every track shows', async () => {
    const code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x941, METHOD_BUFFERED, FILE_ANY_ACCESS);
    const driver = testDriver({
      control: ({ nt, irp }) => {
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      },
    });
    const machine = await bootWith([driver], { arch, trace: true });
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(h, code, 0, 0, 0, 0);
      return 0;
    });
    const result = await machine.run({ seconds: 2 });
    const file = machine.trace()!;
    expect(formatProblems(file)).toEqual([]);
    const bugcheck = byCat(file, 'bugcheck');
    expect(result.bugcheck?.code).toBe(0x44);
    expect(bugcheck).toHaveLength(1);
    expect(bugcheck[0]).toMatchObject({ ph: 'i', s: 'g', name: 'bug check 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS', args: { code: 0x44 } });
  });
});

describe('without trace', () => {
  it('a machine records nothing and machine.trace() is undefined', async () => {
    const machine = await boot();
    expect(machine.kernel.trace).toBeNull();
    expect(machine.trace()).toBeUndefined();
  });

  it('trace must be a boolean', async () => {
    await expect(boot({ trace: 'yes' as unknown as boolean })).rejects.toThrow(/trace must be true or false/);
  });
});
