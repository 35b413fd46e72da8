/**
 * Executive spin locks: the IRQL they raise to and restore, the lock word in
 * guest memory, the at-DPC-level rules, what Driver Verifier stops, and a
 * recursive acquisition ending in the DPC watchdog's 0x133 instead of a hang.
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { APC_LEVEL, DISPATCH_LEVEL, NonPagedPool, PASSIVE_LEVEL, PagedPool, STATUS_SUCCESS, defineDriver, type Nt } from 'ntshm/wdm';

const arches = ['x64', 'x86'] as const;

/** Boots, loads a driver whose DriverEntry runs `body` with a lock in nonpaged pool (or `poolType`); the machine and what body returned. */
async function withLock<T>(arch: 'x64' | 'x86', body: (nt: Nt, lock: number) => T, options: { verifier?: boolean; poolType?: number } = {}) {
  const machine: Machine = await boot({ arch, verifier: options.verifier ?? false });
  let result: T | undefined;
  machine.loadDriver('Locks', defineDriver({
    name: 'Locks',
    DriverEntry(nt, driverObject) {
      driverObject.DriverUnload = () => {};
      const lock = nt.ExAllocatePoolWithTag(options.poolType ?? NonPagedPool, 16, 'Lock');
      nt.KeInitializeSpinLock(lock);
      result = body(nt, lock);
      return STATUS_SUCCESS;
    },
  }));
  return { machine, result };
}

describe.each(arches)('KSPIN_LOCK on %s', (arch) => {
  it('KeAcquireSpinLock raises to DISPATCH_LEVEL and sets the lock word; KeReleaseSpinLock clears it and restores OldIrql', async () => {
    const { machine, result } = await withLock(arch, (nt, lock) => {
      const seen: number[] = [];
      const { oldIrql } = nt.KeAcquireSpinLock(lock);
      seen.push(oldIrql, nt.KeGetCurrentIrql(), nt.getPointer(lock));
      nt.KeReleaseSpinLock(lock, oldIrql);
      seen.push(nt.KeGetCurrentIrql(), nt.getPointer(lock));
      // From APC_LEVEL, the release goes back to APC_LEVEL.
      nt.KeRaiseIrql(APC_LEVEL);
      const again = nt.KeAcquireSpinLock(lock);
      nt.KeReleaseSpinLock(lock, again.oldIrql);
      seen.push(again.oldIrql, nt.KeGetCurrentIrql());
      nt.KeLowerIrql(PASSIVE_LEVEL);
      return seen;
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(result).toEqual([PASSIVE_LEVEL, DISPATCH_LEVEL, 1, PASSIVE_LEVEL, 0, APC_LEVEL, APC_LEVEL]);
  });

  it('at DISPATCH_LEVEL: AtDpcLevel leaves the IRQL, TryToAcquire says whether it got the lock', async () => {
    const { machine, result } = await withLock(arch, (nt, lock) => {
      const old = nt.KeRaiseIrqlToDpcLevel();
      nt.KeAcquireSpinLockAtDpcLevel(lock);
      const heldIrql = nt.KeGetCurrentIrql();
      const tryHeld = nt.KeTryToAcquireSpinLockAtDpcLevel(lock);
      nt.KeReleaseSpinLockFromDpcLevel(lock);
      const tryFree = nt.KeTryToAcquireSpinLockAtDpcLevel(lock);
      nt.KeReleaseSpinLockFromDpcLevel(lock);
      const after = [nt.KeGetCurrentIrql(), nt.getPointer(lock)];
      nt.KeLowerIrql(old);
      return [heldIrql, tryHeld, tryFree, ...after];
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(result).toEqual([DISPATCH_LEVEL, false, true, DISPATCH_LEVEL, 0]);
  });

  it('in-stack queued spin locks raise and restore through the KLOCK_QUEUE_HANDLE', async () => {
    const { machine, result } = await withLock(arch, (nt, lock) => {
      const { lockHandle } = nt.KeAcquireInStackQueuedSpinLock(lock);
      const inside = [nt.KeGetCurrentIrql(), lockHandle.OldIrql, nt.getPointer(lock) & 1];
      nt.KeReleaseInStackQueuedSpinLock(lockHandle);
      return [...inside, nt.KeGetCurrentIrql(), nt.getPointer(lock)];
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(result).toEqual([DISPATCH_LEVEL, PASSIVE_LEVEL, 1, PASSIVE_LEVEL, 0]);
  });

  it('a DPC takes the lock at DPC level while the driver does not hold it', async () => {
    const seen: unknown[] = [];
    const { machine } = await withLock(arch, (nt, lock) => {
      const { dpc } = nt.KeInitializeDpc(function Dpc() {
        nt.KeAcquireSpinLockAtDpcLevel(lock);
        seen.push(nt.KeGetCurrentIrql(), nt.getPointer(lock));
        nt.KeReleaseSpinLockFromDpcLevel(lock);
      }, null);
      nt.KeInsertQueueDpc(dpc, null, null);
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(seen).toEqual([DISPATCH_LEVEL, 1]);
  });

  it('a DPC on another CPU that wants a held lock runs once it is released, not in the middle', async () => {
    const order: string[] = [];
    const { machine } = await withLock(arch, (nt, lock) => {
      const { dpc } = nt.KeInitializeDpc(function Other() {
        nt.KeAcquireSpinLockAtDpcLevel(lock);
        order.push('dpc has the lock');
        nt.KeReleaseSpinLockFromDpcLevel(lock);
      }, null);
      const { oldIrql } = nt.KeAcquireSpinLock(lock);
      nt.KeSetTargetProcessorDpc(dpc, 1 - nt.KeGetCurrentProcessorNumber());
      nt.KeInsertQueueDpc(dpc, null, null);
      nt.KeStallExecutionProcessor(50_000);
      order.push('releasing');
      nt.KeReleaseSpinLock(lock, oldIrql);
      nt.KeStallExecutionProcessor(10);
      order.push('after');
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(order).toEqual(['releasing', 'dpc has the lock', 'after']);
  });

  /** [misuse, verifier, the driver's code, bug check code, P1..P3 given the lock]. */
  const misuse: [string, boolean, (nt: Nt, lock: number) => void, number, (lock: number) => unknown[]][] = [
    ['KeAcquireSpinLockAtDpcLevel at PASSIVE_LEVEL', true, (nt, l) => nt.KeAcquireSpinLockAtDpcLevel(l), 0xc4, (l) => [0x40, PASSIVE_LEVEL, l]],
    ['KeReleaseSpinLockFromDpcLevel at PASSIVE_LEVEL', true, (nt, l) => nt.KeReleaseSpinLockFromDpcLevel(l), 0xc4, (l) => [0x41, PASSIVE_LEVEL, l]],
    ['a double KeReleaseSpinLock', true, (nt, l) => { const { oldIrql } = nt.KeAcquireSpinLock(l); nt.KeReleaseSpinLock(l, oldIrql); nt.KeReleaseSpinLock(l, oldIrql); },
      0xc4, (l) => [0x32, PASSIVE_LEVEL, l]],
    ['KeAcquireSpinLock above DISPATCH_LEVEL, with the verifier', true, (nt, l) => { nt.KeRaiseIrql(12); nt.KeAcquireSpinLock(l); }, 0xc4, (l) => [0x42, 12, l]],
    ['KeAcquireSpinLock above DISPATCH_LEVEL, without: KfRaiseIrql\'s own check', false, (nt, l) => { nt.KeRaiseIrql(12); nt.KeAcquireSpinLock(l); }, 0x09, () => [12, DISPATCH_LEVEL, 0]],
  ];
  it.each(misuse)('%s stops the machine', async (_name, verifier, code, expectedCode, params) => {
    let lockVa = 0;
    const { machine } = await withLock(arch, (nt, lock) => { lockVa = lock; code(nt, lock); }, { verifier });
    expect(machine.bugcheck?.code).toBe(expectedCode);
    expect(machine.bugcheck?.params.slice(0, 3)).toEqual(params(lockVa));
  });

  it('a double release without the verifier is a finding, and the machine runs on', async () => {
    const { machine } = await withLock(arch, (nt, lock) => {
      const { oldIrql } = nt.KeAcquireSpinLock(lock);
      nt.KeReleaseSpinLock(lock, oldIrql);
      nt.KeReleaseSpinLock(lock, oldIrql);
    });
    expect(machine.bugcheck).toBeUndefined();
    expect((await machine.run({ seconds: 0.1 })).findings.map((f) => f.kind)).toContain('spin-lock-not-owned');
  });

  it('acquiring a lock this CPU holds spins until the DPC watchdog stops the machine (0x133, P1 = 1)', async () => {
    const { machine } = await withLock(arch, (nt, lock) => {
      nt.KeAcquireSpinLock(lock);
      nt.KeAcquireSpinLock(lock);
    });
    expect(machine.bugcheck?.code).toBe(0x133);
    expect(machine.bugcheck?.params[0]).toBe(1);
    expect(machine.bugcheck?.explanation).toMatch(/already holds/);
  });

  it('in a DPC, the same recursion meets the single-DPC allotment first (0x133, P1 = 0)', async () => {
    const { machine } = await withLock(arch, (nt, lock) => {
      const { dpc } = nt.KeInitializeDpc(function Dpc() {
        nt.KeAcquireSpinLockAtDpcLevel(lock);
        nt.KeAcquireSpinLockAtDpcLevel(lock);
      }, null);
      nt.KeInsertQueueDpc(dpc, null, null);
    });
    expect(machine.bugcheck?.code).toBe(0x133);
    expect(machine.bugcheck?.params[0]).toBe(0);
    expect(machine.bugcheck?.explanation).toMatch(/already holds/);
  });

  it('below DISPATCH_LEVEL (AtDpcLevel at PASSIVE_LEVEL, no verifier) the same recursion meets ntshm\'s bound on a routine that never returns', async () => {
    await expect(withLock(arch, (nt, lock) => {
      nt.KeAcquireSpinLockAtDpcLevel(lock);
      nt.KeAcquireSpinLockAtDpcLevel(lock);
    })).rejects.toThrow(/without returning/);
  });

  it('a lock word that was never initialized (nonzero) is a lock nobody will release', async () => {
    const { machine } = await withLock(arch, (nt, lock) => {
      nt.setUint32(lock, 0xdead_beef);
      nt.KeAcquireSpinLock(lock);
    });
    expect(machine.bugcheck?.code).toBe(0x133);
    expect(machine.bugcheck?.explanation).toMatch(/no CPU acquired it/);
  });

  it('a lock in paged pool faults at DISPATCH_LEVEL once the verifier has trimmed it (0xD1)', async () => {
    const { machine } = await withLock(arch, (nt, lock) => { nt.KeAcquireSpinLock(lock); }, { verifier: true, poolType: PagedPool });
    expect(machine.bugcheck?.code).toBe(0xd1);
    expect(machine.bugcheck?.params[1]).toBe(DISPATCH_LEVEL);
  });
});
