/**
 * ntdll's system-call stubs for one program thread: each service of the
 * kernel's table wrapped in the system-call entry and exit
 * (ke/system-call.ts), under its own name, with its declared parameter
 * list. Generated from the table: no stub is written by hand.
 */
import { SERVICE_NAMES, SYSTEM_SERVICES, isPreemptionPoint, type ServiceName, type SystemServiceTable } from '../include/system-services.js';
import type { KeContext } from '../kernel/ke/context.js';
import { KiSystemServiceStub } from '../kernel/ke/system-call.js';
import type { KThread } from '../kernel/ke/thread.js';

/** Makes one thread's stubs; `refuse` throws when the thread may no longer enter the kernel (its process has gone). */
export function makeSystemCallStubs(k: KeContext, table: SystemServiceTable, thread: KThread, refuse: () => void): SystemServiceTable {
  const stubs: { -readonly [N in ServiceName]?: SystemServiceTable[N] } = {};
  const add = <N extends ServiceName>(name: N, index: number): void => {
    stubs[name] = KiSystemServiceStub(k, thread, name, index, table[name], refuse, isPreemptionPoint(SYSTEM_SERVICES[name]));
  };
  SERVICE_NAMES.forEach(add);
  // Every name was added above, each with its own declared type.
  return stubs as SystemServiceTable;
}
