import { describe, expect, it } from 'vitest';
import { parseAddress } from '../src/index.js';
import { main } from '../src/cli/program.js';
import type { Report } from '../src/index.js';

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(...argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

async function runJson(...argv: string[]): Promise<Report> {
  const { code, out, err } = await cli('run', 'sharing-memory', '--json', ...argv);
  expect(err).toBe('');
  expect(code).toBe(0);
  return JSON.parse(out) as Report;
}

function secondsOfDay(hhmmss: string): number {
  const [h = 0, m = 0, s = 0] = hhmmss.split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

/** The program's five lines, a second apart, each showing the next second. */
function expectTimeEverySecond(report: Report): void {
  const lines = report.events.filter((e) => e.source === 'stdout' && e.process === 'SharingMemory.exe');
  expect(lines).toHaveLength(5);
  for (const line of lines) expect(line.text).toMatch(/^\d\d:\d\d:\d\d$/);
  for (let i = 1; i < lines.length; i++) {
    const [prev, cur] = [lines[i - 1]!, lines[i]!];
    expect(cur.t - prev.t).toBeGreaterThanOrEqual(1000);
    expect(cur.t - prev.t).toBeLessThanOrEqual(1100);
    expect(secondsOfDay(cur.text) - secondsOfDay(prev.text)).toBe(1);
  }
}

/** The shared frame mapped once in kernel mode and once in user mode in SharingMemory.exe. */
function sharedPage(report: Report) {
  const frame = report.shared.find((f) =>
    f.mappings.some((m) => m.mode === 'kernel') && f.mappings.some((m) => m.mode === 'user' && m.process === 'SharingMemory.exe')
    && !f.mappings.some((m) => m.process === 'SharingMemory.exe' && m.va.replace(/`/g, '').endsWith('7ffe0000')));
  expect(frame).toBeDefined();
  const kernel = frame!.mappings.filter((m) => m.mode === 'kernel');
  const user = frame!.mappings.filter((m) => m.mode === 'user' && m.process === 'SharingMemory.exe');
  expect(kernel).toHaveLength(1);
  expect(user).toHaveLength(1);
  const program = report.processes.find((p) => p.name === 'SharingMemory.exe');
  expect(user[0]!.pid).toBe(program!.pid);
  return { pfn: frame!.pfn, kernelVa: kernel[0]!.va, userVa: user[0]!.va };
}

function expectResourcesBack(report: Report): void {
  const { before, after } = report.resources;
  expect(after.freeFrames).toBe(before.freeFrames);
  expect(after.nonPagedBytes).toBe(before.nonPagedBytes);
}

describe('ntshm samples', () => {
  it('lists sharing-memory with its seed article 003 and its variants', async () => {
    const { code, out, err } = await cli('samples');
    expect(code).toBe(0);
    expect(err).toBe('');
    const line = out.split('\n').find((l) => l.startsWith('sharing-memory'));
    expect(line).toMatch(/^sharing-memory\s+article 003\s+\S/);
    expect(out).toMatch(/--variant second-open/);
  });
});

describe('ntshm run sharing-memory --json', () => {
  it('prints the keys of the JSON report in their documented order', async () => {
    const report = await runJson('--seconds', '1');
    expect(Object.keys(report)).toEqual(
      ['scenario', 'variant', 'settings', 'outcome', 'virtualMs', 'events', 'processes', 'shared', 'resources', 'paging', 'findings', 'io', 'bugcheck']);
    expect(report).toMatchObject({ scenario: 'sharing-memory', variant: null, outcome: 'completed', bugcheck: null });
    expect(report.settings).toEqual({
      arch: 'x64', seed: 1, cpus: 2, memoryMiB: 64, profile: 'win10', verifier: false, verifierFlags: 0, memoryPressure: 'none', startTime: '2026-01-01T12:00:00Z', seconds: 1,
    });
    expect(report.paging).toEqual({ softPageIns: 0, hardPageIns: 0, pageOuts: 0, trims: 0, pagefilePagesInUse: 0 });
  });

  it('--memory-pressure high trims at every clock tick: the run still shows the time, and the report counts the paging', async () => {
    const report = await runJson('--seconds', '5', '--memory-pressure', 'high');
    expect(report.settings.memoryPressure).toBe('high');
    expectTimeEverySecond(report);
    expect(report.bugcheck).toBeNull();
    expect(report.paging.trims).toBeGreaterThan(0);
    expect(report.paging.pageOuts).toBeGreaterThan(0);
    expect(report.paging.softPageIns + report.paging.hardPageIns).toBeGreaterThan(0);
    const { out } = await cli('run', 'sharing-memory', '--seconds', '2', '--memory-pressure', 'high');
    expect(out).toMatch(/^Summary of sharing-memory \(x64, seed 1, memory pressure high\)$/m);
    expect(out).toMatch(/^Paging\n {2}pages trimmed +\d+\n {2}page-ins, soft \(transition\) +\d+\n {2}page-ins, hard \(pagefile\) +\d+\n {2}page-outs \(to the pagefile\) +\d+\n {2}pagefile pages in use +\d+$/m);
  });

  it.each([
    { argv: ['section', '--variant', 'wrong-context'], bugcheck: /Bug check 0x0000007E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED/, line: /the driver's view is not in this process/ },
    { argv: ['section', '--variant', 'no-try'], bugcheck: /Bug check 0x0000003B SYSTEM_SERVICE_EXCEPTION/, line: /A second thread unmapped the driver's view/ },
    { argv: ['transfer-methods', '--variant', 'neither-no-probe', '--verifier'], bugcheck: /Bug check 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION\n {2}\(0x0+e3,/, line: /read 16 bytes at \S+ unprobed/ },
    { argv: ['inverted-call', '--variant', 'complete-after-cancel'], bugcheck: /Bug check 0x00000044 MULTIPLE_IRP_COMPLETE_REQUESTS/, line: /CancelRoutine completes IRP \S+ with STATUS_CANCELLED/ },
    { argv: ['inverted-call', '--variant', 'neither-from-dpc'], bugcheck: /Bug check 0x000000D1 DRIVER_IRQL_NOT_LESS_OR_EQUAL/, line: /written in process 0 at IRQL 2/ },
  ])('run $argv ends in its bug check, with the program\'s story before it', async ({ argv, bugcheck, line }) => {
    const { code, out } = await cli('run', ...argv);
    expect(code).toBe(3); // EXIT_BUGCHECK
    expect(out).toMatch(bugcheck);
    expect(out).toMatch(line);
  });

  it('--variant paged-pool ends in bug check 0xD1 in TimerRoutine', async () => {
    const { code, out } = await cli('run', 'sharing-memory', '--variant', 'paged-pool');
    expect(code).toBe(3); // EXIT_BUGCHECK
    expect(out).toMatch(/Bug check 0x000000D1 DRIVER_IRQL_NOT_LESS_OR_EQUAL/);
    expect(out).toMatch(/SharingMemory!TimerRoutine/);
  });

  it('shows the time once a second for five seconds from one frame mapped in kernel and user mode, and frees it all', async () => {
    const report = await runJson('--seconds', '5');
    expectTimeEverySecond(report);
    expect(report.bugcheck).toBeNull();
    const page = sharedPage(report);
    expect(parseAddress(page.kernelVa)).toBeGreaterThanOrEqual(2 ** 47);
    expect(parseAddress(page.userVa)).toBeLessThan(2 ** 47);
    expect(report.processes).toEqual([expect.objectContaining({ name: 'SharingMemory.exe', exitCode: 0 })]);
    expectResourcesBack(report);
  });

  it('does the same on x86 with the user address below 0x80000000 and the kernel address above', async () => {
    const report = await runJson('--seconds', '5', '--arch', 'x86');
    expect(report.settings.arch).toBe('x86');
    expectTimeEverySecond(report);
    expect(report.bugcheck).toBeNull();
    const page = sharedPage(report);
    expect(page.userVa).toMatch(/^[0-9a-f]{8}$/);
    expect(parseAddress(page.userVa)).toBeLessThan(0x8000_0000);
    expect(parseAddress(page.kernelVa)).toBeGreaterThanOrEqual(0x8000_0000);
    expectResourcesBack(report);
  });

  it('prints byte-identical JSON for two runs with the same seed', async () => {
    const first = await cli('run', 'sharing-memory', '--seconds', '3', '--seed', '7', '--json');
    const second = await cli('run', 'sharing-memory', '--seconds', '3', '--seed', '7', '--json');
    expect(first.code).toBe(0);
    expect(second.out).toBe(first.out);
    expect((JSON.parse(first.out) as Report).settings.seed).toBe(7);
  });
});

describe('ntshm run sharing-memory (text)', () => {
  it('prints program output and DbgPrint lines in virtual-time order, then the summary, without colour', async () => {
    const { code, out } = await cli('run', 'sharing-memory', '--seconds', '2');
    expect(code).toBe(0);
    expect(out).toMatch(/^\[ {2}\d\.\d{3}\] SharingMemory\.exe \| \d\d:\d\d:\d\d$/m);
    expect(out).toMatch(/^\[ {2}\d\.\d{3}\] kd \(SharingMemory\.exe\) \| SharingMemory: Timer started$/m);
    expect(out).toMatch(/^Shared frames/m);
    expect(out).toMatch(/^Bug check: none$/m);
    expect(out).not.toMatch(/\x1b\[/);
  });
});

describe('a run that bug checks', () => {
  // map-at-dispatch calls MmMapLockedPagesSpecifyCache at DISPATCH_LEVEL; the verifier stops the machine.
  const argv = ['run', 'sharing-memory', '--variant', 'map-at-dispatch', '--verifier', '--seconds', '2'];

  it('exits 3 and reports the bug check in the JSON', async () => {
    const { code, out } = await cli(...argv, '--json');
    expect(code).toBe(3);
    const report = JSON.parse(out) as Report;
    expect(report.variant).toBe('map-at-dispatch');
    expect(report.bugcheck).toMatchObject({ code: 0xc4, name: 'DRIVER_VERIFIER_DETECTED_VIOLATION' });
    expect(report.bugcheck?.params).toHaveLength(4);
  });

  it('prints the code in hex, the name, the four parameters and the stack in the text', async () => {
    const { code, out } = await cli(...argv);
    expect(code).toBe(3);
    expect(out).toMatch(/^Bug check 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION$/m);
    expect(out).toMatch(/^ {2}\((0x[0-9a-f]{16}, ){3}0x[0-9a-f]{16}\)$/m);
    expect(out).toMatch(/^ {4}SharingMemory!TimerRoutine$/m);
  });
});

describe('ntshm demo', () => {
  it('runs every sample with a header each and exits 0 when all are clean', async () => {
    const { code, out } = await cli('demo');
    expect(code).toBe(0);
    expect(out).toMatch(/^=== sharing-memory \(article 003\) ===$/m);
  });
});

describe('--user', () => {
  it('runs the scenario\'s programs as a standard user: kernel-section\'s DACL refuses them, and the report says who ran them', async () => {
    const { code, out } = await cli('run', 'kernel-section', '--user', 'user', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as Report;
    expect(report.processes.map((p) => [p.name, p.user, p.stdout])).toEqual([['KernelSectionClient.exe', 'user', 'OpenFileMapping failed (error 5)\n']]);
  });

  it('is an administrator by default, and the text report names the user of each process', async () => {
    const admin = await cli('run', 'kernel-section');
    expect(admin.out).toMatch(/KernelSectionClient\.exe \(pid \d+, administrator\) exited with 0/);
    const user = await cli('run', 'kernel-section', '--user', 'user');
    expect(user.out).toMatch(/KernelSectionClient\.exe \(pid \d+, standard user\) exited with 1/);
  });

  it('leaves a variant that names its own user alone (standard-user stays a standard user under --user admin)', async () => {
    const { out } = await cli('run', 'kernel-section', '--variant', 'standard-user', '--user', 'admin', '--json');
    expect((JSON.parse(out) as Report).processes.map((p) => p.user)).toEqual(['user']);
  });
});

describe('bad usage', () => {
  const cases: { name: string; argv: string[]; names: RegExp }[] = [
    { name: 'no command', argv: [], names: /expected a command.*samples, run, demo/ },
    { name: 'an unknown command', argv: ['fly'], names: /unknown command 'fly'.*samples, run, demo/ },
    { name: 'an unknown sample', argv: ['run', 'foo'], names: /unknown sample 'foo' \(choose from: section, kernel-section, mdl-pages, sharing-memory, locked-user-buffer, pool-to-user, transfer-methods, event-ring, inverted-call; or give a scenario file/ },
    { name: 'a missing scenario', argv: ['run'], names: /missing scenario.*sharing-memory.*scenario file/ },
    { name: 'help of an unknown command', argv: ['help', 'fly'], names: /unknown command 'fly'.*samples, run, demo/ },
    { name: 'an unknown profile', argv: ['run', 'sharing-memory', '--profile', 'xp'], names: /'xp' for --profile.*win10, nt4/ },
    { name: 'an unknown memory pressure', argv: ['run', 'sharing-memory', '--memory-pressure', 'extreme'], names: /'extreme' for --memory-pressure.*none, low, high/ },
    { name: 'an unknown user', argv: ['run', 'kernel-section', '--user', 'root'], names: /'root' for --user.*admin, user/ },
    { name: 'no CPUs', argv: ['run', 'sharing-memory', '--cpus', '0'], names: /'0' for --cpus.*1 to 64/ },
    { name: 'an unknown variant', argv: ['run', 'sharing-memory', '--variant', 'nope'], names: /unknown variant 'nope'.*second-open/ },
    { name: 'an unknown flag', argv: ['run', 'sharing-memory', '--fast'], names: /unknown option '--fast'.*--seconds/ },
    { name: 'an unknown flag before the command', argv: ['--fast', 'samples'], names: /unknown option '--fast'/ },
    { name: 'an unknown architecture', argv: ['run', 'sharing-memory', '--arch', 'arm'], names: /'arm' for --arch.*x64, x86/ },
    { name: 'zero seconds', argv: ['run', 'sharing-memory', '--seconds', '0'], names: /'0' for --seconds/ },
    { name: 'seconds that are not a number', argv: ['run', 'sharing-memory', '--seconds', 'five'], names: /'five' for --seconds/ },
    { name: 'a negative seed', argv: ['run', 'sharing-memory', '--seed', '-1'], names: /'-1' for --seed/ },
    { name: 'a fractional seed', argv: ['run', 'sharing-memory', '--seed', '1.5'], names: /'1\.5' for --seed/ },
    { name: 'a flag without its value', argv: ['run', 'sharing-memory', '--seconds'], names: /--seconds.*missing/ },
    { name: 'more memory than one buffer holds', argv: ['run', 'sharing-memory', '--arch', 'x86', '--memory', '8192'], names: /'8192' for --memory.*4096/ },
    { name: 'an extra argument', argv: ['run', 'sharing-memory', 'now'], names: /too many arguments for 'run'/ },
  ];

  it.each(cases)('$name exits 2 with one line on stderr naming it', async ({ argv, names }) => {
    const { code, out, err } = await cli(...argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^ntshm: [^\n]+\n$/);
    expect(err).toMatch(names);
  });

  it.each([['--help'], ['run', '--help'], ['help', 'run']])('%s prints help and exits 0', async (...argv) => {
    const { code, out, err } = await cli(...argv);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^Usage: ntshm/);
  });
});
