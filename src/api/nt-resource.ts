/**
 * ERESOURCE, minimal, spread into `nt`: exclusive (recursive for its owner)
 * and shared acquisition, release, delete. The driver's ERESOURCE storage is
 * zeroed at initialization (so a bad pointer faults as ExInitializeResourceLite's
 * own stores would), but the owner tables are kept outside guest memory
 * (docs/fidelity.md, "Locks").
 *
 * As with fast mutexes, no other kernel thread can hold a resource while a
 * driver routine runs, so a wait (Wait = TRUE) on one that is held could
 * never end: the caller is stopped with a GuestMisuse (STATUS_POSSIBLE_DEADLOCK).
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/introduction-to-eresource-routines
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION, RESOURCE_NOT_OWNED } from '../include/bugcodes.js';
import { GuestMisuse } from '../include/errors.js';
import { STATUS_POSSIBLE_DEADLOCK, STATUS_SUCCESS } from '../include/ntstatus.js';
import { APC_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL } from '../include/wdm-constants.js';
import type { KThread } from '../kernel/ke/thread.js';
import type { Kernel } from '../kernel/kernel.js';
import { pointerArgument } from './driver-arguments.js';
import { KiKernelApcDisable } from './nt-mutex.js';

/** sizeof(ERESOURCE). */
const ERESOURCE_SIZE = { x64: 0x68, x86: 0x38 } as const;

/** Driver Verifier's 0xC4 subcodes (bug-check-0xc4--driver-verifier-detected-violation). */
const VI_ACQUIRE_RESOURCE_APCS_ENABLED = 0x37;
const VI_RELEASE_RESOURCE_APCS_ENABLED = 0x38;
const VI_REINITIALIZE_RESOURCE = 0xd0;
const VI_DELETE_UNINITIALIZED_RESOURCE = 0xd1;

/** One resource's owners. */
interface ResourceState {
  exclusive: KThread | undefined;
  /** Recursion count of the exclusive owner. */
  exclusiveCount: number;
  shared: Map<KThread, number>;
}

const resources = new WeakMap<Kernel, Map<number, ResourceState>>();

/** The ERESOURCEs initialized and not yet deleted (the system resource list), for the verifier's check of a pool free. */
export function ExpLiveResources(k: Kernel): Iterable<number> {
  return resources.get(k)?.keys() ?? [];
}

/** The ERESOURCE routines of one driver's `nt`. */
export function makeNtResource(k: Kernel, driverName: string, enter: (name: string, maxIrql: number, violation?: readonly [number, number, number]) => void) {
  const mem = k.kernelMemory;
  let table = resources.get(k);
  if (!table) resources.set(k, (table = new Map()));
  const live = table;
  const hex = (v: number): string => `0x${v.toString(16)}`;
  const caller = (): string => {
    const frame = k.attribution.top();
    return frame ? `${frame.driver}!${frame.routine}` : driverName;
  };
  const arg = (v: unknown): number => pointerArgument(k.arch, v);
  /** Normal kernel APCs must be off: a critical region, or APC_LEVEL. */
  const checkApcsDisabled = (subcode: number, r: number, routine: string): void => {
    const t = k.currentThread;
    if (k.options.verifier && k.irql === PASSIVE_LEVEL && KiKernelApcDisable(t) === 0) {
      k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, subcode, k.irql, KiKernelApcDisable(t), r,
        `${caller()} called ${routine} with normal kernel APCs enabled (call KeEnterCriticalRegion first).`);
    }
  };
  const state = (r: number, routine: string): ResourceState => {
    const s = live.get(r);
    if (s) return s;
    // Never initialized: ntshm treats it as a free resource (Windows would read whatever the memory held).
    k.report({ kind: 'resource-not-initialized', driver: driverName, message: `resource-not-initialized: ${caller()} called ${routine} on ${hex(r)}, never passed to ExInitializeResourceLite`, details: { resource: r } });
    const fresh: ResourceState = { exclusive: undefined, exclusiveCount: 0, shared: new Map() };
    live.set(r, fresh);
    return fresh;
  };
  const wouldWait = (r: number, routine: string, s: ResourceState): never => {
    const t = k.currentThread;
    const holder = s.exclusive !== undefined
      ? `held exclusively by ${s.exclusive === t ? 'the caller' : s.exclusive.label}`
      : `held shared by ${[...s.shared.keys()].map((o) => (o === t ? 'the caller' : o.label)).join(', ')}`;
    throw new GuestMisuse(`${caller()} called ${routine} on the resource at ${hex(r)} with Wait = TRUE, but it is ${holder}` +
      `${s.exclusive === undefined && s.shared.has(t) ? ' (a shared owner asking for exclusive access waits on itself)' : ''}; ` +
      'Windows would block the thread for ever, and ntshm stops it instead', STATUS_POSSIBLE_DEADLOCK);
  };

  return {
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exinitializeresourcelite */
    ExInitializeResourceLite(Resource: number): number {
      enter('ExInitializeResourceLite', DISPATCH_LEVEL);
      const r = arg(Resource);
      if (live.has(r) && k.options.verifier) {
        k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_REINITIALIZE_RESOURCE, r, 0, 0, `${caller()} initialized the resource at ${hex(r)} again, while it was live.`);
      }
      mem.fill(r, ERESOURCE_SIZE[k.arch], 0);
      live.set(r, { exclusive: undefined, exclusiveCount: 0, shared: new Map() });
      return STATUS_SUCCESS;
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exdeleteresourcelite */
    ExDeleteResourceLite(Resource: number): number {
      enter('ExDeleteResourceLite', APC_LEVEL);
      const r = arg(Resource);
      if (!live.has(r) && k.options.verifier) {
        k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_DELETE_UNINITIALIZED_RESOURCE, r, 0, 0, `${caller()} deleted the resource at ${hex(r)}, which was never initialized.`);
      }
      live.delete(r);
      return STATUS_SUCCESS;
    },
    /** TRUE when granted; recursive for the exclusive owner. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exacquireresourceexclusivelite */
    ExAcquireResourceExclusiveLite(Resource: number, Wait: boolean): boolean {
      enter('ExAcquireResourceExclusiveLite', APC_LEVEL);
      const r = arg(Resource);
      checkApcsDisabled(VI_ACQUIRE_RESOURCE_APCS_ENABLED, r, 'ExAcquireResourceExclusiveLite');
      const s = state(r, 'ExAcquireResourceExclusiveLite');
      const t = k.currentThread;
      if (s.exclusive === t || (s.exclusive === undefined && s.shared.size === 0)) {
        s.exclusive = t;
        s.exclusiveCount++;
        return true;
      }
      return Wait ? wouldWait(r, 'ExAcquireResourceExclusiveLite', s) : false;
    },
    /** TRUE when granted; the exclusive owner is granted it as a recursive exclusive acquisition. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exacquireresourcesharedlite */
    ExAcquireResourceSharedLite(Resource: number, Wait: boolean): boolean {
      enter('ExAcquireResourceSharedLite', APC_LEVEL);
      const r = arg(Resource);
      checkApcsDisabled(VI_ACQUIRE_RESOURCE_APCS_ENABLED, r, 'ExAcquireResourceSharedLite');
      const s = state(r, 'ExAcquireResourceSharedLite');
      const t = k.currentThread;
      if (s.exclusive === t) {
        s.exclusiveCount++;
        return true;
      }
      if (s.exclusive !== undefined) return Wait ? wouldWait(r, 'ExAcquireResourceSharedLite', s) : false;
      s.shared.set(t, (s.shared.get(t) ?? 0) + 1);
      return true;
    },
    /** Releases one acquisition by the caller; a thread that holds none is RESOURCE_NOT_OWNED (0xE3). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exreleaseresourcelite */
    ExReleaseResourceLite(Resource: number): void {
      enter('ExReleaseResourceLite', DISPATCH_LEVEL);
      const r = arg(Resource);
      checkApcsDisabled(VI_RELEASE_RESOURCE_APCS_ENABLED, r, 'ExReleaseResourceLite');
      const s = state(r, 'ExReleaseResourceLite');
      const t = k.currentThread;
      if (s.exclusive === t) {
        if (--s.exclusiveCount === 0) s.exclusive = undefined;
        return;
      }
      const n = s.shared.get(t);
      if (n !== undefined) {
        if (n <= 1) s.shared.delete(t);
        else s.shared.set(t, n - 1);
        return;
      }
      // https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xe3--resource-not-owned
      k.bugCheck(RESOURCE_NOT_OWNED, r, t.address, 0, 0, `${caller()} released the resource at ${hex(r)}, which ${t.label} does not hold.`);
    },
    /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exisresourceacquiredexclusivelite */
    ExIsResourceAcquiredExclusiveLite(Resource: number): boolean {
      enter('ExIsResourceAcquiredExclusiveLite', DISPATCH_LEVEL);
      return live.get(arg(Resource))?.exclusive === k.currentThread;
    },
    /** The caller's acquisitions, shared or exclusive. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exisresourceacquiredsharedlite */
    ExIsResourceAcquiredSharedLite(Resource: number): number {
      enter('ExIsResourceAcquiredSharedLite', DISPATCH_LEVEL);
      const s = live.get(arg(Resource));
      if (!s) return 0;
      return s.exclusive === k.currentThread ? s.exclusiveCount : s.shared.get(k.currentThread) ?? 0;
    },
  };
}
