/**
 * Scenario tests: the sharing-memory sample (seed 003) and its variants,
 * run as `ntshm run` runs them.
 */
import { describe, expect, it } from 'vitest';
import { boot, parseAddress, runScenario, type Machine } from 'ntshm';
import { findSample } from '../../samples/registry.js';

const sample = findSample('sharing-memory')!;

async function runSample(options: { variant?: string; arch?: 'x64' | 'x86'; seconds?: number; seed?: number } = {}) {
  const machine: Machine = await boot({ arch: options.arch ?? 'x64', seed: options.seed ?? 1, ...sample.bootOptions?.(options.variant) });
  const before = machine.stats();
  sample.setup(machine, { seconds: options.seconds ?? 5, variant: options.variant });
  const result = await machine.run({ seconds: 120 });
  const stdout = (name: string) => machine.log.filter((e) => e.source === 'stdout' && e.process === name);
  return { machine, before, after: machine.stats(), result, stdout, shared: machine.kernel.sharing.records() };
}

describe('sharing-memory', () => {
  for (const arch of ['x64', 'x86'] as const) {
    it(`shows the time once a second and tears down cleanly on ${arch}`, async () => {
      const { result, stdout, before, after, machine } = await runSample({ arch });
      expect(result.bugcheck).toBeUndefined();
      expect(result.findings).toEqual([]);
      const lines = stdout('SharingMemory.exe');
      expect(lines.map((e) => e.text)).toEqual(['12:00:00', '12:00:01', '12:00:02', '12:00:03', '12:00:04']);
      for (let i = 1; i < lines.length; i++) {
        const gap = lines[i]!.t - lines[i - 1]!.t;
        expect(gap).toBeGreaterThanOrEqual(1000);
        expect(gap).toBeLessThan(1100);
      }
      expect(after.frames.free).toBe(before.frames.free);
      expect(after.pool.nonPagedBytes).toBe(before.pool.nonPagedBytes);
      expect(after.handles).toBe(before.handles);
      expect(machine.dbgPrint).toContain('SharingMemory: Timer started');
      expect(machine.dbgPrint).toContain('SharingMemory: Leaving DispatchCleanup');
    });

    it(`maps one frame at a kernel address and at a user address of the program on ${arch}`, async () => {
      const { shared } = await runSample({ arch });
      const split = arch === 'x64' ? 2 ** 47 : 0x8000_0000;
      const page = shared.find((f) => f.mappings.some((m) => m.process === 'SharingMemory.exe' && m.mode === 'user' && m.va !== (arch === 'x64' ? '00000000`7ffe0000' : '7ffe0000')));
      expect(page).toBeDefined();
      const kernel = page!.mappings.filter((m) => m.mode === 'kernel');
      const user = page!.mappings.filter((m) => m.mode === 'user');
      expect(kernel).toHaveLength(1);
      expect(user).toHaveLength(1);
      expect(parseAddress(kernel[0]!.va)).toBeGreaterThanOrEqual(split);
      expect(parseAddress(user[0]!.va)).toBeLessThan(split);
      expect(user[0]!.protection).toBe('PAGE_READWRITE');
    });
  }

  it('unmaps in IRP_MJ_CLEANUP, in the program\'s own process', async () => {
    const { machine } = await runSample();
    const cleanup = machine.log.filter((e) => e.text.startsWith('SharingMemory: Memory at address') && e.text.endsWith('unmapped'));
    expect(cleanup).toHaveLength(1);
    expect(cleanup[0]!.process).toBe('SharingMemory.exe');
    expect(machine.kernel.findings).toEqual([]);
  });

  it('gives the same log for the same seed', async () => {
    const a = await runSample({ seed: 7 });
    const b = await runSample({ seed: 7 });
    expect(JSON.stringify(a.machine.log)).toBe(JSON.stringify(b.machine.log));
    expect(JSON.stringify(a.shared)).toBe(JSON.stringify(b.shared));
  });

  it('second-open: a second CreateFile on the exclusive device fails with ERROR_ACCESS_DENIED', async () => {
    const { stdout, result } = await runSample({ variant: 'second-open' });
    expect(result.bugcheck).toBeUndefined();
    expect(stdout('SecondClient.exe').map((e) => e.text)).toEqual(['CreateFile(\\\\.\\SharingMemory) failed: GetLastError() = 5 (ERROR_ACCESS_DENIED)']);
    expect(stdout('SharingMemory.exe')).toHaveLength(5);
  });

  it('map-at-dispatch: the mapping lands in the process the CPU was running, and the unmap misses it', async () => {
    const { machine, shared, result } = await runSample({ variant: 'map-at-dispatch' });
    expect(result.bugcheck).toBeUndefined();
    const mapped = machine.log.find((e) => e.text.includes('Memory mapped into user space'));
    expect(mapped?.process).toBe('Idle');
    const page = shared.find((f) => f.mappings.some((m) => m.mode === 'user' && m.process === 'System' && !m.va.includes('7ffe0000')));
    expect(page).toBeDefined();
    expect(page!.mappings.some((m) => m.process === 'SharingMemory.exe' && !m.va.includes('7ffe0000'))).toBe(false);
    expect(result.findings.map((f) => f.kind)).toEqual(['wrong-process-unmap', 'freed-pool-still-mapped']);
  });

  for (const arch of ['x64', 'x86'] as const) it(`torn-read: a timer write between the two 32-bit reads tears the value and is reported as a race on ${arch}`, async () => {
    const { stdout, result } = await runSample({ variant: 'torn-read', arch });
    expect(result.bugcheck).toBeUndefined();
    const torn = stdout('SharingMemory.exe').filter((e) => e.text.includes('torn'));
    expect(torn.length).toBeGreaterThanOrEqual(1);
    expect(torn[0]!.text).toMatch(/429\.\d+ s after the previous value/);
    expect(torn[0]!.text).toMatch(/KSYSTEM_TIME protocol\): 12:06:03/);
    const race = result.findings.find((f) => f.kind === 'torn-read');
    expect(race?.details).toMatchObject({ reader: 'SharingMemory.exe', writer: 'SharingMemory!TimerRoutine' });
  });

  it('never-unmap: freeing the page at unload while the program still maps it is reported, and nothing leaks', async () => {
    const { result, before, after, machine } = await runSample({ variant: 'never-unmap' });
    expect(result.bugcheck).toBeUndefined();
    expect(machine.dbgPrint.some((l) => l.endsWith('unmapped'))).toBe(false);
    const finding = result.findings.find((f) => f.kind === 'freed-pool-still-mapped');
    expect(finding?.routine).toBe('DriverUnload');
    expect(finding?.message).toMatch(/in SharingMemory\.exe/);
    expect(after.frames.free).toBe(before.frames.free);
    expect(after.pool.nonPagedBytes).toBe(before.pool.nonPagedBytes);
  });

  for (const arch of ['x64', 'x86'] as const) {
    it(`no-try: a UserMode mapping that fails outside try/except is bug check 0x3B with the raised status on ${arch}`, async () => {
      const { result } = await runSample({ variant: 'no-try', arch });
      expect(result.bugcheck?.code).toBe(0x3b);
      expect(result.bugcheck?.params[0]).toBe(0xc0000017); // STATUS_NO_MEMORY
      expect(result.bugcheck?.stack).toEqual(['SharingMemory!DispatchControl']);
    });
  }

  it('close-not-cleanup: IRP_MJ_CLOSE comes from a System worker after the program exited; the unmap misses, the unload waited for it', async () => {
    const { result, machine, before, after } = await runSample({ variant: 'close-not-cleanup' });
    expect(result.bugcheck).toBeUndefined();
    const close = machine.log.find((e) => e.text === 'SharingMemory: Entering DispatchClose');
    expect(close?.process).toBe('System');
    const exited = machine.log.filter((e) => e.process === 'SharingMemory.exe').at(-1)!;
    expect(close!.t).toBeGreaterThanOrEqual(exited.t);
    expect(result.findings.map((f) => f.kind)).toEqual(['wrong-process-unmap']);
    expect(result.findings[0]!.details).toMatchObject({ currentProcess: 4, mappedIn: 260 });
    expect(result.findings[0]!.message).toMatch(/which has exited/);
    // DriverUnload ran only once the last file object was gone, and everything went back.
    expect(machine.kernel.io.drivers.size).toBe(0);
    expect(after.frames.free).toBe(before.frames.free);
    expect(after.pool.nonPagedBytes).toBe(before.pool.nonPagedBytes);
  });

  it('close-not-cleanup with the verifier: 0xC4/0xB9', async () => {
    const machine = await boot({ verifier: true });
    sample.setup(machine, { seconds: 2, variant: 'close-not-cleanup' });
    const result = await machine.run({ seconds: 60 });
    expect(result.bugcheck?.code).toBe(0xc4);
    expect(result.bugcheck?.params[0]).toBe(0xb9);
  });

  it('map-at-dispatch with the verifier: 0xC4/0x77, the IRQL in P2', async () => {
    const machine = await boot({ verifier: true });
    sample.setup(machine, { seconds: 2, variant: 'map-at-dispatch' });
    const result = await machine.run({ seconds: 60 });
    expect(result.bugcheck?.code).toBe(0xc4);
    expect(result.bugcheck?.params.slice(0, 2)).toEqual([0x77, 2]);
  });

  for (const arch of ['x64', 'x86'] as const) {
    it(`paged-pool on ${arch}: the trimmed page touched by TimerRoutine at DISPATCH_LEVEL is 0xD1 (address, 2, 1, TimerRoutine)`, async () => {
      const { machine, result } = await runSample({ arch, variant: 'paged-pool' });
      const allocated = machine.log.find((e) => e.text.includes('bytes of paged memory allocated at address'));
      const va = parseAddress(allocated!.text.split(' ').at(-1)!.trim());
      expect(machine.kernel.pool.isPagedPoolAddress(va)).toBe(true);
      expect(result.bugcheck?.code).toBe(0xd1);
      expect(result.bugcheck?.params.slice(0, 3)).toEqual([va, 2, 1]);
      const driver = machine.kernel.io.drivers.get('SHARINGMEMORY')!;
      expect(result.bugcheck!.params[3]).toBeGreaterThanOrEqual(driver.DriverStart);
      expect(result.bugcheck!.params[3]).toBeLessThan(driver.DriverStart + driver.DriverSize);
      expect(result.bugcheck?.stack[0]).toBe('SharingMemory!TimerRoutine');
      expect(result.bugcheck?.explanation).toMatch(/was trimmed/);
      // The program saw the first time, written at PASSIVE_LEVEL before any trim.
      expect(machine.log.filter((e) => e.source === 'stdout').map((e) => e.text)).toEqual(['12:00:00']);
      expect(machine.report().paging.trims).toBeGreaterThan(0);
    });
  }

  it('paged-pool with the verifier: 0xC4/0x7F at MmBuildMdlForNonPagedPool', async () => {
    const machine = await boot({ verifier: true, ...sample.bootOptions?.('paged-pool') });
    sample.setup(machine, { seconds: 2, variant: 'paged-pool' });
    const result = await machine.run({ seconds: 60 });
    expect(result.bugcheck?.code).toBe(0xc4);
    expect(result.bugcheck?.params[0]).toBe(0x7f);
  });

  it('never-unmap with the verifier: 0xC4/0xB8 when DriverUnload frees the MDL the client still maps', async () => {
    const result = await runScenario(findSample('sharing-memory')!, { seed: 1, seconds: 3, variant: 'never-unmap', verifier: true });
    expect(result.bugcheck?.code).toBe(0xc4);
    expect(result.bugcheck?.params[0]).toBe(0xb8);
  });
});
