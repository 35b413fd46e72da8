/**
 * The IRQL check of every `nt` routine (api/nt.ts's `enter`), with the
 * verifier on. A routine called above the IRQL its WDK page allows stops the
 * machine with bug check 0xC4, P1 chosen in this order:
 *
 * 1. the routine's own classic subcode, an automatic check (0x70 for
 *    MmProbeAndLockPages, 0x80 for KeSetEvent, ...: `violation`);
 * 2. with DDI compliance checking, the DDI rule the call breaks (its rule
 *    ID, verifier/ddi-rules.ts), which may be stricter than the page
 *    (ObReferenceObjectByHandle above PASSIVE_LEVEL);
 * 3. for a Zw routine above PASSIVE_LEVEL, 0xE6 (P2 an address in the
 *    driver, P3 the IRQL, P4 0: ntshm has no special-kernel-APC disable);
 * 4. otherwise 0xE5, "a call was made to a kernel API at the incorrect
 *    IRQL", P2 the IRQL.
 *
 * Routines that check their IRQL in their body with a classic subcode of
 * their own (ExAcquireFastMutex 0x33, KeWaitForSingleObject 0x120, the spin
 * locks) pass `violation` null: nothing is checked here for them.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../../include/bugcodes.js';
import { PASSIVE_LEVEL } from '../../include/wdm-constants.js';
import type { IoContext } from '../io/context.js';
import { VfCheckDdiRule } from './ddi-rules.js';
import { VERIFIER_DDI_COMPLIANCE_CHECKING, verifierChecks } from '../../include/verifier-flags.js';

/** A classic 0xC4 subcode for a routine called too high: P1, with P3 and P4 (P2 is the IRQL). */
export type IrqlViolation = readonly [number, number, number];

/** 0xC4 subcode: a kernel API called at the wrong IRQL (Windows Vista and later). */
export const VI_KERNEL_API_WRONG_IRQL = 0xe5;
/** 0xC4 subcode: a Zw routine not called at PASSIVE_LEVEL. */
export const VI_ZW_NOT_PASSIVE = 0xe6;

/** The check, with the verifier on (the caller has tested k.options.verifier). */
export function VfCheckRoutineIrql(k: IoContext, name: string, maxIrql: number, violation: IrqlViolation | null | undefined, detail: number): void {
  if (violation === null) return;
  const irql = k.irql;
  if (violation !== undefined && irql > maxIrql) {
    const [p1, p3, p4] = violation;
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, p1, irql, p3, p4, `${name} was called at IRQL ${irql}; it allows at most ${maxIrql}.`);
  }
  if (verifierChecks(k.options, VERIFIER_DDI_COMPLIANCE_CHECKING)) VfCheckDdiRule(k, name, detail);
  if (irql <= maxIrql) return;
  const frame = k.attribution.top();
  const who = frame ? `${frame.driver}!${frame.routine}` : 'A driver';
  if (maxIrql === PASSIVE_LEVEL && name.startsWith('Zw')) {
    k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_ZW_NOT_PASSIVE, frame?.address ?? 0, irql, 0,
      `${who} called ${name} at IRQL ${irql}: Zw routines must be called at PASSIVE_LEVEL.`);
  }
  k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, VI_KERNEL_API_WRONG_IRQL, irql, 0, 0,
    `${who} called ${name} at IRQL ${irql}; its WDK page allows at most ${maxIrql}.`);
}
