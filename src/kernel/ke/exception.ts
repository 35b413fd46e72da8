/**
 * Structured exceptions. A routine that raises (ExRaiseStatus, a probe, a
 * UserMode mapping that fails, an access violation on a user address) throws
 * an NtException; driver code catches it with try/catch, the TypeScript form
 * of __try/__except.
 */
export class NtException extends Error {
  override readonly name = 'NtException';
  constructor(
    /** The raised NTSTATUS (ExceptionRecord->ExceptionCode). */
    readonly status: number,
    /** ExceptionInformation: for an access violation, [0 read / 1 write / 8 execute, address]. */
    readonly information: readonly number[] = [],
    options?: ErrorOptions,
  ) {
    super(`exception 0x${(status >>> 0).toString(16).toUpperCase().padStart(8, '0')}`, options);
  }
}

/**
 * A broken invariant of the emulator itself, never of a guest: loud and distinct
 * from anything a driver or program can cause.
 */
export class EmulatorError extends Error {
  override readonly name = 'EmulatorError';
}

/**
 * Thrown through guest code once the machine has stopped (a bug check), to
 * unwind every driver and program frame. Guest code must not catch it; if it
 * does, the next kernel call throws it again.
 */
export class MachineHalted extends Error {
  override readonly name = 'MachineHalted';
  constructor(readonly code: number) {
    super(`the machine stopped with bug check 0x${code.toString(16).toUpperCase()}`);
  }
}
