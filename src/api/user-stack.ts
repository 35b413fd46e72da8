/**
 * A program thread's stack, as kernel32 and ntdll use it: the structures a
 * system call points to (UNICODE_STRING, OBJECT_ATTRIBUTES, IO_STATUS_BLOCK,
 * in/out variables) are laid out here, in the program's own memory, for the
 * duration of the call. The stack grows down from its base; a call's frame
 * is popped when the call returns, whatever it returns.
 */
import { NtException } from '../include/errors.js';
import { STATUS_STACK_OVERFLOW } from '../include/ntstatus.js';

/** One thread's user-mode stack: [limit, base), growing down. */
export class UserStack {
  /** The stack pointer: the lowest address in use. */
  sp: number;

  constructor(readonly base: number, readonly limit: number) {
    this.sp = base;
  }

  /** Reserves `size` bytes aligned to `align` (a power of two) and returns their address. */
  push(size: number, align = 16): number {
    const sp = Math.floor((this.sp - size) / align) * align;
    if (sp < this.limit) throw new NtException(STATUS_STACK_OVERFLOW);
    this.sp = sp;
    return sp;
  }

  /** Runs `body` in a frame of its own: what it pushes is popped when it returns or throws. */
  frame<T>(body: () => T): T {
    const saved = this.sp;
    try {
      return body();
    } finally {
      this.sp = saved;
    }
  }

  /** The same for an async body: the frame lives until its promise settles. */
  async frameAsync<T>(body: () => Promise<T>): Promise<T> {
    const saved = this.sp;
    try {
      return await body();
    } finally {
      this.sp = saved;
    }
  }
}
