/**
 * What the verifier checks at a pool free and at a pool allocation, beyond
 * the IRQL: a freed block that still holds a set KTIMER (0xC4/0x15, an
 * automatic check) or an ERESOURCE never deleted (0xC4/0xD2, Miscellaneous
 * Checks), and a request for zero bytes (0xC4/0x00). Without the verifier
 * each goes through, as on Windows.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 */
import { describe, expect, it } from 'vitest';
import { boot, type Machine } from 'ntshm';
import { NonPagedPool, PagedPool, POOL_FLAG_NON_PAGED, type Nt } from 'ntshm/wdm';
import { commandDriver, runInDriver } from '../mm/harness.js';

type Verifier = boolean | { [option: string]: boolean };

async function inDriver<T>(verifier: Verifier, body: (nt: Nt, machine: Machine) => T, arch: 'x64' | 'x86' = 'x64') {
  const machine = await boot({ arch, memoryMiB: 16, verifier });
  const driver = commandDriver();
  expect(machine.loadDriver('NtshmTest', driver.definition)).toBe(0);
  const { value, result } = await runInDriver(machine, driver, (nt) => body(nt, machine));
  return { machine, value, bugcheck: result.bugcheck };
}

/** A block of 0x100 bytes with a KTIMER at offset 0x40, set to expire in a second. */
function blockWithSetTimer(nt: Nt, poolType = NonPagedPool): { block: number; timer: number } {
  const block = nt.ExAllocatePoolWithTag(poolType, 0x100, 'Tmr ');
  const timer = block + 0x40;
  nt.KeInitializeTimer(timer);
  nt.KeSetTimer(timer, -10_000_000n, null);
  return { block, timer };
}

describe('freeing pool that holds a KTIMER still set', () => {
  it.each([
    ['ExFreePool', { poolTracking: true }], ['ExFreePoolWithTag', { ioVerification: true }], ['ExFreePool', { miscellaneousChecks: true }],
  ] as const)('%s under the verifier (%j) stops with 0xC4/0x15: the timer, the pool type, the block', async (routine, verifier) => {
    let seen = { block: 0, timer: 0 };
    const { bugcheck } = await inDriver(verifier, (nt) => {
      seen = blockWithSetTimer(nt);
      if (routine === 'ExFreePool') nt.ExFreePool(seen.block);
      else nt.ExFreePoolWithTag(seen.block, 'Tmr ');
    });
    expect(bugcheck?.code).toBe(0xc4);
    expect(bugcheck!.params).toEqual([0x15, seen.timer, NonPagedPool, seen.block]);
    expect(bugcheck!.explanation).toContain('KeCancelTimer');
  });

  it('a special-pool block (the standard settings place it there) gives P3 = -1, as a ULONG_PTR on each architecture', async () => {
    for (const [arch, minusOne] of [['x64', 2n ** 64n - 1n], ['x86', 0xffff_ffffn]] as const) {
      const { machine, bugcheck } = await inDriver(true, (nt) => {
        const { block } = blockWithSetTimer(nt, PagedPool);
        nt.ExFreePool(block);
      }, arch);
      expect(machine.kernel.pool.special).not.toBeNull();
      expect(bugcheck?.code).toBe(0xc4);
      expect(bugcheck!.params[0]).toBe(0x15);
      expect(bugcheck!.exact?.[2] ?? BigInt(bugcheck!.params[2])).toBe(minusOne);
    }
  });

  it('a timer cancelled first, or one outside the block, lets the free go through', async () => {
    const { value, bugcheck } = await inDriver(true, (nt) => {
      const { block, timer } = blockWithSetTimer(nt);
      const cancelled = nt.KeCancelTimer(timer);
      nt.ExFreePool(block);
      // A timer in the block after this one is that block's business.
      const first = nt.ExAllocatePoolWithTag(NonPagedPool, 0x40, 'Frst');
      const second = nt.ExAllocatePoolWithTag(NonPagedPool, 0x40, 'Scnd');
      nt.KeInitializeTimer(second);
      nt.KeSetTimer(second, -10_000_000n, null);
      nt.ExFreePool(first);
      nt.KeCancelTimer(second);
      nt.ExFreePool(second);
      return cancelled;
    });
    expect(bugcheck).toBeUndefined();
    expect(value).toBe(true);
  });

  it('without the verifier the free goes through (Windows notices nothing until the timer table reaches the reused bytes)', async () => {
    const { machine, value, bugcheck } = await inDriver(false, (nt) => {
      const { block, timer } = blockWithSetTimer(nt);
      nt.ExFreePool(block);
      nt.KeCancelTimer(timer);
      return block;
    });
    expect(bugcheck).toBeUndefined();
    expect(machine.kernel.pool.allocations.get(value!)).toBeUndefined();
  });

  it('!analyze -v names the parameters', async () => {
    const { machine } = await inDriver(true, (nt) => nt.ExFreePool(blockWithSetTimer(nt).block));
    const text = machine.kd('!analyze -v');
    expect(text).toContain('Timer entry');
    expect(text).toContain('Pool address being freed');
  });
});

describe('freeing pool that holds an ERESOURCE never deleted', () => {
  it('with Miscellaneous Checks stops with 0xC4/0xD2: the resource, the block, its size', async () => {
    let seen = { block: 0, resource: 0 };
    const { bugcheck, machine } = await inDriver({ miscellaneousChecks: true }, (nt) => {
      const block = nt.ExAllocatePoolWithTag(NonPagedPool, 0x200, 'Res ');
      seen = { block, resource: block + 0x80 };
      nt.ExInitializeResourceLite(seen.resource);
      nt.ExFreePool(block);
    });
    expect(bugcheck?.code).toBe(0xc4);
    expect(bugcheck!.params).toEqual([0xd2, seen.resource, seen.block, 0x200]);
    expect(bugcheck!.explanation).toContain('ExDeleteResourceLite');
    expect(machine.kd('!analyze -v')).toContain('Starting address of the pool allocation');
  });

  it('deleted first, or with only the automatic checks, the free goes through', async () => {
    for (const verifier of [true, { poolTracking: true }, false] as const) {
      const { bugcheck } = await inDriver(verifier, (nt) => {
        const block = nt.ExAllocatePoolWithTag(NonPagedPool, 0x200, 'Res ');
        nt.ExInitializeResourceLite(block);
        if (verifier === true) nt.ExDeleteResourceLite(block);
        nt.ExFreePool(block);
      });
      expect(bugcheck).toBeUndefined();
    }
  });
});

describe('a zero-byte pool allocation', () => {
  const callers: readonly (readonly [string, (nt: Nt) => number, number])[] = [
    ['ExAllocatePoolWithTag', (nt) => nt.ExAllocatePoolWithTag(NonPagedPool, 0, 'Zero'), NonPagedPool],
    ['ExAllocatePool2', (nt) => nt.ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, 'Zero'), NonPagedPool],
    ['ExAllocatePoolZero', (nt) => nt.ExAllocatePoolZero(PagedPool, 0, 'Zero'), PagedPool],
    ['ExAllocatePoolUninitialized', (nt) => nt.ExAllocatePoolUninitialized(NonPagedPool, 0, 'Zero'), NonPagedPool],
  ];

  it.each(callers)('%s under the verifier stops with 0xC4/0x00: the IRQL, the pool type, 0 bytes', async (name, allocate, poolType) => {
    const { bugcheck } = await inDriver({ poolTracking: true }, (nt) => allocate(nt));
    expect(bugcheck?.code).toBe(0xc4);
    expect(bugcheck!.params).toEqual([0x00, 0, poolType, 0]);
    expect(bugcheck!.explanation).toContain(name);
  });

  it('P2 is the IRQL of the call (nonpaged pool at DISPATCH_LEVEL, which the IRQL checks allow)', async () => {
    const { bugcheck } = await inDriver(true, (nt) => {
      const irql = nt.KeRaiseIrqlToDpcLevel();
      nt.ExAllocatePoolWithTag(NonPagedPool, 0, 'Zero');
      nt.KeLowerIrql(irql);
    });
    expect(bugcheck!.params).toEqual([0x00, 2, NonPagedPool, 0]);
  });

  it.each(callers)('%s without the verifier returns a block (of one byte, as Windows and ReactOS give), which frees', async (_name, allocate) => {
    const { value, bugcheck } = await inDriver(false, (nt, machine) => {
      const a = allocate(nt);
      const b = allocate(nt);
      const record = machine.kernel.pool.allocations.get(a);
      nt.ExFreePool(a);
      nt.ExFreePool(b);
      return { a, b, record };
    });
    expect(bugcheck).toBeUndefined();
    expect(value!.a).not.toBe(0);
    expect(value!.b).not.toBe(value!.a);
    expect(value!.record).toMatchObject({ numberOfBytes: 0 });
  });
});
