/**
 * A machine: boot() builds one, programs and drivers run on it, and every
 * part of it can be inspected. Many machines can live in one process.
 */
import { checkOptionNames, checkOptions, isoToFileTime, type CheckedOptions } from './machine/boot-options.js';
import { confirmDoubleFetches, rerunOptions } from './machine/double-fetch-confirm.js';
import { withReplayScenarios } from './machine/replay.js';
import type { TraceFile } from './kernel/ke/trace.js';
import type { BugCheck } from './kernel/ke/bugcheck.js';
import { Kernel, type Finding, type LogEvent } from './kernel/kernel.js';
import { makeNt } from './api/nt.js';
import { KiServiceTable } from './kernel/services/table.js';
import { SERVICE_NAMES, type ServiceName, type SystemServiceTable } from './include/system-services.js';
import { IopLoadDriverFromKey, IopUnloadDriverFromKey } from './kernel/cm/load-driver.js';
import { CM_SERVICES_KEY_PATH } from './kernel/cm/registry.js';
import { SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL, SERVICE_KERNEL_DRIVER } from './include/win32-constants.js';
import type { DriverDefinition } from './api/wdm.js';
import type { ProgramDefinition, ProgramMain } from './api/win32.js';
import type { EProcess } from './kernel/ps/process.js';
import { LdrInitializeProcess } from './machine/program-loader.js';
import { IopCopyIoStats, type IoStats } from './kernel/io/io-stats.js';
import { ObCreateSessionNamespace } from './kernel/ob/session.js';
import { MachineHalted } from './include/errors.js';
import { isThrownInstance, messageOfThrown } from './include/thrown.js';
import { STATUS_UNSUCCESSFUL } from './include/ntstatus.js';
import type { VolumeStore } from './include/volume-store.js';
import { reportBugCheck, reportEvent, type Report, type ReportSettings, type ResourceSnapshot, type RunOutcome } from './report.js';
import { ScenarioError, checkVariant, defineScenario, type ScenarioDefinition, type ScenarioRunOptions } from './scenario.js';
import { MAX_VIRTUAL_NS, runLimitNs } from './machine/run-limit.js';
import { encodeDump } from './kd/dump-format.js';
import { KdSession } from './kd/kd.js';
import { liveKdTarget } from './machine/kd-target.js';
import { checkServiceName, spawnSession } from './machine/checks.js';
import type { KdTarget } from './kd/target.js';
import { MiRunPaced, type RunPacer } from './machine/pacer.js';
import { MiMemoryMap, MiWalkPte, type MemoryMap, type PteWalk } from './machine/memory-map.js';
import type { VerifierOptions } from './machine/verifier-options.js';

export { MAX_VIRTUAL_NS };

export type { VerifierOptions } from './machine/verifier-options.js';

/** Options of boot(): architecture, memory, CPUs, seed, clock and time zone, verifier, and Windows profile (nt4 or win10). */
export interface BootOptions {
  arch?: 'x64' | 'x86';
  memoryMiB?: number;
  cpus?: number;
  seed?: number;
  /** ISO UTC time of the virtual clock at boot. */
  startTime?: string;
  /** Windows' TimeZoneBias in minutes: UTC = local + bias (so UTC+3 is -180). */
  timeZoneBiasMinutes?: number;
  verifier?: boolean | VerifierOptions;
  profile?: 'nt4' | 'win10';
  /** Low memory: only this many frames are left free once booted (the rest held), so MmAllocatePagesForMdl runs short. */
  lowMemoryPages?: number;
  /**
   * When paged pool and private user pages are trimmed to the pagefile
   * without the verifier: 'none' (the default) never, 'low' when free
   * memory falls under an eighth, 'high' at every clock tick.
   */
  memoryPressure?: 'none' | 'low' | 'high';
  /**
   * The store of the volume C: (docs/api.md, "Files"): a MemoryVolumeStore,
   * a HostFolderStore (ntshm/host), or any VolumeStore. Left out, the machine
   * has no C: at all, so that a run touches no disk unless asked to.
   */
  volume?: VolumeStore;
  /** Record a trace of the run in Chrome's trace-event format (Perfetto opens it): `machine.trace()`. */
  trace?: boolean;
}

/**
 * Options of Machine.spawn: the image name, the arguments, the user (admin:
 * an elevated administrator; user: a standard user) and the session (on a
 * win10 machine 1 by default, the interactive user's, 0 for a service; an
 * nt4 machine has only session 0).
 */
export interface SpawnOptions {
  name?: string;
  args?: string[];
  user?: 'admin' | 'user';
  session?: number;
}

/** What Machine.run resolves to: the bug check if the machine stopped, virtual milliseconds since boot, and the findings. */
export interface RunResult {
  bugcheck?: BugCheck;
  virtualMs: number;
  findings: Finding[];
  /**
   * Why the run returned: every program it waited for exited (`exited`),
   * the machine stopped (`bugcheck`), the `seconds` given passed first
   * (`seconds`; programs may still be running), or nothing can ever happen
   * again while a program still waits (`idle`: every thread waits forever,
   * and no timer, DPC or deferred work is left to wake one).
   */
  reason: 'exited' | 'bugcheck' | 'seconds' | 'idle';
}

export type { ScenarioRunOptions } from './scenario.js';

/** How long a scenario runs when no seconds are given. */
export const DEFAULT_SCENARIO_SECONDS = 5;

/**
 * Virtual seconds a scenario's run may go past its `seconds` while its
 * programs are still running: a guard, since a program ends by itself.
 * A program still running then is cut (the report's outcome says so).
 */
export const SCENARIO_GUARD_SECONDS = 60;

/** A snapshot from Machine.stats(): physical frames, pool bytes in use, the commit charge, open handles and live processes. */
export interface MachineStats {
  frames: { total: number; free: number };
  pool: { nonPagedBytes: number; pagedBytes: number };
  /** The system commit charge and limit, in pages (MmTotalCommittedPages, MmTotalCommitLimit). */
  commit: { charged: number; limit: number };
  handles: number;
  processes: number;
}

/** A program running on the machine. */
export interface Process {
  readonly pid: number;
  readonly name: string;
  readonly stdout: string;
  readonly exitCode: number | undefined;
  wait(): Promise<number>;
}

export { BOOT_OPTIONS, checkOptionNames, DEFAULT_START_TIME, isoToFileTime } from './machine/boot-options.js';

/** One emulated Windows machine: owns a Kernel, loads drivers through the SCM, and spawns and runs programs on virtual time. */
export class Machine {
  readonly kernel: Kernel;
  /** The kernel's system-service table, which every program's stubs enter. */
  readonly services: SystemServiceTable;
  private readonly spawned: EProcess[] = [];
  private readonly options: CheckedOptions;
  /** The options as boot() was given them, for a rerun of the same machine (double-fetch confirmation). */
  private readonly bootOptions: BootOptions;
  /** Resources just after boot: the report's "before". */
  private readonly bootResources: ResourceSnapshot;
  /** The scenario runScenario() ran on this machine, for the report. */
  private scenarioRun: { name: string; variant: string | null; seconds: number; file: string | undefined } | undefined;
  private lastReason: RunResult['reason'] | undefined;
  /** Who runs a program spawned without `user`: runScenario's `user`, else an administrator. */
  private defaultUser: 'admin' | 'user' = 'admin';
  /** A run() is in progress: a second one at the same time is refused. */
  private runInProgress = false;
  /** The process whose context the machine stopped in (for the bug check's analysis). */
  private bugCheckProcess: string | null = null;
  /** machine.kd()'s session (its implicit process), made on first use. */
  private kdSession: KdSession | undefined;
  /** Set by a front end that must stay responsive (the web page's worker): run() then goes in slices and awaits `between()` after each. */
  pacer: RunPacer | undefined;

  constructor(options: BootOptions = {}) {
    const o = checkOptions(options);
    this.options = o;
    this.bootOptions = options;
    this.kernel = new Kernel({
      arch: o.arch, memoryMiB: o.memoryMiB, cpus: o.cpus, seed: o.seed, bootSystemTime: isoToFileTime(o.startTime),
      timeZoneBiasMinutes: o.timeZoneBiasMinutes, verifier: o.verifier, verifierFlags: o.verifierFlags, profile: o.profile, volume: o.volume, lowMemoryPages: o.lowMemoryPages,
      memoryPressure: o.memoryPressure, trace: o.trace,
    });
    this.kernel.io.images.makeNt = (name) => makeNt(this.kernel, name);
    this.services = KiServiceTable(this.kernel);
    this.bootResources = this.resources();
    this.kernel.stop.listeners.push(() => {
      if (this.kernel.bugcheck) this.bugCheckProcess = this.kernel.currentProcess.ImageFileName;
    });
  }

  /** The run's trace in Chrome's trace-event format, for a machine booted with `trace: true` (else undefined). */
  trace(): TraceFile | undefined {
    return this.kernel.trace?.file();
  }

  /** Puts a driver on disk as <serviceName>.sys (\SystemRoot\System32\drivers), for a service key's ImagePath to name. */
  installDriver(serviceName: string, driver: DriverDefinition): void {
    checkServiceName(serviceName);
    this.kernel.io.images.install(serviceName, driver);
  }

  /**
   * Loads a driver now, as an installer would: writes its service key
   * (ImagePath \SystemRoot\System32\drivers\<name>.sys, demand start) unless
   * it has one, then NtLoadDriver on the key from kernel mode; DriverEntry runs
   * in the System process. Returns its NTSTATUS (STATUS_UNSUCCESSFUL if the machine stopped).
   */
  loadDriver(serviceName: string, driver?: DriverDefinition): number {
    checkServiceName(serviceName);
    if (driver) this.installDriver(serviceName, driver);
    const k = this.kernel;
    if (!k.io.images.imageFor(`${serviceName}.sys`)) throw new RangeError(`no driver installed as ${serviceName}`);
    // A key that exists already (CreateService wrote it) is left as it is: its ImagePath decides.
    if (!('key' in k.registry.parse(null, `${CM_SERVICES_KEY_PATH}\\${serviceName}`))) {
      k.scm.writeServiceKey(serviceName, serviceName, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
        `\\SystemRoot\\System32\\drivers\\${serviceName}.sys`);
    }
    return this.stopsMachine(() => IopLoadDriverFromKey(k, `${CM_SERVICES_KEY_PATH}\\${serviceName}`));
  }

  /** Runs host-initiated kernel work; a bug check inside it stops the machine, not the host. */
  private stopsMachine(body: () => number): number {
    if (this.kernel.bugcheck) return STATUS_UNSUCCESSFUL;
    try {
      return body();
    } catch (e) {
      if (e instanceof MachineHalted) return STATUS_UNSUCCESSFUL;
      throw e;
    }
  }

  /** Unloads a driver (DriverUnload in the System process). Returns its NTSTATUS. */
  unloadDriver(serviceName: string): number {
    checkServiceName(serviceName);
    return this.stopsMachine(() => IopUnloadDriverFromKey(this.kernel, `${CM_SERVICES_KEY_PATH}\\${serviceName}`));
  }

  /** Starts a program in a new process; it runs when the machine runs. */
  spawn(program: ProgramDefinition | ProgramMain, options: SpawnOptions = {}): Process {
    const def = typeof program === 'function' ? { main: program, name: undefined } : program;
    const name = options.name ?? def.name ?? 'program.exe';
    const k = this.kernel;
    const sessionId = spawnSession(k.options.profile, options.session);
    ObCreateSessionNamespace(k.ob, k.options.profile, sessionId);
    const eprocess = k.ps.createProcess(name, (process) => {
      // Who runs it, known before its PEB is written (PEB.SessionId) and its token made.
      process.user = options.user ?? this.defaultUser;
      process.SessionId = sessionId;
      return k.console.inherit(process);
    }, async (thread, environment) => {
      thread.StackBase = environment.stackBase;
      thread.StackLimit = environment.stackLimit;
      return await def.main(k32For(thread), options.args ?? []);
    });
    const k32For = LdrInitializeProcess(k, eprocess, () => this.tracedServices());
    this.spawned.push(eprocess);
    return {
      pid: eprocess.UniqueProcessId,
      name,
      get stdout() { return eprocess.stdout; },
      get exitCode() { return eprocess.exited ? eprocess.ExitStatus : undefined; },
      wait: () => eprocess.exitPromise,
    };
  }

  private readonly systemCallListeners: ((name: ServiceName, args: readonly number[], process: string) => void)[] = [];

  /**
   * Calls `listener` for every system call a program spawned from now on
   * makes (its name and its arguments, as the kernel receives them: numbers
   * only) — the whole of what a program asks of the kernel.
   */
  onSystemCall(listener: (name: ServiceName, args: readonly number[], process: string) => void): void {
    this.systemCallListeners.push(listener);
  }

  /** The service table a new program's stubs enter: traced when anyone listens. */
  private tracedServices(): SystemServiceTable {
    const listeners = this.systemCallListeners;
    if (listeners.length === 0) return this.services;
    const k = this.kernel;
    const traced: Record<string, unknown> = {};
    for (const name of SERVICE_NAMES) {
      const service = this.services[name] as (...args: number[]) => number | Promise<number>;
      traced[name] = (...args: number[]) => {
        for (const l of listeners) l(name, args, k.currentProcess.ImageFileName);
        return service(...args);
      };
    }
    // Each entry calls the service of the same name with the same arguments.
    return traced as SystemServiceTable;
  }

  /**
   * Runs until every spawned process has exited, the machine stops, `seconds`
   * of virtual time pass, or nothing can ever happen again while a program
   * still waits (`idle`). Rejects at once with a RangeError for a bad
   * `seconds`, and with an Error while another run() of this machine is in
   * progress.
   */
  async run(options: { seconds?: number } = {}): Promise<RunResult> {
    if (this.runInProgress) {
      throw new Error('Machine.run() was called while another run() of this machine is in progress: await it before running again');
    }
    const k = this.kernel;
    const limit = runLimitNs(k.clock.nowNs, options ?? {});
    this.runInProgress = true;
    try {
      // With no program left to wait for, a run with `seconds` lets the machine run (timers, DPCs) that long.
      const waitFor = this.spawned.filter((p) => !p.exited);
      // A driver whose unload waits for its last file to close is still stopping: the run goes on.
      const stopped = () => !k.scm.unloadPending;
      // (Only a run with a time limit waits for that: an unload may wait forever.)
      const limited = options?.seconds !== undefined;
      const done = waitFor.length > 0
        ? () => waitFor.every((p) => p.exited) && (!limited || stopped())
        : () => !limited;
      const stop = await MiRunPaced(k.scheduler, () => k.clock.nowNs, limit, done, waitFor.length > 0, this.pacer);
      const reason = k.bugcheck ? 'bugcheck' : stop === 'idle' ? 'idle' : stop === 'limit' ? 'seconds' : 'exited';
      this.lastReason = reason;
      const result: RunResult = { virtualMs: Math.floor(k.clock.nowNs / 1e6), findings: [...k.findings], reason };
      if (k.bugcheck) result.bugcheck = k.bugcheck;
      return result;
    } finally {
      this.runInProgress = false;
    }
  }

  /**
   * Sets a scenario up on this machine and runs it: its programs run their
   * course (up to `seconds` + {@link SCENARIO_GUARD_SECONDS} of virtual time),
   * or, with no program, the machine runs `seconds`. A setup that throws
   * rejects with a ScenarioError whose cause is what it threw.
   */
  async runScenario(scenario: ScenarioDefinition, options: ScenarioRunOptions = {}): Promise<Report> {
    const checked = defineScenario(scenario);
    checkOptionNames(options, ['seconds', 'variant', 'user', 'input', 'source'], 'runScenario');
    if (options.user !== undefined && options.user !== 'admin' && options.user !== 'user') {
      throw new RangeError(`user must be 'admin' or 'user', not ${String(options.user)}`);
    }
    this.defaultUser = options.user ?? 'admin';
    const seconds = options.seconds ?? DEFAULT_SCENARIO_SECONDS;
    if (!(seconds > 0 && seconds <= 86_400)) throw new RangeError(`seconds must be from 1 to 86400, not ${seconds}`);
    checkVariant(checked, options.variant);
    this.scenarioRun = { name: checked.name, variant: options.variant ?? null, seconds, file: options.source };
    const scenarioOptions = { seconds, variant: options.variant, user: this.defaultUser, input: options.input };
    if (!(await this.scenarioStep(checked.name, 'setup', () => checked.setup(this, scenarioOptions)))) return this.report();
    const programs = this.spawned.some((p) => !p.exited);
    const result = await this.run({ seconds: programs ? seconds + SCENARIO_GUARD_SECONDS : seconds });
    const teardown = checked.teardown;
    if (teardown && result.reason !== 'bugcheck' && !this.spawned.some((p) => !p.exited)) {
      if (await this.scenarioStep(checked.name, 'teardown', () => teardown(this, scenarioOptions))) {
        // What the teardown started (an unload waiting on deferred work) finishes.
        await this.run({ seconds: 1 });
      }
    }
    // With the verifier, each double fetch found is confirmed by a rerun that changes the bytes between the reads.
    const report = this.report();
    if (this.kernel.readWatch?.flip === null && this.kernel.findings.some((f) => f.kind === 'double-fetch')) {
      await confirmDoubleFetches({ findings: this.kernel.findings, original: report, rerun: async (flip) => {
        const again = new Machine(this.bootOptions);
        again.kernel.readWatch!.flip = flip;
        return again.runScenario(checked, rerunOptions(options));
      } });
      return this.report();
    }
    return report;
  }

  /** Runs a scenario's setup or teardown: false if the machine stopped in it; a ScenarioError if it threw. */
  private async scenarioStep(name: string, step: string, body: () => void | Promise<void>): Promise<boolean> {
    try {
      await body();
      return true;
    } catch (e) {
      if (isThrownInstance(e, MachineHalted)) return false;
      throw new ScenarioError(`${step} of ${name} threw: ${messageOfThrown(e)}`, { cause: e });
    }
  }

  get dbgPrint(): readonly string[] {
    return this.kernel.log.filter((e) => e.source === 'dbgprint').map((e) => e.text);
  }

  /** Every DbgPrint line and program output line, in virtual-time order. */
  get log(): readonly LogEvent[] {
    return this.kernel.log;
  }

  get bugcheck(): BugCheck | undefined {
    return this.kernel.bugcheck;
  }

  /** Runs a kd command (`!analyze -v`, `!pte VA`, `db ADDR`, ...) on the machine as it stands: WinDbg's text (docs/api.md, "kd"). */
  kd(command: string): string {
    return (this.kdSession ??= new KdSession(this.kdTarget)).execute(command);
  }

  /** The whole machine as a dump (docs/dump-format.md): its physical memory and the kernel's state; `loadDump` reads it back. */
  dump(): Uint8Array {
    return encodeDump(this.kdTarget.snapshot, this.kernel.memory);
  }

  private get kdTarget(): KdTarget {
    return liveKdTarget(this.kernel, () => ({
      scenario: this.scenarioRun?.name ?? null, variant: this.scenarioRun?.variant ?? null, settings: { ...this.settings() }, bugCheckProcess: this.bugCheckProcess,
    }));
  }

  private settings(): ReportSettings {
    const o = this.options;
    return {
      arch: o.arch, seed: o.seed, cpus: o.cpus, memoryMiB: o.memoryMiB, profile: o.profile, verifier: o.verifier, verifierFlags: o.verifierFlags,
      memoryPressure: o.memoryPressure, startTime: o.startTime, seconds: this.scenarioRun?.seconds ?? null,
    };
  }

  /**
   * What the run so far comes to: settings, outcome, log, programs, every
   * frame shared since boot with each address, resources just after boot
   * and now, findings, the bug check. `ntshm run` prints it; `--json` is
   * its JSON.
   */
  report(): Report {
    const k = this.kernel;
    const o = this.options;
    const settings = this.settings();
    const running = this.spawned.some((p) => !p.exited);
    const outcome: RunOutcome = k.bugcheck ? 'bugcheck'
      : running && this.lastReason === 'idle' ? 'stuck'
        : running && this.lastReason === 'seconds' ? 'cut' : 'completed';
    return {
      scenario: this.scenarioRun?.name ?? null,
      variant: this.scenarioRun?.variant ?? null,
      settings,
      outcome,
      virtualMs: Math.floor(k.clock.nowNs / 1e6),
      // The log is appended as virtual time advances; the sort (stable) only makes that a guarantee.
      events: [...k.log].sort((a, b) => a.t - b.t).map(reportEvent),
      processes: this.spawned.map((p) => ({
        pid: p.UniqueProcessId, name: p.ImageFileName, user: p.user, exitCode: p.exited ? p.ExitStatus : null, stdout: p.stdout,
      })),
      shared: k.sharing.records(),
      resources: { before: { ...this.bootResources }, after: this.resources() },
      paging: k.workingSets.snapshot,
      // A finding whose request can be sent again carries the scenario file that does (machine/replay.ts).
      findings: withReplayScenarios(k.findings, this.scenarioRun),
      io: this.ioStats(),
      bugcheck: k.bugcheck ? reportBugCheck(o.arch, k.bugcheck, { scenario: this.scenarioRun?.name ?? null, processName: this.bugCheckProcess }) : null,
    };
  }

  private resources(): ResourceSnapshot {
    const s = this.stats();
    const systemPageTables = this.kernel.systemProcess.pageTableFrames.length;
    return { freeFrames: s.frames.free, nonPagedBytes: s.pool.nonPagedBytes, pagedBytes: s.pool.pagedBytes, handles: s.handles, systemPageTables };
  }

  /** Who maps which frame now: each process's VADs and mapped pages, and the frames they name (docs/api.md). */
  memoryMap(): MemoryMap { return MiMemoryMap(this.kernel); }

  /** What kd's `!pte va` shows in process `pid`'s address space: each level's entry and flags (undefined: no such process). */
  pte(pid: number, va: number): PteWalk | undefined { return MiWalkPte(this.kernel, pid, va); }

  /** What the I/O manager moved for drivers' devices since boot, by transfer method (docs/api.md): a copy. */
  ioStats(): IoStats {
    return IopCopyIoStats(this.kernel.io.stats);
  }

  stats(): MachineStats {
    const k = this.kernel;
    return {
      frames: { total: k.pfn.total, free: k.pfn.freeCount },
      pool: { nonPagedBytes: k.pool.nonPagedBytes, pagedBytes: k.pool.pagedBytes },
      commit: { charged: k.pfn.commitment.total, limit: k.pfn.commitment.limit },
      handles: k.ob.handleCount(),
      processes: k.ps.processes.length,
    };
  }
}

/** Boots a machine. */
export async function boot(options: BootOptions = {}): Promise<Machine> {
  return new Machine(options);
}
