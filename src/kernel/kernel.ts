/**
 * The kernel of one machine: owns the hardware and every subsystem, and is
 * the one place where guest code enters and leaves kernel mode.
 *
 * There are no globals: a machine is this value, and many can live side by
 * side. Subsystems reach each other through it.
 */
import { Clock } from '../hw/clock.js';
import { COST_MEMORY_ACCESS_NS } from './ke/cost.js';
import { Cpu } from '../hw/cpu.js';
import { Mmu } from '../hw/mmu.js';
import { PhysicalMemory, PAGE_SIZE } from '../hw/physical-memory.js';
import { pagingFormat, type Arch, type PagingFormat } from '../hw/pte.js';
import { SeededRandom } from '../hw/random.js';
import { KeBugCheckEx, type BugCheck, type BugCheckSink } from './ke/bugcheck.js';
import { Dispatcher } from './ke/dispatcher.js';
import { EmulatorError, MachineHalted } from './ke/exception.js';
import { Prcb } from './ke/prcb.js';
import { Scheduler } from './ke/scheduler.js';
import { addressLayout, formatAddress, type AddressLayout } from './mm/layout.js';
import { MdlManager } from './mm/mdl.js';
import { GuestMemory } from './mm/access.js';
import { type Mapping, type PageTableObserver, PageTables } from './mm/page-tables.js';
import { PfnDatabase } from './mm/pfn.js';
import { Pool } from './mm/pool.js';
import { SharedUserData } from './mm/shared-user-data.js';
import { SystemPtes } from './mm/syspte.js';
import { VirtualMemory } from './mm/virtual.js';
import { ObjectManager } from './ob/manager.js';
import { IoManager } from './io/manager.js';
import { ProcessManager } from './ps/manager.js';
import type { EProcess } from './ps/process.js';
import type { KThread } from './ps/thread.js';
import { ServiceControlManager } from './scm/service-control-manager.js';
import { SharingRecorder } from './sharing.js';
import { BugCheckAttribution, type DriverFrame } from './attribution.js';
import { TornReadDetector } from './verifier/torn-read.js';

/** What a Kernel is built with: the boot options, checked by Machine, with the start time as a FILETIME. */
export interface KernelOptions {
  arch: Arch;
  memoryMiB: number;
  cpus: number;
  seed: number;
  /** Virtual clock at boot, as a FILETIME (100 ns since 1601, UTC). */
  bootSystemTime: bigint;
  timeZoneBiasMinutes: number;
  verifier: boolean;
  profile: 'nt4' | 'win10';
}

/** A line of the machine's log: DbgPrint output or a program's stdout. */
export interface LogEvent {
  /** Virtual milliseconds since boot. */
  t: number;
  source: 'dbgprint' | 'stdout';
  process: string;
  text: string;
}

/** A report from ntshm's checks that does not stop the machine. */
export interface Finding {
  kind: string;
  driver?: string;
  routine?: string;
  message: string;
  details: object;
}

/** The kernel of one machine: its hardware, its subsystems (mm, ob, ps, io, ke, scm), the log, the findings and the bug check. */
export class Kernel implements BugCheckSink, PageTableObserver {
  readonly arch: Arch;
  readonly format: PagingFormat;
  readonly layout: AddressLayout;
  readonly memory: PhysicalMemory;
  readonly clock = new Clock(COST_MEMORY_ACCESS_NS);
  readonly random: SeededRandom;
  readonly pfn: PfnDatabase;
  readonly pageTables: PageTables;
  readonly systemRoot: number;
  readonly prcbs: Prcb[] = [];
  /** The CPU whose code is executing now. */
  current!: Prcb;

  readonly pool: Pool;
  readonly systemPtes: SystemPtes;
  readonly sharedUserData: SharedUserData;
  readonly vm: VirtualMemory;
  readonly mdl: MdlManager;
  readonly ob: ObjectManager;
  readonly ps: ProcessManager;
  readonly io: IoManager;
  readonly ke: Dispatcher;
  readonly scheduler: Scheduler;
  readonly scm: ServiceControlManager;
  readonly sharing = new SharingRecorder(this);
  /** Memory as kernel-mode code sees it (through the current CPU's MMU). */
  readonly kernelMemory: GuestMemory;
  /** Memory as user-mode code sees it. */
  readonly userMemory: GuestMemory;
  /** Each program thread's own view (see `userMemoryOf`). */
  private readonly threadMemories = new Set<GuestMemory>();

  /**
   * User-mode memory as one program thread sees it: it may touch memory only
   * while it holds a CPU (a program that awaits something other than a
   * kernel call must not read whichever address space runs then).
   */
  userMemoryOf(thread: KThread): GuestMemory {
    const m = new GuestMemory(this, true, thread);
    this.threadMemories.add(m);
    thread.userView = m;
    return m;
  }

  /** Drops a dead thread's view. */
  releaseUserMemory(thread: KThread): void {
    if (thread.userView) this.threadMemories.delete(thread.userView);
  }
  readonly attribution = new BugCheckAttribution();
  readonly tornReads: TornReadDetector;

  readonly log: LogEvent[] = [];
  readonly findings: Finding[] = [];
  bugcheck: BugCheck | undefined;
  /** Observers of the log, for front ends that stream it. */
  readonly logListeners: ((e: LogEvent) => void)[] = [];

  constructor(readonly options: KernelOptions) {
    this.arch = options.arch;
    this.format = pagingFormat(options.arch);
    this.memory = new PhysicalMemory(options.memoryMiB * 1024 * 1024);
    this.layout = addressLayout(options.arch, this.memory.sizeBytes);
    this.random = new SeededRandom(options.seed);
    this.kernelMemory = new GuestMemory(this, false);
    this.userMemory = new GuestMemory(this, true);
    this.pfn = new PfnDatabase(this.memory, this.random);
    this.pageTables = new PageTables(this.memory, this.pfn, this.format, this.layout, this);
    const l = this.layout;
    const kuserRegion = { base: l.kernelSharedData, size: PAGE_SIZE };
    this.systemRoot = this.pageTables.createSystemRoot([l.nonPagedPool, l.pagedPool, l.systemPtes, kuserRegion]);
    for (let i = 0; i < options.cpus; i++) {
      const mmu = new Mmu(this.memory, this.format);
      mmu.loadCr3(this.systemRoot);
      // The idle threads are filled in by the process manager, which creates the Idle process.
      this.prcbs.push(new Prcb(i, new Cpu(i, mmu)));
    }
    this.current = this.prcbs[0]!;
    this.pool = new Pool(this);
    this.systemPtes = new SystemPtes(l.systemPtes);
    this.sharedUserData = new SharedUserData(this);
    this.ke = new Dispatcher(this);
    this.scheduler = new Scheduler(this);
    this.vm = new VirtualMemory(this);
    this.mdl = new MdlManager(this);
    this.ob = new ObjectManager(this);
    this.ps = new ProcessManager(this);
    this.io = new IoManager(this);
    this.scm = new ServiceControlManager(this);
    this.tornReads = new TornReadDetector(this);
    this.sharing.reset();
  }

  // --- where code runs ---------------------------------------------------

  get currentThread(): KThread {
    return this.current.currentThread;
  }

  /** The process whose address space the current CPU is in (attached or own). */
  get currentProcess(): EProcess {
    return this.current.currentThread.apcProcess;
  }

  get irql(): number {
    return this.current.cpu.irql;
  }

  /** Makes `prcb` the executing CPU and loads its thread's address space. */
  switchTo(prcb: Prcb): void {
    this.forgetTranslations();
    this.current = prcb;
    const root = prcb.currentThread.apcProcess.DirectoryTableBase;
    if (prcb.cpu.mmu.cr3 !== root) prcb.cpu.mmu.loadCr3(root); // same address space: no CR3 write, as SwapContext
  }

  /** Charges virtual time for a guest operation and takes any interrupt now due. */
  charge(ns: number): void {
    const c = this.clock;
    if ((c.nowNs += ns) >= c.deadlineNs) this.deadlineReached();
  }

  /** The slow half of `charge`: a stopped machine refuses; otherwise interrupts are taken. */
  deadlineReached(): void {
    if (this.bugcheck) throw new MachineHalted(this.bugcheck.code);
    if (this.failure) throw this.failure;
    const c = this.clock;
    if (c.nowNs >= c.deadlineNs) this.ke.interrupt();
    c.resync();
  }

  // --- caller attribution ------------------------------------------------

  /** Runs a driver routine with its frame on the stack; a JS error out of it stops the machine. */
  callDriver<T>(frame: DriverFrame, body: () => T, onException: (e: unknown) => never): T {
    this.attribution.push(frame);
    try {
      return body();
    } catch (e) {
      if (e instanceof MachineHalted || (e instanceof Error && e.name === 'EmulatorError')) throw e;
      return onException(e);
    } finally {
      this.attribution.pop(frame);
    }
  }

  currentDriverName(): string | undefined {
    return this.attribution.top()?.driver;
  }

  driverStack(): string[] {
    return this.attribution.stack();
  }

  onBugCheck(record: BugCheck): void {
    this.bugcheck = record;
    this.clock.deadlineNs = -Infinity;
    // Processes never end now: waiting on one answers STILL_ACTIVE, as GetExitCodeProcess would.
    for (const p of this.ps.processes) p.resolveExit(p.ExitStatus);
  }

  /** The first broken invariant of the emulator itself; `run` rethrows it, loudly. */
  failure: unknown;

  /** Records a broken invariant of the emulator and stops the machine's clock. */
  emulatorFailed(e: unknown): void {
    this.failure ??= e;
    this.clock.deadlineNs = -Infinity;
  }

  /** KeBugCheckEx with this machine as the sink. */
  bugCheck(code: number, p1: number, p2: number, p3: number, p4: number, explanation: string): never {
    return KeBugCheckEx(this, code, p1, p2, p3, p4, explanation);
  }

  // --- page-table observer ------------------------------------------------

  onMap(pfn: number, mapping: Mapping): void {
    // A new mapping may make a page user-visible, which changes what kernel writes to it must report.
    this.forgetTranslations();
    this.sharing.onMap(pfn, mapping);
  }

  onUnmap(): void {}

  /** TLB shootdown: every CPU forgets the page. */
  invalidate(va: number): void {
    this.forgetTranslations();
    for (const p of this.prcbs) p.cpu.mmu.invalidatePage(va);
  }

  /** Drops the guest-memory page caches (they sit above the MMU's and follow its invalidations). */
  forgetTranslations(): void {
    this.kernelMemory.forget();
    this.userMemory.forget();
    for (const m of this.threadMemories) m.forget();
  }

  /** Physical address behind a kernel virtual address (for the kernel's own bookkeeping writes). */
  kernelPhysicalAddress(va: number): number {
    // Through the executing CPU's MMU (and its TLB): kernel space is the same in every address space.
    const pa = this.current.cpu.mmu.translate(va, 0, false);
    if (pa < 0) throw new EmulatorError(`kernel address ${formatAddress(this.arch, va)} is not mapped`);
    return pa;
  }

  /** Fills kernel memory through its physical frames (the kernel's own writes, not a driver's). */
  fillKernel(va: number, length: number, value: number): void {
    let offset = 0;
    while (offset < length) {
      const n = Math.min(length - offset, PAGE_SIZE - ((va + offset) % PAGE_SIZE));
      const pa = this.kernelPhysicalAddress(va + offset);
      this.memory.u8.fill(value, pa, pa + n);
      offset += n;
    }
  }

  // --- log and findings ---------------------------------------------------

  emit(source: LogEvent['source'], process: string, text: string): void {
    const e: LogEvent = { t: Math.floor(this.clock.nowNs / 1e6), source, process, text };
    this.log.push(e);
    for (const l of this.logListeners) l(e);
  }

  report(finding: Finding): void {
    this.findings.push(finding);
  }

  formatAddress(va: number): string {
    return formatAddress(this.arch, va);
  }
}
