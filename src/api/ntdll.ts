/**
 * ntdll's system-call stubs for one program thread: each service of the
 * kernel's table wrapped in the system-call entry and exit
 * (ke/system-call.ts), under its own name, with its declared parameter
 * list. Generated from the table: no stub is written by hand.
 *
 * The kernel's services take numbers only. A stub puts each argument in a
 * register first, as ntdll's stub does in C: a number as it is (one typeof
 * test, the whole cost on the common path), anything else as
 * program-arguments.ts says (a ULONG its low 32 bits, a HANDLE or pointer its
 * pointer-width bits; a Symbol is the program's access violation, raised
 * before the kernel is entered).
 */
import { SERVICE_NAMES, SYSTEM_SERVICES, isPreemptionPoint, type ServiceName, type SystemServiceTable } from '../include/system-services.js';
import type { KeContext } from '../kernel/ke/context.js';
import { KiSystemServiceStub } from '../kernel/ke/system-call.js';
import type { KThread } from '../kernel/ke/thread.js';
import { ulongFromProgram, ulongPtrFromProgram } from './program-arguments.js';

/** Makes one thread's stubs; `refuse` throws when the thread may no longer enter the kernel (its process has gone). */
export function makeSystemCallStubs(k: KeContext, table: SystemServiceTable, thread: KThread, refuse: () => void): SystemServiceTable {
  const arch = k.arch;
  const stubs: { -readonly [N in ServiceName]?: SystemServiceTable[N] } = {};
  const add = <N extends ServiceName>(name: N, index: number): void => {
    // Which arguments are ULONGs (32 bits on both architectures); every other kind is pointer-wide (a handle, an address, a SIZE_T).
    const ulong = SYSTEM_SERVICES[name].params.map(([, kind]) => kind === 'ULONG');
    const toNumbers = (args: unknown[]): void => {
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (typeof a !== 'number') args[i] = ulong[i] === true ? ulongFromProgram(arch, a) : ulongPtrFromProgram(arch, a);
      }
    };
    stubs[name] = KiSystemServiceStub(k, thread, name, index, table[name], refuse, isPreemptionPoint(SYSTEM_SERVICES[name]), toNumbers);
  };
  SERVICE_NAMES.forEach(add);
  // Every name was added above, each with its own declared type.
  return stubs as SystemServiceTable;
}
