/**
 * A live kernel's state as a KdSnapshot: what a dump carries and what kd
 * reads of a running machine. Reads only; nothing in the kernel changes.
 */
import { verifierFlags } from '../include/verifier-flags.js';
import type { Kernel } from '../kernel/kernel.js';
import type { EProcess } from '../kernel/ps/process.js';
import type { EThread } from '../kernel/ps/thread.js';
import type { KernelObject } from '../kernel/ob/object.js';
import { ObjectDirectory, SymbolicLinkObject } from '../kernel/ob/namespace.js';
import { PfnUse, pfnUseName } from '../kernel/mm/pfn.js';
import { isPagedPoolType } from '../kernel/mm/pool.js';
import { PAGE_SIZE } from '../hw/physical-memory.js';
import { PEB_ADDRESS } from '../kernel/ps/environment.js';
import type { KdIrp, KdMdl, KdObject, KdPfn, KdPoolBlock, KdProcess, KdSnapshot } from './snapshot.js';
import { analyzeBugCheck } from './analysis.js';
import { KdCaptureDevices, KdCaptureDriver } from './capture-io.js';
import { KdCaptureDpcQueues, KdCaptureThreadState, KdCaptureTimers } from './capture-threads.js';

/** What the machine knows of the run that the kernel does not: the scenario, the settings, the process it stopped in. */
export interface CaptureContext {
  scenario: string | null;
  variant: string | null;
  settings: Record<string, unknown>;
  bugCheckProcess: string | null;
}

/** A pool tag as its four characters ('Mdl '): the ULONG read little-endian. */
export function tagText(tag: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const c = (tag >>> (8 * i)) & 0xff;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return s;
}

function processOf(k: Kernel, p: EProcess, pidOf: (p: unknown) => number | null): KdProcess {
  const handles = p.ObjectTable.handles().flatMap((handle) => {
    const entry = p.ObjectTable.lookup(handle);
    if (!entry) return [];
    const o = entry.object;
    return [{ handle, object: o.address, type: o.header.type.name, name: objectName(o), grantedAccess: entry.grantedAccess }];
  });
  return {
    pid: p.UniqueProcessId, name: p.ImageFileName, address: p.address, directoryTableBase: p.DirectoryTableBase,
    // Every program's PEB is at the one address the loader gives it (ps/environment.ts).
    peb: p.UniqueProcessId === 4 ? 0 : PEB_ADDRESS,
    sessionId: p.SessionId, user: p.user, exited: p.exited, exitStatus: p.ExitStatus, lockedPages: p.NumberOfLockedPages,
    vads: p.VadRoot.vads.map((v) => ({
      start: v.start, end: v.end, kind: v.kind, protection: v.protection, committed: v.commit.committed(0, v.commit.pages),
      ...(v.mdl ? { mdl: v.mdl.address } : {}),
    })),
    threads: p.threads.map((t) => ({
      tid: t.Cid, address: t.address, label: t.label, system: t.system, terminated: t.terminated, teb: t.Teb, run: KdCaptureThreadState(k, t, pidOf),
    })),
    handles,
  };
}

/** An object's full name (`\Device\SharingMemory`), or '' for an unnamed one. */
function objectName(o: KernelObject): string {
  const parts: string[] = [];
  let cur: KernelObject | undefined = o;
  for (let depth = 0; cur?.header.name !== undefined && depth < 64; depth++) {
    parts.unshift(cur.header.name);
    cur = cur.header.directory;
  }
  return parts.length ? `\\${parts.join('\\')}` : '';
}

function namespaceOf(root: ObjectDirectory): KdObject[] {
  const out: KdObject[] = [];
  const visit = (dir: ObjectDirectory, path: string): void => {
    for (const [key, o] of [...dir.entries].sort(([a], [b]) => a.localeCompare(b))) {
      // The directory's keys are folded for case-insensitive lookup: the name is the header's.
      const full = `${path}\\${o.header.name ?? key}`;
      out.push({
        path: full, type: o.header.type.name, address: o.address, headerAddress: o.header.address,
        pointerCount: o.header.PointerCount, handleCount: o.header.HandleCount,
        ...(o instanceof SymbolicLinkObject ? { target: o.LinkTarget } : {}),
      });
      if (o instanceof ObjectDirectory && out.length < 10_000) visit(o, full);
    }
  };
  out.push({ path: '\\', type: 'Directory', address: root.address, headerAddress: root.header.address, pointerCount: root.header.PointerCount, handleCount: root.header.HandleCount });
  visit(root, '');
  return out;
}

function pfnsOf(k: Kernel): KdPfn[] {
  const out: KdPfn[] = [];
  const { use, shareCount, lockCount } = k.pfn;
  for (let pfn = 0; pfn < use.length; pfn++) {
    const u = use[pfn] ?? 0;
    const share = shareCount[pfn] ?? 0;
    const lock = lockCount[pfn] ?? 0;
    if (u !== PfnUse.Free || share !== 0 || lock !== 0) out.push({ pfn, use: pfnUseName(u), share, lock });
  }
  return out;
}

function mdlsOf(k: Kernel, pidOf: (p: unknown) => number | null): KdMdl[] {
  return [...k.mdl.live.values()].map((m) => ({
    address: m.address, size: m.Size, flags: m.MdlFlags, process: pidOf(m.Process),
    processAddress: (m.Process as { address?: number } | null)?.address ?? 0,
    mappedSystemVa: m.MappedSystemVa, startVa: m.StartVa, byteCount: m.ByteCount, byteOffset: m.ByteOffset,
    pfns: [...m.PfnArray], owner: m.owner ?? null,
    userMappings: m.userMappings.map((u) => ({ pid: pidOf(u.process) ?? -1, va: u.va })),
  }));
}

function irpsOf(k: Kernel): KdIrp[] {
  return [...k.io.irpsInProgress()].filter((irp) => irp.inUse).map((irp) => ({
    address: irp.address,
    thread: (irp.Tail.Overlay.Thread as { Cid?: number } | null)?.Cid ?? null,
    mdl: irp.MdlAddress?.address ?? 0, systemBuffer: irp.AssociatedIrp.SystemBuffer, userBuffer: irp.UserBuffer,
    status: irp.IoStatus.Status, information: irp.IoStatus.Information, requestorMode: irp.RequestorMode,
    flags: irp.Flags, pendingReturned: irp.PendingReturned, cancel: irp.Cancel, stackCount: irp.StackCount, currentLocation: irp.CurrentLocation,
    stack: irp.stack.map((s) => ({
      major: s.MajorFunction, minor: s.MinorFunction, flags: s.Flags, control: s.Control, device: s.DeviceObject?.address ?? 0, file: s.FileObject?.address ?? 0,
      ioControlCode: s.Parameters.DeviceIoControl.IoControlCode,
    })),
  }));
}

/** The kernel's state now, as kd reads it. */
export function KdCaptureSnapshot(k: Kernel, context: CaptureContext): KdSnapshot {
  const processes = k.ps.processes.filter((p) => p !== k.ps.idleProcess);
  const pidOf = (p: unknown): number | null => processes.find((q) => q === p)?.UniqueProcessId ?? null;
  const pool: KdPoolBlock[] = [...k.pool.allocations.values()].map((b) => ({
    address: b.address, size: b.numberOfBytes, tag: tagText(b.tag), paged: isPagedPoolType(b.poolType), owner: b.owner ?? null,
    ...(b.special ? { special: true as const } : {}),
  })).sort((a, b) => a.address - b.address);
  const b = k.bugcheck;
  const drivers = [...k.io.drivers.values(), ...k.io.unloadedDrivers.values()];
  const current: EThread | undefined = k.bugcheck && k.stoppedOn ? k.stoppedOn.thread : k.currentThread;
  return {
    arch: k.arch,
    frameCount: k.memory.sizeBytes / PAGE_SIZE,
    scenario: context.scenario, variant: context.variant, settings: context.settings,
    virtualMs: Math.floor(k.clock.nowNs / 1e6),
    verifier: k.options.verifier,
    verifierFlags: verifierFlags(k.options),
    ...(k.verifierStatistics !== null ? { verifierStatistics: k.verifierStatistics.snapshot() } : {}),
    currentProcess: k.currentProcess.UniqueProcessId,
    processes: processes.map((p) => processOf(k, p, pidOf)),
    pfns: pfnsOf(k),
    pool,
    mdls: mdlsOf(k, pidOf),
    irps: irpsOf(k),
    objects: namespaceOf(k.ob.root),
    drivers: drivers.map((d) => KdCaptureDriver(k, d)),
    devices: KdCaptureDevices(k, drivers, objectName),
    currentThread: !current || current.process === k.ps.idleProcess ? null : current.Cid,
    timers: KdCaptureTimers(k),
    dpcQueues: KdCaptureDpcQueues(k),
    clock: { nowNs: k.clock.nowNs, bootSystemTime: k.options.bootSystemTime },
    bugcheck: b ? { ...b, params: [...b.params], stack: [...b.stack], analysis: analyzeBugCheck(b, { arch: k.arch, scenario: context.scenario, processName: context.bugCheckProcess }) } : null,
    log: [...k.log],
    findings: [...k.findings],
  };
}
