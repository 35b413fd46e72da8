/**
 * The verifier's security check on METHOD_NEITHER: a driver completing,
 * without an error, a request from user mode whose Type3InputBuffer or
 * UserBuffer lies in system space and was never given to ProbeForRead /
 * ProbeForWrite. The program chose that address; unprobed, the driver reads
 * or writes kernel memory on its behalf (io/neither-check.ts keeps the
 * watch, and reports the finding `kernel-address-unprobed` without the
 * verifier).
 *
 * With the verifier's Security Checks it is bug check 0xC4 with P1 = 0xE3, the security
 * checks' subcode for a user-supplied address reaching a kernel routine
 * unchecked, with that subcode's parameters: P2 an address in the driver
 * (the call's), P3 the unprobed address, P4 0. Windows' own 0xE3 is raised
 * when a ZwXxx routine receives a user-mode address, and Windows' verifier
 * has no check for a kernel address that METHOD_NEITHER passed in: the
 * check, and its place at IoCompleteRequest, are ntshm's (docs/fidelity.md).
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/using-neither-buffered-nor-direct-i-o
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../../include/bugcodes.js';
import { NT_ERROR } from '../../include/ntstatus.js';
import { IRP_MJ_DEVICE_CONTROL, UserMode } from '../../include/wdm-constants.js';
import type { IoContext } from '../io/context.js';
import type { Irp } from '../io/irp.js';
import { VERIFIER_SECURITY_CHECKS, verifierChecks } from '../../include/verifier-flags.js';

/** 0xC4 subcode: a kernel routine was handed an address from user mode that nothing checked (Windows Vista and later). */
export const VI_ZW_USER_ADDRESS = 0xe3;

/**
 * Called as the driver completes `irp` (nt.IoCompleteRequest): with the verifier, bug check 0xC4/0xE3 when
 * it is the METHOD_NEITHER request under way and an address of it in system space was never probed.
 */
export function VfCheckNeitherProbe(k: IoContext, irp: Irp): void {
  const watch = k.io.neitherWatch;
  if (!watch || irp.RequestorMode !== UserMode || !k.options.verifier || !verifierChecks(k.options, VERIFIER_SECURITY_CHECKS)) return;
  const first = irp.stack[irp.StackCount - 1];
  if (!first || first.MajorFunction !== IRP_MJ_DEVICE_CONTROL) return;
  if (NT_ERROR(irp.IoStatus.Status >>> 0)) return;
  // The watch is the request's: its addresses are this IRP's Type3InputBuffer and UserBuffer.
  const mine = (name: string, va: number) => (name === 'Type3InputBuffer' ? first.Parameters.DeviceIoControl.Type3InputBuffer : irp.UserBuffer) === va;
  const unprobed = watch.addresses.find((a) => mine(a.name, a.va) && !watch.probed.has(a.va));
  if (!unprobed) return;
  const frame = k.attribution.top();
  const who = frame ? `${frame.driver}!${frame.routine}` : 'A driver';
  k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_ZW_USER_ADDRESS, frame?.address ?? 0, unprobed.va, 0,
    `${who} completed a METHOD_NEITHER request from user mode whose ${unprobed.name} ${k.formatAddress(unprobed.va)} lies in system space ` +
    'and was never probed (ProbeForRead/ProbeForWrite inside try/except): the program chose a kernel address, and the driver used it on the program\'s behalf.');
}
