/**
 * Deferred procedure calls: queued per CPU, run at DISPATCH_LEVEL on that CPU
 * in the context of whatever thread it is running.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/introduction-to-dpc-objects
 */
export type DeferredRoutine = (dpc: Kdpc, deferredContext: unknown, systemArgument1: unknown, systemArgument2: unknown) => void;

/** KDPC. */
export class Kdpc {
  /** The CPU whose queue holds it, or -1. */
  queuedOn = -1;
  systemArgument1: unknown = undefined;
  systemArgument2: unknown = undefined;
  /** Set by KeSetTargetProcessorDpc; -1 = the CPU that queues it. */
  targetProcessor = -1;
  constructor(
    readonly DeferredRoutine: DeferredRoutine,
    readonly DeferredContext: unknown,
    /** Who the routine belongs to, for the bug-check stack ("SharingMemory!TimerRoutine"). */
    readonly owner: string,
  ) {}
}
