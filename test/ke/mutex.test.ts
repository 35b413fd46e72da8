/**
 * Fast mutexes, critical regions and ERESOURCEs: the IRQL a fast mutex
 * raises to and restores, its FAST_MUTEX in guest memory, try-acquire, what
 * Driver Verifier stops, and a re-acquisition that would wait for ever
 * stopped with a clear message instead of hanging.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { APC_LEVEL, DISPATCH_LEVEL, NonPagedPool, PASSIVE_LEVEL, STATUS_SUCCESS, defineDriver, type Nt } from 'ntshm/wdm';

const arches = ['x64', 'x86'] as const;

/** Boots and loads a driver whose DriverEntry runs `body` with 0x100 zeroed bytes of nonpaged pool; any throw is caught and kept. */
async function withDriver<T>(arch: 'x64' | 'x86', body: (nt: Nt, p: number) => T, verifier = false) {
  const machine: Machine = await boot({ arch, verifier });
  let result: T | undefined;
  let thrown: unknown;
  try {
    machine.loadDriver('Mutex', defineDriver({
      name: 'Mutex',
      DriverEntry(nt, driverObject) {
        driverObject.DriverUnload = () => {};
        const p = nt.ExAllocatePoolWithTag(NonPagedPool, 0x100, 'Mutx');
        nt.RtlZeroMemory(p, 0x100);
        result = body(nt, p);
        return STATUS_SUCCESS;
      },
    }));
  } catch (e) {
    thrown = e;
  }
  return { machine, result, thrown };
}

describe.each(arches)('FAST_MUTEX on %s', (arch) => {
  const ownerOffset = arch === 'x64' ? 8 : 4;
  it('initializes Count to FM_LOCK_BIT and a synchronization event; acquire raises to APC_LEVEL and records the owner; release restores', async () => {
    const { machine, result } = await withDriver(arch, (nt, m) => {
      nt.ExInitializeFastMutex(m);
      const init = [nt.getUint32(m), nt.getUint8(m + (arch === 'x64' ? 0x18 : 0x0c))];
      nt.ExAcquireFastMutex(m);
      const held = [nt.KeGetCurrentIrql(), nt.getUint32(m), nt.getPointer(m + ownerOffset) !== 0];
      nt.ExReleaseFastMutex(m);
      return [...init, ...held, nt.KeGetCurrentIrql(), nt.getUint32(m), nt.getPointer(m + ownerOffset)];
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(result).toEqual([1, 1, APC_LEVEL, 0, true, PASSIVE_LEVEL, 1, 0]);
  });

  it('ExTryToAcquireFastMutex: TRUE at APC_LEVEL when free, FALSE at the caller\'s IRQL when held', async () => {
    const { machine, result } = await withDriver(arch, (nt, m) => {
      nt.ExInitializeFastMutex(m);
      const first = nt.ExTryToAcquireFastMutex(m);
      const irql1 = nt.KeGetCurrentIrql();
      const second = nt.ExTryToAcquireFastMutex(m);
      const irql2 = nt.KeGetCurrentIrql();
      nt.ExReleaseFastMutex(m);
      return [first, irql1, second, irql2, nt.KeGetCurrentIrql()];
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(result).toEqual([true, APC_LEVEL, false, APC_LEVEL, PASSIVE_LEVEL]);
  });

  it('a re-acquisition by the owner is stopped with an explanation, not a hang', async () => {
    const { thrown } = await withDriver(arch, (nt, m) => {
      nt.ExInitializeFastMutex(m);
      nt.ExAcquireFastMutex(m);
      nt.ExAcquireFastMutex(m);
    });
    expect(String(thrown)).toMatch(/already owns it: a fast mutex is not recursive/);
  });

  /** [misuse, code, expected bug check, P1, P2]. */
  const misuse: [string, (nt: Nt, m: number) => void, number, number, number][] = [
    ['ExAcquireFastMutex at DISPATCH_LEVEL', (nt, m) => { nt.KeRaiseIrql(DISPATCH_LEVEL); nt.ExAcquireFastMutex(m); }, 0xc4, 0x33, DISPATCH_LEVEL],
    ['a double ExReleaseFastMutex', (nt, m) => { nt.ExAcquireFastMutex(m); nt.ExReleaseFastMutex(m); nt.ExReleaseFastMutex(m); }, 0xc4, 0x34, PASSIVE_LEVEL],
    ['KeLeaveCriticalRegion outside one', (nt) => nt.KeLeaveCriticalRegion(), 0xc4, 0x3e, 0],
  ];
  it.each(misuse)('with the verifier, %s stops the machine', async (_name, code, bugcheck, p1, p2) => {
    const { machine } = await withDriver(arch, (nt, m) => { nt.ExInitializeFastMutex(m); code(nt, m); }, true);
    expect(machine.bugcheck?.code).toBe(bugcheck);
    expect(machine.bugcheck?.params.slice(0, 2)).toEqual([p1, p2]);
  });

  it('without the verifier, ExAcquireFastMutex at DISPATCH_LEVEL is KfRaiseIrql\'s 0x9', async () => {
    const { machine } = await withDriver(arch, (nt, m) => { nt.ExInitializeFastMutex(m); nt.KeRaiseIrql(DISPATCH_LEVEL); nt.ExAcquireFastMutex(m); });
    expect(machine.bugcheck?.code).toBe(0x09);
    expect(machine.bugcheck?.params.slice(0, 2)).toEqual([DISPATCH_LEVEL, APC_LEVEL]);
  });
});

describe.each(arches)('ERESOURCE on %s', (arch) => {
  it('grants exclusive recursively to its owner, shared to the exclusive owner, and refuses others without waiting', async () => {
    const { machine, result } = await withDriver(arch, (nt, r) => {
      nt.ExInitializeResourceLite(r);
      nt.KeEnterCriticalRegion();
      const seen: unknown[] = [nt.ExAcquireResourceExclusiveLite(r, true), nt.ExAcquireResourceExclusiveLite(r, true),
        nt.ExAcquireResourceSharedLite(r, true), nt.ExIsResourceAcquiredExclusiveLite(r), nt.ExIsResourceAcquiredSharedLite(r)];
      nt.ExReleaseResourceLite(r);
      nt.ExReleaseResourceLite(r);
      nt.ExReleaseResourceLite(r);
      seen.push(nt.ExIsResourceAcquiredExclusiveLite(r));
      // Shared, then exclusive without waiting: refused (a shared owner cannot be upgraded).
      seen.push(nt.ExAcquireResourceSharedLite(r, true), nt.ExAcquireResourceExclusiveLite(r, false));
      nt.ExReleaseResourceLite(r);
      nt.KeLeaveCriticalRegion();
      seen.push(nt.ExDeleteResourceLite(r));
      return seen;
    }, true);
    expect(machine.bugcheck).toBeUndefined();
    expect(result).toEqual([true, true, true, true, 3, false, true, false, STATUS_SUCCESS]);
  });

  it('a shared owner waiting for exclusive access is stopped with an explanation', async () => {
    const { thrown } = await withDriver(arch, (nt, r) => {
      nt.ExInitializeResourceLite(r);
      nt.KeEnterCriticalRegion();
      nt.ExAcquireResourceSharedLite(r, true);
      nt.ExAcquireResourceExclusiveLite(r, true);
    });
    expect(String(thrown)).toMatch(/a shared owner asking for exclusive access waits on itself/);
  });

  it('releasing a resource the thread does not hold is RESOURCE_NOT_OWNED (0xE3)', async () => {
    let resource = 0;
    const { machine } = await withDriver(arch, (nt, r) => {
      resource = r;
      nt.ExInitializeResourceLite(r);
      nt.KeEnterCriticalRegion();
      nt.ExReleaseResourceLite(r);
    });
    expect(machine.bugcheck?.code).toBe(0xe3);
    expect(machine.bugcheck?.params[0]).toBe(resource);
  });

  it('with the verifier, acquiring with normal kernel APCs enabled is 0xC4/0x37', async () => {
    let resource = 0;
    const { machine } = await withDriver(arch, (nt, r) => {
      resource = r;
      nt.ExInitializeResourceLite(r);
      nt.ExAcquireResourceExclusiveLite(r, true);
    }, true);
    expect(machine.bugcheck?.code).toBe(0xc4);
    expect(machine.bugcheck?.params.slice(0, 4)).toEqual([0x37, PASSIVE_LEVEL, 0, resource]);
  });
});
