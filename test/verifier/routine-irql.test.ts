/**
 * The IRQL audit of `nt`: every routine whose WDK page states an IRQL limit,
 * called one level above it with the verifier on, stops the machine with bug
 * check 0xC4 and the subcode verifier/routine-irql.ts chooses: the classic
 * one where the verifier has it, else the DDI rule's ID with DDI compliance
 * checking, else 0xE6 (Zw routines) or 0xE5. Each row cites the page
 * (learn.microsoft.com/windows-hardware/drivers/ddi/<header>/nf-<header>-<routine>,
 * "IRQL" under Requirements). Routines allowed at any IRQL are not listed.
 */
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/index.js';
import { makeNt } from '../../src/api/nt.js';
import { MachineHalted } from '../../src/include/errors.js';

const PASSIVE = 0;
const APC = 1;
const DISPATCH = 2;

/** routine, its page's header, the documented maximum, the classic subcode (if the verifier has one), the DDI rule ID (if a rule applies), arguments. */
type Row = readonly [name: string, header: string, max: number, classic: number | null, rule: number | null, args?: readonly unknown[]];

const ROWS: readonly Row[] = [
  // Pool: ExAllocatePoolWithTag, nonpaged (0) and paged (1) types; ExFreePoolWithTag of a nonpaged address.
  ['ExAllocatePoolWithTag', 'wdm', DISPATCH, 0x02, 0x0002_0004, [0, 16, 'Test']],
  ['ExFreePoolWithTag', 'wdm', DISPATCH, 0x12, null, [0, 0]],
  // MDLs and I/O space (classic subcodes 0x70..0x7B).
  ['IoAllocateMdl', 'wdm', DISPATCH, null, null, [0, 0, false, false, null]],
  ['IoFreeMdl', 'wdm', DISPATCH, null, null, [0]],
  ['MmBuildMdlForNonPagedPool', 'wdm', DISPATCH, null, null, [0]],
  ['MmProbeAndLockPages', 'wdm', DISPATCH, 0x70, null, [0, 0, 0]],
  ['MmUnlockPages', 'wdm', DISPATCH, 0x78, null, [0]],
  ['MmMapLockedPagesSpecifyCache', 'wdm', DISPATCH, 0x76, null, [0, 0, 1, 0, false, 16]],
  ['MmMapIoSpace', 'wdm', DISPATCH, 0x73, null, [0, 0x1000, 0]],
  ['MmUnmapIoSpace', 'wdm', APC, 0x7b, null, [0, 0x1000]],
  ['MmGetSystemAddressForMdlSafe', 'wdm', DISPATCH, null, null, [0, 16]],
  ['IoBuildPartialMdl', 'wdm', DISPATCH, null, null, [0, 0, 0, 0]],
  ['MmProtectMdlSystemAddress', 'wdm', DISPATCH, null, null, [0, 4]],
  ['MmAllocatePagesForMdl', 'wdm', DISPATCH, 0x7e, 0x0002_0019, [0, 0, 0, 0x1000]],
  // Devices, IRPs, timers, work items.
  ['IoCreateDevice', 'wdm', PASSIVE, null, 0x0002_000a, [null, 0, null, 0, 0, false]],
  ['IoDeleteDevice', 'wdm', PASSIVE, null, null, [null]],
  ['IoCreateSymbolicLink', 'wdm', PASSIVE, null, null, ['', '']],
  ['IoDeleteSymbolicLink', 'wdm', PASSIVE, null, null, ['']],
  ['IoInitializeTimer', 'wdm', PASSIVE, null, null, [null, null, null]],
  ['IoStartTimer', 'wdm', DISPATCH, null, null, [null]],
  ['IoStopTimer', 'wdm', DISPATCH, null, null, [null]],
  ['IoAllocateWorkItem', 'wdm', DISPATCH, null, null, [null]],
  ['IoQueueWorkItem', 'wdm', DISPATCH, null, null, [null, null, 0, null]],
  ['IoFreeWorkItem', 'wdm', DISPATCH, null, null, [null]],
  // IrqlIoPassive1 allows it up to APC_LEVEL: one level above the page is 0xE5.
  ['IoBuildDeviceIoControlRequest', 'wdm', PASSIVE, null, null, [0, null, null, 0, null, 0, false, null, null]],
  ['IoAttachDeviceToDeviceStack', 'wdm', PASSIVE, null, null, [null, null]],
  ['IoDetachDevice', 'wdm', PASSIVE, null, null, [null]],
  ['IoGetAttachedDeviceReference', 'wdm', DISPATCH, null, null, [null]],
  ['IoGetDeviceObjectPointer', 'wdm', PASSIVE, null, null, ['', 0]],
  ['IoCancelIrp', 'wdm', DISPATCH, null, null, [null]],
  // Dispatcher objects and locks.
  ['KeSetEvent', 'wdm', DISPATCH, 0x80, 0x0002_0016, [0, 0, false]],
  ['KeClearEvent', 'wdm', DISPATCH, null, 0x0002_0011, [0]],
  ['KeResetEvent', 'wdm', DISPATCH, null, 0x0002_0011, [0]],
  ['KeReadStateEvent', 'wdm', DISPATCH, null, 0x0002_0011, [0]],
  ['KeInitializeTimer', 'wdm', DISPATCH, null, 0x0002_0011, [0]],
  ['KeCancelTimer', 'wdm', DISPATCH, null, 0x0002_0011, [0]],
  ['KeReleaseMutex', 'wdm', DISPATCH, null, 0x0002_0011, [0, false]],
  ['KeReleaseSemaphore', 'wdm', DISPATCH, null, null, [0, 0, 1, false]],
  ['KeWaitForSingleObject', 'wdm', DISPATCH, 0x120, null, [0, 0, 0, false, null]],
  ['KeDelayExecutionThread', 'wdm', APC, null, null, [0, false, -1]],
  ['KeAcquireSpinLock', 'wdm', DISPATCH, 0x42, null, [0]],
  ['ExAcquireFastMutex', 'wdm', APC, 0x33, null, [0]],
  ['ExTryToAcquireFastMutex', 'wdm', APC, 0x33, null, [0]],
  ['KeEnterCriticalRegion', 'ntddk', APC, 0x11a, null, []],
  ['KeLeaveCriticalRegion', 'ntddk', APC, 0x11b, null, []],
  ['ExAcquireResourceExclusiveLite', 'wdm', APC, null, 0x0002_0007, [0, true]],
  ['ExAcquireResourceSharedLite', 'wdm', APC, null, 0x0002_0007, [0, true]],
  ['ExDeleteResourceLite', 'wdm', APC, null, 0x0002_0007, [0]],
  ['ExReleaseResourceLite', 'wdm', DISPATCH, null, null, [0]],
  ['ExInitializeResourceLite', 'wdm', DISPATCH, null, null, [0]],
  // Objects, processes, threads, probes.
  ['ObReferenceObject', 'wdm', DISPATCH, null, null, [null]],
  ['ObDereferenceObject', 'wdm', DISPATCH, null, null, [null]],
  ['ObReferenceObjectByHandle', 'wdm', APC, null, 0x0002_001b, [0, 0, null, 1]],
  ['ProbeForRead', 'wdm', APC, null, null, [0, 0, 1]],
  ['ProbeForWrite', 'wdm', APC, null, null, [0, 0, 1]],
  ['KeStackAttachProcess', 'ntifs', APC, null, null, [null]],
  ['PsCreateSystemThread', 'wdm', PASSIVE, null, 0x0002_001c, [0, null, 0, null, null]],
  ['PsTerminateSystemThread', 'wdm', PASSIVE, null, 0x0002_001c, [0]],
  // Zw routines: PASSIVE_LEVEL.
  ['ZwClose', 'ntifs', PASSIVE, null, 0x0002_001f, [0]],
  ['ZwOpenKey', 'wdm', PASSIVE, null, 0x0002_001f, [0, {}]],
  ['ZwCreateFile', 'wdm', PASSIVE, null, null, [0, {}, null, 0, 0, 0, 0]],
  ['ZwReadFile', 'wdm', PASSIVE, null, null, [0, null, null, null, 0, 0]],
  ['ZwCreateSection', 'wdm', PASSIVE, null, null, [0, null, 0, 0, 0, null]],
  ['ZwMapViewOfSection', 'wdm', PASSIVE, null, null, [0, 0, 0, 0, 0, null, 0, 0, 0, 0]],
  ['ZwAllocateVirtualMemory', 'ntifs', PASSIVE, null, null, [0, 0, 0, 0, 0, 0]],
];

/** The P1 a call one level too high earns. */
const expected = ([name, , , classic, rule]: Row, ddi: boolean): number =>
  classic ?? (ddi ? rule : null) ?? (name.startsWith('Zw') ? 0xe6 : 0xe5);

async function callTooHigh([name, , max, , , args = []]: Row, verifier: boolean | { [option: string]: boolean }) {
  const machine = await boot({ seed: 1, verifier });
  const nt = makeNt(machine.kernel, 'Test') as unknown as Record<string, (...a: readonly unknown[]) => unknown>;
  machine.kernel.ke.KeRaiseIrql(max + 1);
  try {
    nt[name]!(...args);
  } catch (e) {
    // With the verifier the call stops at its IRQL check, before it reads its (dummy) arguments.
    if (verifier !== false && !(e instanceof MachineHalted)) throw e;
  }
  return machine.bugcheck;
}

describe('every routine with a documented IRQL limit, called one level above it', () => {
  it.each(ROWS)('%s (%s.h, IRQL <= %i)', async (...cells) => {
    const row = cells as unknown as Row;
    const standard = await callTooHigh(row, true);
    expect(standard?.code).toBe(0xc4);
    expect(Number(standard!.params[0])).toBe(expected(row, true));
    const automatic = await callTooHigh(row, { poolTracking: true });
    expect(automatic?.code).toBe(0xc4);
    expect(Number(automatic!.params[0])).toBe(expected(row, false));
    // Without the verifier the call goes on (and may fail in its own way, but not with 0xC4).
    const off = await callTooHigh(row, false);
    expect(off?.code).not.toBe(0xc4);
  });

  it('P2 of a generic violation is the IRQL; of a DDI rule, a string naming the rule', async () => {
    const generic = await callTooHigh(['IoStartTimer', 'wdm', DISPATCH, null, null, [null]], true);
    expect(generic!.params.map(Number)).toEqual([0xe5, DISPATCH + 1, 0, 0]);
    const machine = await boot({ seed: 1, verifier: true });
    const nt = makeNt(machine.kernel, 'Test');
    try {
      nt.ObReferenceObjectByHandle(0, 0, null, 1);
    } catch (e) {
      if (!(e instanceof MachineHalted)) throw e;
    }
    // At PASSIVE_LEVEL the rule holds; at APC_LEVEL (allowed by the page) IrqlObPassive is broken.
    expect(machine.bugcheck).toBeUndefined();
    machine.kernel.ke.KeRaiseIrql(APC);
    try {
      nt.ObReferenceObjectByHandle(0, 0, null, 1);
    } catch (e) {
      if (!(e instanceof MachineHalted)) throw e;
    }
    const [p1, p2] = machine.bugcheck!.params.map(Number);
    expect(p1).toBe(0x0002_001b);
    // kd's db shows the string's bytes, as `da P2` would on Windows.
    expect(machine.kd(`db ${p2!.toString(16)} L10`)).toContain('IrqlObPassive');
  });

  it('KeSetEvent with Wait TRUE breaks IrqlKeSetEvent at DISPATCH_LEVEL, which the classic 0x80 allows', async () => {
    const machine = await boot({ seed: 1, verifier: true });
    const nt = makeNt(machine.kernel, 'Test');
    const event = machine.kernel.pool.allocate(0, 0x20, 0x74736554);
    nt.KeInitializeEvent(event, 0, false);
    machine.kernel.ke.KeRaiseIrql(DISPATCH);
    nt.KeSetEvent(event, 0, false);
    expect(machine.bugcheck).toBeUndefined();
    try {
      nt.KeSetEvent(event, 0, true);
    } catch (e) {
      if (!(e instanceof MachineHalted)) throw e;
    }
    expect(Number(machine.bugcheck!.params[0])).toBe(0x0002_0016);
  });

  it('KeRaiseIrql to a lower level is 0xC4/0x30 and KeLowerIrql to a higher one 0xC4/0x31 with the verifier (0x9 and 0xA without)', async () => {
    for (const [verifier, raise, lower] of [[true, 0xc4, 0xc4], [false, 0x9, 0xa]] as const) {
      const a = await boot({ seed: 1, verifier });
      a.kernel.ke.KeRaiseIrql(DISPATCH);
      try { makeNt(a.kernel, 'Test').KeRaiseIrql(APC); } catch (e) { if (!(e instanceof MachineHalted)) throw e; }
      expect(a.bugcheck?.code).toBe(raise);
      if (verifier) expect(a.bugcheck!.params.map(Number).slice(0, 3)).toEqual([0x30, DISPATCH, APC]);
      const b = await boot({ seed: 1, verifier });
      try { makeNt(b.kernel, 'Test').KeLowerIrql(DISPATCH); } catch (e) { if (!(e instanceof MachineHalted)) throw e; }
      expect(b.bugcheck?.code).toBe(lower);
      if (verifier) expect(b.bugcheck!.params.map(Number).slice(0, 3)).toEqual([0x31, PASSIVE, DISPATCH]);
    }
  });
});
