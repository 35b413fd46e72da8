/**
 * Caller attribution: which driver routines are on the stack. Every call
 * from the kernel into a driver (DriverEntry, a dispatch routine, a timer
 * routine, DriverUnload) pushes a frame; bug checks, findings and pool
 * ownership read it.
 */
export interface DriverFrame {
  /** The driver's service name ("SharingMemory"). */
  readonly driver: string;
  /** The routine's name ("DispatchControl"). */
  readonly routine: string;
  /** A code address inside the driver's image, standing for the routine's first instruction. */
  readonly address: number;
}

/** The stack of driver frames now running, which bug checks, findings and pool ownership read. */
export class BugCheckAttribution {
  private readonly frames: DriverFrame[] = [];
  /** When each frame was entered (virtual ns), for the bound on a driver routine that never returns (ke/watchdog.ts). */
  private readonly enteredNs: number[] = [];

  /**
   * The last driver routine that returned at another IRQL than it was called
   * at. The check that later finds the IRQL wrong (0x4A, 0xE1, 0x20) runs
   * after the routine's frame is gone; its explanation names the routine.
   */
  private irqlChange: { frame: DriverFrame; from: number; to: number } | undefined;

  /** A driver routine called at `from` returned at `to`. */
  noteIrqlChange(frame: DriverFrame, from: number, to: number): void {
    this.irqlChange = { frame, from, to };
  }

  /** ' (SharingMemory!DispatchCleanup was called at IRQL 0 and returned at 2)', or '' when no routine changed it. */
  irqlChangeText(): string {
    const c = this.irqlChange;
    return c ? ` (${c.frame.driver}!${c.frame.routine} was called at IRQL ${c.from} and returned at ${c.to})` : '';
  }

  /**
   * Checks to run when the routine of a frame returns, by its depth: what a
   * routine left behind is only wrong once it has returned (a view it mapped
   * into the caller's process and kept, verifier/driver-view.ts). Sparse:
   * most frames have none.
   */
  private readonly atReturn: (((frame: DriverFrame) => void)[] | undefined)[] = [];

  push(frame: DriverFrame, nowNs: number): void {
    this.frames.push(frame);
    this.enteredNs.push(nowNs);
  }

  pop(frame: DriverFrame): void {
    const n = this.frames.length;
    const i = this.frames[n - 1] === frame ? n - 1 : this.frames.lastIndexOf(frame);
    if (i < 0) return;
    const checks = this.atReturn[i];
    if (i === n - 1) {
      this.frames.pop();
      this.enteredNs.pop();
    } else {
      this.frames.splice(i, 1);
      this.enteredNs.splice(i, 1);
    }
    if (this.atReturn.length > i) this.atReturn.splice(i, 1);
    if (checks) for (const check of checks) check(frame);
  }

  /** Runs `check` when the driver routine now running returns (or unwinds); nothing when no driver routine runs. */
  onReturn(check: (frame: DriverFrame) => void): void {
    const i = this.frames.length - 1;
    if (i < 0) return;
    while (this.atReturn.length <= i) this.atReturn.push(undefined);
    (this.atReturn[i] ??= []).push(check);
  }

  /** When the outermost driver frame now on the stack was entered (virtual ns), or -1 with none. */
  outermostEnteredNs(): number {
    return this.enteredNs.length > 0 ? this.enteredNs[0]! : -1;
  }

  /** When the driver routine now running was entered (virtual ns), or -1 with none: tells one run of a routine from the next. */
  topEnteredNs(): number {
    const n = this.enteredNs.length;
    return n > 0 ? this.enteredNs[n - 1]! : -1;
  }

  top(): DriverFrame | undefined {
    // Never index with -1: that is a named-property lookup, hundreds of times slower.
    const n = this.frames.length;
    return n > 0 ? this.frames[n - 1] : undefined;
  }

  /** Innermost first, as a debugger prints a stack: "SharingMemory!TimerRoutine". */
  stack(): string[] {
    return this.frames.map((f) => `${f.driver}!${f.routine}`).reverse();
  }
}
