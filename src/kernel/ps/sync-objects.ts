/**
 * The executive's waitable objects: Event (ExEventObjectType), Semaphore
 * (ExSemaphoreObjectType) and Mutant (ExMutantObjectType). Each object's
 * body IS its dispatcher object (KEVENT, KSEMAPHORE, KMUTANT), in nonpaged
 * pool, initialised by ke/wait.ts: a driver that references a program's
 * event handle (ObReferenceObjectByHandle with *ExEventObjectType) gets the
 * address of that KEVENT and may KeSetEvent it, from a DPC too.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/event-objects
 */
import type { GenericMapping } from '../../include/security.js';
import { STANDARD_RIGHTS_EXECUTE, STANDARD_RIGHTS_READ, STANDARD_RIGHTS_WRITE, SYNCHRONIZE } from '../../include/wdm-constants.js';
import { DISPATCHER_LAYOUT } from '../ke/wait.js';
import { KernelObject, type ObjectType } from '../ob/object.js';
import type { PsContext } from './context.js';
import { ProcessType } from './process.js';
import { ThreadType } from './thread.js';

export {
  EVENT_ALL_ACCESS, EVENT_MODIFY_STATE, EVENT_QUERY_STATE, MUTANT_ALL_ACCESS, MUTANT_QUERY_STATE, SEMAPHORE_ALL_ACCESS, SEMAPHORE_MODIFY_STATE,
  SEMAPHORE_QUERY_STATE,
} from '../../include/wdm-constants.js';
import {
  EVENT_ALL_ACCESS, EVENT_MODIFY_STATE, EVENT_QUERY_STATE, MUTANT_ALL_ACCESS, MUTANT_QUERY_STATE, SEMAPHORE_ALL_ACCESS, SEMAPHORE_MODIFY_STATE,
  SEMAPHORE_QUERY_STATE,
} from '../../include/wdm-constants.js';

/** The GENERIC_MAPPING of the three types (ExpEventMapping and its siblings, WRK base/ntos/ex/event.c). */
const mapping = (query: number, modify: number, all: number): GenericMapping => ({
  GenericRead: STANDARD_RIGHTS_READ | query,
  GenericWrite: STANDARD_RIGHTS_WRITE | modify,
  GenericExecute: (STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE) >>> 0,
  GenericAll: all,
});

const L = DISPATCHER_LAYOUT;

/** ExEventObjectType: the body is a KEVENT. Names compare with case (kernel32 sets no OBJ_CASE_INSENSITIVE). */
export const ExEventObjectType: ObjectType = {
  name: 'Event', bodySize: { x64: L.x64.KEVENT, x86: L.x86.KEVENT }, GenericMapping: mapping(EVENT_QUERY_STATE, EVENT_MODIFY_STATE, EVENT_ALL_ACCESS),
};
/** ExSemaphoreObjectType: the body is a KSEMAPHORE. */
export const ExSemaphoreObjectType: ObjectType = {
  name: 'Semaphore', bodySize: { x64: L.x64.KSEMAPHORE, x86: L.x86.KSEMAPHORE },
  GenericMapping: mapping(SEMAPHORE_QUERY_STATE, SEMAPHORE_MODIFY_STATE, SEMAPHORE_ALL_ACCESS),
};
/** ExMutantObjectType: the body is a KMUTANT. */
export const ExMutantObjectType: ObjectType = {
  name: 'Mutant', bodySize: { x64: L.x64.KMUTANT, x86: L.x86.KMUTANT }, GenericMapping: mapping(MUTANT_QUERY_STATE, 0, MUTANT_ALL_ACCESS),
};

/** An Event, Semaphore or Mutant object: its state is the dispatcher object at `address`. */
export class DispatcherObjectBody extends KernelObject {}

/** The executive's synchronization types, whose bodies are nothing but their dispatcher objects. */
const SYNC_TYPES: readonly ObjectType[] = [ExEventObjectType, ExSemaphoreObjectType, ExMutantObjectType];

/** The types a wait service accepts: those, and processes and threads (signalled when they end). */
export const WAITABLE_TYPES: readonly ObjectType[] = [...SYNC_TYPES, ProcessType, ThreadType];

/** Registers the three types' delete procedures: a deleted mutant is released from its owner; no waiter can remain (each holds a reference). */
export function registerSyncObjectTypes(k: PsContext): void {
  for (const type of SYNC_TYPES) {
    k.ob.registerType<DispatcherObjectBody>(type, { delete: (body) => k.waits.forgetObject(body.address) });
  }
}
