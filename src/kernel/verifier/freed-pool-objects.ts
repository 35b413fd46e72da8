/**
 * What Driver Verifier looks for in a pool block before ExFreePool gives it
 * back: a kernel object the block holds that the kernel still links to. On
 * Windows the freed bytes are reused while the timer table (or the system
 * resource list) still points into them, and the machine dies later, far
 * from the driver that freed them; the verifier stops it at the free.
 *
 *   P1    the block holds                      P2         P3                            P4              option
 *   0x15  a KTIMER still set (in the table)    the timer  pool type (-1: special pool)  the block       any (an automatic check)
 *   0xD2  an ERESOURCE not deleted             resource   the block                     its size        Miscellaneous Checks
 *
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/miscellaneous-checks ("Active resources in freed memory")
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/driver-verifier-options ("frees memory pool without first removing timers")
 *
 * The other objects those pages name have no storage in a driver's pool
 * here: a KDPC and an IO_WORKITEM are the kernel's own records (ke/dpc.ts,
 * io/work-item.ts), and ntshm has no lookaside lists (docs/fidelity.md).
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../../include/bugcodes.js';
import { VERIFIER_MISCELLANEOUS_CHECKS, verifierChecks } from '../../include/verifier-flags.js';
import type { IoContext } from '../io/context.js';

/** 0xC4 subcodes. */
export const VI_FREE_POOL_ACTIVE_TIMER = 0x15;
export const VI_FREE_POOL_ACTIVE_RESOURCE = 0xd2;

/**
 * Called by ExFreePoolWithTag with the verifier on, before the pool frees
 * `address`: stops the machine if the block holds a set KTIMER, or (with
 * Miscellaneous Checks) one of `liveResources` (the ERESOURCEs initialized
 * and not deleted). An address that is not a live block is left to the
 * pool's own checks (0xC2, 0x19).
 */
export function VfCheckFreedPoolObjects(k: IoContext, address: number, liveResources: Iterable<number>): void {
  const block = k.pool.allocations.get(address);
  if (block === undefined) return;
  const end = address + block.numberOfBytes;
  const frame = k.attribution.top();
  const who = frame ? `${frame.driver}!${frame.routine}` : 'A driver';
  const what = `the pool block at ${k.formatAddress(address)} (${block.numberOfBytes} bytes)`;
  for (const [timerAddress, timer] of k.ke.timersByAddress) {
    if (!timer.inserted || timerAddress < address || timerAddress >= end) continue;
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_FREE_POOL_ACTIVE_TIMER, timerAddress, block.special === true ? -1n : block.poolType >>> 0, address,
      `${who} freed ${what}, which holds the KTIMER at ${k.formatAddress(timerAddress)}, still set: the timer table would go on ` +
      'pointing into freed pool. Call KeCancelTimer before freeing the memory that holds the timer.');
  }
  if (!verifierChecks(k.options, VERIFIER_MISCELLANEOUS_CHECKS)) return;
  for (const resource of liveResources) {
    if (resource < address || resource >= end) continue;
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_FREE_POOL_ACTIVE_RESOURCE, resource, address, block.numberOfBytes,
      `${who} freed ${what}, which holds the ERESOURCE at ${k.formatAddress(resource)}, never deleted: the system's resource list ` +
      'would go on pointing into freed pool. Call ExDeleteResourceLite before freeing the memory that holds the resource.');
  }
}
