/**
 * Kernel info leaks (reference: double-fetch.md, "Kernel info leak"): a
 * driver's pool bytes start uninitialized; writes initialize them, copies
 * carry their state, freeing forgets them; uninitialized bytes mapped to
 * user mode or copied to a user address are the finding kernel-info-leak,
 * with the bytes and the path. The three variants that leak are found, and
 * their right versions are clean.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { boot, runScenario } from '../../src/index.js';
import { makeNt } from '../../src/api/nt.js';
import { findSample } from '../../samples/registry.js';
import { NonPagedPool } from '../../src/include/wdm-constants.js';
import { PAGE_SIZE } from '../../src/hw/physical-memory.js';

/** A machine, `nt` for a driver named Leaky (its frame pushed, so that its pool is a driver's), and the taint of kernel bytes. */
async function driverPool() {
  const machine = await boot({ arch: 'x64' });
  const k = machine.kernel;
  const nt = makeNt(k, 'Leaky');
  k.attribution.push({ driver: 'Leaky', routine: 'Test', address: 0 } as never, 0);
  const tainted = (va: number, length: number): number[] => {
    const pfn = k.pageTables.frameAt(k.systemRoot, va);
    return k.uninitialized.taintedIn(pfn * PAGE_SIZE + (va % PAGE_SIZE), length);
  };
  return { machine, k, nt, tainted };
}

describe('uninitialized pool bytes', () => {
  it('a driver\'s block starts uninitialized; a write initializes what it writes; zeroing initializes all; freeing forgets', async () => {
    const { nt, tainted } = await driverPool();
    const va = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Leak');
    expect(tainted(va, 64)).toHaveLength(64);
    nt.setUint32(va + 8, 1);
    expect(tainted(va, 64)).toHaveLength(60);
    expect(tainted(va + 8, 4)).toEqual([]);
    nt.RtlZeroMemory(va, 32);
    expect(tainted(va, 64)).toHaveLength(32);
    nt.ExFreePoolWithTag(va, 'Leak');
    expect(tainted(va, 64)).toEqual([]);
  });

  it('freeing a block forgets its bytes alone: its neighbours in the same page stay uninitialized', async () => {
    const { nt, tainted } = await driverPool();
    const a = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Nbr1');
    const b = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Nbr2');
    const c = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Nbr3');
    expect(Math.floor(a / PAGE_SIZE)).toBe(Math.floor(c / PAGE_SIZE));
    nt.ExFreePoolWithTag(b, 'Nbr2');
    expect(tainted(b, 48)).toEqual([]);
    expect(tainted(a, 48)).toHaveLength(48);
    expect(tainted(c, 48)).toHaveLength(48);
  });

  it('a copy carries the source\'s state; ExAllocatePool2 starts initialized', async () => {
    const { nt, tainted } = await driverPool();
    const a = nt.ExAllocatePoolWithTag(NonPagedPool, 32, 'Src ');
    const b = nt.ExAllocatePoolWithTag(NonPagedPool, 32, 'Dst ');
    nt.RtlFillMemory(b, 32, 1);
    nt.setUint8(a + 3, 7);
    nt.RtlCopyMemory(b, a, 8);
    expect(tainted(b, 32)).toEqual([0, 1, 2, 4, 5, 6, 7]);
    expect(tainted(nt.ExAllocatePool2(0x40, 32, 'Zero'), 32)).toEqual([]);
  });

  it('random writes, copies and fills keep the taint a simple model predicts', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('write', 'copy', 'fill'), fc.nat(127), fc.nat(127), fc.integer({ min: 1, max: 64 })), { maxLength: 30 }), async (ops) => {
      const { nt, tainted } = await driverPool();
      const va = nt.ExAllocatePoolWithTag(NonPagedPool, 256, 'Prop');
      const model = new Uint8Array(256).fill(1);
      for (const [op, at, from, n] of ops) {
        if (op === 'write') { nt.setUint8(va + at, 1); model[at] = 0; }
        if (op === 'fill') { nt.RtlFillMemory(va + at, n, 2); model.fill(0, at, at + n); }
        if (op === 'copy') { nt.RtlCopyMemory(va + 128 + (at % 64), va + from, n); model.set(model.slice(from, from + n), 128 + (at % 64)); }
      }
      expect(tainted(va, 256)).toEqual([...model.keys()].filter((i) => model[i] === 1));
    }), { numRuns: 25 });
  });
});

describe('kernel-info-leak in the samples', () => {
  it.each([
    ['sharing-memory', 'unzeroed', 'MmMapLockedPagesSpecifyCache(UserMode)', 4096],
    ['pool-to-user', 'partial-page', 'MmMapLockedPagesSpecifyCache(UserMode)', undefined],
    ['transfer-methods', 'information-too-large', 'the I/O manager copying IoStatus.Information bytes of the SystemBuffer back', 212],
  ] as const)('%s --variant %s: found, through %s', async (name, variant, path, bytes) => {
    const report = await runScenario(findSample(name)!, { seconds: 3, variant });
    const leak = report.findings.find((f) => f.kind === 'kernel-info-leak');
    expect(leak).toBeDefined();
    expect(leak!.details).toMatchObject({ path });
    if (bytes !== undefined) expect((leak!.details as { uninitializedBytes: number }).uninitializedBytes).toBe(bytes);
    expect((leak!.details as { bytes: string }).bytes).toMatch(/^\+[0-9a-f]+:[0-9a-f]{2}( |$)/);
  });

  it.each(['sharing-memory', 'pool-to-user', 'transfer-methods', 'section', 'kernel-section', 'mdl-pages', 'locked-user-buffer', 'inverted-call', 'event-ring'])(
    '%s, as it should be written: no leak', async (name) => {
      const report = await runScenario(findSample(name)!, { seconds: 3 });
      expect(report.findings.filter((f) => f.kind === 'kernel-info-leak')).toEqual([]);
    });
});

describe('a kernel copy into a user address', () => {
  it('a METHOD_NEITHER driver copying uninitialized pool to the caller\'s buffer leaks; copying it after zeroing does not', async () => {
    const { bootWith, testDriver } = await import('../helpers/test-driver.js');
    const IOCTL = 0x22_2003; // METHOD_NEITHER
    for (const zero of [false, true]) {
      const driver = testDriver({
        control: ({ nt, irp }) => {
          const pool = nt.ExAllocatePoolWithTag(NonPagedPool, 16, 'Neit');
          if (zero) nt.RtlZeroMemory(pool, 16);
          nt.setUint32(pool, 0x11223344);
          nt.ProbeForWrite(irp.UserBuffer, 16, 1);
          nt.RtlCopyMemory(irp.UserBuffer, pool, 16);
          nt.ExFreePoolWithTag(pool, 'Neit');
          irp.IoStatus.Information = 16;
        },
      });
      const machine = await bootWith([driver], { seed: 1 });
      machine.spawn(async (k32) => {
        const h = k32.CreateFileW(driver.path, 0xc0000000, 0, null, 3, 0, null);
        const va = k32.VirtualAlloc(0, 4096, 0x3000, 4);
        await k32.DeviceIoControl(h, IOCTL, 0, 0, va, 16);
        k32.CloseHandle(h);
        return 0;
      });
      const result = await machine.run({ seconds: 1 });
      const leaks = result.findings.filter((f) => f.kind === 'kernel-info-leak');
      if (zero) expect(leaks).toEqual([]);
      else expect(leaks[0]).toMatchObject({ driver: driver.name, details: { path: 'a kernel copy into a user address (RtlCopyMemory)', uninitializedBytes: 12 } });
    }
  });
});

describe('a view of a section', () => {
  it.each([
    ['uninitialized pool', false, 1],
    ['pool the driver zeroed', true, 0],
  ] as const)('%s copied into a section through a system view, then the section mapped into the program: %s finding(s)', async (_what, zero, count) => {
    const { bootWith, testDriver } = await import('../helpers/test-driver.js');
    const { KernelMode, PAGE_READWRITE, SECTION_ALL_ACCESS, SEC_COMMIT, ViewShare } = await import('ntshm/wdm');
    let view = 0;
    const driver = testDriver({
      control: ({ nt }) => {
        const { sectionHandle } = nt.ZwCreateSection(SECTION_ALL_ACCESS, null, PAGE_SIZE, PAGE_READWRITE, SEC_COMMIT, null);
        const { object } = nt.ObReferenceObjectByHandle(sectionHandle, SECTION_ALL_ACCESS, null, KernelMode);
        const system = nt.MmMapViewInSystemSpace(object!, PAGE_SIZE);
        const block = nt.ExAllocatePoolWithTag(NonPagedPool, 64, 'Leak');
        if (zero) nt.RtlZeroMemory(block, 64);
        nt.RtlCopyMemory(system.mappedBase, block, 64);
        nt.ExFreePoolWithTag(block, 'Leak');
        nt.MmUnmapViewInSystemSpace(system.mappedBase);
        view = nt.ZwMapViewOfSection(sectionHandle, nt.NtCurrentProcess(), 0, 0, 0, null, 0, ViewShare, 0, PAGE_READWRITE).baseAddress;
        nt.ZwUnmapViewOfSection(nt.NtCurrentProcess(), view);
        nt.ObDereferenceObject(object!);
        nt.ZwClose(sectionHandle);
      },
    });
    const machine = await bootWith([driver], { seed: 1 });
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, 0xc0000000, 0, null, 3, 0, null);
      await k32.DeviceIoControl(h, 0x22_2000, 0, 0, 0, 0);
      k32.CloseHandle(h);
      return 0;
    });
    const result = await machine.run({ seconds: 1 });
    expect(result.bugcheck).toBeUndefined();
    const leaks = result.findings.filter((f) => f.kind === 'kernel-info-leak');
    expect(leaks).toHaveLength(count);
    if (count) {
      expect(leaks[0]).toMatchObject({ driver: driver.name, details: { path: 'section view', uninitializedBytes: 64, userAddress: machine.kernel.formatAddress(view) } });
    }
  });
});
