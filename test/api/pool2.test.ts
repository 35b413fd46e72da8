/**
 * ExAllocatePool2: zeroed unless POOL_FLAG_UNINITIALIZED; exactly one pool
 * type flag; a tag of 0 or flags it does not know fail with NULL, or raise
 * STATUS_INSUFFICIENT_RESOURCES with POOL_FLAG_RAISE_ON_FAILURE; and the
 * zeroing wrappers for older targets.
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/index.js';
import { makeNt } from '../../src/api/nt.js';
import { NtException } from '../../src/include/errors.js';
import { STATUS_INSUFFICIENT_RESOURCES } from '../../src/include/ntstatus.js';
import {
  NonPagedPool, POOL_FLAG_CACHE_ALIGNED, POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE, POOL_FLAG_PAGED, POOL_FLAG_RAISE_ON_FAILURE,
  POOL_FLAG_SPECIAL_POOL, POOL_FLAG_UNINITIALIZED, POOL_FLAG_USE_QUOTA,
} from '../../src/include/wdm-constants.js';

async function setup() {
  const machine = await boot({ arch: 'x64' });
  const nt = makeNt(machine.kernel, 'Test');
  // Dirty a block and free it, so that the next allocation of its size gets the same bytes back.
  const dirty = (bytes: number): void => {
    const va = nt.ExAllocatePoolWithTag(NonPagedPool, bytes, 'Drty');
    nt.RtlFillMemory(va, bytes, 0xcc);
    nt.ExFreePoolWithTag(va, 'Drty');
  };
  return { machine, nt, dirty };
}

describe('ExAllocatePool2', () => {
  it('zeroes what it returns unless POOL_FLAG_UNINITIALIZED', async () => {
    const { nt, dirty } = await setup();
    dirty(64);
    const zeroed = nt.ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'Zero');
    expect([...nt.getBytes(zeroed, 64)].every((b) => b === 0)).toBe(true);
    nt.ExFreePoolWithTag(zeroed, 'Zero');
    dirty(64);
    const raw = nt.ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 64, 'Raw ');
    expect(raw).toBe(zeroed);
    expect(nt.getUint8(raw)).toBe(0xcc);
  });

  it.each([
    ['paged', POOL_FLAG_PAGED, true],
    ['nonpaged execute', POOL_FLAG_NON_PAGED_EXECUTE, true],
    ['every optional flag', BigInt(POOL_FLAG_NON_PAGED | POOL_FLAG_USE_QUOTA | POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_UNINITIALIZED) | BigInt(POOL_FLAG_SPECIAL_POOL), true],
    ['no pool type', POOL_FLAG_UNINITIALIZED, false],
    ['two pool types', POOL_FLAG_PAGED | POOL_FLAG_NON_PAGED, false],
    ['an unknown bit', POOL_FLAG_NON_PAGED | 0x200, false],
    ['a negative number', -1, false],
  ] as const)('flags: %s', async (_name, flags, ok) => {
    const { nt, machine } = await setup();
    const va = nt.ExAllocatePool2(flags, 32, 'Flag');
    expect(va !== 0).toBe(ok);
    if (ok) expect(machine.kernel.pool.isPagedPoolAddress(va)).toBe(flags === POOL_FLAG_PAGED);
  });

  it('a tag of 0 fails; with POOL_FLAG_RAISE_ON_FAILURE it raises STATUS_INSUFFICIENT_RESOURCES', async () => {
    const { nt } = await setup();
    expect(nt.ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0)).toBe(0);
    let raised: unknown;
    try {
      nt.ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, 0);
    } catch (e) {
      raised = e;
    }
    expect(raised).toBeInstanceOf(NtException);
    expect((raised as NtException).status).toBe(STATUS_INSUFFICIENT_RESOURCES);
    expect(() => nt.ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 64 * 1024 * 1024, 'Huge')).toThrow(NtException);
  });

  it('ExAllocatePoolZero zeroes; ExAllocatePoolUninitialized does not', async () => {
    const { nt, dirty } = await setup();
    dirty(48);
    const zero = nt.ExAllocatePoolZero(NonPagedPool, 48, 'Zero');
    expect(nt.getUint32(zero + 44)).toBe(0);
    nt.ExFreePoolWithTag(zero, 'Zero');
    dirty(48);
    const raw = nt.ExAllocatePoolUninitialized(NonPagedPool, 48, 'Raw ');
    expect(nt.getUint32(raw + 44)).toBe(0xcccccccc);
  });
});
