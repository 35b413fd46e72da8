/**
 * A driver's pool allocation (ExAllocatePoolWithTag, ExAllocatePool2 and
 * their kin) as the verifier sees it: a request for zero bytes stopped
 * (0xC4/0x00, an automatic check), failed on purpose by a low resources
 * simulation, placed in special pool, and counted for !verifier. With the
 * verifier off it is the pool's allocate and nothing else (zero bytes get a
 * block of one byte, as on Windows: docs/fidelity.md).
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/automatic-checks ("Requesting a size zero memory allocation")
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../../include/bugcodes.js';
import type { VfLowResources, VfLowResourcesContext } from './low-resources.js';
import { isPagedPoolType } from '../mm/pool.js';

/** The block, or 0 (the pool is out of memory, or the verifier failed the request on purpose). */
export function ExpAllocateForDriver(k: VfLowResourcesContext & { readonly lowResources: VfLowResources }, poolType: number, numberOfBytes: number, tag: number, api = 'ExAllocatePoolWithTag'): number {
  const stats = k.verifierStatistics;
  if (stats === null) return k.pool.allocate(poolType, numberOfBytes, tag);
  // P2 the IRQL, P3 the pool type, P4 the number of bytes (0): bug-check-0xc4--driver-verifier-detected-violation.
  if (numberOfBytes === 0) {
    const frame = k.attribution.top();
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00, k.irql, poolType >>> 0, 0,
      `${frame ? `${frame.driver}!${frame.routine}` : 'A driver'} called ${api} for 0 bytes of pool: a zero-byte allocation is a driver bug (a size computed wrong) that Windows answers with a block of one byte.`);
  }
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
