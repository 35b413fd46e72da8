/**
 * The WDK's and winnt.h's names for dispatcher objects and waits: object
 * types (EVENT_TYPE, TIMER_TYPE), WAIT_TYPE, KWAIT_REASON, the wait limits,
 * and the access rights of events, semaphores and mutants. Exported by
 * `ntshm/wdm` (through wdm-constants.ts) and, for the access rights and
 * limits, by `ntshm/win32`.
 */

// Dispatcher object types. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializetimerex
/** TIMER_TYPE: stays signaled; releases all waiters. */
export const NotificationTimer = 0;
/** TIMER_TYPE: releases one waiter, then resets. */
export const SynchronizationTimer = 1;
/** EVENT_TYPE: stays signaled until reset. */
export const NotificationEvent = 0;
/** EVENT_TYPE: auto-resets after releasing one waiter. */
export const SynchronizationEvent = 1;

// Waits. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializeevent
/** WAIT_TYPE of KeWaitForMultipleObjects. */
export const WaitAll = 0;
export const WaitAny = 1;
/** KWAIT_REASON: what drivers pass (Executive), and a wait on behalf of a user request. */
export const Executive = 0;
export const UserRequest = 6;
/** Objects a wait may name without a wait-block array, and at all. */
export const THREAD_WAIT_OBJECTS = 3;
export const MAXIMUM_WAIT_OBJECTS = 64;
/** Access rights of events, semaphores and mutants (winnt.h). https://learn.microsoft.com/windows/win32/sync/synchronization-object-security-and-access-rights */
export const EVENT_QUERY_STATE = 0x0001;
export const EVENT_MODIFY_STATE = 0x0002;
export const EVENT_ALL_ACCESS = 0x001f0003;
export const SEMAPHORE_QUERY_STATE = 0x0001;
export const SEMAPHORE_MODIFY_STATE = 0x0002;
export const SEMAPHORE_ALL_ACCESS = 0x001f0003;
export const MUTANT_QUERY_STATE = 0x0001;
export const MUTANT_ALL_ACCESS = 0x001f0001;
export const MUTEX_ALL_ACCESS = 0x001f0001;

/** WORK_QUEUE_TYPE, IoQueueWorkItem's QueueType. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ne-wdm-_work_queue_type */
export const CriticalWorkQueue = 0;
export const DelayedWorkQueue = 1;
export const HyperCriticalWorkQueue = 2;
