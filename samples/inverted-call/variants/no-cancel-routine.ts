/**
 * Variant `no-cancel-routine`: the driver keeps the requests in a list of its
 * own, with no cancel routine, and its IRP_MJ_CLEANUP leaves them there. Diff
 * it against ../queue.ts: the same list, without IoCsq* around it.
 *
 * While events keep coming nobody notices: the DPC completes them. But the
 * program closes the device and exits with four requests pending, and the
 * cleanup stopped the timer. The exiting thread's IoCancelThreadIo calls
 * IoCancelIrp on each: with no cancel routine that only sets Irp->Cancel.
 * Then it waits, 100 ms at a time, for the driver to complete them, which it
 * never will: the process cannot finish exiting (it is stuck in Task Manager,
 * its handle to the device keeps the driver from unloading). After five
 * minutes (3000 waits) the I/O manager gives up on them, logs
 * IO_DRIVER_CANCEL_TIMEOUT and lets the exit go on.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/canceling-irps
 */
import type { Irp, Nt } from 'ntshm/wdm';
import { STATUS_PENDING } from 'ntshm/wdm';
import type { RequestQueue } from '../queue.js';

export function listWithoutCancelRoutine(nt: Nt): RequestQueue {
  const pending: Irp[] = [];
  return {
    insert(irp) {
      nt.IoMarkIrpPending(irp);
      // Wrong: no IoSetCancelRoutine. Nothing can take this request back from the driver but the driver.
      pending.push(irp);
      return STATUS_PENDING;
    },
    removeNext: () => pending.shift() ?? null,
    // Wrong: the cleanup leaves the file's requests where they are.
    cancelFileRequests: () => 0,
    waiting: () => pending.length,
    free: () => {},
  };
}
