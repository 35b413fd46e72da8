/**
 * Driver Verifier's Security Checks (VERIFIER_SECURITY_CHECKS) on addresses:
 * a Zw routine is a system call made from kernel mode, so PreviousMode is
 * KernelMode and its pointer parameters are trusted as kernel addresses; a
 * user-mode address among them (a program's buffer passed straight through)
 * lets the program reach kernel memory, or the call fault where nothing
 * handles it. So is an IRP whose RequestorMode is KernelMode that carries a
 * user address in SystemBuffer or UserBuffer.
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/security-checks
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 *
 * 0xE3: P2 the address of the call, P3 the user-mode address, P4 0.
 * 0xE2: P2 the IRP, P3 the user-mode address, P4 0.
 * ntshm's Zw routines take UNICODE_STRINGs and OBJECT_ATTRIBUTES as values
 * (strings and objects, not addresses), so the page's 0xE4 (malformed
 * UNICODE_STRING) has nothing to find here.
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../../include/bugcodes.js';
import { KernelMode } from '../../include/wdm-constants.js';
import type { IoContext } from '../io/context.js';
import type { Irp } from '../io/irp.js';
import { VERIFIER_SECURITY_CHECKS, verifierChecks } from '../../include/verifier-flags.js';
import { VI_ZW_USER_ADDRESS } from './neither-probe.js';

/** 0xC4 subcode: an IRP with RequestorMode KernelMode and a user-mode address in it. */
export const VI_KERNEL_IRP_USER_ADDRESS = 0xe2;

/** Whether Security Checks are on. */
export function VfSecurityChecking(k: IoContext): boolean {
  return k.options.verifier && verifierChecks(k.options, VERIFIER_SECURITY_CHECKS);
}

const isUserAddress = (k: IoContext, va: number): boolean => va !== 0 && va < k.layout.systemRangeStart;

/** A Zw routine's pointer parameter: a user-mode address is 0xC4/0xE3 with Security Checks. */
export function VfCheckZwUserAddress(k: IoContext, routine: string, parameter: string, va: number): void {
  if (!VfSecurityChecking(k) || !isUserAddress(k, va)) return;
  const frame = k.attribution.top();
  k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_ZW_USER_ADDRESS, frame?.address ?? 0, va, 0,
    `${frame ? `${frame.driver}!${frame.routine}` : 'A driver'} called ${routine} with ${parameter} ${k.formatAddress(va)}, a user-mode address: ` +
    'a Zw routine runs with PreviousMode KernelMode and trusts it; capture the program\'s bytes into kernel memory first.');
}

/** IoCallDriver of an IRP a driver built: RequestorMode KernelMode with a user-mode buffer is 0xC4/0xE2 with Security Checks. */
export function VfCheckKernelIrpAddresses(k: IoContext, irp: Irp): void {
  if (!VfSecurityChecking(k) || typeof irp !== 'object' || irp === null || irp.RequestorMode !== KernelMode) return;
  const systemBuffer = irp.AssociatedIrp?.SystemBuffer ?? 0;
  const va = isUserAddress(k, systemBuffer) ? systemBuffer : isUserAddress(k, irp.UserBuffer) ? irp.UserBuffer : 0;
  if (va === 0) return;
  const frame = k.attribution.top();
  k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_KERNEL_IRP_USER_ADDRESS, irp.address, va, 0,
    `${frame ? `${frame.driver}!${frame.routine}` : 'A driver'} sent IRP ${k.formatAddress(irp.address)} with RequestorMode KernelMode ` +
    `and the user-mode address ${k.formatAddress(va)} in it: the driver below will trust it as a kernel buffer.`);
}
