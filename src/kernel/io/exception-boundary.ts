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
 *
 * The host's stack overflow (unbounded recursion in driver code) is the
 * kernel stack overflowing, wherever it happens: a double fault, 0x7F
 * UNEXPECTED_KERNEL_MODE_TRAP with P1 = 8, which no handler sees.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x7f--unexpected-kernel-mode-trap
 */
import { STATUS_ACCESS_VIOLATION, STATUS_ILLEGAL_INSTRUCTION, ntStatusText } from '../../include/ntstatus.js';
import {
  KMODE_EXCEPTION_NOT_HANDLED, SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, UNEXPECTED_KERNEL_MODE_TRAP,
} from '../../include/bugcodes.js';
import { NtException } from '../../include/errors.js';
import { isHostStackOverflow } from '../../include/host-stack-overflow.js';
import { describeThrown, isThrownInstance, messageOfThrown, readThrown, toUint32 } from '../../include/thrown.js';
import type { IoContext } from './context.js';
import type { DriverFrame } from '../ke/attribution.js';

/**
 * A value a driver left for the kernel to read (a routine's result, Irp->IoStatus, a dispatch
 * table) that no C driver could produce; read in the driver's frame, it is the driver's fault.
 */
export class InvalidDriverValue extends TypeError {
  override readonly name = 'InvalidDriverValue';
}

/** The trap number of a double fault (EXCEPTION_DOUBLE_FAULT), 0x7F's P1 for a kernel stack overflow. */
const EXCEPTION_DOUBLE_FAULT = 8;

/** Where driver code ran when an exception escaped it, which picks the bug check (0x3B, 0x1E or 0x7E). */
export type ExceptionContext = 'service' | 'dpc' | 'system-thread';

/**
 * The context of a routine called now, from whatever called it (IoCallDriver, a completion
 * routine): inside a DPC (KeIsExecutingDpc) nothing above has a handler, 0x1E; in a system
 * thread, 0x7E; otherwise a program's thread in a system service, 0x3B.
 */
export function IopExceptionContext(k: IoContext): ExceptionContext {
  return k.current.dpcRoutineActive ? 'dpc' : k.currentThread.system ? 'system-thread' : 'service';
}

/** Stops the machine for an exception that left driver code unhandled, with the bug check for `context`. */
export function unhandledDriverException(k: IoContext, frame: DriverFrame, context: ExceptionContext, e: unknown): never {
  if (isHostStackOverflow(e)) {
    // P1 is the trap number, 8 for a double fault; the page documents no other parameter.
    return k.bugCheck(UNEXPECTED_KERNEL_MODE_TRAP, EXCEPTION_DOUBLE_FAULT, 0, 0, 0,
      `${frame.driver}!${frame.routine} overflowed the kernel stack (unbounded recursion: the host's stack ran out under it). ` +
      'A kernel stack overflow hits the guard page, and the trap frame the CPU then pushes faults again: a double fault, which nothing can handle.');
  }
  // Whatever the driver threw (a Proxy whose traps throw included) is looked at through include/thrown.ts.
  const raised = isThrownInstance(e, NtException);
  const invalid = isThrownInstance(e, InvalidDriverValue);
  const status = raised ? toUint32(readThrown(() => e.status, STATUS_ILLEGAL_INSTRUCTION))
    : isThrownInstance(e, TypeError) ? STATUS_ACCESS_VIOLATION : STATUS_ILLEGAL_INSTRUCTION;
  const information = raised ? readThrown(() => e.information, [0, 0]) : [0, 0];
  const info = Array.isArray(information) ? information as number[] : [0, 0];
  const where = `${frame.driver}!${frame.routine}`;
  const what = raised
    ? `${ntStatusText(status)} was raised in ${where} and no try/except caught it`
    : invalid
      ? `${where} ${messageOfThrown(e)} (taken as ${ntStatusText(status)})`
      : `${where} threw a JavaScript ${describeThrown(e)} (taken as ${ntStatusText(status)})`;
  // The JS stack helps with a JavaScript error; a raised NTSTATUS or a bad value is the driver's own doing.
  const stack = !raised && !invalid && isThrownInstance(e, Error) ? readThrown(() => e.stack, undefined) : undefined;
  const jsStack = typeof stack === 'string' ? `\n${stack}` : '';
  switch (context) {
    case 'service':
      return k.bugCheck(SYSTEM_SERVICE_EXCEPTION, status, frame.address, 0, 0, `${what}, while handling a system service.${jsStack}`);
    case 'dpc':
      return k.bugCheck(KMODE_EXCEPTION_NOT_HANDLED, status, frame.address, info[0] ?? 0, info[1] ?? 0, `${what}, at DISPATCH_LEVEL.${jsStack}`);
    case 'system-thread':
      return k.bugCheck(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, status, frame.address, 0, 0, `${what}, in a system thread.${jsStack}`);
  }
}
