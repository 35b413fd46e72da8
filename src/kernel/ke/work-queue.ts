/**
 * Work that may not run where it arose (at DISPATCH_LEVEL) and is left to a
 * System worker thread, as ExQueueWorkItem's delayed work queue: today the
 * object manager's deferred deletions (ObpDeferObjectDeletion). A subsystem
 * registers its source when the kernel is built; the dispatcher and the
 * scheduler run pending work once a CPU is back below DISPATCH_LEVEL.
 */

/** A source of deferred work: whether it has any, and running it all. */
export interface DeferredWorkSource {
  readonly pending: boolean;
  run(): void;
}

/** The System worker's queue of deferred work. */
export class SystemWorkQueue {
  private readonly sources: DeferredWorkSource[] = [];

  register(source: DeferredWorkSource): void {
    this.sources.push(source);
  }

  get pending(): boolean {
    for (const s of this.sources) if (s.pending) return true;
    return false;
  }

  run(): void {
    for (const s of this.sources) if (s.pending) s.run();
  }
}
