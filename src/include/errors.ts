/**
 * The error classes every layer may throw or recognise, defined once at the
 * bottom so that they are told apart with `instanceof`, never by name.
 *
 *   NtException        a raised NTSTATUS (structured exception): guest code may catch it
 *   MachineHalted      the machine stopped (a bug check): unwinds every guest frame
 *   ProcessExit        ExitProcess: unwinds the program's own code, nothing after it runs
 *   GuestMisuse        a program broke the emulator's execution rules (not an NT outcome)
 *   EmulatorError      a broken invariant of ntshm itself, never a guest's doing
 */
import { ntStatusText } from './ntstatus.js';
import { bugCheckName } from './bugcodes.js';
import { hex } from './constant-names.js';
import { asUlong, asUlongPtr } from './c-types.js';

/**
 * Structured exceptions. A routine that raises (ExRaiseStatus, a probe, a
 * UserMode mapping that fails, an access violation on a user address) throws
 * an NtException; driver code catches it with try/catch, the TypeScript form
 * of __try/__except.
 */
export class NtException extends Error {
  override readonly name = 'NtException';
  /** The raised NTSTATUS (ExceptionRecord->ExceptionCode), a 32-bit value whatever the raiser passed. */
  readonly status: number;
  /**
   * ExceptionInformation: for an access violation, [0 read / 1 write / 8 execute, address].
   * ULONG_PTRs, kept at x64's width; a bug check narrows them to the machine's.
   */
  readonly information: readonly number[];

  constructor(status: number, information: readonly number[] = [], options?: ErrorOptions) {
    // A driver may raise anything (ExRaiseStatus(NaN), new NtException(2 ** 40)): a C raiser
    // passes a register, so the record holds what the register would (c-types.ts).
    const code = asUlong(status);
    super(`exception ${ntStatusText(code)}`, options);
    this.status = code;
    this.information = Array.from(information, (v) => asUlongPtr(8, v));
  }
}

/**
 * What `run()` rejects with when ntshm itself broke: the class a host tests
 * against, exported from `ntshm` as `EmulatorError`. Being public, a guest
 * can construct it (or one of its own named so) and throw it; ntshm never
 * takes such an object for its own failure. That is {@link EmulatorError},
 * a subclass no guest can reach: recognised by class identity, never by name.
 */
export class PublicEmulatorError extends Error {
  override readonly name: string = 'EmulatorError';
}

/**
 * A broken invariant of the emulator itself, never of a guest: loud and distinct
 * from anything a driver or program can cause. Thrown only by ntshm's own code.
 */
export class EmulatorError extends PublicEmulatorError {}

/**
 * Thrown through guest code once the machine has stopped (a bug check), to
 * unwind every driver and program frame. Guest code must not catch it; if it
 * does, the next kernel call throws it again.
 */
export class MachineHalted extends Error {
  override readonly name = 'MachineHalted';
  constructor(readonly code: number) {
    const name = bugCheckName(code);
    super(`the machine stopped with bug check ${name === hex(code) ? name : `${name} (${hex(code)})`}`);
  }
}

/** Thrown through a program's code by ExitProcess (or once its process is gone), so that nothing after it runs. */
export class ProcessExit extends Error {
  override readonly name = 'ProcessExit';
  constructor(readonly exitCode: number) {
    super(`process exited with ${exitCode}`);
  }
}

/** Thrown through a thread's code by ExitThread, so that nothing after it runs; the thread ends with `exitCode`. */
export class ThreadExit extends Error {
  override readonly name = 'ThreadExit';
  constructor(readonly exitCode: number) {
    super(`thread exited with ${exitCode}`);
  }
}

/**
 * A program broke a rule of ntshm's execution model that has no NT outcome:
 * it touched memory or called the kernel while not scheduled (it awaited
 * something other than a kernel call), made a second blocking call before
 * the first returned, or spun without a system call for longer than the
 * machine allows. Its process ends with this error's message.
 */
export class GuestMisuse extends Error {
  override readonly name = 'GuestMisuse';
  constructor(
    message: string,
    /** The exit status of the process it ends; without one, that of any unhandled exception. */
    readonly exitStatus?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
