/**
 * A driver's ObReferenceObjectByHandle with AccessMode KernelMode on a
 * handle of the user-mode process it runs in: the handle came from the
 * program (in an IOCTL buffer, say), and KernelMode skips the access check
 * of the handle's granted rights — the driver trusts a handle the program
 * chose, which may name any object the program can reach, with any access.
 *
 * With the verifier this is bug check 0xC4/0xF6 (P2 the handle, P3 the
 * current EPROCESS, P4 an address in the driver); a NULL handle is 0xC4/0xF5
 * (P2 the handle, P3 the object type). Without it the reference succeeds, as
 * on Windows, and ntshm reports the finding `user-handle-trusted`.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obreferenceobjectbyhandle
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../../include/bugcodes.js';
import { KernelMode } from '../../include/wdm-constants.js';
import { ExpClearHandleTagBits, isKernelHandle, NtCurrentProcess, NtCurrentThread } from '../ob/handle.js';
import type { ObContext } from '../ob/context.js';
import type { ObjectType } from '../ob/object.js';

/** 0xC4 subcode: a NULL handle passed to ObReferenceObjectByHandle (Windows Vista and later). */
const VI_NULL_HANDLE_REFERENCE = 0xf5;
/** 0xC4 subcode: a user-mode handle referenced as kernel mode (Windows 7 and later). */
const VI_USER_HANDLE_AS_KERNEL = 0xf6;

/**
 * What a KernelMode reference of `handle` trusts: a NULL handle (`'null'`),
 * a handle of the user process the driver runs in (`'user'`: not a
 * pseudo-handle, not a kernel handle, not in the System process), or
 * nothing (null). The verifier stops on the first two.
 */
export function VfHandleTrusted(handle: number, inSystemProcess: boolean): 'null' | 'user' | null {
  if (handle === 0) return 'null';
  if (handle === NtCurrentProcess || handle === NtCurrentThread) return null;
  // In the System process every handle is the kernel's own; elsewhere a handle without the kernel bit is the program's.
  return inSystemProcess || isKernelHandle(ExpClearHandleTagBits(handle)) ? null : 'user';
}

/**
 * Checks a driver's ObReferenceObjectByHandle before it runs: bug checks
 * with the verifier, otherwise reports `user-handle-trusted` and returns so
 * that the reference goes on.
 */
export function VfCheckHandleReference(k: ObContext, handle: number, type: ObjectType | null, accessMode: number): void {
  if (accessMode !== KernelMode) return;
  const process = k.currentProcess;
  const trusted = VfHandleTrusted(handle, process === k.systemProcess);
  if (trusted === null) return;
  const frame = k.attribution.top();
  if (trusted === 'null') {
    if (k.options.verifier) {
      k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_NULL_HANDLE_REFERENCE, 0, 0 /* ntshm's object types have no OBJECT_TYPE address */, 0,
        `${frame ? `${frame.driver}!${frame.routine}` : 'A driver'} passed a NULL handle to ObReferenceObjectByHandle.`);
    }
    return;
  }
  if (k.options.verifier) {
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_USER_HANDLE_AS_KERNEL, handle >>> 0, process.address, frame?.address ?? 0,
      `${frame ? `${frame.driver}!${frame.routine}` : 'A driver'} referenced handle 0x${(handle >>> 0).toString(16)} of ${process.ImageFileName}, a user-mode handle, with AccessMode KernelMode.`);
  }
  k.report({
    kind: 'user-handle-trusted',
    ...(frame ? { driver: frame.driver, routine: frame.routine } : {}),
    message: `user-handle-trusted: a driver referenced handle 0x${(handle >>> 0).toString(16)} of ${process.ImageFileName} with AccessMode KernelMode, so the handle's granted access was not checked; a handle from user mode must be referenced with UserMode (Irp->RequestorMode)`,
    details: { handle: handle >>> 0, process: process.ImageFileName, objectType: type?.name ?? null },
  });
}
