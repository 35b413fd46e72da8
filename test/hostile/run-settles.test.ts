/**
 * `run()` always settles, and never blocks the host: whatever a program
 * throws, whatever options it is given, however many callers ask at once,
 * and when every program waits for what can never happen.
 *
 * A run that once spun synchronously (blocking the event loop, so no test
 * timeout could stop it) is run in a child process with a time limit.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boot, type Machine, type Process, type RunResult } from 'ntshm';
import { INFINITE } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';
import { settles as settlesWithin } from '../helpers/settles.js';

/** The exception code of an unhandled MSVC C++ `throw`. */
const CPP_EXCEPTION = 0xe06d7363;

const settles = <T>(promise: Promise<T>, ms = 5000): Promise<T> => settlesWithin(promise, ms);

/** A Proxy whose every trap throws: even `instanceof` on it throws. */
function hostileProxy(): object {
  const trap = (name: string) => () => {
    throw new Error(`trap ${name}`);
  };
  return new Proxy({}, {
    get: trap('get'), has: trap('has'), getPrototypeOf: trap('getPrototypeOf'), ownKeys: trap('ownKeys'),
    getOwnPropertyDescriptor: trap('getOwnPropertyDescriptor'), defineProperty: trap('defineProperty'), set: trap('set'),
  });
}

function errorWithThrowingGetter(property: 'name' | 'message'): Error {
  const e = new Error('boom');
  Object.defineProperty(e, property, { get() { throw new Error(`${property} getter`); } });
  return e;
}

describe('whatever a program throws, its process ends with the C++ exception code and run() settles', () => {
  const cases: { what: string; value: () => unknown; says: string }[] = [
    { what: 'a Proxy whose every trap throws', value: hostileProxy, says: 'a value that cannot be read' },
    { what: 'an Error whose name getter throws', value: () => errorWithThrowingGetter('name'), says: 'Error: boom' },
    { what: 'an Error whose message getter throws', value: () => errorWithThrowingGetter('message'), says: 'Error' },
    { what: 'an object whose toString throws', value: () => ({ toString() { throw new Error('no'); } }), says: 'a value that cannot be read' },
    { what: 'a Symbol', value: () => Symbol('thrown'), says: 'Symbol(thrown)' },
    { what: 'null', value: () => null, says: 'null' },
    { what: 'undefined', value: () => undefined, says: 'undefined' },
    { what: 'a bigint', value: () => 5n, says: '5n' },
  ];

  it.each(cases)('$what', async ({ value, says }) => {
    const machine = await boot();
    const program = machine.spawn(async (k32) => {
      await k32.Sleep(10);
      throw value();
    }, { name: 'Thrower.exe' });
    const result = await settles(machine.run());
    expect(result.reason).toBe('exited');
    expect(program.exitCode).toBe(CPP_EXCEPTION);
    expect(program.stdout).toBe(`[Thrower.exe ended by an unhandled exception, ${says}; exit code 0xE06D7363]\n`);
    expect(await settles(program.wait())).toBe(CPP_EXCEPTION);
  });

  it('thrown before its first await, the same', async () => {
    const machine = await boot();
    const program = machine.spawn(() => {
      throw hostileProxy();
    });
    expect((await settles(machine.run())).reason).toBe('exited');
    expect(program.exitCode).toBe(CPP_EXCEPTION);
  });

  // An argument whose valueOf throws is no value any register holds: the program's access violation (docs/fidelity.md, "Hostile arguments from programs").
  it('an argument whose valueOf throws a hostile value ends the program with an access violation, and run() settles', async () => {
    const machine = await boot();
    const program = machine.spawn(async (k32) => {
      const argument = { valueOf() { throw hostileProxy(); } };
      k32.VirtualAlloc(argument as unknown as number, 4096, 0x3000, 4);
      return 0;
    });
    expect((await settles(machine.run())).reason).toBe('exited');
    expect(program.exitCode).toBe(0xc0000005);
    expect(machine.stats().processes).toBe(2);
  });
});

describe('run() validates its options', () => {
  const bad: { what: string; options: unknown }[] = [
    { what: 'negative seconds', options: { seconds: -1 } },
    { what: 'seconds as a string', options: { seconds: '5' } },
    { what: 'seconds as a bigint', options: { seconds: 5n } },
    { what: 'options that are a number', options: 5 },
  ];

  it.each(bad)('$what: a RangeError, and the machine runs on afterwards', async ({ options }) => {
    const machine = await boot();
    const program = machine.spawn(async (k32) => {
      await k32.Sleep(100);
      return 7;
    });
    const before = machine.kernel.clock.nowNs;
    await expect(machine.run(options as { seconds?: number })).rejects.toThrow(RangeError);
    expect(machine.kernel.clock.nowNs).toBe(before);
    expect(program.exitCode).toBeUndefined();
    const result = await settles(machine.run());
    expect(result.reason).toBe('exited');
    expect(program.exitCode).toBe(7);
  });

  it('seconds that would take the clock past its exact range (2^53 ns) are a RangeError naming how many are left', async () => {
    const machine = await boot();
    await expect(machine.run({ seconds: 9_007_200 })).rejects.toThrow(/at most 9007199 more seconds/);
    await expect(machine.run({ seconds: 0 })).resolves.toMatchObject({ reason: 'seconds', virtualMs: 0 });
  });
});

describe('two runs at once on one machine', () => {
  it('the second rejects at once with an Error naming the problem; the first runs its course', async () => {
    const machine = await boot();
    const program = machine.spawn(async (k32) => {
      await k32.Sleep(100);
      return 3;
    });
    const first = machine.run({ seconds: 1 });
    const second = machine.run({ seconds: 1 });
    await expect(settles(second)).rejects.toThrow(/another run\(\) of this machine is in progress/);
    const result = await settles(first);
    expect(result.reason).toBe('exited');
    expect(program.exitCode).toBe(3);
    // Once the first has settled, the machine runs again.
    await expect(settles(machine.run({ seconds: 1 }))).resolves.toMatchObject({ reason: 'seconds' });
  });
});

describe('when nothing can ever happen again, run() returns and says so', () => {
  async function sleeper(machine: Machine): Promise<Process> {
    return machine.spawn(async (k32) => {
      await k32.Sleep(INFINITE);
      return 0;
    }, { name: 'Sleeper.exe' });
  }

  it('with seconds: it returns at once (idle), and the report says the program is stuck', async () => {
    const machine = await boot();
    const program = await sleeper(machine);
    const result = await settles(machine.run({ seconds: 30 }));
    expect(result).toMatchObject<Partial<RunResult>>({ reason: 'idle', virtualMs: 0 });
    expect(program.exitCode).toBeUndefined();
    expect(machine.report().outcome).toBe('stuck');
  });

  it('a driver timer that still fires keeps the run going: not idle, the seconds pass', async () => {
    let ticks = 0;
    const drv = testDriver({
      entry: (nt) => {
        const { timer } = nt.KeInitializeTimer();
        const { dpc } = nt.KeInitializeDpc(() => { ticks++; }, null);
        nt.KeSetTimerEx(timer, -100n * 10_000n, 100, dpc);
      },
    });
    const machine = await bootWith([drv]);
    await sleeper(machine);
    const result = await settles(machine.run({ seconds: 2 }));
    expect(result).toMatchObject({ reason: 'seconds', virtualMs: 2000 });
    expect(ticks).toBeGreaterThanOrEqual(19);
    expect(machine.report().outcome).toBe('cut');
  });

  it('a device timer started with IoStartTimer keeps the run going too; stopped, it does not', async () => {
    let calls = 0;
    const drv = testDriver({ timer: () => { calls++; }, entry: (nt, _d, device) => nt.IoStartTimer(device) });
    const machine = await bootWith([drv]);
    await sleeper(machine);
    expect(await settles(machine.run({ seconds: 3 }))).toMatchObject({ reason: 'seconds', virtualMs: 3000 });
    expect(calls).toBe(3);
    drv.nt.IoStopTimer(drv.device);
    expect(await settles(machine.run({ seconds: 3 }))).toMatchObject({ reason: 'idle', virtualMs: 3000 });
  });

  it('with no program, a run with seconds still lets the time pass (timers, DPCs)', async () => {
    const machine = await boot();
    expect(await settles(machine.run({ seconds: 2 }))).toMatchObject({ reason: 'seconds', virtualMs: 2000 });
  });
});

/**
 * Runs `body` (an async function's body, given `boot` and `INFINITE`) in a
 * child Node process and returns what it printed, or fails if the child did
 * not finish within `ms`: a run that blocks its event loop cannot be
 * stopped from inside.
 */
function inChild(body: string, ms = 20_000): Promise<string> {
  const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  const source = `import { boot } from ${JSON.stringify(index)};\nconst INFINITE = ${INFINITE};\n${body}`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { timeout: ms }, (error, stdout, stderr) => {
      if (error) reject(new Error(`the child did not finish cleanly (${error.killed ? `killed after ${ms} ms: run() blocked its event loop` : error.message})\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('runs that once blocked the host\'s event loop', () => {
  it('Sleep(INFINITE) with no seconds: run() returns idle at once', async () => {
    const out = await inChild(`
      const machine = await boot();
      const program = machine.spawn(async (k32) => { await k32.Sleep(INFINITE); return 0; });
      const result = await machine.run();
      console.log(JSON.stringify({ reason: result.reason, virtualMs: result.virtualMs, exitCode: program.exitCode ?? null }));
    `);
    expect(JSON.parse(out)).toEqual({ reason: 'idle', virtualMs: 0, exitCode: null });
  });

  it('seconds NaN, Infinity and 1e300: each a RangeError, at once', async () => {
    const out = await inChild(`
      const machine = await boot();
      for (const seconds of [NaN, Infinity, 1e300]) {
        try {
          await machine.run({ seconds });
          console.log('resolved');
        } catch (e) {
          console.log(e instanceof RangeError ? 'RangeError' : String(e));
        }
      }
    `);
    expect(out.trim().split('\n')).toEqual(['RangeError', 'RangeError', 'RangeError']);
  });
});
