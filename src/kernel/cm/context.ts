/**
 * What the configuration manager (cm) is given when the kernel is built: the
 * I/O manager's context (NtLoadDriver loads through it) and the registry.
 */
import type { IoContext } from '../io/context.js';
import type { CmRegistry } from './registry.js';

/** The configuration manager's view of the machine. */
export interface CmContext extends IoContext {
  readonly registry: CmRegistry;
}

/** KeQuerySystemTime: the FILETIME the registry stamps on a key it changes. */
export function CmpNow(k: IoContext): bigint {
  return k.options.bootSystemTime + BigInt(Math.floor(k.clock.nowNs / 100));
}
