/**
 * A program's threads: CreateThread runs a routine in a new thread with its
 * own TEB and stack; its handle is signalled when it ends; GetExitCodeThread
 * answers STILL_ACTIVE until then; ExitThread ends one thread, the last
 * thread's end is the process's; main's return ends every thread; a mutex
 * a thread dies holding is abandoned.
 */
import { INFINITE, STILL_ACTIVE, WAIT_ABANDONED, WAIT_OBJECT_0, WAIT_TIMEOUT } from 'ntshm/win32';
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { defineProgram, type K32 } from 'ntshm/win32';
import { runProgramChecked } from '../helpers/in-program.js';


describe.each(['x64', 'x86'] as const)('threads on %s', (arch) => {
  const fresh = () => boot({ seed: 1, arch, profile: 'nt4' });

  it('CreateThread runs the routine with its parameter; the handle is signalled at its end; GetExitCodeThread says STILL_ACTIVE until then', async () => {
    const machine = await fresh();
    const seen: Record<string, unknown> = {};
    await runProgramChecked(machine, async (k32) => {
      // Each thread calls through its own k32 (its TEB, its stack): main's is not for the new thread.
      const pid = k32.GetCurrentProcessId();
      const { value: h, threadId } = k32.CreateThread(null, 0, async (t: K32, p: number) => {
        seen.parameter = p;
        seen.ownId = t.GetCurrentThreadId();
        seen.sameProcess = t.GetCurrentProcessId() === pid;
        await t.Sleep(30);
        return 42;
      }, 7, 0);
      seen.threadId = threadId;
      seen.mainId = k32.GetCurrentThreadId();
      seen.byHandle = k32.GetThreadId(h);
      seen.before = k32.GetExitCodeThread(h);
      seen.poll = await k32.WaitForSingleObject(h, 0);
      seen.wait = await k32.WaitForSingleObject(h, INFINITE);
      seen.after = k32.GetExitCodeThread(h);
      seen.close = k32.CloseHandle(h);
    });
    expect(seen).toMatchObject({
      parameter: 7, sameProcess: true, before: { ok: true, exitCode: STILL_ACTIVE }, poll: WAIT_TIMEOUT, wait: WAIT_OBJECT_0,
      after: { ok: true, exitCode: 42 }, close: true,
    });
    expect(seen.ownId).toBe(seen.threadId);
    expect(seen.byHandle).toBe(seen.threadId);
    expect(seen.threadId).not.toBe(seen.mainId);
  });

  it('threads take turns on a semaphore; an auto-reset event hands work from one thread to another', async () => {
    const machine = await fresh();
    const order: string[] = [];
    await runProgramChecked(machine, async (k32) => {
      const ready = k32.CreateEventW(null, false, false);
      const slots = k32.CreateSemaphoreW(null, 1, 1);
      const worker = (name: string) => async (t: K32) => {
        await t.WaitForSingleObject(slots, INFINITE);
        order.push(`${name} in`);
        await t.Sleep(20);
        order.push(`${name} out`);
        t.ReleaseSemaphore(slots, 1);
        t.SetEvent(ready);
        return 0;
      };
      const a = k32.CreateThread(null, 0, worker('a'), 0, 0).value;
      const b = k32.CreateThread(null, 0, worker('b'), 0, 0).value;
      expect(await k32.WaitForMultipleObjects(2, [a, b], true, INFINITE)).toBe(WAIT_OBJECT_0);
      // Two SetEvents on an auto-reset event nobody waited for leave it signalled once.
      expect(await k32.WaitForSingleObject(ready, 0)).toBe(WAIT_OBJECT_0);
      expect(await k32.WaitForSingleObject(ready, 0)).toBe(WAIT_TIMEOUT);
    });
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
  });

  it('a thread that ends holding a mutex abandons it: the waiting thread gets WAIT_ABANDONED', async () => {
    const machine = await fresh();
    let status = -1;
    await runProgramChecked(machine, async (k32) => {
      const m = k32.CreateMutexW(null, false);
      const owner = k32.CreateThread(null, 0, async (t: K32) => {
        await t.WaitForSingleObject(m, INFINITE);
        t.ExitThread(5);
      }, 0, 0).value;
      await k32.Sleep(20);
      status = await k32.WaitForSingleObject(m, INFINITE);
      expect(k32.GetExitCodeThread(owner).exitCode).toBe(5);
      expect(k32.ReleaseMutex(m)).toBe(true);
    });
    expect(status).toBe(WAIT_ABANDONED);
  });

  it.each([
    { how: 'main returns while another thread sleeps: the process ends with main\'s code', main: 'return', expected: 3 },
    { how: 'main calls ExitThread: the process lives on and ends with its last thread\'s code', main: 'exit-thread', expected: 9 },
    { how: 'a thread throws: the process ends with the C++ exception code', main: 'throw', expected: 0xe06d7363 },
  ])('$how', async ({ main, expected }) => {
    const machine = await fresh();
    const lines: string[] = [];
    const process = machine.spawn(defineProgram(async (k32) => {
      k32.CreateThread(null, 0, async (t: K32) => {
        if (main === 'throw') throw new Error('boom');
        await t.Sleep(100);
        lines.push('worker done');
        return 9;
      }, 0, 0);
      await k32.Sleep(10);
      if (main === 'exit-thread') k32.ExitThread(1);
      if (main === 'throw') await k32.Sleep(1000);
      return 3;
    }));
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBe(expected);
    expect(lines).toEqual(main === 'exit-thread' ? ['worker done'] : []);
  });

  it('a thread still waiting when its process ends lets go of what it waited on: nonpaged pool goes back to where it was', async () => {
    const leftOver = async (waits: boolean) => {
      const machine = await fresh();
      const before = machine.stats().pool.nonPagedBytes;
      const process = machine.spawn(defineProgram(async (k32) => {
        const h = k32.CreateEventW(null, true, false);
        const m = k32.CreateMutexW(null, false);
        k32.CreateThread(null, 0, async (t: K32) => (waits ? t.WaitForMultipleObjects(2, [h, m], true, INFINITE) : 0), 0, 0);
        await k32.Sleep(10);
        return 0;
      }));
      const result = await machine.run({ seconds: 5 });
      expect(result.bugcheck).toBeUndefined();
      expect(process.exitCode).toBe(0);
      return machine.stats().pool.nonPagedBytes - before;
    };
    expect(await leftOver(true)).toBe(await leftOver(false));
  });
});
