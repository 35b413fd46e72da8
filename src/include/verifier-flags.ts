/**
 * Driver Verifier's options as the flags verifier.exe /flags takes and
 * MmIsVerifierEnabled returns. The first five are wdm.h's DRIVER_VERIFIER_*
 * constants; the rest are verifier.exe's documented bits. `true` means the
 * standard settings, as `verifier /standard` (0x209BB): everything but the
 * low-resources simulations, which fail allocations on purpose.
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/driver-verifier-options
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmisverifierenabled
 *
 * The automatic checks (IRQL and memory routines, spin locks, freeing, the
 * MDL checks) run whenever any flag is on: Windows does not let them be
 * turned off (devtest/automatic-checks).
 */
export const DRIVER_VERIFIER_SPECIAL_POOLING = 0x1;
export const DRIVER_VERIFIER_FORCE_IRQL_CHECKING = 0x2;
export const DRIVER_VERIFIER_INJECT_ALLOCATION_FAILURES = 0x4;
export const DRIVER_VERIFIER_TRACK_POOL_ALLOCATIONS = 0x8;
export const DRIVER_VERIFIER_IO_CHECKING = 0x10;
export const VERIFIER_DEADLOCK_DETECTION = 0x20;
export const VERIFIER_DMA_CHECKING = 0x80;
export const VERIFIER_SECURITY_CHECKS = 0x100;
export const VERIFIER_MISCELLANEOUS_CHECKS = 0x800;
export const VERIFIER_DDI_COMPLIANCE_CHECKING = 0x20000;
export const VERIFIER_SYSTEMATIC_LOW_RESOURCES = 0x40000;

/** verifier /standard. */
export const VERIFIER_STANDARD_FLAGS = 0x209bb;

/** One option: its name in boot({ verifier: { name: true } }), on the command line (--verifier=name,...), its flag, and the rule class ID of verifier /rc. */
export interface VerifierOption {
  readonly name: string;
  readonly cli: string;
  readonly flag: number;
  readonly ruleClass: number;
  readonly title: string;
  /** What ntshm checks under it, for !verifier and the docs; empty when ntshm has nothing behind the flag yet. */
  readonly checks: string;
}

export const VERIFIER_OPTIONS: readonly VerifierOption[] = [
  { name: 'specialPool', cli: 'special-pool', flag: DRIVER_VERIFIER_SPECIAL_POOLING, ruleClass: 1, title: 'Special pool', checks: 'guard pages around pool allocations' },
  { name: 'forceIrqlChecking', cli: 'force-irql-checking', flag: DRIVER_VERIFIER_FORCE_IRQL_CHECKING, ruleClass: 2, title: 'Force IRQL checking', checks: 'pageable pool trimmed whenever IRQL is raised to DISPATCH_LEVEL' },
  { name: 'lowResourcesSimulation', cli: 'low-resources-simulation', flag: DRIVER_VERIFIER_INJECT_ALLOCATION_FAILURES, ruleClass: 3, title: 'Randomized low resources simulation', checks: 'allocations fail at random (seeded)' },
  { name: 'poolTracking', cli: 'pool-tracking', flag: DRIVER_VERIFIER_TRACK_POOL_ALLOCATIONS, ruleClass: 4, title: 'Pool tracking', checks: 'pool and locked pages left at unload or exit' },
  { name: 'ioVerification', cli: 'io-verification', flag: DRIVER_VERIFIER_IO_CHECKING, ruleClass: 5, title: 'I/O verification', checks: 'IRP handling (0xC9)' },
  { name: 'deadlockDetection', cli: 'deadlock-detection', flag: VERIFIER_DEADLOCK_DETECTION, ruleClass: 6, title: 'Deadlock detection', checks: '' },
  { name: 'dmaChecking', cli: 'dma-checking', flag: VERIFIER_DMA_CHECKING, ruleClass: 8, title: 'DMA checking', checks: '' },
  { name: 'securityChecks', cli: 'security-checks', flag: VERIFIER_SECURITY_CHECKS, ruleClass: 9, title: 'Security checks', checks: 'user addresses given to Zw routines (0xE3) or in KernelMode IRPs (0xE2), unprobed user accesses (finding user-access-discipline)' },
  { name: 'miscellaneousChecks', cli: 'miscellaneous-checks', flag: VERIFIER_MISCELLANEOUS_CHECKS, ruleClass: 12, title: 'Miscellaneous checks', checks: 'freed memory still in use, double fetches, ERESOURCEs in freed pool (0xC4/0xD2)' },
  { name: 'ddiComplianceChecking', cli: 'ddi-compliance-checking', flag: VERIFIER_DDI_COMPLIANCE_CHECKING, ruleClass: 18, title: 'DDI compliance checking', checks: 'DDI IRQL rules (ddi-rules.ts), their IDs as Param1 of 0xC4' },
  { name: 'systematicLowResourcesSimulation', cli: 'systematic-low-resources-simulation', flag: VERIFIER_SYSTEMATIC_LOW_RESOURCES, ruleClass: 19, title: 'Systematic low resources simulation', checks: 'each allocating call stack fails once' },
];

/** The options boot() takes: `true` is the standard settings; an object turns on what it names. */
export type VerifierSetting = boolean | { readonly [option: string]: boolean | undefined };

/** boot()'s verifier option as flags; a RangeError names an unknown option. */
export function verifierFlagsOf(setting: unknown): number {
  if (setting === undefined || setting === false) return 0;
  if (setting === true) return VERIFIER_STANDARD_FLAGS;
  if (typeof setting !== 'object' || setting === null) throw new RangeError(`verifier must be true, false or an object of options (${VERIFIER_OPTIONS.map((o) => o.name).join(', ')})`);
  let flags = 0;
  for (const [key, on] of Object.entries(setting)) {
    const option = VERIFIER_OPTIONS.find((o) => o.name === key) ?? (key === 'standard' ? null : undefined);
    if (option === undefined) throw new RangeError(`unknown verifier option '${key}' (choose from: standard, ${VERIFIER_OPTIONS.map((o) => o.name).join(', ')})`);
    if (on !== undefined && typeof on !== 'boolean') throw new RangeError(`verifier option '${key}' must be true or false`);
    if (on) flags |= option === null ? VERIFIER_STANDARD_FLAGS : option.flag;
  }
  return flags;
}

/**
 * --verifier=LIST: names as on the command line (special-pool), as in
 * boot() (specialPool), `standard`, rule class IDs (verifier /rc 1 2 4), or
 * flags in hex (0x209bb), separated by commas. A RangeError names what it
 * did not understand.
 */
export function parseVerifierList(list: string): { [option: string]: boolean } {
  const chosen: { [option: string]: boolean } = {};
  for (const raw of list.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const word = raw.toLowerCase();
    if (word === 'standard') { chosen.standard = true; continue; }
    if (/^0x[0-9a-f]+$/.test(word)) {
      const flags = Number.parseInt(word, 16);
      const unknown = VERIFIER_OPTIONS.reduce((rest, o) => rest & ~o.flag, flags);
      if (unknown !== 0) throw new RangeError(`verifier flags 0x${unknown.toString(16)} are not options ntshm knows`);
      for (const o of VERIFIER_OPTIONS) if (flags & o.flag) chosen[o.name] = true;
      continue;
    }
    const option = /^\d+$/.test(word)
      ? VERIFIER_OPTIONS.find((o) => o.ruleClass === Number(word))
      : VERIFIER_OPTIONS.find((o) => o.cli === word || o.name.toLowerCase() === word);
    if (!option) throw new RangeError(`unknown verifier option '${raw}' (choose from: standard, ${VERIFIER_OPTIONS.map((o) => o.cli).join(', ')}; or rule class IDs, or 0x flags)`);
    chosen[option.name] = true;
  }
  if (Object.keys(chosen).length === 0) throw new RangeError('--verifier= names no option (choose from: standard, ' + VERIFIER_OPTIONS.map((o) => o.cli).join(', ') + ')');
  return chosen;
}

/** The options a set of flags turns on, for reports and !verifier. */
export function verifierOptionsOn(flags: number): VerifierOption[] {
  return VERIFIER_OPTIONS.filter((o) => (flags & o.flag) !== 0);
}

/** The flags a kernel runs with: those boot() chose, or the standard settings for a kernel built with verifier: true alone. */
export function verifierFlags(options: { readonly verifier: boolean; readonly verifierFlags?: number }): number {
  return options.verifierFlags ?? (options.verifier ? VERIFIER_STANDARD_FLAGS : 0);
}

/** Whether the option `flag` is on. */
export function verifierChecks(options: { readonly verifier: boolean; readonly verifierFlags?: number }, flag: number): boolean {
  return (verifierFlags(options) & flag) !== 0;
}
