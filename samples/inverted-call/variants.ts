/**
 * The variants of the inverted-call sample and what each runs: each swaps one
 * piece of the driver (variants/) and, where the mistake needs the program to
 * do something particular to show, one option of the program.
 */
import type { Machine, ScenarioVariant } from 'ntshm';
import { invertedCallDriver } from './driver.js';
import { IOCTL_WAIT_FOR_EVENT_NEITHER, SERVICE_NAME } from './ioctl.js';
import { invertedCallProgram } from './program.js';
import { queueTakingAhead } from './variants/complete-after-cancel.js';
import { neitherDelivery } from './variants/neither-from-dpc.js';
import { listWithoutCancelRoutine } from './variants/no-cancel-routine.js';

export const variants: readonly ScenarioVariant[] = [
  {
    name: 'no-cancel-routine',
    summary: 'the driver holds the requests with no cancel routine and its cleanup leaves them; the program closes the device and exits with 4 pending: ' +
      'its exit hangs at rundown (finding irp-pending-at-rundown; with --seconds 300 the five minutes run out: irp-cancel-timeout)',
  },
  {
    name: 'complete-after-cancel',
    summary: 'the driver takes the next request off its queue ahead of the event without IoSetCancelRoutine(Irp, NULL); the program cancels ' +
      'that request with CancelIoEx: the cancel routine completes it, then the DPC does: 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS',
  },
  {
    name: 'neither-from-dpc',
    summary: 'METHOD_NEITHER, and the timer\'s DPC writes the record into Irp->UserBuffer: the DPC runs in the Idle thread (process 0, the system address space), ' +
      'where the program\'s address maps nothing: 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL',
  },
];

export const variantSetups: Record<string, (machine: Machine) => void> = {
  'no-cancel-routine': (machine) => {
    machine.loadDriver(SERVICE_NAME, invertedCallDriver({ queue: listWithoutCancelRoutine }));
    machine.spawn(invertedCallProgram({ ending: 'close' }));
  },
  'complete-after-cancel': (machine) => {
    machine.loadDriver(SERVICE_NAME, invertedCallDriver({ queue: queueTakingAhead }));
    machine.spawn(invertedCallProgram({ cancelOldestAfterEvent: 3 }));
  },
  'neither-from-dpc': (machine) => {
    machine.loadDriver(SERVICE_NAME, invertedCallDriver({ delivery: neitherDelivery }));
    machine.spawn(invertedCallProgram({ ioctl: IOCTL_WAIT_FOR_EVENT_NEITHER }));
  },
};
