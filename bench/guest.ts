/**
 * Running benchmark code where guest code runs: in a program's thread, in
 * its process context, with the program's k32.
 */
import type { K32 } from '../src/api/k32.js';
import { defineProgram } from '../src/api/win32.js';
import type { Machine } from '../src/machine.js';

/**
 * Spawns a program whose body is `body`, runs the machine until it exits,
 * and returns what `body` returned. A bug check or a failing body is an
 * error of the benchmark, not a figure.
 */
export async function inProgram<T>(machine: Machine, name: string, body: (k32: K32) => T | Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  let failure: unknown;
  machine.spawn(defineProgram(async (k32) => {
    try {
      result = { value: await body(k32) };
      return 0;
    } catch (e) {
      failure = e;
      return 1;
    }
  }, name));
  const run = await machine.run();
  if (run.bugcheck) throw new Error(`${name}: the machine stopped with bug check ${run.bugcheck.name}: ${run.bugcheck.explanation}`);
  if (failure !== undefined) throw new Error(`${name} failed`, { cause: failure });
  if (!result) throw new Error(`${name} did not finish`);
  return result.value;
}
