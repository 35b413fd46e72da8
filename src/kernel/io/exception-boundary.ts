/**
 * What happens when an exception leaves driver code unhandled: the machine
 * stops, with the bug check Windows uses for the place it happened.
 *
 *   a dispatch routine called from a system service  → 0x3B SYSTEM_SERVICE_EXCEPTION
 *   a DPC, timer or I/O timer routine                 → 0x1E KMODE_EXCEPTION_NOT_HANDLED
 *   DriverEntry / DriverUnload in a system thread     → 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
 *
 * A JS error (a TypeError from a null object, say) is treated as the
 * access violation it stands for; any other JS error as an illegal
 * instruction. The JS stack goes into the explanation. A value the I/O
 * manager reads from the driver that no C driver could produce (a Symbol
 * for an NTSTATUS, a NULL IoStatus block, a MajorFunction table that is no
 * table) is an InvalidDriverValue: the access violation reading it would be.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x3b--system-service-exception
 */
import { STATUS_ACCESS_VIOLATION, STATUS_ILLEGAL_INSTRUCTION, ntStatusText } from '../../include/ntstatus.js';
import { KMODE_EXCEPTION_NOT_HANDLED, SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED } from '../../include/bugcodes.js';
import { NtException } from '../../include/errors.js';
import type { IoContext } from './context.js';
import type { DriverFrame } from '../ke/attribution.js';

/**
 * A value a driver left for the kernel to read (a routine's result, Irp->IoStatus, a dispatch
 * table) that no C driver could produce; read in the driver's frame, it is the driver's fault.
 */
export class InvalidDriverValue extends TypeError {
  override readonly name = 'InvalidDriverValue';
}

/** Where driver code ran when an exception escaped it, which picks the bug check (0x3B, 0x1E or 0x7E). */
export type ExceptionContext = 'service' | 'dpc' | 'system-thread';

/** Stops the machine for an exception that left driver code unhandled, with the bug check for `context`. */
export function unhandledDriverException(k: IoContext, frame: DriverFrame, context: ExceptionContext, e: unknown): never {
  const status = e instanceof NtException ? e.status : e instanceof TypeError ? STATUS_ACCESS_VIOLATION : STATUS_ILLEGAL_INSTRUCTION;
  const info = e instanceof NtException ? e.information : [0, 0];
  const where = `${frame.driver}!${frame.routine}`;
  const what = e instanceof NtException
    ? `${ntStatusText(status)} was raised in ${where} and no try/except caught it`
    : e instanceof InvalidDriverValue
      ? `${where} ${e.message} (taken as ${ntStatusText(status)})`
      : `${where} threw a JavaScript ${describeThrown(e)} (taken as ${ntStatusText(status)})`;
  // The JS stack helps with a JavaScript error; a raised NTSTATUS or a bad value is the driver's own doing.
  const jsStack = !(e instanceof NtException) && !(e instanceof InvalidDriverValue) && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  switch (context) {
    case 'service':
      return k.bugCheck(SYSTEM_SERVICE_EXCEPTION, status, frame.address, 0, 0, `${what}, while handling a system service.${jsStack}`);
    case 'dpc':
      return k.bugCheck(KMODE_EXCEPTION_NOT_HANDLED, status, frame.address, info[0] ?? 0, info[1] ?? 0, `${what}, at DISPATCH_LEVEL.${jsStack}`);
    case 'system-thread':
      return k.bugCheck(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, status, frame.address, 0, 0, `${what}, in a system thread.${jsStack}`);
  }
}

/** What was thrown, for the explanation; never throws itself (a Proxy or a throwing getter is only named). */
function describeThrown(e: unknown): string {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } catch {
    return 'value that cannot be printed';
  }
}
