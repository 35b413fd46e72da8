/**
 * Variant `neither-from-dpc`: the request is METHOD_NEITHER, and the timer's
 * DPC writes the event record straight into Irp->UserBuffer, the program's own
 * output buffer. Diff it against bufferedDelivery in ../driver.ts.
 *
 * The dispatch routine even probes the buffer (ProbeForWrite), as a
 * METHOD_NEITHER driver must, and the probe passes: it runs in the program's
 * thread, where the address is the program's. The DPC does not: it runs at
 * DISPATCH_LEVEL in whatever thread its CPU was running when the timer
 * expired. The program is blocked in WaitForMultipleObjects, so that is the
 * idle thread (process 0, the Idle process: the system address space, where nothing is
 * mapped at the program's address). A page fault at DISPATCH_LEVEL cannot be
 * resolved (nor turned into an exception a try/except would catch): bug check
 * 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL, P1 the program's address, P2 the IRQL
 * (2), P3 1 for a write. Had the CPU been running another process that maps
 * that address, the record would have gone silently into *its* memory; had it
 * been running the program, the write would have worked, by luck.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xd1--driver-irql-not-less-or-equal
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/using-neither-buffered-nor-direct-i-o
 */
import { IoGetCurrentIrpStackLocation, NtException, STATUS_BUFFER_TOO_SMALL, STATUS_SUCCESS } from 'ntshm/wdm';
import type { EventDelivery } from '../driver.js';
import { EVENT_RECORD, IOCTL_WAIT_FOR_EVENT_NEITHER } from '../ioctl.js';

export const neitherDelivery: EventDelivery = {
  ioctl: IOCTL_WAIT_FOR_EVENT_NEITHER,
  check(nt, irp) {
    const { OutputBufferLength } = IoGetCurrentIrpStackLocation(irp).Parameters.DeviceIoControl;
    if (OutputBufferLength < EVENT_RECORD.size) return STATUS_BUFFER_TOO_SMALL;
    try {
      // Right, and no help: it checks the address in the program's process, now.
      nt.ProbeForWrite(irp.UserBuffer, EVENT_RECORD.size, 4);
    } catch (e) {
      if (e instanceof NtException) return e.status;
      throw e;
    }
    return STATUS_SUCCESS;
  },
  deliver(nt, irp, sequence, timestamp) {
    // Wrong: a user address, written at DISPATCH_LEVEL in an arbitrary process.
    const record = irp.UserBuffer;
    nt.DbgPrint('InvertedCall: event %u goes to Irp->UserBuffer %p, written in process %d at IRQL %d\n',
      sequence, record, nt.PsGetCurrentProcessId(), nt.KeGetCurrentIrql());
    nt.setUint32(record + EVENT_RECORD.Sequence, sequence);
    nt.setUint32(record + EVENT_RECORD.Reserved, 0);
    nt.setBigUint64(record + EVENT_RECORD.Timestamp, timestamp);
    irp.IoStatus.Status = STATUS_SUCCESS;
    irp.IoStatus.Information = EVENT_RECORD.size;
  },
};
