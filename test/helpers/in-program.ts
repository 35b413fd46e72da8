/**
 * Running a test's body inside one program: an exception or a failed
 * expectation inside it fails the test (it is rethrown after the run).
 */
import { expect } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { defineProgram, type K32 } from 'ntshm/win32';

/** Runs one program to its end on `machine`; it must exit with 0 and the machine must not stop. */
export async function runProgramChecked(machine: Machine, main: (k32: K32) => Promise<void> | void, name = 'test.exe') {
  let error: unknown;
  const process = machine.spawn(defineProgram(async (k32) => {
    try {
      await main(k32);
    } catch (e) {
      error = e;
    }
    return 0;
  }, name));
  const result = await machine.run();
  if (error) throw error;
  expect(result.bugcheck).toBeUndefined();
  expect(process.exitCode).toBe(0);
  return { result, process };
}

/** A fresh nt4 machine, one program whose body returns what it saw, and the machine's stats before and after. */
export async function inProgram(body: (k32: K32) => Record<string, unknown>) {
  const machine = await boot({ seed: 1, profile: 'nt4' });
  const before = machine.stats();
  let seen: Record<string, unknown> = {};
  machine.spawn(defineProgram((k32) => {
    seen = body(k32);
    return 0;
  }));
  await machine.run({ seconds: 5 });
  return { seen, before, after: machine.stats() };
}
