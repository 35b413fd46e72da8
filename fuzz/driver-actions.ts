/**
 * What the fuzz driver does for each generated action: the WDK routines it
 * calls, in the context it runs in (its dispatch routine, a DPC, a timer),
 * each inside its own __try/__except (an NT exception is a routine's
 * documented way to fail), except where the action's point is that there
 * is none. A misuse is reported to the fuzzer before it runs.
 */
import {
  APC_LEVEL, DISPATCH_LEVEL, IoReadAccess, IoWriteAccess, KernelMode, MdlMappingNoWrite, MmCached, NonPagedPool, NonPagedPoolNx, NormalPagePriority,
  NtException, PagedPool, UserMode, type DeviceObject, type Nt,
} from '../src/api/wdm.js';
import { handleArgument } from '../src/api/driver-arguments.js';
import { MachineHalted } from '../src/include/errors.js';
import { DRIVER_VERIFIER_FORCE_IRQL_CHECKING } from '../src/include/verifier-flags.js';
import { VfHandleTrusted } from '../src/kernel/verifier/handle-reference.js';
import type { DriverAction, HandleChoice, HostileValue, LengthChoice, PointerChoice } from './actions.js';
import { TAG, type Block, type Context, type FuzzDriverHost, type FuzzDriverState, type MdlRecord, type Resolver } from './driver-state.js';
import { GuestThrow, hostileValue } from './hostile.js';

/** The System process's id. */
const SYSTEM_PROCESS_ID = 4;

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
    // item 10 (in a dispatch routine: 0x4A on the way out); inside at-dispatch or attach the wrapper lowers it again.
    case 'leave-irql-raised': return !c.wrapped;
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

/** Runs lists of actions in a context; returns a hostile value a dispatch routine should return, if asked to. */
export function makeRunner(nt: Nt, host: FuzzDriverHost, state: FuzzDriverState, device: DeviceObject) {
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
    const verifying = () => nt.MmIsVerifierEnabled().VerifierFlags !== 0;
    switch (a.d) {
      case 'alloc': {
        const poolType = a.pool === 'paged' ? PagedPool : a.pool === 'nonpagedNx' ? NonPagedPoolNx : NonPagedPool;
        const size = len(c, a.size);
        // 0 bytes: a block of one byte, as on Windows; under the verifier, 0xC4/0x00 (an automatic check).
        if (size === 0 && verifying()) host.misuse('alloc: 0 bytes under the verifier', true);
        // Paged pool above APC_LEVEL: 0xC4/0x01 under the verifier (its IRQL check).
        if (a.pool === 'paged' && nt.KeGetCurrentIrql() > APC_LEVEL && verifying()) host.misuse('alloc: paged pool above APC_LEVEL under the verifier', true);
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
          // Paged pool above APC_LEVEL: 0xC4/0x11 under the verifier (its IRQL check).
          if (b.paged && nt.KeGetCurrentIrql() > APC_LEVEL && verifying()) host.misuse('free: paged pool above APC_LEVEL under the verifier', true);
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
        // Paged pool touched at DISPATCH_LEVEL: 0xD1 when its page is not resident, which the verifier's Force IRQL
        // Checking makes sure of (it trims pageable memory as IRQL rises); without it the page may still be there.
        if (b.paged && length > 0 && nt.KeGetCurrentIrql() >= DISPATCH_LEVEL) {
          host.misuse('fill: paged pool at DISPATCH_LEVEL', (nt.MmIsVerifierEnabled().VerifierFlags & DRIVER_VERIFIER_FORCE_IRQL_CHECKING) !== 0);
        }
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
          // A writable user view of a block that does not own its pages hands the program the pool
          // headers of its neighbours: what the program then writes there is the driver's doing (0x19, 0xC2).
          const b = r.block!;
          if (va !== 0 && !a.readOnly && (b.va % 0x1000 !== 0 || b.size % 0x1000 !== 0)) host.misuse('map-user: a writable user view of a pool page the block shares', false);
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
          // (A hostile length the probe accepted as a register holds it is not read again here.)
          // Only what was probed is read: on x86 a SIZE_T of 2**32 is 0, and a probe of nothing proves nothing.
          const probed = typeof length === 'number' ? (nt.sizeofPointer === 4 ? length >>> 0 : length) : 0;
          if (probed > 0) nt.getBytes(buffer, Math.min(probed, 256));
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
          run(a.actions, { dispatch: false, file: null, resolve: c.resolve, depth: c.depth + 1, wrapped: true });
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
          run(a.actions, { dispatch: false, file: null, resolve: c.resolve, depth: c.depth + 1, wrapped: true });
        } finally {
          nt.KeUnstackDetachProcess(apcState);
        }
        return undefined;
      }
      case 'reference-handle': {
        const handle = c.resolve.handle(a.handle) as number;
        // KernelMode on a NULL handle (0xC4/0xF5) or on a handle of the user process the driver runs in (0xC4/0xF6)
        // stops the machine under the verifier; without it the reference goes on (verifier/handle-reference.ts).
        if (!a.userMode && verifying() && VfHandleTrusted(handleArgument(nt.sizeofPointer === 8 ? 'x64' : 'x86', handle), processId === SYSTEM_PROCESS_ID) !== null) {
          host.misuse('reference-handle: a NULL or user-mode handle referenced as KernelMode under the verifier', true);
        }
        const r = nt.ObReferenceObjectByHandle(handle, 0, null, a.userMode ? UserMode : KernelMode);
        if (r.object) nt.ObDereferenceObject(r.object);
        return undefined;
      }
      case 'leave-irql-raised':
        // Above where it was called (a DPC runs at DISPATCH_LEVEL already): returning there is the misuse.
        nt.KeRaiseIrql(Math.max(DISPATCH_LEVEL, nt.KeGetCurrentIrql() + 1));
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
      // A SIZE_T of 2**33 or 2**40 is 0 in an x86 register: that RtlZeroMemory zeroes nothing, and nothing need stop.
      // With no block it zeroes from NULL: a user address, whose fault the driver's __try catches (STATUS_ACCESS_VIOLATION).
      const zeroesNothing = a.d === 'zero' && (live(state.blocks).length === 0
        || (nt.sizeofPointer === 4 && typeof a.length === 'number' && a.length >>> 0 === 0));
      // The page-table write is x64's (PML4 through its self-map); on x86 the action does nothing.
      const writesNothing = a.d === 'write-page-tables' && nt.sizeofPointer !== 8;
      if (misuse !== undefined) host.misuse(`${a.d}: ${misuse}`, misuse === a.d + ' at DISPATCH_LEVEL' || zeroesNothing || writesNothing ? false : mustStop(a, c));
      host.setInFlight(`driver ${a.d}${misuse ? ` (${misuse})` : ''}${c.dispatch ? '' : ' at DISPATCH_LEVEL'}`);
      try {
        hostile = one(a, c) ?? hostile;
      } catch (e) {
        // 'touch-user' has no __try: its fault leaves the driver; nor has 'throw-named'.
        if (e instanceof MachineHalted || (a.d === 'touch-user' && e instanceof NtException) || a.d === 'throw-named') throw e;
        // A throw-named from inside a wrapper (at-dispatch, attach) leaves the driver through it too.
        if (e instanceof GuestThrow && (e as Error).name === 'EmulatorError') throw e;
        // The driver's own __try/__except around each call: an NT exception is the routine's documented way to fail.
        if (!(e instanceof NtException) && !(e instanceof GuestThrow)) host.hostError(`driver ${a.d}`, e);
      }
      host.setInFlight(undefined);
    }
    return { hostile };
  }
  return run;
}
