/**
 * !thread and !process PID 7's threads: inverted-call's program waits with
 * its requests pending in the driver (its IRP List), sharing-memory's sleeps
 * between reads, and a bug check's thread is RUNNING with the driver routine
 * on its stack; live, and the same from the dump.
 */
import { describe, expect, it } from 'vitest';
import { boot, loadDump, type Machine } from 'ntshm';
import { invertedCall, lockedUserBuffer, sharingMemory } from '../../samples/registry.js';

async function running(arch: 'x64' | 'x86', sample: typeof invertedCall, seconds: number, options: { variant?: string; verifier?: boolean } = {}): Promise<Machine> {
  const m = await boot({ arch, ...(options.verifier ? { verifier: true } : {}) });
  await sample.setup(m, { seconds: 5, variant: options.variant });
  await m.run({ seconds });
  return m;
}

describe.each(['x64', 'x86'] as const)('threads on %s', (arch) => {
  const w = arch === 'x64' ? 16 : 8;
  const u = (n: number) => (arch === 'x64' && n >= 2 ** 47 ? (BigInt(n) | 0xffff_0000_0000_0000n) : BigInt(n)).toString(16).padStart(w, '0');

  it('inverted-call\'s program waits (UserRequest) on the events of its four pending requests, each in its IRP List', async () => {
    const m = await running(arch, invertedCall, 1);
    const p = m.kernel.ps.processes.find((x) => x.ImageFileName === 'InvertedCall.exe')!;
    const t = p.threads[0]!;
    const lines = m.kd(`!thread ${t.address.toString(16)}`).split('\n');
    expect(lines[0]).toBe(`THREAD ${u(t.address)}  Cid 0104.0108  Teb: ${u(t.Teb)} Win32Thread: ${u(0)} WAIT: (UserRequest) UserMode Non-Alertable`);
    expect(lines.filter((l) => /^ {4}[0-9a-f]+ {2}NotificationEvent$/.test(l))).toHaveLength(4);
    const irps = [...m.kd('!irp').matchAll(/^Irp (\S+) {2}thread 0108/gm)].map((x) => (x[1] ?? '').replace('`', ''));
    expect(irps).toHaveLength(4);
    const listed = lines.slice(lines.indexOf('IRP List:') + 1, lines.indexOf('Not impersonating'));
    expect(listed.map((l) => l.trim().split(':')[0])).toEqual(irps);
    const size = arch === 'x64' ? '0118' : '0094';
    for (const l of listed) expect(l).toMatch(new RegExp(`^ {4}[0-9a-f]{${w}}: \\(0006,${size}\\) Flags: [0-9a-f]{8}  Mdl: 0{${w}}$`));
    expect(lines).toContain(`Owning Process            ${u(p.address).padEnd(arch === 'x64' ? 23 : 15)}Image:         InvertedCall.exe`);
    expect(lines).toContain(`Attached Process          ${'N/A'.padEnd(arch === 'x64' ? 23 : 15)}Image:         N/A`);
    // By thread id, and as the implicit process's thread; !process 104 7 prints the same lines indented.
    expect(m.kd('!thread -t 108')).toBe(lines.join('\n'));
    expect(m.kd('!thread')).toBe(lines.join('\n'));
    expect(m.kd('!process 104 7')).toContain(lines.map((l) => `        ${l}`).join('\n'));
    const dump = loadDump(m.dump());
    for (const c of ['!thread', '!thread -t 108', '!process 104 7', '!process 0 7']) expect(dump.kd(c), c).toBe(m.kd(c));
  });

  it('sharing-memory\'s program sleeps between reads: WAIT (DelayExecution), no object, no IRP List', async () => {
    const m = await running(arch, sharingMemory, 2);
    const lines = m.kd('!thread -t 108').split('\n');
    expect(lines[0]).toMatch(/ WAIT: \(DelayExecution\) UserMode Non-Alertable$/);
    expect(lines[1]).toBe('Not impersonating');
    expect(lines).not.toContain('IRP List:');
    expect(m.kd('!thread 1234')).toMatch(/^1234 is not a thread address/);
  });

  it('the bug check\'s thread is RUNNING, with the driver routine that stopped the machine on its stack (sharing-memory --variant paged-pool --verifier)', async () => {
    const m = await running(arch, sharingMemory, 5, { variant: 'paged-pool', verifier: true });
    expect(m.bugcheck?.code).toBe(0xc4);
    const lines = m.kd('!thread').split('\n');
    expect(lines[0]).toMatch(/^THREAD \S+ {2}Cid 0104\.0108 {2}Teb: \S+ Win32Thread: 0+ RUNNING on processor \d$/);
    expect(lines.slice(-3)).toEqual(['Call Site', 'nt!KeBugCheckEx', 'SharingMemory!DispatchControl']);
    expect(loadDump(m.dump()).kd('!thread')).toBe(m.kd('!thread'));
  });

  it('locked-user-buffer --variant no-unlock stops as its program exits: its thread is the one !thread shows, RUNNING', async () => {
    const m = await running(arch, lockedUserBuffer, 5, { variant: 'no-unlock', verifier: true });
    expect(m.bugcheck?.code).toBe(0xcb);
    const first = m.kd('!thread').split('\n')[0];
    expect(first).toMatch(/^THREAD \S+ {2}Cid 0104\.0108 .* RUNNING on processor \d$/);
    expect(m.kd('!thread')).toMatch(/^Owning Process {12}\S+ +Image: {9}LockedUserBuffer\.exe$/m);
  });
});
