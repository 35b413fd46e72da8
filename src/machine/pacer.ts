/**
 * A run in slices (Machine.pacer): a front end that must stay responsive —
 * the web page's worker, which takes pause and step messages between slices —
 * is asked after every step of the scheduler, and at every preemptible system
 * call a program thread makes, whether to stop for a moment, and called back
 * before the run goes on. The scheduler is left between two of its steps, or
 * with the thread at its system call's entry set aside to go on first on the
 * same CPU with the same quantum (Scheduler.park): a paced run is the same
 * run as an unpaced one with the same seed, slice by slice.
 */
import type { Scheduler, SchedulerStop } from '../kernel/ke/scheduler.js';

/** What Machine.run asks and calls when a front end has set `machine.pacer`. */
export interface RunPacer {
  /** Asked between two steps of the scheduler (a thread's turn, an idle jump of the clock): stop here for now? */
  pauseNow(nowNs: number): boolean;
  /** Called when pauseNow said so; the run goes on when it resolves. */
  between(): Promise<void>;
}

/** Runs the scheduler to `limitNs` as one run would, returning to `pacer` whenever it asks. */
export async function MiRunPaced(
  scheduler: Scheduler, nowNs: () => number, limitNs: number, done: () => boolean, stopWhenIdle: boolean, pacer: RunPacer | undefined,
): Promise<SchedulerStop> {
  if (!pacer) return scheduler.run(limitNs, done, stopWhenIdle);
  let paused = false;
  // The first question after (re)entering comes before any step: pausing there would make no progress.
  let entered = true;
  const ask = () => {
    paused = !entered && pacer.pauseNow(nowNs());
    entered = false;
    return paused;
  };
  // Asked in the middle of a thread's turn too, at its preemptible system calls (Scheduler.park).
  scheduler.pauseRequested = ask;
  const doneOrPause = () => done() || ask();
  try {
    for (;;) {
      paused = false;
      entered = true;
      const stop = await scheduler.run(limitNs, doneOrPause, stopWhenIdle);
      if (stop !== 'done' || !paused) return stop;
      await pacer.between();
    }
  } finally {
    scheduler.pauseRequested = undefined;
  }
}
