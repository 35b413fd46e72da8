/**
 * A driver's pool allocation (ExAllocatePoolWithTag, ExAllocatePool2 and
 * their kin) as the verifier sees it: failed on purpose by a low resources
 * simulation, placed in special pool, and counted for !verifier. With the
 * verifier off it is the pool's allocate and nothing else.
 */
import type { VfLowResources, VfLowResourcesContext } from './low-resources.js';
import { isPagedPoolType } from '../mm/pool.js';

/** The block, or 0 (the pool is out of memory, or the verifier failed the request on purpose). */
export function ExpAllocateForDriver(k: VfLowResourcesContext & { readonly lowResources: VfLowResources }, poolType: number, numberOfBytes: number, tag: number, api = 'ExAllocatePoolWithTag'): number {
  const stats = k.verifierStatistics;
  if (stats === null) return k.pool.allocate(poolType, numberOfBytes, tag);
  const paged = isPagedPoolType(poolType);
  const driver = k.attribution.top()?.driver;
  if (k.lowResources.active && k.lowResources.VfFailAllocation(api)) {
    stats.allocation(driver, paged, numberOfBytes, tag, 0, false);
    return 0;
  }
  const address = k.pool.allocateForCaller(poolType, numberOfBytes, tag);
  stats.allocation(driver, paged, numberOfBytes, tag, address, address !== 0 && k.pool.special !== null && k.pool.special.contains(address));
  return address;
}
