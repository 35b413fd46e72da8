/**
 * One run of the fuzzer: boots a machine, loads the fuzz driver and the
 * sharing-memory sample's driver, runs the scenario's programs at once (they
 * interleave at every Sleep and IOCTL), checks the invariants as they go,
 * and at the end unloads the drivers and compares the machine with the one
 * just booted.
 *
 * The verdict:
 *   clean      everything held;
 *   bugcheck   the machine stopped after a driver's misuse: the driver's due,
 *              reported, not a failure;
 *   failure    a host exception reached guest code, an invariant broke, run()
 *              did not settle (host-time timeout), a bug check came with no
 *              driver misuse before it (a program can never crash the
 *              machine), a process ended with another exit code than its
 *              script asked, or something was left behind.
 */
import { boot, type Machine, type Process } from '../src/index.js';
import { defineProgram } from '../src/api/win32.js';
import { EmulatorError } from '../src/include/errors.js';
import { formatBugCheckCode } from '../src/report.js';
import { sharingMemoryDriver } from '../samples/sharing-memory/driver.js';
import { SERVICE_NAME as SAMPLE_SERVICE } from '../samples/sharing-memory/ioctl.js';
import type { DriverAction, ProgramAction, Scenario } from './actions.js';
import { FUZZ_SERVICE, FuzzDriverState, fuzzDriver, type FuzzDriverHost, type Resolver } from './driver.js';
import { machineProblems, quickProblems } from './invariants.js';
import { ProgramState, runScript, type ProgramHost } from './program.js';

/** How a run is checked. */
export interface WorldOptions {
  /** Full invariant check after every this many calls (the cheap counters after every call). */
  readonly checkEvery: number;
  /** Host milliseconds a run may take before it counts as not settling. */
  readonly hostTimeoutMs: number;
  /** The machine's memory: small, since a fresh SharedArrayBuffer of it is most of a short run's cost. */
  readonly memoryMiB: number;
}

export const DEFAULT_WORLD_OPTIONS: WorldOptions = { checkEvery: 16, hostTimeoutMs: 20_000, memoryMiB: 8 };

/** What a run came to. */
export interface Outcome {
  readonly verdict: 'clean' | 'bugcheck' | 'failure';
  readonly calls: number;
  readonly checks: number;
  /** For a failure: what went wrong, first thing first. */
  readonly failures: readonly string[];
  /** The bug check, if the machine stopped. */
  readonly bugcheck: string | undefined;
  /** Driver misuses that ran (kind: count), and which of them the machine let pass. */
  readonly misuses: readonly string[];
}

/** Virtual seconds the programs of one run may take in all (their sleeps are short). */
const VIRTUAL_LIMIT_S = 120;

/** Runs one scenario to its verdict. */
export async function runWorld(scenario: Scenario, options: WorldOptions = DEFAULT_WORLD_OPTIONS): Promise<Outcome> {
  const world = new World(scenario, options);
  try {
    await world.run();
  } catch (e) {
    world.fail(`the run threw ${describeError(e)}`);
  }
  return world.outcome();
}

class World implements FuzzDriverHost, ProgramHost {
  machine!: Machine;
  calls = 0;
  checks = 0;
  sinceCheck = 0;
  readonly failures: string[] = [];
  readonly misuses: string[] = [];
  /** Misuses after which the machine must stop (issue 7 says which). */
  readonly mustStop: string[] = [];
  inFlight: string | undefined;
  lastInFlight: string | undefined;
  readonly driverState = new FuzzDriverState();
  readonly states: ProgramState[];
  private readonly pending = new Map<number, { actions: readonly DriverAction[]; resolve: Resolver }>();
  private nextCallId = 1;

  constructor(readonly scenario: Scenario, readonly options: WorldOptions) {
    this.states = scenario.programs.map(() => new ProgramState());
  }

  get stopped(): boolean {
    return this.failures.length > 0 || this.machine.bugcheck !== undefined;
  }

  get layout() {
    return this.machine.kernel.layout;
  }

  get arch() {
    return this.scenario.arch;
  }

  fail(what: string): void {
    this.failures.push(what);
  }

  // --- FuzzDriverHost ---
  takeCall(id: number) {
    const call = this.pending.get(id);
    this.pending.delete(id);
    return call;
  }

  counted(): void {
    this.calls++;
  }

  misuse(what: string, mustStop: boolean): void {
    this.misuses.push(what);
    if (mustStop) this.mustStop.push(what);
  }

  setInFlight(what: string | undefined): void {
    if (what !== undefined) this.lastInFlight = what;
    this.inFlight = what;
  }

  hostError(where: string, error: unknown): void {
    this.fail(`${describeError(error)}${thrownAt(error)} reached guest code in ${where}`);
  }

  // --- ProgramHost ---
  others(self: ProgramState): readonly ProgramState[] {
    return this.states.filter((s) => s !== self);
  }

  driverMappings(pid: number) {
    return this.driverState.mappings.filter((m) => m.live && m.pid === pid);
  }

  queueCall(action: ProgramAction & { k: 'driver' }, resolve: Resolver): number {
    const id = this.nextCallId++;
    this.pending.set(id, { actions: action.actions, resolve });
    return id;
  }

  afterCall(): boolean {
    this.calls++;
    const quick = quickProblems(this.machine);
    if (quick.length > 0) this.fail(`after ${this.lastInFlight}: ${quick.join('; ')}`);
    if (++this.sinceCheck >= this.options.checkEvery) this.check(`after ${this.lastInFlight}`);
    return !this.stopped;
  }

  /** The full invariant check. */
  check(when: string): void {
    this.sinceCheck = 0;
    this.checks++;
    const problems = machineProblems(this.machine);
    if (problems.length > 0) this.fail(`${when}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  }

  // --- the run ---
  async run(): Promise<void> {
    const s = this.scenario;
    this.machine = await boot({ arch: s.arch, cpus: s.cpus, seed: s.seed, memoryMiB: this.options.memoryMiB, verifier: s.verifier });
    const m = this.machine;
    const booted = m.stats();
    const loaded = [m.loadDriver(FUZZ_SERVICE, fuzzDriver(this, this.driverState)), m.loadDriver(SAMPLE_SERVICE, sharingMemoryDriver())];
    if (loaded.some((status) => status !== 0)) return this.fail(`a driver did not load: ${loaded.map((x) => x.toString(16)).join(', ')}`);
    this.check('after the drivers loaded');

    const processes: Process[] = s.programs.map((script, i) => m.spawn(defineProgram((k32) => runScript(k32, this, this.states[i]!, script), `fuzz${i}.exe`)));
    const deadline = Date.now() + this.options.hostTimeoutMs;
    while (processes.some((p) => p.exitCode === undefined) && !m.bugcheck && !this.stopped) {
      if (m.kernel.clock.nowNs / 1e9 > VIRTUAL_LIMIT_S) return this.fail(`programs still running after ${VIRTUAL_LIMIT_S} virtual seconds`);
      const settled = await settleWithin(m.run({ seconds: 5 }), deadline - Date.now());
      if (!settled) return this.fail(`run() did not settle within ${this.options.hostTimeoutMs} ms of host time (in ${this.inFlight ?? this.lastInFlight})`);
    }
    if (m.bugcheck) return this.bugChecked();
    if (this.stopped) return;

    // Each process ended as its script said.
    s.programs.forEach((script, i) => {
      const code = processes[i]!.exitCode;
      const end = script.end;
      // An Error, whatever its name, is an unhandled C++-style exception (0xE06D7363, docs/fidelity.md).
      const expected = end.how === 'throw'
        ? (end.value === 'ntexception' ? 0xc0000005 : end.value === 'error' || end.value === 'named-emulator-error' ? 0xe06d7363 : undefined)
        : end.code >>> 0;
      if (expected !== undefined && code !== expected) this.fail(`program ${i} ended with 0x${code?.toString(16)}, its script asked for 0x${expected.toString(16)}`);
    });
    this.check('after every program ended');

    // The drivers unload; nothing is left of them or of the programs.
    for (const name of [FUZZ_SERVICE, SAMPLE_SERVICE]) {
      this.inFlight = `unloading ${name}`;
      const status = m.unloadDriver(name);
      if (status !== 0 && !m.bugcheck) this.fail(`${name} did not unload: 0x${status.toString(16)}`);
    }
    if (!m.bugcheck) await settleWithin(m.run({ seconds: 1 }), deadline - Date.now());
    if (m.bugcheck) return this.bugChecked();
    this.inFlight = undefined;
    for (const name of [FUZZ_SERVICE, SAMPLE_SERVICE]) if (m.kernel.io.drivers.has(name.toUpperCase())) this.fail(`${name} is still loaded`);
    this.check('after the drivers unloaded');
    if (this.mustStop.length > 0) this.fail(`the machine let pass what must stop it: ${[...new Set(this.mustStop)].join(', ')}`);
    // A driver that misused the kernel may leak (Windows does not catch a leak either, without the verifier).
    const now = m.stats();
    if (this.misuses.length === 0 && JSON.stringify(now) !== JSON.stringify(booted)) {
      this.fail(`left behind: booted ${JSON.stringify(booted)}, now ${JSON.stringify(now)}`);
    }
  }

  /** The machine stopped: the driver's due after a misuse, a failure otherwise. */
  private bugChecked(): void {
    const b = this.machine.bugcheck!;
    const name = `${b.name} (${formatBugCheckCode(b.code)})`;
    if (this.misuses.length === 0) this.fail(`bug check ${name} with no driver misuse, in ${this.inFlight ?? this.lastInFlight}: ${b.explanation}`);
  }

  outcome(): Outcome {
    const b = this.machine?.bugcheck;
    return {
      verdict: this.failures.length > 0 ? 'failure' : b ? 'bugcheck' : 'clean',
      calls: this.calls,
      checks: this.checks,
      failures: this.failures,
      bugcheck: b ? `${b.name} (${formatBugCheckCode(b.code)})` : undefined,
      misuses: this.misuses,
    };
  }
}

/** Whether `p` settles within `ms` of host time (a rejection counts as settling: it is rethrown). */
async function settleWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), Math.max(0, ms)); });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where in the host an error was thrown (its first stack frame), when its stack was captured. */
function thrownAt(e: unknown): string {
  const stack = e instanceof Error && typeof e.stack === 'string' ? e.stack : '';
  const frame = stack.split('\n').find((l) => l.trimStart().startsWith('at '));
  return frame ? ` (${frame.trim()})` : '';
}

/** An error as one line: its class (EmulatorError named as such) and message, whatever it is. */
export function describeError(e: unknown): string {
  try {
    if (e instanceof EmulatorError) return `EmulatorError: ${e.message}`;
    if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
    return `a thrown ${typeof e} (${String(e)})`;
  } catch {
    return 'a thrown value that cannot be described';
  }
}
