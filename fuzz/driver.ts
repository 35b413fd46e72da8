/**
 * FuzzDrv: the fuzzer's driver. Its device takes five IOCTLs: one runs a
 * list of generated driver actions in the dispatch routine (in the calling
 * program's process, at PASSIVE_LEVEL); four echo their buffers with each
 * transfer method (BUFFERED, IN_DIRECT, OUT_DIRECT, NEITHER), as a careful
 * driver does, so that the I/O manager meets whatever buffers and lengths
 * the programs pass. Actions may queue DPCs, set timers and start the I/O
 * timer, whose routines run more actions at DISPATCH_LEVEL, in whatever
 * process the CPU is in.
 *
 * The driver itself is correct: IRP_MJ_CLEANUP undoes what a file object's
 * process had mapped or locked, DriverUnload cancels its timers and DPCs and
 * frees what it holds. Misuse comes only from actions labelled `misuse`
 * (or run where their IRQL forbids them); those are reported to the world
 * before they run, so that a bug check after them is the driver's due.
 */
import {
  CTL_CODE, DISPATCH_LEVEL, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, FILE_WRITE_ACCESS, IO_NO_INCREMENT, IoGetCurrentIrpStackLocation,
  IoReadAccess, IoWriteAccess, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL, KernelMode, METHOD_BUFFERED,
  METHOD_IN_DIRECT, METHOD_NEITHER, METHOD_OUT_DIRECT, MdlMappingNoWrite, MmCached, NonPagedPool, NonPagedPoolNx, NormalPagePriority,
  NtException, PagedPool, STATUS_INVALID_DEVICE_REQUEST, STATUS_SUCCESS, UserMode, defineDriver, type DeviceObject, type DriverObject,
  type EProcess, type FileObject, type Irp, type KTimer, type Kdpc, type Mdl, type Nt,
} from '../src/api/wdm.js';
import type { DriverDefinition } from '../src/api/wdm.js';
import { MachineHalted } from '../src/include/errors.js';
import type { DriverAction, HandleChoice, HostileValue, LengthChoice, PointerChoice } from './actions.js';
import { GuestThrow, hostileValue } from './hostile.js';

export const FUZZ_SERVICE = 'FuzzDrv';
export const FUZZ_PATH = `\\\\.\\${FUZZ_SERVICE}`;
const TAG = 'Fuzz';

/** The fuzz driver's IOCTL codes. */
export const FUZZ_IOCTL = {
  run: CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS),
  'echo-buffered': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS),
  'echo-in-direct': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, METHOD_IN_DIRECT, FILE_ANY_ACCESS),
  'echo-out-direct': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, METHOD_OUT_DIRECT, FILE_ANY_ACCESS),
  'echo-neither': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x904, METHOD_NEITHER, FILE_ANY_ACCESS),
  'write-only': CTL_CODE(FILE_DEVICE_UNKNOWN, 0x905, METHOD_BUFFERED, FILE_WRITE_ACCESS),
  unknown: CTL_CODE(FILE_DEVICE_UNKNOWN, 0xabc, METHOD_BUFFERED, FILE_ANY_ACCESS),
  'other-device-type': CTL_CODE(0x22, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS),
} as const;

/** What the driver needs from the fuzzer: the actions behind a run IOCTL, and where to report. */
export interface FuzzDriverHost {
  /** The actions a program queued under `id`, with the pointer and handle values it resolved for them. */
  takeCall(id: number): { actions: readonly DriverAction[]; resolve: Resolver } | undefined;
  /** One driver call made (counted as a call of the campaign). */
  counted(): void;
  /** A misuse is about to run: from now on a bug check is the driver's due. */
  misuse(what: string, mustStop: boolean): void;
  /** What the driver is doing, for the report of a bug check. */
  setInFlight(what: string | undefined): void;
  /** Something other than an NT exception came out of a kernel routine. */
  hostError(where: string, error: unknown): void;
}

/** Turns a program's pointer, length or handle choice into the value it passes. */
export interface Resolver {
  pointer(choice: PointerChoice): unknown;
  length(choice: LengthChoice): unknown;
  handle(choice: HandleChoice): unknown;
}

interface Block { readonly va: number; readonly size: number; readonly paged: boolean; live: boolean }
interface MdlRecord {
  readonly mdl: Mdl;
  readonly block: Block | undefined;
  live: boolean;
  /** Locked user pages: the process and file object they were locked through. */
  locked: { pid: number; file: FileObject | null } | undefined;
  systemVa: number;
}
/** A user mapping the driver made: where, for whom, through which file object. */
export interface UserMapping { readonly record: MdlRecord; readonly pid: number; readonly va: number; readonly size: number; readonly readOnly: boolean; readonly file: FileObject | null; live: boolean }

/** Where an action runs: at PASSIVE_LEVEL in a dispatch routine (with its file object), or at DISPATCH_LEVEL. */
interface Context {
  readonly dispatch: boolean;
  /** The IRP of the dispatch routine (depth 0 only). */
  readonly irp?: Irp;
  readonly file: FileObject | null;
  readonly resolve: Resolver;
  readonly depth: number;
}

/** The driver's state, visible to the fuzzer (which reads it back as a program's 'mapped' pointers). */
export class FuzzDriverState {
  readonly blocks: Block[] = [];
  readonly mdls: MdlRecord[] = [];
  readonly mappings: UserMapping[] = [];
  readonly timers: { timer: KTimer; dpc: Kdpc }[] = [];
  readonly dpcs: Kdpc[] = [];
  readonly processes: EProcess[] = [];
  ioTimerActions: { actions: readonly DriverAction[]; resolve: Resolver } | undefined;
  ioTimerRunning = false;
}

const live = <T extends { live: boolean }>(list: readonly T[]): T[] => list.filter((x) => x.live);
const dead = <T extends { live: boolean }>(list: readonly T[]): T[] => list.filter((x) => !x.live);
const pick = <T>(list: readonly T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);

/**
 * Misuses issue 7 says must stop the machine (not merely may): a run that
 * goes on to its end after one is a failure. The others may pass unseen,
 * as on Windows without the verifier.
 */
function mustStop(a: DriverAction, c: Context): boolean {
  switch (a.d) {
    case 'free-system-buffer': case 'free-irp': return c.depth === 0; // item 7: 0xC2
    case 'zero': return true; // item 8: 0x50 where the bytes run out
    case 'leave-irql-raised': return true; // item 10 (at PASSIVE_LEVEL: 0x4A on the way out)
    case 'spin': return true; // item 3: 0x133 at DISPATCH_LEVEL
    case 'write-page-tables': case 'throw-named': return true; // item 4
    default: return false;
  }
}

/** Actions a driver may take at DISPATCH_LEVEL (their WDK pages say IRQL <= DISPATCH_LEVEL). */
const DISPATCH_OK = new Set<DriverAction['d']>([
  'alloc', 'free', 'fill', 'mdl', 'map-system', 'free-mdl', 'unlock', 'dpc', 'timer', 'cancel-timer', 'at-dispatch', 'zero', 'io-timer',
  'leave-irql-raised', 'bugcheck', 'hostile-call', 'return-hostile', 'free-system-buffer', 'free-irp', 'spin', 'write-page-tables', 'throw-named',
]);

/** Builds the fuzz driver for one world. */
export function fuzzDriver(host: FuzzDriverHost, state: FuzzDriverState): DriverDefinition {
  return defineDriver({
    name: FUZZ_SERVICE,
    DriverEntry(nt: Nt, driverObject: DriverObject): number {
      const deviceName = `\\Device\\${FUZZ_SERVICE}`;
      const { status, deviceObject } = nt.IoCreateDevice(driverObject, 0, deviceName, FILE_DEVICE_UNKNOWN, 0, false);
      if (status !== STATUS_SUCCESS || !deviceObject) return status;
      const linked = nt.IoCreateSymbolicLink(`\\DosDevices\\${FUZZ_SERVICE}`, deviceName);
      if (linked !== STATUS_SUCCESS) {
        nt.IoDeleteDevice(deviceObject);
        return linked;
      }
      const run = makeRunner(nt, host, state, deviceObject);

      const complete = (irp: Irp, status: number, information: number): number => {
        irp.IoStatus.Status = status;
        irp.IoStatus.Information = information;
        nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return status;
      };
      driverObject.MajorFunction[IRP_MJ_CREATE] = function DispatchCreate(_d: DeviceObject, irp: Irp) {
        return complete(irp, STATUS_SUCCESS, 0);
      };
      driverObject.MajorFunction[IRP_MJ_CLOSE] = function DispatchClose(_d: DeviceObject, irp: Irp) {
        return complete(irp, STATUS_SUCCESS, 0);
      };
      // What a file object's process had mapped or locked goes with its last handle, in that process.
      driverObject.MajorFunction[IRP_MJ_CLEANUP] = function DispatchCleanup(_d: DeviceObject, irp: Irp) {
        const file = IoGetCurrentIrpStackLocation(irp).FileObject;
        for (const m of state.mappings) {
          if (m.live && m.file === file) {
            nt.MmUnmapLockedPages(m.va, m.record.mdl);
            m.live = false;
          }
        }
        for (const r of state.mdls) {
          if (r.live && r.locked && r.locked.file === file) {
            nt.MmUnlockPages(r.mdl);
            nt.IoFreeMdl(r.mdl);
            r.live = false;
          }
        }
        return complete(irp, STATUS_SUCCESS, 0);
      };
      driverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = function DispatchControl(_d: DeviceObject, irp: Irp) {
        const stack = IoGetCurrentIrpStackLocation(irp);
        const p = stack.Parameters.DeviceIoControl;
        const code = p.IoControlCode >>> 0;
        if (code === FUZZ_IOCTL.run) {
          if (p.InputBufferLength < 4) return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
          const call = host.takeCall(nt.getUint32(irp.AssociatedIrp.SystemBuffer));
          if (!call) return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
          const process = nt.PsGetCurrentProcess();
          if (!state.processes.includes(process)) {
            nt.ObReferenceObject(process);
            state.processes.push(process);
          }
          const returned = run(call.actions, { dispatch: true, irp, file: stack.FileObject, resolve: call.resolve, depth: 0 });
          if (returned.hostile !== undefined) {
            // A dispatch routine returning what no C routine could (issue 7, item 5).
            irp.IoStatus.Status = STATUS_SUCCESS;
            nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
            return hostileValue(returned.hostile) as number;
          }
          return complete(irp, STATUS_SUCCESS, 0);
        }
        const inLength = p.InputBufferLength;
        const outLength = p.OutputBufferLength;
        const n = Math.min(inLength, outLength);
        try {
          switch (code) {
            case FUZZ_IOCTL['echo-buffered']:
              // Input and output share the SystemBuffer: the echo is already in place.
              return complete(irp, STATUS_SUCCESS, n);
            case FUZZ_IOCTL['echo-in-direct']:
            case FUZZ_IOCTL['echo-out-direct']: {
              // The input comes buffered, the output through the MDL the I/O manager locked.
              const out = irp.MdlAddress ? nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority) : 0;
              if (out !== 0 && n > 0) nt.RtlCopyMemory(out, irp.AssociatedIrp.SystemBuffer, Math.min(n, 4096));
              return complete(irp, STATUS_SUCCESS, out === 0 ? 0 : Math.min(n, 4096));
            }
            case FUZZ_IOCTL['echo-neither']: {
              // User addresses, as the program passed them: probe, then copy, inside __try.
              const input = stack.Parameters.DeviceIoControl.Type3InputBuffer;
              const output = irp.UserBuffer;
              const count = Math.min(n, 4096);
              if (count > 0) {
                nt.ProbeForRead(input, count, 1);
                nt.ProbeForWrite(output, count, 1);
                nt.setBytes(output, nt.getBytes(input, count));
              }
              return complete(irp, STATUS_SUCCESS, count);
            }
            case FUZZ_IOCTL['write-only']:
              return complete(irp, STATUS_SUCCESS, 0);
            default:
              return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
          }
        } catch (e) {
          if (e instanceof NtException) return complete(irp, e.status, 0);
          throw e;
        }
      };
      nt.IoInitializeTimer(deviceObject, function IoTimerRoutine() {
        const t = state.ioTimerActions;
        if (t) run(t.actions, { dispatch: false, file: null, resolve: t.resolve, depth: 1 });
      }, null);
      driverObject.DriverUnload = function DriverUnload(d: DriverObject) {
        if (state.ioTimerRunning && d.DeviceObject) nt.IoStopTimer(d.DeviceObject);
        for (const t of state.timers) nt.KeCancelTimer(t.timer);
        for (const dpc of state.dpcs) nt.KeRemoveQueueDpc(dpc);
        for (const m of state.mappings) if (m.live && m.record.live) m.live = false; // their processes are gone: their mappings went with them
        for (const r of state.mdls) {
          if (!r.live) continue;
          if (r.locked) nt.MmUnlockPages(r.mdl);
          nt.IoFreeMdl(r.mdl);
          r.live = false;
        }
        for (const b of state.blocks) {
          if (!b.live) continue;
          nt.ExFreePoolWithTag(b.va, TAG);
          b.live = false;
        }
        for (const p of state.processes.splice(0)) nt.ObDereferenceObject(p);
        nt.IoDeleteSymbolicLink(`\\DosDevices\\${FUZZ_SERVICE}`);
        if (d.DeviceObject) nt.IoDeleteDevice(d.DeviceObject);
      };
      return STATUS_SUCCESS;
    },
  });
}

/** Runs lists of actions in a context; returns a hostile value a dispatch routine should return, if asked to. */
function makeRunner(nt: Nt, host: FuzzDriverHost, state: FuzzDriverState, device: DeviceObject) {
  const len = (c: Context, l: LengthChoice): unknown => c.resolve.length(l);

  /** Resolves now what a DPC or timer will use later: the values the program passed, captured. */
  const capture = (c: Context): Resolver => {
    const pointers = new Map<PointerChoice, unknown>();
    const handles = new Map<HandleChoice, unknown>();
    return {
      pointer: (p) => (pointers.has(p) ? pointers.get(p) : (pointers.set(p, c.resolve.pointer(p)), pointers.get(p))),
      length: (l) => c.resolve.length(l),
      handle: (h) => (handles.has(h) ? handles.get(h) : (handles.set(h, c.resolve.handle(h)), handles.get(h))),
    };
  };
  const prepare = (c: Context, actions: readonly DriverAction[]): Resolver => {
    const r = capture(c);
    const visit = (list: readonly DriverAction[]): void => {
      for (const a of list) {
        if ('buffer' in a) r.pointer(a.buffer);
        if ('handle' in a) r.handle(a.handle);
        if ('actions' in a) visit(a.actions);
      }
    };
    visit(actions);
    return r;
  };

  const one = (a: DriverAction, c: Context): HostileValue | undefined => {
    const processId = nt.PsGetCurrentProcessId();
    switch (a.d) {
      case 'alloc': {
        const poolType = a.pool === 'paged' ? PagedPool : a.pool === 'nonpagedNx' ? NonPagedPoolNx : NonPagedPool;
        const size = len(c, a.size);
        const va = nt.ExAllocatePoolWithTag(poolType, size as number, TAG);
        if (va !== 0) state.blocks.push({ va, size: size as number, paged: a.pool === 'paged', live: true });
        return undefined;
      }
      case 'free': {
        if (a.misuse === 'twice') {
          const b = pick(dead(state.blocks), a.pick);
          if (b) nt.ExFreePoolWithTag(b.va, TAG);
          return undefined;
        }
        const b = pick(live(state.blocks), a.pick);
        if (!b) return undefined;
        if (a.misuse === 'middle') nt.ExFreePool(b.va + 8);
        else if (a.misuse === 'user') nt.ExFreePool(0x10000 + (a.pick % 16) * 0x1000);
        else if (a.misuse === 'never-pool') nt.ExFreePool(b.va - (b.va % 4096) + 0x1000_0000);
        else if (!mappedSomewhere(b)) {
          nt.ExFreePoolWithTag(b.va, TAG);
          b.live = false;
        }
        return undefined;
      }
      case 'fill': {
        const b = pick(live(state.blocks), a.pick);
        if (!b || b.size === 0) return undefined;
        const offset = a.offset % b.size;
        const length = a.misuse === 'overrun' ? b.size - offset + a.length : Math.min(a.length, b.size - offset);
        nt.RtlFillMemory(b.va + offset, length, 0xa5);
        return undefined;
      }
      case 'zero': {
        const b = pick(live(state.blocks), 0);
        nt.RtlZeroMemory(b?.va ?? 0, len(c, a.length) as number);
        return undefined;
      }
      case 'mdl': {
        const b = pick(live(state.blocks).filter((x) => !x.paged && x.size > 0), a.pick);
        if (!b) return undefined;
        const mdl = nt.IoAllocateMdl(b.va, b.size, false, false, null);
        if (!mdl) return undefined;
        nt.MmBuildMdlForNonPagedPool(mdl);
        state.mdls.push({ mdl, block: b, live: true, locked: undefined, systemVa: 0 });
        return undefined;
      }
      case 'map-user': {
        const r = pick(live(state.mdls).filter((x) => x.block), a.pick);
        if (!r) return undefined;
        try {
          const va = nt.MmMapLockedPagesSpecifyCache(r.mdl, UserMode, MmCached, 0, false, NormalPagePriority | (a.readOnly ? MdlMappingNoWrite : 0));
          if (va !== 0) state.mappings.push({ record: r, pid: processId, va, size: r.block!.size, readOnly: a.readOnly, file: c.dispatch ? c.file : null, live: true });
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
        }
        return undefined;
      }
      case 'map-system': {
        const r = pick(live(state.mdls), a.pick);
        if (r) r.systemVa = nt.MmGetSystemAddressForMdlSafe(r.mdl, NormalPagePriority);
        return undefined;
      }
      case 'unmap-user': {
        const candidates = a.misuse === 'twice' ? dead(state.mappings) : live(state.mappings).filter((m) => (a.misuse === 'other-process') !== (m.pid === processId));
        const m = pick(candidates, a.pick);
        if (!m) return undefined;
        nt.MmUnmapLockedPages(m.va, m.record.mdl);
        m.live = false;
        return undefined;
      }
      case 'free-mdl': {
        if (a.misuse === 'twice') {
          const r = pick(dead(state.mdls), a.pick);
          if (r) nt.IoFreeMdl(r.mdl);
          return undefined;
        }
        const r = pick(live(state.mdls).filter((x) => !x.locked && (a.misuse === 'still-mapped') === mappedMdl(x)), a.pick);
        if (!r) return undefined;
        nt.IoFreeMdl(r.mdl);
        r.live = false;
        return undefined;
      }
      case 'lock-user': {
        const buffer = c.resolve.pointer(a.buffer) as number;
        const length = len(c, a.length) as number;
        const mdl = nt.IoAllocateMdl(buffer, length, false, false, null);
        if (!mdl) return undefined;
        try {
          nt.MmProbeAndLockPages(mdl, UserMode, a.write ? IoWriteAccess : IoReadAccess);
          state.mdls.push({ mdl, block: undefined, live: true, locked: { pid: processId, file: c.dispatch ? c.file : null }, systemVa: 0 });
        } catch (e) {
          nt.IoFreeMdl(mdl);
          if (!(e instanceof NtException)) throw e;
        }
        return undefined;
      }
      case 'unlock': {
        const candidates = a.misuse === 'twice'
          ? state.mdls.filter((r) => r.live && !r.locked && !r.block)
          : live(state.mdls).filter((r) => r.locked && (a.misuse === 'other-process') !== (r.locked.pid === processId));
        const r = pick(candidates, a.pick);
        if (!r) return undefined;
        nt.MmUnlockPages(r.mdl);
        r.locked = undefined;
        if (!a.misuse) {
          nt.IoFreeMdl(r.mdl);
          r.live = false;
        }
        return undefined;
      }
      case 'probe-read': {
        const buffer = c.resolve.pointer(a.buffer) as number;
        const length = len(c, a.length) as number;
        try {
          nt.ProbeForRead(buffer, length, 1);
          if (length > 0) nt.getBytes(buffer, Math.min(length, 256));
        } catch (e) {
          if (!(e instanceof NtException)) throw e;
        }
        return undefined;
      }
      case 'touch-user': {
        // No __try: a fault here is the driver's.
        nt.getUint32(c.resolve.pointer(a.buffer) as number);
        return undefined;
      }
      case 'dpc': {
        if (c.depth >= 2) return undefined;
        const resolve = prepare(c, a.actions);
        const { dpc } = nt.KeInitializeDpc(function FuzzDpcRoutine() {
          const i = state.dpcs.indexOf(dpc);
          if (i >= 0) state.dpcs.splice(i, 1);
          run(a.actions, { dispatch: false, file: null, resolve, depth: c.depth + 1 });
        }, null);
        state.dpcs.push(dpc);
        nt.KeInsertQueueDpc(dpc, null, null);
        return undefined;
      }
      case 'timer': {
        if (c.depth >= 2) return undefined;
        const resolve = prepare(c, a.actions);
        const { timer } = nt.KeInitializeTimerEx(0);
        const { dpc } = nt.KeInitializeDpc(function FuzzTimerRoutine() {
          run(a.actions, { dispatch: false, file: null, resolve, depth: c.depth + 1 });
        }, null);
        state.timers.push({ timer, dpc });
        nt.KeSetTimerEx(timer, -BigInt(a.dueMs) * 10_000n, a.periodMs, dpc);
        return undefined;
      }
      case 'cancel-timer': {
        const t = pick(state.timers, a.pick);
        if (t) nt.KeCancelTimer(t.timer);
        return undefined;
      }
      case 'io-timer': {
        // Once a second, at DISPATCH_LEVEL, in whatever process the CPU is in.
        if (a.start) {
          state.ioTimerActions = { actions: a.actions, resolve: prepare(c, a.actions) };
          if (!state.ioTimerRunning) nt.IoStartTimer(device);
          state.ioTimerRunning = true;
        } else if (state.ioTimerRunning) {
          nt.IoStopTimer(device);
          state.ioTimerRunning = false;
        }
        return undefined;
      }
      case 'at-dispatch': {
        const { oldIrql } = nt.KeRaiseIrql(DISPATCH_LEVEL);
        try {
          run(a.actions, { dispatch: false, file: null, resolve: c.resolve, depth: c.depth + 1 });
        } finally {
          nt.KeLowerIrql(oldIrql);
        }
        return undefined;
      }
      case 'attach': {
        const target = pick(state.processes, a.pick);
        if (!target) return undefined;
        const { apcState } = nt.KeStackAttachProcess(target);
        try {
          run(a.actions, { dispatch: false, file: null, resolve: c.resolve, depth: c.depth + 1 });
        } finally {
          nt.KeUnstackDetachProcess(apcState);
        }
        return undefined;
      }
      case 'reference-handle': {
        const handle = c.resolve.handle(a.handle) as number;
        const r = nt.ObReferenceObjectByHandle(handle, 0, null, a.userMode ? UserMode : KernelMode);
        if (r.object) nt.ObDereferenceObject(r.object);
        return undefined;
      }
      case 'leave-irql-raised':
        nt.KeRaiseIrql(DISPATCH_LEVEL);
        return undefined;
      case 'bugcheck':
        return nt.KeBugCheckEx(0xdead, 1, 2, 3, 4);
      case 'free-system-buffer':
        if (c.irp && c.depth === 0) nt.ExFreePool(c.irp.AssociatedIrp.SystemBuffer);
        return undefined;
      case 'free-irp':
        if (c.irp && c.depth === 0) nt.ExFreePool(c.irp.address);
        return undefined;
      case 'spin':
        for (;;) nt.KeQuerySystemTime();
      case 'write-page-tables':
        // PXE_BASE: the PML4 seen through its own self-map entry (0x1ED).
        if (nt.sizeofPointer === 8) nt.setBigUint64(0xf6fb_7dbe_d000, 0xffff_ffff_ffff_ffffn);
        return undefined;
      case 'throw-named': {
        const e = new GuestThrow('a driver threw this');
        Object.defineProperty(e, 'name', { value: 'EmulatorError' });
        throw e;
      }
      case 'hostile-call': {
        const v = hostileValue(a.value) as number;
        const call: Record<typeof a.routine, () => unknown> = {
          ExAllocatePoolWithTag: () => nt.ExAllocatePoolWithTag(NonPagedPool, v, TAG),
          ExFreePool: () => nt.ExFreePool(v),
          IoAllocateMdl: () => nt.IoAllocateMdl(v, 16, false, false, null),
          MmUnmapLockedPages: () => nt.MmUnmapLockedPages(v, pick(live(state.mdls), 0)?.mdl ?? null),
          KeBugCheckEx: () => nt.KeBugCheckEx(v, v, v, v, v),
          DbgPrint: () => nt.DbgPrint('%p %d %s\n', v as never, v as never, v as never),
          KeRaiseIrql: () => nt.KeLowerIrql(nt.KeRaiseIrql(v).oldIrql),
        };
        const r = call[a.routine]();
        if (a.routine === 'ExAllocatePoolWithTag' && typeof r === 'number' && r !== 0) state.blocks.push({ va: r, size: 0, paged: false, live: true });
        return undefined;
      }
      case 'return-hostile':
        return c.dispatch && c.depth === 0 ? a.value : undefined;
    }
  };

  const mappedMdl = (r: MdlRecord): boolean => r.systemVa !== 0 || state.mappings.some((m) => m.live && m.record === r);
  const mappedSomewhere = (b: Block): boolean => state.mdls.some((r) => r.live && r.block === b);

  function run(actions: readonly DriverAction[], c: Context): { hostile: HostileValue | undefined } {
    let hostile: HostileValue | undefined;
    for (const a of actions) {
      host.counted();
      const raised = !c.dispatch && !DISPATCH_OK.has(a.d);
      const misuse = 'misuse' in a && a.misuse !== undefined ? a.misuse : raised ? `${a.d} at DISPATCH_LEVEL` : undefined;
      if (misuse !== undefined) host.misuse(`${a.d}: ${misuse}`, misuse === a.d + ' at DISPATCH_LEVEL' ? false : mustStop(a, c));
      host.setInFlight(`driver ${a.d}${misuse ? ` (${misuse})` : ''}${c.dispatch ? '' : ' at DISPATCH_LEVEL'}`);
      try {
        hostile = one(a, c) ?? hostile;
      } catch (e) {
        // 'touch-user' has no __try: its fault leaves the driver; nor has 'throw-named'.
        if (e instanceof MachineHalted || (a.d === 'touch-user' && e instanceof NtException) || a.d === 'throw-named') throw e;
        // The driver's own __try/__except around each call: an NT exception is the routine's documented way to fail.
        if (!(e instanceof NtException) && !(e instanceof GuestThrow)) host.hostError(`driver ${a.d}`, e);
      }
      host.setInFlight(undefined);
    }
    return { hostile };
  }
  return run;
}
