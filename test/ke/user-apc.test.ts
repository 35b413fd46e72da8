/**
 * User APCs: QueueUserAPC's routine runs in the target thread at its next
 * alertable wait (SleepEx, WaitForSingleObjectEx, WaitForMultipleObjectsEx
 * with bAlertable TRUE), which then returns WAIT_IO_COMPLETION; a
 * non-alertable wait is not ended by one; routines queued before an
 * alertable wait end it at once; a thread that has ended refuses them.
 */
import { INFINITE, WAIT_IO_COMPLETION, WAIT_OBJECT_0, WAIT_TIMEOUT } from 'ntshm/win32';
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import type { K32 } from 'ntshm/win32';
import { runProgramChecked } from '../helpers/in-program.js';

describe.each(['x64', 'x86'] as const)('user APCs on %s', (arch) => {
  const fresh = () => boot({ seed: 1, arch });

  it('an APC queued to a thread in an alertable SleepEx ends it: the routine runs in that thread, then WAIT_IO_COMPLETION', async () => {
    const machine = await fresh();
    const seen: Record<string, unknown> = {};
    await runProgramChecked(machine, async (k32) => {
      const started = k32.CreateEventW(null, true, false);
      const { value: h, threadId } = k32.CreateThread(null, 0, async (t: K32) => {
        t.SetEvent(started);
        const t0 = t.GetTickCount();
        seen.sleep = await t.SleepEx(INFINITE, true);
        seen.sleptMs = t.GetTickCount() - t0;
        return 0;
      }, 0, 0);
      await k32.WaitForSingleObject(started, INFINITE);
      await k32.Sleep(50);
      seen.queued = k32.QueueUserAPC((t: K32, data: number) => {
        seen.ranIn = t.GetCurrentThreadId();
        seen.data = data;
      }, h, 0x1234);
      seen.threadId = threadId;
      seen.joined = await k32.WaitForSingleObject(h, 1000);
    });
    expect(seen).toMatchObject({ queued: true, data: 0x1234, sleep: WAIT_IO_COMPLETION, joined: WAIT_OBJECT_0 });
    expect(seen.ranIn).toBe(seen.threadId);
    expect(seen.sleptMs).toBeGreaterThanOrEqual(40);
  });

  it('a non-alertable wait is not ended by an APC; the next alertable wait runs it at once, in queue order', async () => {
    const machine = await fresh();
    const order: string[] = [];
    const seen: Record<string, unknown> = {};
    await runProgramChecked(machine, async (k32) => {
      const go = k32.CreateEventW(null, false, false);
      const { value: h } = k32.CreateThread(null, 0, async (t: K32) => {
        seen.plain = await t.WaitForSingleObject(go, INFINITE);
        order.push('woken');
        seen.alertable = await t.WaitForSingleObjectEx(go, INFINITE, true);
        seen.poll = await t.WaitForSingleObjectEx(go, 0, true);
        return 0;
      }, 0, 0);
      await k32.Sleep(20);
      k32.QueueUserAPC(() => { order.push('first'); }, h, 1);
      k32.QueueUserAPC(() => { order.push('second'); }, h, 2);
      await k32.Sleep(20);
      order.push('set');
      k32.SetEvent(go);
      seen.joined = await k32.WaitForSingleObject(h, 1000);
    });
    expect(order).toEqual(['set', 'woken', 'first', 'second']);
    expect(seen).toMatchObject({ plain: WAIT_OBJECT_0, alertable: WAIT_IO_COMPLETION, poll: WAIT_TIMEOUT, joined: WAIT_OBJECT_0 });
  });

  it('WaitForMultipleObjectsEx and an APC a thread queues to itself; SleepEx without bAlertable sleeps its time', async () => {
    const machine = await fresh();
    const seen: Record<string, unknown> = {};
    await runProgramChecked(machine, async (k32) => {
      const e = k32.CreateEventW(null, true, false);
      const self = k32.GetCurrentThread();
      k32.QueueUserAPC((_t: K32, d: number) => { seen.self = d; }, self, 9);
      seen.plainSleep = await k32.SleepEx(10, false);
      seen.multiple = await k32.WaitForMultipleObjectsEx(1, [e], false, INFINITE, true);
      // A zero timeout: the queued APC comes before the timeout, as KeWaitForSingleObject tests them.
      k32.QueueUserAPC(() => {}, self, 0);
      seen.poll = await k32.WaitForSingleObjectEx(e, 0, true);
      seen.after = await k32.SleepEx(10, true);
    });
    expect(seen).toEqual({ plainSleep: 0, self: 9, multiple: WAIT_IO_COMPLETION, poll: WAIT_IO_COMPLETION, after: 0 });
  });

  it('a thread that has ended refuses APCs', async () => {
    const machine = await fresh();
    const seen: Record<string, unknown> = {};
    await runProgramChecked(machine, async (k32) => {
      const { value: h } = k32.CreateThread(null, 0, () => 0, 0, 0);
      await k32.WaitForSingleObject(h, INFINITE);
      seen.queued = k32.QueueUserAPC(() => {}, h, 0);
      seen.error = k32.GetLastError();
    });
    expect(seen.queued).toBe(false);
    expect(seen.error).toBe(31); // ERROR_GEN_FAILURE: STATUS_UNSUCCESSFUL
  });
});
