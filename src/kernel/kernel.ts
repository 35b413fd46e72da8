/**
 * The kernel of one machine: the composition root. It builds the hardware
 * and every subsystem in layer order, hands each the context of its layer
 * (ke/context.ts … io/context.ts, which it implements), and wires what a
 * lower layer is told by a higher one through registrations made here or in
 * the higher subsystem's constructor (tick listeners, deferred work, object
 * type procedures, exit and unload notifications).
 *
 * It implements nothing itself: CPU switching is ke/processors.ts, time
 * charging ke/dispatcher.ts, the bug-check record ke/bugcheck.ts, driver
 * attribution ke/attribution.ts, the log ke/log.ts, the page-table observer
 * mm/translation-caches.ts. The accessors below are the names the layer
 * contexts give those parts.
 *
 * There are no globals: a machine is this value, and many can live side by side.
 */
import { DoubleFetchDetector } from './verifier/double-fetch.js';
import { UninitializedBytes } from './mm/taint.js';
import { DRIVER_VERIFIER_FORCE_IRQL_CHECKING, verifierChecks } from '../include/verifier-flags.js';
import { KernelWriteWatch } from './mm/write-watch.js';
import { Hardware } from '../hw/hardware.js';
import type { Clock } from '../hw/clock.js';
import type { PhysicalMemory } from '../hw/physical-memory.js';
import { PAGE_SIZE } from '../include/page.js';
import type { Arch, PagingFormat } from '../hw/pte.js';
import type { SeededRandom } from '../hw/random.js';
import { BugCheckAttribution } from './ke/attribution.js';
import { MachineStop, type BugCheck } from './ke/bugcheck.js';
import { COST_MEMORY_ACCESS_NS } from './ke/cost.js';
import { Dispatcher } from './ke/dispatcher.js';
import type { NtRoutine } from './ke/nt-image.js';
import { KernelLog, type Finding, type LogEvent } from './ke/log.js';
import type { KernelOptions } from './ke/options.js';
import { MiCheckUnloadedDriverLeaks } from './mm/mdl-pages.js';
import type { Prcb } from './ke/prcb.js';
import { Processors } from './ke/processors.js';
import { Scheduler } from './ke/scheduler.js';
import { KiStartTrace, KiTraceBugCheck } from './ke/trace-hooks.js';
import type { KeTrace } from './ke/trace.js';
import { KeWaits } from './ke/wait.js';
import { registerSyncObjectTypes } from './ps/sync-objects.js';
import type { KThread } from './ke/thread.js';
import { SystemWorkQueue } from './ke/work-queue.js';
import type { GuestMemory } from './mm/access.js';
import { addressLayout, formatAddress, type AddressLayout } from './mm/layout.js';
import { MdlManager } from './mm/mdl.js';
import { SegmentManager } from './mm/segment.js';
import { registerSectionType, type SectionObject } from './section/object.js';
import { MiCreatePhysicalMemorySection } from './section/physical-memory.js';
import { SectionViews } from './mm/view.js';
import { PageTables } from './mm/page-tables.js';
import { MiCorruptPte } from './mm/corruption.js';
import { PfnDatabase } from './mm/pfn.js';
import { Pool } from './mm/pool.js';
import { SharedUserData } from './mm/shared-user-data.js';
import { SystemPtes } from './mm/syspte.js';
import { TranslationCaches } from './mm/translation-caches.js';
import { VirtualMemory } from './mm/virtual.js';
import { PageFile } from './mm/pagefile.js';
import { SoftwarePtes } from './mm/software-pte.js';
import { WorkingSets } from './mm/working-set.js';
import { ObjectManager } from './ob/manager.js';
import type { CmContext } from './cm/context.js';
import { CmRegistry } from './cm/registry.js';
import { Console } from './io/console.js';
import { FileSystem } from './io/fs/file-system.js';
import { IoManager } from './io/manager.js';
import { ProcessManager } from './ps/manager.js';
import type { EProcess } from './ps/process.js';
import type { EThread } from './ps/thread.js';
import { SeInitializeReferenceMonitor } from './se/reference-monitor.js';
import { SeProcessToken } from './se/token.js';
import { ServiceControlManager } from './scm/service-control-manager.js';
import { SharingRecorder } from './sharing.js';
import { TornReadDetector } from './verifier/torn-read.js';
import { VfIoCheckDispatchReturn, VfIoVerifying } from './verifier/io-verification.js';
import { VerifierStatistics } from './verifier/statistics.js';
import { VfLowResources } from './verifier/low-resources.js';

export type { KernelOptions } from './ke/options.js';
export type { Finding, LogEvent } from './ke/log.js';

/** The kernel of one machine: its hardware and its subsystems (ke, mm, ob, ps, io, cm, scm), built in layer order. */
export class Kernel implements CmContext {
  readonly arch: Arch;
  readonly hardware: Hardware;
  readonly format: PagingFormat;
  readonly memory: PhysicalMemory;
  readonly clock: Clock;
  readonly random: SeededRandom;
  readonly layout: AddressLayout;

  // ke
  readonly processors: Processors<EThread>;
  readonly attribution = new BugCheckAttribution();
  readonly stop: MachineStop;
  readonly logs: KernelLog;
  readonly workQueue = new SystemWorkQueue();
  readonly ke: Dispatcher;
  readonly scheduler: Scheduler;
  /** Dispatcher objects (KEVENT, KSEMAPHORE, KMUTANT) and the threads waiting on them. */
  readonly waits: KeWaits;
  /** The trace-event recorder (ke/trace.ts), when boot asked for a trace. */
  readonly trace: KeTrace | null;
  // mm
  readonly pfn: PfnDatabase;
  readonly caches: TranslationCaches;
  readonly pageTables: PageTables;
  readonly systemRoot: number;
  readonly pool: Pool;
  readonly systemPtes: SystemPtes;
  readonly sharedUserData: SharedUserData;
  readonly vm: VirtualMemory;
  readonly mdl: MdlManager;
  readonly segments: SegmentManager;
  /** \Device\PhysicalMemory. */
  readonly physicalMemory: SectionObject;
  readonly views: SectionViews;
  readonly workingSets: WorkingSets;
  /** Kernel writes reported to the torn-read check and to byte trackers (mm/write-watch.ts). */
  readonly writeWatch: KernelWriteWatch;
  readonly uninitialized: UninitializedBytes;
  readonly readWatch: DoubleFetchDetector | null;
  /** What the verifier counts for !verifier (verifier/statistics.ts); null with the verifier off. */
  readonly verifierStatistics: VerifierStatistics | null;
  /** The verifier's low resources simulations (verifier/low-resources.ts); inactive unless their options are on. */
  readonly lowResources: VfLowResources;
  // ob, ps, io, scm
  readonly ob: ObjectManager;
  readonly ps: ProcessManager;
  readonly io: IoManager;
  readonly console: Console;
  /** The file system of the volume C:, when the machine was booted with one (boot's `volume`). */
  readonly fileSystem: FileSystem | null;
  // cm: the registry
  readonly registry: CmRegistry;
  readonly scm: ServiceControlManager;
  readonly sharing: SharingRecorder;

  constructor(readonly options: KernelOptions) {
    this.arch = options.arch;
    this.stop = new MachineStop(this.attribution, options.arch === 'x64' ? 8 : 4);
    const hw = (this.hardware = new Hardware({ ...options, accessNs: COST_MEMORY_ACCESS_NS }));
    this.format = hw.format;
    this.memory = hw.memory;
    this.clock = hw.clock;
    this.random = hw.random;
    this.layout = addressLayout(options.arch, this.memory.sizeBytes);
    this.logs = new KernelLog(this.clock, () => {
      const prcb = this.processors.current;
      return { cpu: prcb.number, irql: prcb.cpu.irql, thread: prcb.currentThread.Cid };
    });

    // ke: the processors (their threads come with the Idle process, below), the dispatcher and the scheduler.
    this.processors = new Processors<EThread>(hw.cpus);
    this.stop.listeners.push(() => this.onStop());
    this.ke = new Dispatcher(this);
    this.scheduler = new Scheduler(this);
    this.waits = new KeWaits(this, () => this.kernelMemory);
    this.trace = options.trace ? KiStartTrace(this, options) : null;

    // mm: frames, page tables (observed by the translation caches), pool, system PTEs, the shared page.
    this.pfn = new PfnDatabase(this.memory, this.random);
    this.caches = new TranslationCaches(this, () => hw.cpus.map((c) => c.mmu));
    this.processors.beforeSwitch = () => this.caches.forget();
    this.pageTables = new PageTables(this.memory, this.pfn, this.format, this.layout, this.caches, (entry) => MiCorruptPte(this, entry));
    const l = this.layout;
    this.systemRoot = this.pageTables.createSystemRoot([l.nonPagedPool, l.pagedPool, l.systemPtes, { base: l.kernelSharedData, size: PAGE_SIZE }]);
    for (const cpu of hw.cpus) cpu.mmu.loadCr3(this.systemRoot);
    this.pool = new Pool(this);
    this.systemPtes = new SystemPtes(l.systemPtes);
    this.sharedUserData = new SharedUserData(this);
    this.vm = new VirtualMemory(this);
    this.mdl = new MdlManager(this);
    this.segments = new SegmentManager(this);
    this.views = new SectionViews(this);
    this.workingSets = new WorkingSets(this, new SoftwarePtes(this.memory, this.format), new PageFile(this.memory));
    // Trimming: memory pressure at the clock tick; the verifier's forced IRQL checking at every raise to DISPATCH_LEVEL.
    const pressure = options.memoryPressure ?? 'none';
    if (pressure !== 'none') this.ke.tickListeners.push(() => this.workingSets.onTick(pressure));
    if (verifierChecks(options, DRIVER_VERIFIER_FORCE_IRQL_CHECKING)) {
      this.ke.raiseListeners.push(() => {
        this.verifierStatistics!.counters.Trims++;
        this.workingSets.MiTrimPagedPool();
      });
    }
    this.uninitialized = new UninitializedBytes(this);
    this.writeWatch = new KernelWriteWatch(this, new TornReadDetector(this), this.uninitialized);
    this.readWatch = options.verifier ? new DoubleFetchDetector(this) : null;
    this.verifierStatistics = options.verifier ? new VerifierStatistics() : null;
    this.lowResources = new VfLowResources(this);

    // ob, ps (the System and Idle processes and the idle threads), io, the SCM.
    this.ob = new ObjectManager(this);
    SeInitializeReferenceMonitor(this);
    this.ps = new ProcessManager(this);
    // The System process's token is made at boot (SepCreateSystemProcessToken, phase 0), not at its first access check.
    SeProcessToken(this, this.ps.systemProcess);
    this.io = new IoManager(this);
    // I/O verification's check of each dispatch routine's return (0xC9/0x05, 0x23D, 0x23E).
    if (VfIoVerifying(this)) this.io.dispatchReturnCheck = VfIoCheckDispatchReturn;
    registerSectionType(this);
    registerSyncObjectTypes(this);
    this.physicalMemory = MiCreatePhysicalMemorySection(this);
    this.console = new Console(this);
    this.fileSystem = options.volume ? new FileSystem(this, options.volume) : null;
    // cm: the registry, every key stamped with the boot time.
    this.registry = new CmRegistry(options.bootSystemTime);
    this.scm = new ServiceControlManager(this);
    this.sharing = new SharingRecorder(this);
    this.caches.mapListeners.push((pfn, mapping) => this.sharing.onMap(pfn, mapping));
    this.sharing.reset();
    // A driver's unload: what it left behind (mm/mdl-pages.ts).
    this.io.unloadNotifyRoutines.push((name) => MiCheckUnloadedDriverLeaks(this, name, this.io.unloadedDrivers.get(name.toUpperCase())?.address ?? 0));
    if (options.lowMemoryPages) this.pfn.holdAllBut(options.lowMemoryPages);
  }

  /** The machine has stopped: every charge refuses, and processes never end now (a wait answers STILL_ACTIVE). */
  /** The thread and processor the machine stopped on (the bug check's), before its processes were ended: kd's !thread shows it RUNNING there. */
  stoppedOn: { thread: EThread; processor: number } | undefined;

  private onStop(): void {
    const prcb = this.processors.current;
    // A stop during boot, before the processors have their idle threads, stopped on no thread.
    if (prcb.currentThread) this.stoppedOn = { thread: prcb.currentThread, processor: prcb.number };
    this.clock.deadlineNs = -Infinity;
    if (this.stop.bugcheck && this.trace) KiTraceBugCheck(this.trace, this.stop.bugcheck);
    if (this.stop.bugcheck) for (const p of this.ps.processes) p.resolveExit(p.ExitStatus);
  }

  // --- the names the layer contexts give the parts ---------------------------

  get prcbs(): readonly Prcb<EThread>[] {
    return this.processors.prcbs;
  }

  /** The CPU whose code is executing now. */
  get current(): Prcb<EThread> {
    return this.processors.current;
  }

  get currentThread(): EThread {
    return this.processors.current.currentThread;
  }

  /** The process whose address space the current CPU is in (attached or own). */
  get currentProcess(): EProcess {
    return this.processors.current.currentThread.apcProcess;
  }

  get irql(): number {
    return this.processors.current.cpu.irql;
  }

  switchTo(prcb: Prcb): void {
    this.processors.switchTo(prcb as Prcb<EThread>);
  }

  charge(ns: number): void {
    this.ke.charge(ns);
  }

  deadlineReached(): void {
    this.ke.deadlineReached();
  }

  get bugcheck(): BugCheck | undefined {
    return this.stop.bugcheck;
  }

  get failure(): unknown {
    return this.stop.failure;
  }

  bugCheck(code: number, p1: number | bigint, p2: number | bigint, p3: number | bigint, p4: number | bigint, explanation: string): never {
    return this.stop.KeBugCheckEx(code, p1, p2, p3, p4, explanation);
  }

  emulatorFailed(e: unknown): void {
    this.stop.emulatorFailed(e);
  }

  emit(source: LogEvent['source'], process: string, text: string): void {
    this.logs.emit(source, process, text);
  }

  report(finding: Finding): void {
    this.logs.report(finding);
  }

  get log(): readonly LogEvent[] {
    return this.logs.events;
  }

  get findings(): readonly Finding[] {
    return this.logs.findings;
  }

  get kernelMemory(): GuestMemory {
    return this.caches.kernelMemory;
  }

  get userMemory(): GuestMemory {
    return this.caches.userMemory;
  }

  userMemoryOf(thread: KThread): GuestMemory {
    return this.caches.userMemoryOf(thread);
  }

  releaseUserMemory(thread: KThread): void {
    this.caches.releaseUserMemory(thread);
  }

  forgetTranslations(): void {
    this.caches.forget();
  }

  get systemProcess(): EProcess {
    return this.ps.systemProcess;
  }

  get idleProcess(): EProcess {
    return this.ps.idleProcess;
  }

  get processes(): readonly EProcess[] {
    return this.ps.processes;
  }

  processByRoot(root: number): EProcess | undefined {
    return this.ps.processByRoot(root);
  }

  runInSystemThread<T>(body: () => T, workerRoutine: NtRoutine): T {
    return this.ps.runInSystemThread(body, workerRoutine);
  }

  formatAddress(va: number): string {
    return formatAddress(this.arch, va);
  }
}
