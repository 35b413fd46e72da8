/**
 * Waits on events, semaphores and mutexes from programs: the signal states,
 * what a satisfied wait does to the object (a synchronization event resets,
 * a semaphore count is taken, a mutex is owned), WaitAll and WaitAny,
 * timeouts at the clock tick, an abandoned mutex, the semaphore limit, and
 * named objects shared by two processes.
 */
import { ERROR_ALREADY_EXISTS, ERROR_NOT_OWNER, ERROR_TOO_MANY_POSTS, WAIT_ABANDONED, WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT } from 'ntshm/win32';
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { defineProgram, type K32 } from 'ntshm/win32';
import { runProgramChecked } from '../helpers/in-program.js';

const CLOCK_TICK_MS = 15.625;

const ARCHES = ['x64', 'x86'] as const;

describe.each(ARCHES)('waits on %s', (arch) => {
  const fresh = () => boot({ seed: 1, arch, profile: 'nt4' });

  it.each([
    { kind: 'manual-reset event', make: (k: K32) => k.CreateEventW(null, true, true), second: WAIT_OBJECT_0 },
    { kind: 'auto-reset event', make: (k: K32) => k.CreateEventW(null, false, true), second: WAIT_TIMEOUT },
    { kind: 'semaphore with count 1', make: (k: K32) => k.CreateSemaphoreW(null, 1, 5), second: WAIT_TIMEOUT },
    { kind: 'free mutex (recursive for its owner)', make: (k: K32) => k.CreateMutexW(null, false), second: WAIT_OBJECT_0 },
  ])('a signalled $kind satisfies a wait; a second zero-timeout wait answers $second', async ({ make, second }) => {
    const machine = await fresh();
    const seen: number[] = [];
    await runProgramChecked(machine, async (k32) => {
      const h = make(k32);
      seen.push(await k32.WaitForSingleObject(h, 0), await k32.WaitForSingleObject(h, 0));
      k32.CloseHandle(h);
    });
    expect(seen).toEqual([WAIT_OBJECT_0, second]);
  });

  it('an unsignalled event times out at the clock tick after the timeout (Sleep granularity)', async () => {
    const machine = await fresh();
    let status = -1;
    let waitedMs = 0;
    await runProgramChecked(machine, async (k32) => {
      const h = k32.CreateEventW(null, true, false);
      const t0 = k32.GetTickCount();
      status = await k32.WaitForSingleObject(h, 20);
      waitedMs = k32.GetTickCount() - t0;
    });
    expect(status).toBe(WAIT_TIMEOUT);
    // 20 ms ends at the second tick: between 20 and 20 + one tick.
    expect(waitedMs).toBeGreaterThanOrEqual(15);
    expect(waitedMs).toBeLessThanOrEqual(20 + CLOCK_TICK_MS * 2);
  });

  it('ResetEvent unsignals; SetEvent answers the state it found; a wrong handle is WAIT_FAILED', async () => {
    const machine = await fresh();
    const seen: Record<string, unknown> = {};
    await runProgramChecked(machine, async (k32) => {
      const h = k32.CreateEventW(null, true, true);
      seen.reset = k32.ResetEvent(h);
      seen.afterReset = await k32.WaitForSingleObject(h, 0);
      seen.set = k32.NtSetEvent(h);
      seen.setAgain = k32.NtSetEvent(h);
      seen.bad = await k32.WaitForSingleObject(0x1234, 0);
      seen.badError = k32.GetLastError();
    });
    expect(seen).toMatchObject({
      reset: true, afterReset: WAIT_TIMEOUT, set: { status: 0, previousState: 0 }, setAgain: { status: 0, previousState: 1 }, bad: WAIT_FAILED,
      badError: 6, // ERROR_INVALID_HANDLE
    });
  });

  it.each([
    { waitAll: false, states: [false, true, true], expected: WAIT_OBJECT_0 + 1 },
    { waitAll: false, states: [false, false, false], expected: WAIT_TIMEOUT },
    { waitAll: true, states: [true, true, false], expected: WAIT_TIMEOUT },
    { waitAll: true, states: [true, true, true], expected: WAIT_OBJECT_0 },
  ])('WaitForMultipleObjects(waitAll=$waitAll) over events $states answers $expected', async ({ waitAll, states, expected }) => {
    const machine = await fresh();
    let status = -1;
    let consumed: number[] = [];
    await runProgramChecked(machine, async (k32) => {
      const hs = states.map((s) => k32.CreateEventW(null, false, s));
      status = await k32.WaitForMultipleObjects(hs.length, hs, waitAll, 0);
      consumed = await Promise.all(hs.map(async (h) => k32.WaitForSingleObject(h, 0)));
    });
    expect(status).toBe(expected);
    // A satisfied WaitAll takes every auto-reset event; WaitAny only the one it names; a timeout none.
    const taken = states.map((s, i) => s && (expected === WAIT_OBJECT_0 && waitAll ? true : !waitAll && expected === WAIT_OBJECT_0 + i));
    expect(consumed).toEqual(states.map((s, i) => (s && !taken[i] ? WAIT_OBJECT_0 : WAIT_TIMEOUT)));
  });

  it('a semaphore past its maximum refuses the release (ERROR_TOO_MANY_POSTS) and keeps its count', async () => {
    const machine = await fresh();
    const seen: Record<string, unknown> = {};
    await runProgramChecked(machine, async (k32) => {
      const h = k32.CreateSemaphoreW(null, 1, 2);
      seen.first = k32.ReleaseSemaphore(h, 1);
      seen.over = k32.ReleaseSemaphore(h, 1);
      seen.error = k32.GetLastError();
      seen.waits = [await k32.WaitForSingleObject(h, 0), await k32.WaitForSingleObject(h, 0), await k32.WaitForSingleObject(h, 0)];
    });
    expect(seen).toEqual({
      first: { ok: true, previousCount: 1 }, over: { ok: false, previousCount: 0 }, error: ERROR_TOO_MANY_POSTS,
      waits: [WAIT_OBJECT_0, WAIT_OBJECT_0, WAIT_TIMEOUT],
    });
  });

  it('one program waits on an event another sets by name; the waiter wakes when it is set', async () => {
    const machine = await fresh();
    const seen: Record<string, unknown> = {};
    machine.spawn(defineProgram(async (k32) => {
      const h = k32.CreateEventW(null, true, false, 'Ready');
      seen.createError = k32.GetLastError();
      seen.status = await k32.WaitForSingleObject(h, 0xffffffff);
      seen.wokeMs = k32.GetTickCount();
      return 0;
    }), { name: 'waiter.exe' });
    machine.spawn(defineProgram(async (k32) => {
      await k32.Sleep(100);
      const h = k32.CreateEventW(null, true, false, 'Ready');
      seen.secondCreateError = k32.GetLastError();
      const opened = k32.OpenEventW(0x0002, false, 'Ready');
      seen.setMs = k32.GetTickCount();
      seen.set = k32.SetEvent(opened);
      k32.CloseHandle(h);
      return 0;
    }), { name: 'setter.exe' });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toMatchObject({ createError: 0, secondCreateError: ERROR_ALREADY_EXISTS, set: true, status: WAIT_OBJECT_0 });
    expect(seen.wokeMs).toBe(seen.setMs);
  });

  it('a mutex whose owner exits holding it is abandoned: the next waiter gets WAIT_ABANDONED and owns it', async () => {
    const machine = await fresh();
    const seen: Record<string, unknown> = {};
    machine.spawn(defineProgram(async (k32) => {
      k32.CreateMutexW(null, true, 'Lock');
      await k32.Sleep(50);
      return 0; // exits still owning it
    }), { name: 'owner.exe' });
    machine.spawn(defineProgram(async (k32) => {
      await k32.Sleep(10);
      const h = k32.CreateMutexW(null, false, 'Lock');
      seen.notOwner = k32.ReleaseMutex(h);
      seen.notOwnerError = k32.GetLastError();
      seen.status = await k32.WaitForSingleObject(h, 0xffffffff);
      seen.again = await k32.WaitForSingleObject(h, 0);
      seen.release1 = k32.ReleaseMutex(h);
      seen.release2 = k32.ReleaseMutex(h);
      seen.release3 = k32.ReleaseMutex(h);
      return 0;
    }), { name: 'waiter.exe' });
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toEqual({
      notOwner: false, notOwnerError: ERROR_NOT_OWNER, status: WAIT_ABANDONED, again: WAIT_OBJECT_0, release1: true, release2: true, release3: false,
    });
  });

  it('a wait that nothing can satisfy leaves the machine idle, the program still waiting', async () => {
    const machine = await fresh();
    const process = machine.spawn(defineProgram(async (k32) => {
      const h = k32.CreateEventW(null, true, false);
      await k32.WaitForSingleObject(h, 0xffffffff);
      return 0;
    }));
    const result = await machine.run({ seconds: 5 });
    expect(result.bugcheck).toBeUndefined();
    expect(process.exitCode).toBeUndefined();
    expect(result.reason).toBe('idle');
  });
});
