/**
 * What kd reads besides physical memory: the kernel's state as plain data
 * (processes, threads, handles, VADs, the PFN database's counts, pool
 * allocations, MDLs, IRPs, the object namespace, drivers, the bug check, the
 * log). A live machine makes one on every kd command; a dump carries one.
 * Page tables are not in it: kd walks them in physical memory, as WinDbg does.
 */
import type { VerifierCounters, VerifierDriverPool } from '../kernel/verifier/statistics.js';
import type { BugCheck } from '../kernel/ke/bugcheck.js';
import type { Finding, LogEvent } from '../kernel/ke/log.js';
import type { BugCheckAnalysis } from './analysis.js';

/** A VAD: its range, its kind, and its protection (a PAGE_* value). */
export interface KdVad {
  start: number;
  end: number;
  kind: string;
  protection: number;
  /** Pages committed in it. */
  committed: number;
  /** The MDL a user mapping of locked pages came from (its kernel address). */
  mdl?: number;
}

/** Where a thread was when the snapshot was taken (absent in dumps of format version 1). */
export interface KdThreadState {
  /** KTHREAD_STATE as !thread prints it. */
  state: 'RUNNING' | 'READY' | 'WAIT' | 'TERMINATED';
  /** The processor it runs on (RUNNING). */
  processor?: number;
  /** KWAIT_REASON's name for a waiting thread: Executive, UserRequest, DelayExecution. */
  waitReason?: string;
  /** The mode the wait was made in (KernelMode, UserMode) and whether it is alertable. */
  waitMode?: 'KernelMode' | 'UserMode';
  alertable?: boolean;
  /** The dispatcher objects it waits on (their kernel addresses: kd reads each one's DISPATCHER_HEADER). */
  waitObjects?: number[];
  /** The process it is attached to (KeStackAttachProcess), by pid, when not its own. */
  attachedProcess?: number;
}

export interface KdThread {
  tid: number;
  address: number;
  label: string;
  system: boolean;
  terminated: boolean;
  teb: number;
  /** Absent in dumps of format version 1. */
  run?: KdThreadState;
}

/** A handle table entry: the handle, the object's body address and type, its name, the access granted. */
export interface KdHandle {
  handle: number;
  object: number;
  type: string;
  name: string;
  grantedAccess: number;
}

export interface KdProcess {
  pid: number;
  name: string;
  /** EPROCESS's kernel address. */
  address: number;
  /** CR3: the physical address of the root page table. */
  directoryTableBase: number;
  /** The PEB's user address (0 for the System process, which has none). */
  peb: number;
  sessionId: number;
  user: string;
  exited: boolean;
  exitStatus: number;
  lockedPages: number;
  vads: KdVad[];
  threads: KdThread[];
  handles: KdHandle[];
}

/** One frame of the PFN database that is not free: its use (PfnUse's name), share and lock counts. */
export interface KdPfn {
  pfn: number;
  use: string;
  share: number;
  lock: number;
}

export interface KdPoolBlock {
  address: number;
  size: number;
  /** The tag as four characters ('Mdl ', 'Irp '). */
  tag: string;
  paged: boolean;
  owner: string | null;
  /** In Driver Verifier's special pool (absent in older dumps, and for normal pool). */
  special?: true;
}

export interface KdMdl {
  address: number;
  size: number;
  flags: number;
  /** The process whose pages it describes (pid), or null. */
  process: number | null;
  processAddress: number;
  mappedSystemVa: number;
  startVa: number;
  byteCount: number;
  byteOffset: number;
  pfns: number[];
  owner: string | null;
  /** Where MmMapLockedPagesSpecifyCache(UserMode) put it: the process and address. */
  userMappings: { pid: number; va: number }[];
}

export interface KdIrpStack {
  major: number;
  minor: number;
  flags: number;
  /** SL_PENDING_RETURNED (1) once IoMarkIrpPending ran, and the SL_INVOKE_* bits. */
  control: number;
  device: number;
  file: number;
  ioControlCode: number;
}

export interface KdIrp {
  address: number;
  /** The thread that asked (tid), or null. */
  thread: number | null;
  mdl: number;
  systemBuffer: number;
  userBuffer: number;
  status: number;
  information: number;
  requestorMode: number;
  pendingReturned: boolean;
  cancel: boolean;
  stackCount: number;
  currentLocation: number;
  stack: KdIrpStack[];
  /** IRP.Flags (absent in dumps of format version 1). */
  flags?: number;
}

/** A named object: its full path, type, body address, counts; a symbolic link's target. */
export interface KdObject {
  path: string;
  type: string;
  address: number;
  headerAddress: number;
  pointerCount: number;
  handleCount: number;
  target?: string;
}

/** A routine of a driver (or of nt) that kd can name: its code address (0 if it has none yet) and `Driver!Routine`. */
export interface KdRoutine {
  address: number;
  name: string;
}

export interface KdDriver {
  service: string;
  name: string;
  start: number;
  size: number;
  unloaded: boolean;
  /** The DRIVER_OBJECT's address (this and the rest are absent in dumps of format version 1). */
  address?: number;
  /** Its device objects, newest first (DRIVER_OBJECT.DeviceObject, then NextDevice). */
  devices?: number[];
  /** MajorFunction[0..IRP_MJ_MAXIMUM_FUNCTION]. */
  dispatch?: KdRoutine[];
  unload?: KdRoutine | null;
  /** Every routine of it kd can name (dps, !timer): DriverEntry, the dispatch routines, DriverUnload, timer and DPC routines. */
  routines?: KdRoutine[];
}

/** A DEVICE_OBJECT: its driver, type, flags, extension, open count, and its place in a device stack. */
export interface KdDevice {
  address: number;
  /** Its full name (`\Device\SharingMemory`), or '' for an unnamed device. */
  name: string;
  driverAddress: number;
  /** The driver's name (`\Driver\SharingMemory`). */
  driverName: string;
  deviceType: number;
  flags: number;
  characteristics: number;
  deviceExtension: number;
  /** Open file objects on it (DEVICE_OBJECT.ReferenceCount). */
  referenceCount: number;
  stackSize: number;
  /** The device attached on top of it, and the one it is attached to (0 for none). */
  attachedDevice: number;
  attachedTo: number;
  deletePending: boolean;
}

/** A KDPC: the routine it calls (`Driver!Routine`), and its KDPC address where it has one in memory (0 otherwise). */
export interface KdDpc {
  address: number;
  routine: KdRoutine;
}

/** An armed KTIMER: its address (0 for the kernel's own), due time, period, type, and the DPC it queues. */
export interface KdTimer {
  address: number;
  dueNs: number;
  periodMs: number;
  type: number;
  dpc: KdDpc | null;
  /** The thread a timer without a DPC wakes (a wait's timeout), by tid; not kept by ntshm: null. */
  thread: number | null;
}

/** The bug check, with kd's analysis of it. */
export interface KdBugCheck extends BugCheck {
  analysis: BugCheckAnalysis;
}

/** Everything kd knows of a machine besides its physical memory. */
export interface KdSnapshot {
  arch: 'x64' | 'x86';
  frameCount: number;
  scenario: string | null;
  variant: string | null;
  /** boot's settings as the report gives them. */
  settings: Record<string, unknown>;
  virtualMs: number;
  verifier: boolean;
  /** Driver Verifier's flags (absent in dumps written before they were kept: the standard settings). */
  verifierFlags?: number;
  /** What the verifier counted (verifier/statistics.ts); absent in older dumps and with the verifier off. */
  verifierStatistics?: { counters: VerifierCounters; drivers: { [driver: string]: VerifierDriverPool } };
  /** The process whose context the machine was in (pid). */
  currentProcess: number;
  processes: KdProcess[];
  pfns: KdPfn[];
  pool: KdPoolBlock[];
  mdls: KdMdl[];
  irps: KdIrp[];
  objects: KdObject[];
  drivers: KdDriver[];
  /** Device objects (absent in dumps of format version 1, as are the fields after it). */
  devices?: KdDevice[];
  /** The thread on the processor that stopped (the bug check's), by tid; null when none (the idle thread). */
  currentThread?: number | null;
  /** Armed timers, earliest first. */
  timers?: KdTimer[];
  /** Each processor's DPC queue. */
  dpcQueues?: KdDpc[][];
  /** The clock: virtual ns since boot (the interrupt time), and the system time at boot (100 ns since 1601, UTC). */
  clock?: { nowNs: number; bootSystemTime: bigint };
  bugcheck: KdBugCheck | null;
  log: LogEvent[];
  findings: Finding[];
}
