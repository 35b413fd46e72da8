/**
 * Driver Verifier's options: `verifier: true` is verifier /standard (0x209BB);
 * an object or --verifier=LIST turns on what it names, and each option gates
 * its own checks (the automatic ones run whenever any is on).
 */
import { describe, expect, it } from 'vitest';
import { boot, runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';
import {
  DRIVER_VERIFIER_FORCE_IRQL_CHECKING, DRIVER_VERIFIER_TRACK_POOL_ALLOCATIONS, VERIFIER_STANDARD_FLAGS,
  parseVerifierList, verifierFlagsOf,
} from '../../src/include/verifier-flags.js';
import { STATUS_NOT_SUPPORTED, STATUS_SUCCESS } from '../../src/include/ntstatus.js';
import { makeNt } from '../../src/api/nt.js';

describe('verifier options', () => {
  it.each([
    [undefined, 0], [false, 0], [true, 0x209bb], [{}, 0], [{ standard: true }, 0x209bb],
    [{ specialPool: true }, 0x1], [{ forceIrqlChecking: true, poolTracking: true }, 0xa],
    [{ lowResourcesSimulation: true }, 0x4], [{ systematicLowResourcesSimulation: true }, 0x40000], [{ specialPool: false }, 0],
  ])('boot option %j is flags %i', (setting, flags) => {
    expect(verifierFlagsOf(setting)).toBe(flags);
  });

  it('refuses an option it does not know, naming the choices', () => {
    expect(() => verifierFlagsOf({ specialPools: true })).toThrow(/unknown verifier option 'specialPools' \(choose from: standard, specialPool/);
    expect(() => verifierFlagsOf('yes')).toThrow(RangeError);
    expect(() => verifierFlagsOf({ specialPool: 1 })).toThrow(/must be true or false/);
  });

  it.each([
    ['special-pool,pool-tracking', { specialPool: true, poolTracking: true }],
    ['standard', { standard: true }],
    ['1 ,4', { specialPool: true, poolTracking: true }],
    ['0x209bb', { specialPool: true, forceIrqlChecking: true, poolTracking: true, ioVerification: true, deadlockDetection: true, dmaChecking: true, securityChecks: true, miscellaneousChecks: true, ddiComplianceChecking: true }],
    ['forceIrqlChecking', { forceIrqlChecking: true }],
    ['19', { systematicLowResourcesSimulation: true }],
  ])('--verifier=%s', (list, options) => {
    expect(parseVerifierList(list)).toEqual(options);
  });

  it.each(['bogus', '', '7', '0x4000000', 'special-pool,,nope'])('--verifier=%j is refused', (list) => {
    expect(() => parseVerifierList(list)).toThrow(RangeError);
  });

  it('0x209bb is the standard options', () => {
    expect(verifierFlagsOf(parseVerifierList('0x209bb'))).toBe(VERIFIER_STANDARD_FLAGS);
  });

  it('MmIsVerifierEnabled answers the flags, or STATUS_NOT_SUPPORTED with the verifier off', async () => {
    const on = await boot({ verifier: { poolTracking: true, forceIrqlChecking: true } });
    expect(makeNt(on.kernel, 'Test').MmIsVerifierEnabled()).toEqual({ status: STATUS_SUCCESS, VerifierFlags: DRIVER_VERIFIER_TRACK_POOL_ALLOCATIONS | DRIVER_VERIFIER_FORCE_IRQL_CHECKING });
    expect(makeNt(on.kernel, 'Test').MmIsDriverVerifying(null as never)).toBe(1);
    const off = await boot();
    expect(makeNt(off.kernel, 'Test').MmIsVerifierEnabled().status).toBe(STATUS_NOT_SUPPORTED);
    expect(makeNt(off.kernel, 'Test').MmIsDriverVerifying(null as never)).toBe(0);
  });

  it('pool tracking alone catches pool left at unload (0xC4/0x62); special pool alone does not', async () => {
    const sample = findSample('mdl-pages')!;
    const tracked = await runScenario(sample, { seconds: 3, variant: 'no-release', verifier: { poolTracking: true } });
    expect(tracked.bugcheck?.code).toBe(0xc4);
    expect(tracked.bugcheck?.params[0]).toBe(0x62);
    const untracked = await runScenario(sample, { seconds: 3, variant: 'no-release', verifier: { specialPool: true } });
    expect(untracked.bugcheck).toBeNull();
    expect(untracked.findings.map((f) => f.kind)).toContain('frames-leaked');
  });

  it('without force IRQL checking the paged page is not trimmed at the raise; the automatic MDL check still stops it (0xC4/0x7F)', async () => {
    const sample = findSample('sharing-memory')!;
    const result = await runScenario(sample, { seconds: 2, variant: 'paged-pool', verifier: { poolTracking: true } });
    expect(result.bugcheck?.code).toBe(0xc4);
    expect(result.bugcheck?.params[0]).toBe(0x7f);
    const machine = await boot({ verifier: { poolTracking: true } });
    expect(machine.kernel.ke.raiseListeners.length).toBe((await boot()).kernel.ke.raiseListeners.length);
    const forced = await boot({ verifier: { forceIrqlChecking: true } });
    expect(forced.kernel.ke.raiseListeners.length).toBe(machine.kernel.ke.raiseListeners.length + 1);
  });
});
