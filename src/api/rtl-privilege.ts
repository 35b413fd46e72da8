/**
 * RtlAdjustPrivilege (ntdll): enables or disables one privilege of the
 * process's token, over NtOpenProcessToken and NtAdjustPrivilegesToken. An
 * administrator's program calls it for SeLoadDriverPrivilege (10) before
 * NtLoadDriver. Only the process token (Client = FALSE) is modelled.
 */
import { NT_SUCCESS, STATUS_NOT_ALL_ASSIGNED, STATUS_NOT_IMPLEMENTED, STATUS_PRIVILEGE_NOT_HELD } from '../include/ntstatus.js';
import type { GuestMemoryAccess } from '../kernel/mm/access.js';
import type { NativeRoutines } from './native.js';
import type { UserStack } from './user-stack.js';
import { ulongFromProgram } from './program-arguments.js';

/** What RtlAdjustPrivilege needs of the thread. */
export interface PrivilegeThread {
  readonly mem: GuestMemoryAccess;
  readonly stack: UserStack;
  readonly native: NativeRoutines;
}

const TOKEN_QUERY = 0x0008;
const TOKEN_ADJUST_PRIVILEGES = 0x0020;
const SE_PRIVILEGE_ENABLED = 0x2;

/** The routine, over the thread's native routines. */
export function makeRtlAdjustPrivilege(t: PrivilegeThread) {
  const { mem, stack, native } = t;
  return {
    /** RtlAdjustPrivilege(Privilege, Enable, Client, WasEnabled): `{ status, wasEnabled }`. */
    RtlAdjustPrivilege(Privilege: number, Enable: boolean, Client: boolean): { status: number; wasEnabled: boolean } {
      if (Client) return { status: STATUS_NOT_IMPLEMENTED, wasEnabled: false };
      // A ULONG as a register holds it (a Symbol: the caller's access violation, before the token is opened).
      const privilege = ulongFromProgram(mem.sizeofPointer === 8 ? 'x64' : 'x86', Privilege);
      const opened = native.NtOpenProcessToken(-1, TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY);
      if (!NT_SUCCESS(opened.status)) return { status: opened.status, wasEnabled: false };
      try {
        return stack.frame(() => {
          // TOKEN_PRIVILEGES with one LUID_AND_ATTRIBUTES, and room for the previous state.
          const newState = stack.push(16, 8);
          const previous = stack.push(16, 8);
          mem.setUint32(newState, 1);
          mem.setUint32(newState + 4, privilege);
          mem.setUint32(newState + 8, 0);
          mem.setUint32(newState + 12, Enable ? SE_PRIVILEGE_ENABLED : 0);
          mem.setUint32(previous, 0);
          const r = native.NtAdjustPrivilegesToken(opened.tokenHandle, 0, newState, 16, previous);
          if (r.status === STATUS_NOT_ALL_ASSIGNED) return { status: STATUS_PRIVILEGE_NOT_HELD, wasEnabled: false };
          if (!NT_SUCCESS(r.status)) return { status: r.status, wasEnabled: false };
          // No previous entry: nothing changed, so it already was as asked.
          const wasEnabled = mem.getUint32(previous) === 0 ? Enable : (mem.getUint32(previous + 12) & SE_PRIVILEGE_ENABLED) !== 0;
          return { status: r.status, wasEnabled };
        });
      } finally {
        native.NtClose(opened.tokenHandle);
      }
    },
  };
}
