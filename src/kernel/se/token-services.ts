/**
 * NtOpenProcessToken and NtAdjustPrivilegesToken, enough for an
 * administrator's program to enable SeLoadDriverPrivilege (RtlAdjustPrivilege)
 * before NtLoadDriver.
 *
 *   TOKEN_PRIVILEGES            LUID_AND_ATTRIBUTES (12 bytes, ULONG-aligned)
 *    0 PrivilegeCount             0 Luid.LowPart
 *    4 Privileges[]               4 Luid.HighPart
 *                                 8 Attributes (SE_PRIVILEGE_ENABLED, ...)
 *
 * https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-adjusttokenprivileges
 */
import { NtException } from '../../include/errors.js';
import {
  STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_NOT_ALL_ASSIGNED, STATUS_SUCCESS,
} from '../../include/ntstatus.js';
import { UserMode } from '../../include/wdm-constants.js';
import { captureOrStatus, ProbeForWritePointer, ProbeForWriteUlong, writeHandle, writeOutUlong } from '../ex/capture.js';
import { ProbeForRead, ProbeForWrite } from '../ex/probe.js';
import type { IoContext } from '../io/context.js';
import { ObjectAllocationFailed } from '../ob/manager.js';
import { ProcessType, type EProcess } from '../ps/process.js';
import { SE_PRIVILEGE_ENABLED, SeProcessToken, SeTokenObjectType, type Token } from './token.js';

/** Token access rights. https://learn.microsoft.com/windows/win32/secauthz/access-rights-for-access-token-objects */
export const TOKEN_QUERY = 0x0008;
export const TOKEN_ADJUST_PRIVILEGES = 0x0020;
/** PROCESS_QUERY_INFORMATION: what opening a process's token needs of the process handle. */
const PROCESS_QUERY_INFORMATION = 0x0400;
/** At most this many privileges in one TOKEN_PRIVILEGES (Windows has 36). */
const MAX_PRIVILEGES = 64;

/** NtOpenProcessToken. https://learn.microsoft.com/windows-hardware/drivers/ddi/ntifs/nf-ntifs-zwopenprocesstokenex */
export function NtOpenProcessToken(k: IoContext, ProcessHandle: number, DesiredAccess: number, TokenHandle: number): number {
  const probed = captureOrStatus(() => ProbeForWritePointer(k, TokenHandle));
  if (typeof probed === 'number') return probed;
  const ref = k.ob.ObReferenceObjectByHandle(ProcessHandle, PROCESS_QUERY_INFORMATION, ProcessType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  let handle: number;
  try {
    const token = SeProcessToken(k, ref.object as EProcess);
    handle = k.ob.createHandle(k.currentProcess, token, DesiredAccess >>> 0, 0);
  } catch (e) {
    if (e instanceof ObjectAllocationFailed) return STATUS_INSUFFICIENT_RESOURCES;
    throw e;
  } finally {
    k.ob.ObDereferenceObject(ref.object);
  }
  const written = captureOrStatus(() => writeHandle(k, TokenHandle, handle));
  return typeof written === 'number' ? written : STATUS_SUCCESS;
}

/** Reads a TOKEN_PRIVILEGES: [LUID low part, attributes] per entry. */
function SepCaptureTokenPrivileges(k: IoContext, va: number, user: boolean): [number, number][] {
  if (user) ProbeForRead(k, va, 4, 4);
  const count = k.kernelMemory.getUint32(va);
  if (count > MAX_PRIVILEGES) throw new NtException(STATUS_INVALID_PARAMETER);
  if (user) ProbeForRead(k, va, 4 + 12 * count, 4);
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) out.push([k.kernelMemory.getUint32(va + 4 + 12 * i), k.kernelMemory.getUint32(va + 12 + 12 * i)]);
  return out;
}

/**
 * NtAdjustPrivilegesToken: enables or disables privileges the token holds;
 * one it does not hold is skipped and the result is STATUS_NOT_ALL_ASSIGNED
 * (a success code). PreviousState receives the changed privileges' former state.
 * https://learn.microsoft.com/windows/win32/api/securitybaseapi/nf-securitybaseapi-adjusttokenprivileges
 */
export function NtAdjustPrivilegesToken(k: IoContext, TokenHandle: number, DisableAllPrivileges: number, NewState: number,
  BufferLength: number, PreviousState: number, ReturnLength: number): number {
  const user = k.currentThread.PreviousMode === UserMode;
  const ref = k.ob.ObReferenceObjectByHandle(TokenHandle, 0x0020, SeTokenObjectType, k.currentThread.PreviousMode, k.currentProcess);
  if (!ref.object) return ref.status;
  const token = ref.object as Token;
  try {
    const requested = captureOrStatus(() => {
      if (ReturnLength !== 0) ProbeForWriteUlong(k, ReturnLength);
      if (DisableAllPrivileges) return [...token.privileges.keys()].map((luid): [number, number] => [luid, 0]);
      if (NewState === 0) throw new NtException(STATUS_INVALID_PARAMETER);
      return SepCaptureTokenPrivileges(k, NewState, user);
    });
    if (typeof requested === 'number') return requested;
    let notAll = false;
    const previous: [number, number][] = [];
    const changes: [number, boolean][] = [];
    for (const [luid, attributes] of requested) {
      const enabled = token.privileges.get(luid);
      if (enabled === undefined) {
        notAll = true;
        continue;
      }
      const want = (attributes & SE_PRIVILEGE_ENABLED) !== 0;
      if (want !== enabled) {
        previous.push([luid, enabled ? SE_PRIVILEGE_ENABLED : 0]);
        changes.push([luid, want]);
      }
    }
    const needed = 4 + 12 * previous.length;
    if (PreviousState !== 0 && (BufferLength >>> 0) < needed) {
      const w = captureOrStatus(() => { if (ReturnLength !== 0) writeOutUlong(k, ReturnLength, needed); });
      return typeof w === 'number' ? w : STATUS_BUFFER_TOO_SMALL;
    }
    const written = captureOrStatus(() => {
      if (PreviousState !== 0) {
        if (user) ProbeForWrite(k, PreviousState, needed, 4);
        const mem = k.kernelMemory;
        mem.setUint32(PreviousState, previous.length);
        previous.forEach(([luid, attributes], i) => {
          mem.setUint32(PreviousState + 4 + 12 * i, luid);
          mem.setUint32(PreviousState + 8 + 12 * i, 0);
          mem.setUint32(PreviousState + 12 + 12 * i, attributes);
        });
      }
      if (ReturnLength !== 0) writeOutUlong(k, ReturnLength, needed);
    });
    if (typeof written === 'number') return written;
    for (const [luid, want] of changes) token.privileges.set(luid, want);
    return notAll ? STATUS_NOT_ALL_ASSIGNED : STATUS_SUCCESS;
  } finally {
    k.ob.ObDereferenceObject(token);
  }
}
