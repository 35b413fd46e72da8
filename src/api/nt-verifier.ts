/**
 * `nt`'s questions about Driver Verifier: MmIsVerifierEnabled (the flags of
 * include/verifier-flags.ts, STATUS_NOT_SUPPORTED when the verifier is off,
 * as ReactOS's MmIsVerifierEnabled answers) and MmIsDriverVerifying (ntshm
 * verifies every driver when it verifies any).
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmisverifierenabled
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-mmisdriververifying
 */
import { STATUS_NOT_SUPPORTED, STATUS_SUCCESS } from '../include/ntstatus.js';
import type { Kernel } from '../kernel/kernel.js';
import { verifierFlags } from '../include/verifier-flags.js';
import type { DriverObject } from '../kernel/io/objects.js';

type Enter = (name: string, maxIrql: number) => void;
const HIGH = 31;

export function makeNtVerifier(k: Kernel, enter: Enter) {
  return {
    /** Returns the status and, when the verifier is on, VerifierFlags (the out-parameter). */
    MmIsVerifierEnabled(): { status: number; VerifierFlags: number } {
      enter('MmIsVerifierEnabled', HIGH);
      const flags = verifierFlags(k.options);
      return flags !== 0 ? { status: STATUS_SUCCESS, VerifierFlags: flags } : { status: STATUS_NOT_SUPPORTED, VerifierFlags: 0 };
    },
    /** TRUE (1) when the driver is verified: every driver, while the verifier is on. */
    MmIsDriverVerifying(_driverObject: DriverObject): number {
      enter('MmIsDriverVerifying', HIGH);
      return k.options.verifier ? 1 : 0;
    },
  };
}
