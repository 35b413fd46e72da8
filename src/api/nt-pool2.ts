/**
 * `nt`'s newer pool routines: ExAllocatePool2 (Windows 10 2004), which
 * zeroes unless asked not to and fails by returning NULL (or raising), and
 * the wrappers wdm.h gives older targets: ExAllocatePoolZero and
 * ExAllocatePoolUninitialized.
 *
 *   Flags: exactly one of POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE,
 *   POOL_FLAG_PAGED; any of POOL_FLAG_USE_QUOTA, POOL_FLAG_UNINITIALIZED,
 *   POOL_FLAG_CACHE_ALIGNED, POOL_FLAG_RAISE_ON_FAILURE, POOL_FLAG_SPECIAL_POOL.
 *   Another combination, or a tag of 0, fails as insufficient memory does.
 *
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepool2
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/pool_flags
 */
import { NtException } from '../include/errors.js';
import { STATUS_INSUFFICIENT_RESOURCES } from '../include/ntstatus.js';
import {
  APC_LEVEL, DISPATCH_LEVEL, NonPagedPool, PagedPool, POOL_FLAG_CACHE_ALIGNED, POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE,
  POOL_FLAG_PAGED, POOL_FLAG_RAISE_ON_FAILURE, POOL_FLAG_SPECIAL_POOL, POOL_FLAG_UNINITIALIZED, POOL_FLAG_USE_QUOTA,
} from '../include/wdm-constants.js';
import type { Kernel } from '../kernel/kernel.js';
import { ExpAllocateForDriver } from '../kernel/verifier/allocation.js';
import { tagValue, type PoolTag } from './pool-tag.js';

type Enter = (name: string, maxIrql: number) => void;

const POOL_TYPE_FLAGS = [POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED_EXECUTE, POOL_FLAG_PAGED];
const OPTIONAL_FLAGS = [POOL_FLAG_USE_QUOTA, POOL_FLAG_UNINITIALIZED, POOL_FLAG_CACHE_ALIGNED, POOL_FLAG_RAISE_ON_FAILURE, POOL_FLAG_SPECIAL_POOL]
  .reduce((all, bit) => all | BigInt(bit), 0n);

/** POOL_FLAGS (a ULONG64, given as a number or a bigint); -1n for what no ULONG64 is. */
function flagsValue(flags: number | bigint): bigint {
  if (typeof flags === 'bigint') return flags >= 0n && flags < 2n ** 64n ? flags : -1n;
  return Number.isSafeInteger(flags) && flags >= 0 ? BigInt(flags) : -1n;
}

export function makeNtPool2(k: Kernel, enter: Enter) {
  /** The block, zeroed unless `zero` is false; 0 when the pool cannot satisfy it. */
  const allocate = (poolType: number, numberOfBytes: number, tag: number, zero: boolean, api: string): number => {
    const address = ExpAllocateForDriver(k, poolType, numberOfBytes, tag, api);
    if (address !== 0 && zero && numberOfBytes > 0) k.kernelMemory.fill(address, numberOfBytes, 0);
    return address;
  };
  return {
    /**
     * ExAllocatePool2(Flags, NumberOfBytes, Tag) → address | 0. POOL_FLAG_RAISE_ON_FAILURE raises
     * STATUS_INSUFFICIENT_RESOURCES instead of returning NULL. POOL_FLAG_CACHE_ALIGNED gives the pool's
     * own alignment (16 bytes on x64, 8 on x86), POOL_FLAG_USE_QUOTA charges no quota and POOL_FLAG_SPECIAL_POOL
     * takes what the verifier's options give (docs/fidelity.md).
     */
    ExAllocatePool2(Flags: number | bigint, NumberOfBytes: number, Tag: PoolTag): number {
      const flags = flagsValue(Flags);
      const typeBits = flags < 0n ? [] : POOL_TYPE_FLAGS.filter((bit) => (flags & BigInt(bit)) !== 0n);
      const paged = typeBits.length === 1 && typeBits[0] === POOL_FLAG_PAGED;
      enter('ExAllocatePool2', paged ? APC_LEVEL : DISPATCH_LEVEL);
      const valid = typeBits.length === 1 && (flags & ~(OPTIONAL_FLAGS | BigInt(typeBits[0]!))) === 0n;
      const tag = tagValue(Tag);
      const address = valid && tag !== 0 ? allocate(paged ? PagedPool : NonPagedPool, NumberOfBytes, tag, (flags & BigInt(POOL_FLAG_UNINITIALIZED)) === 0n, 'ExAllocatePool2') : 0;
      if (address === 0 && flags >= 0n && (flags & BigInt(POOL_FLAG_RAISE_ON_FAILURE)) !== 0n) throw new NtException(STATUS_INSUFFICIENT_RESOURCES);
      return address;
    },
    /** ExAllocatePoolZero(PoolType, NumberOfBytes, Tag): ExAllocatePoolWithTag, zeroed. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepoolzero */
    ExAllocatePoolZero(PoolType: number, NumberOfBytes: number, Tag: PoolTag): number {
      enter('ExAllocatePoolZero', (PoolType & 1) ? APC_LEVEL : DISPATCH_LEVEL);
      return allocate(PoolType, NumberOfBytes, tagValue(Tag), true, 'ExAllocatePoolZero');
    },
    /** ExAllocatePoolUninitialized(PoolType, NumberOfBytes, Tag): ExAllocatePoolWithTag. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepooluninitialized */
    ExAllocatePoolUninitialized(PoolType: number, NumberOfBytes: number, Tag: PoolTag): number {
      enter('ExAllocatePoolUninitialized', (PoolType & 1) ? APC_LEVEL : DISPATCH_LEVEL);
      return allocate(PoolType, NumberOfBytes, tagValue(Tag), false, 'ExAllocatePoolUninitialized');
    },
  };
}
