/**
 * Driver Verifier's DDI compliance checking (VERIFIER_DDI_COMPLIANCE_CHECKING):
 * the run-time DDI rules that concern routines ntshm has. A violation is bug
 * check 0xC4 with P1 the rule's ID, P2 a pointer to the string that
 * describes the violated condition (ntshm writes it to nonpaged pool at the
 * violation, so `da P2` in kd shows it), P3 the rule state (0: ntshm keeps
 * none in memory), P4 0.
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/ddi-compliance-checking
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 *
 * Precedence: where an automatic check (any verifier option) gives a classic
 * 0xC4 subcode for the same call at the same IRQL (0x32 KeReleaseSpinLock,
 * 0x33 ExAcquireFastMutex, 0x42 KeAcquireSpinLock, 0x80 KeSetEvent, 0x7E
 * MmAllocatePagesForMdl, 0x11A/0x11B critical regions), the classic one is
 * raised first and the rule is only reached where it is stricter (KeSetEvent
 * with Wait TRUE at DISPATCH_LEVEL, MmAllocatePagesForMdl at DISPATCH_LEVEL).
 * MarkIrpPending and PendedCompletedRequest are Static Driver Verifier rules
 * with no run-time ID: I/O verification's 0xC9/0x23D and 0x23E cover them.
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../../include/bugcodes.js';
import { APC_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL } from '../../include/wdm-constants.js';
import type { IoContext } from '../io/context.js';
import { NonPagedPool } from '../mm/pool.js';

/** One DDI rule: its name and ID, the routines it applies to, and when a call breaks it. */
export interface DdiRule {
  readonly name: string;
  readonly id: number;
  /** The devtest page (devtest/wdm-<name>.md). */
  readonly page: string;
  readonly routines: readonly string[];
  /** The condition, as the string P2 points to. */
  readonly condition: string;
  /** Whether a call at `irql` breaks it; `detail` is the routine's argument the rule reads (pool type, Wait), if any. */
  readonly broken: (irql: number, detail: number) => boolean;
  /** Routines whose body raises a classic subcode for every call the rule would catch: listed, not checked here (the classic one wins). */
  readonly shadowed?: readonly string[];
}

const above = (max: number) => (irql: number): boolean => irql > max;
const page = (name: string): string => `https://learn.microsoft.com/windows-hardware/drivers/devtest/wdm-${name.toLowerCase()}`;

/** The rules, each with the ID its page gives ("Bug check(s) found with this rule: 0xC4 (0x000200..)"). */
export const DDI_RULES: readonly DdiRule[] = [
  {
    name: 'IrqlExAllocatePool', id: 0x0002_0004, page: page('IrqlExAllocatePool'), routines: ['ExAllocatePoolWithTag'],
    condition: 'ExAllocatePoolWithTag at IRQL <= DISPATCH_LEVEL, and at DISPATCH_LEVEL only NonPaged pool',
    broken: (irql, poolType) => irql > DISPATCH_LEVEL || (irql === DISPATCH_LEVEL && (poolType & 1) !== 0),
  },
  {
    name: 'IrqlExApcLte1', id: 0x0002_0005, page: page('IrqlExApcLte1'), routines: ['ExAcquireFastMutex', 'ExTryToAcquireFastMutex'],
    condition: 'fast mutexes acquired at IRQL <= APC_LEVEL', broken: above(APC_LEVEL),
  },
  {
    name: 'IrqlExApcLte3', id: 0x0002_0007, page: page('IrqlExApcLte3'),
    routines: ['ExAcquireResourceExclusiveLite', 'ExAcquireResourceSharedLite', 'ExDeleteResourceLite'],
    condition: 'ERESOURCE routines at IRQL <= APC_LEVEL', broken: above(APC_LEVEL),
  },
  {
    name: 'IrqlIoApcLte', id: 0x0002_0009, page: page('IrqlIoApcLte'), routines: ['IoDeleteDevice'],
    condition: 'IoDeleteDevice at IRQL <= APC_LEVEL', broken: above(APC_LEVEL),
  },
  {
    name: 'IrqlIoPassive1', id: 0x0002_000a, page: page('IrqlIoPassive1'), routines: ['IoCreateDevice'],
    condition: 'IoCreateDevice at IRQL = PASSIVE_LEVEL', broken: above(PASSIVE_LEVEL),
  },
  {
    // The same rule allows IoBuildDeviceIoControlRequest up to APC_LEVEL.
    name: 'IrqlIoPassive1', id: 0x0002_000a, page: page('IrqlIoPassive1'), routines: ['IoBuildDeviceIoControlRequest'],
    condition: 'IoBuildDeviceIoControlRequest at IRQL <= APC_LEVEL', broken: above(APC_LEVEL),
  },
  {
    name: 'IrqlKeApcLte2', id: 0x0002_0010, page: page('IrqlKeApcLte2'), routines: ['KeEnterCriticalRegion', 'KeLeaveCriticalRegion'],
    condition: 'critical regions entered and left at IRQL <= APC_LEVEL', broken: above(APC_LEVEL),
  },
  {
    name: 'IrqlKeDispatchLte', id: 0x0002_0011, page: page('IrqlKeDispatchLte'),
    routines: ['KeAcquireSpinLock', 'KeCancelTimer', 'KeClearEvent', 'KeInitializeSemaphore', 'KeInitializeTimer', 'KeInitializeTimerEx',
      'KePulseEvent', 'KeRaiseIrqlToDpcLevel', 'KeReadStateEvent', 'KeReadStateTimer', 'KeReleaseMutex', 'KeResetEvent', 'KeSetTimer', 'KeSetTimerEx'],
    condition: 'kernel routines called at IRQL <= DISPATCH_LEVEL', broken: above(DISPATCH_LEVEL), shadowed: ['KeAcquireSpinLock'],
  },
  {
    name: 'IrqlKeReleaseSpinLock', id: 0x0002_0015, page: page('IrqlKeReleaseSpinLock'), routines: ['KeReleaseSpinLock'],
    condition: 'KeReleaseSpinLock at IRQL = DISPATCH_LEVEL', broken: (irql) => irql !== DISPATCH_LEVEL, shadowed: ['KeReleaseSpinLock'],
  },
  {
    name: 'IrqlKeSetEvent', id: 0x0002_0016, page: page('IrqlKeSetEvent'), routines: ['KeSetEvent'],
    condition: 'KeSetEvent at IRQL <= DISPATCH_LEVEL with Wait FALSE, at IRQL <= APC_LEVEL with Wait TRUE',
    broken: (irql, wait) => irql > (wait ? APC_LEVEL : DISPATCH_LEVEL),
  },
  {
    name: 'IrqlMmApcLte', id: 0x0002_0019, page: page('IrqlMmApcLte'), routines: ['MmAllocatePagesForMdl', 'MmAllocatePagesForMdlEx', 'MmFreePagesFromMdl'],
    condition: 'memory manager routines at IRQL <= APC_LEVEL', broken: above(APC_LEVEL),
  },
  {
    name: 'IrqlObPassive', id: 0x0002_001b, page: page('IrqlObPassive'), routines: ['ObReferenceObjectByHandle'],
    condition: 'ObReferenceObjectByHandle at IRQL = PASSIVE_LEVEL', broken: above(PASSIVE_LEVEL),
  },
  {
    name: 'IrqlPsPassive', id: 0x0002_001c, page: page('IrqlPsPassive'), routines: ['PsCreateSystemThread', 'PsTerminateSystemThread'],
    condition: 'process and thread routines at IRQL = PASSIVE_LEVEL', broken: above(PASSIVE_LEVEL),
  },
  {
    name: 'IrqlZwPassive', id: 0x0002_001f, page: page('IrqlZwPassive'),
    routines: ['ZwClose', 'ZwCreateKey', 'ZwDeleteKey', 'ZwEnumerateKey', 'ZwEnumerateValueKey', 'ZwOpenKey', 'ZwQueryKey', 'ZwQueryValueKey', 'ZwSetValueKey'],
    condition: 'ZwClose and the registry Zw routines at IRQL = PASSIVE_LEVEL', broken: above(PASSIVE_LEVEL),
  },
];

/** Routine name → its rule, built once. */
const RULE_OF: ReadonlyMap<string, DdiRule> = new Map(DDI_RULES.flatMap((rule) =>
  rule.routines.filter((r) => !rule.shadowed?.includes(r)).map((r) => [r, rule] as const)));

/** The DDI rule checked for `routine`, if any. */
export function VfDdiRuleFor(routine: string): DdiRule | undefined {
  return RULE_OF.get(routine);
}

const RULE_STRING_TAG = 0x64646956; // 'Vidd'

/**
 * DDI compliance checking of one call: with the rule broken, bug check 0xC4
 * with P1 the rule ID and P2 the condition's string. The caller has checked
 * that the option is on.
 */
export function VfCheckDdiRule(k: IoContext, routine: string, detail: number): void {
  const rule = RULE_OF.get(routine);
  if (rule === undefined || !rule.broken(k.irql, detail)) return;
  const text = `${rule.name}: ${rule.condition}`;
  const frame = k.attribution.top();
  k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, rule.id, VfRuleString(k, text), 0, 0,
    `${frame ? `${frame.driver}!${frame.routine}` : 'A driver'} called ${routine} at IRQL ${k.irql}, breaking the DDI rule ${rule.name} ` +
    `(${rule.condition}; ${rule.page}).`);
}

/** The rule's string in nonpaged pool, NUL-terminated, for P2; 0 if pool is exhausted. */
function VfRuleString(k: IoContext, text: string): number {
  const address = k.pool.allocate(NonPagedPool, text.length + 1, RULE_STRING_TAG);
  if (address === 0) return 0;
  for (let i = 0; i < text.length; i++) k.kernelMemory.setUint8(address + i, text.charCodeAt(i) & 0x7f);
  k.kernelMemory.setUint8(address + text.length, 0);
  return address;
}
