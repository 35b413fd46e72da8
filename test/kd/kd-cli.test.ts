/**
 * Issue 11's "done when" lines for the crash report, dumps and kd, through
 * the CLI: a bug check writes a dump and says where; `ntshm kd DUMP -c`
 * inspects it; `--dump FILE` asks for one at the end of any run; a missing
 * or damaged dump is one line and exit 2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DUMP_FORMAT_VERSION, DumpFormatError, loadDump } from 'ntshm';
import { main } from '../../src/cli/program.js';

const folder = mkdtempSync(join(tmpdir(), 'ntshm-kd-'));

async function cli(argv: string[], kdInput?: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: (s) => { out += s; }, err: (s) => { err += s; }, dumpFolder: folder,
    ...(kdInput ? { kdInput: (async function* () { yield* kdInput; })() } : {}),
  });
  return { code, out, err };
}

/** The path the text report names on its "Dump written to" line. */
function dumpPath(out: string): string {
  const m = /^Dump written to (\S+) \(inspect it: ntshm kd \1\)$/m.exec(out);
  if (!m?.[1]) throw new Error(`no dump line in:\n${out}`);
  return m[1];
}

describe('a bug check leaves a dump that kd reads', () => {
  it.each(['x64', 'x86'])('locked-user-buffer --variant no-unlock --verifier (%s) ends in 0xCB; kd on its dump shows the locked MDL with !lockedpages', async (arch) => {
    const run = await cli(['run', 'locked-user-buffer', '--variant', 'no-unlock', '--verifier', '--arch', arch]);
    expect(run.code).toBe(3);
    expect(run.out).toMatch(/^Bug check 0x000000CB DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS$/m);
    const file = dumpPath(run.out);
    expect(file).toBe(join(folder, `locked-user-buffer-no-unlock-${arch}-verifier-seed1.ntshmdmp`));
    const kd = await cli(['kd', file, '-c', '!lockedpages; !analyze -v']);
    expect(kd.err).toBe('');
    expect(kd.code).toBe(0);
    expect(kd.out).toMatch(/^kd> !lockedpages\nLocked pages tracking for process \S+ \(LockedUserBuffer\.exe, Cid 0104\): 1 page\(s\) locked$/m);
    // The MDL row names the MDL the bug check's P3 names, and the driver that locked it.
    const p3 = /^Arg3: ([0-9a-f]+), Address of the MDL containing the locked pages$/m.exec(kd.out)?.[1] ?? '';
    const mdl = arch === 'x64' ? `${p3.slice(0, 8)}\`${p3.slice(8)}` : p3;
    expect(kd.out).toMatch(new RegExp(`^ {4}${mdl} .* LockedUserBuffer$`, 'm'));
    expect(kd.out).toMatch(/Remember to set the MDL before the driver unload Unlock and free, otherwise\s+bsod will occur/);
  });

  it('sharing-memory --variant paged-pool --verifier ends in 0xC4/0x7F, and the report quotes the article\'s reason for nonpaged memory', async () => {
    const run = await cli(['run', 'sharing-memory', '--variant', 'paged-pool', '--verifier']);
    expect(run.code).toBe(3);
    expect(run.out).toMatch(/^Bug check 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION\n {2}\(0x0+7f,/m);
    expect(run.out).toMatch(/^ {4}Arg3: fffffa80[0-9a-f]{8}, MDL address$/m);
    expect(run.out).toMatch(/^ {2}Seed article 003 \(.*\) warns:\n {4}".*The routine itself and all memory it touches must be in nonpaged memory\."$/m);
    const json = await cli(['run', 'sharing-memory', '--variant', 'paged-pool', '--verifier', '--json']);
    const report = JSON.parse(json.out) as { bugcheck: { analysis: { failureBucket: string; article: { seed: string; quote: string } } } };
    expect(report.bugcheck.analysis.failureBucket).toBe('0xC4_7F_SharingMemory!DispatchControl');
    expect(report.bugcheck.analysis.article.quote).toMatch(/must be in nonpaged memory/);
    expect(json.err).toMatch(/^ntshm: Dump written to \S+sharing-memory-paged-pool-x64-verifier-seed1\.ntshmdmp/);
  });
});

describe('--dump FILE and ntshm kd', () => {
  it('--dump writes the machine at the end of a run that did not bug check, and kd reads it', async () => {
    const file = join(folder, 'clean.ntshmdmp');
    const run = await cli(['run', 'sharing-memory', '--seconds', '1', '--dump', file]);
    expect(run.code).toBe(0);
    expect(dumpPath(run.out)).toBe(file);
    const kd = await cli(['kd', file, '-c', '!analyze -v; !process 0 0; lm']);
    expect(kd.out).toMatch(/^No bug check: /m);
    // The run ran its course: the program exited and the teardown unloaded the driver.
    expect(kd.out).toMatch(/^ {4}Image: System$/m);
    expect(kd.out).toMatch(/^Unloaded modules:\nfffff880`\S+ fffff880`\S+ {3}SharingMemory\.sys$/m);
  });

  it('without -c reads commands until q, each answered', async () => {
    const file = join(folder, 'clean.ntshmdmp');
    await cli(['run', 'sharing-memory', '--seconds', '1', '--dump', file]);
    const kd = await cli(['kd', file], ['lm', '', '.formats 10', 'q', '!process 0 0']);
    expect(kd.code).toBe(0);
    expect(kd.out).toMatch(/^Loading Dump File \[ntshm dump format 2\] sharing-memory \(x64\)$/m);
    expect(kd.out).toMatch(/^ {2}Decimal: 16$/m);
    expect(kd.out).not.toMatch(/NT ACTIVE PROCESS DUMP/); // after q
  });

  it.each([
    { what: 'a missing file', make: () => join(folder, 'missing.ntshmdmp'), message: /^ntshm: no dump file \S+missing\.ntshmdmp\n$/ },
    { what: 'a file that is not a dump', make: () => write('text.ntshmdmp', new TextEncoder().encode('hello, this is not a dump at all!')), message: /^ntshm: \S+: not an ntshm dump: it does not begin with NTSHMDMP\n$/ },
    { what: 'a dump of another version', make: () => write('v9.ntshmdmp', withVersion(9)), message: /^ntshm: \S+: dump format version 9 is not one this ntshm reads \(it reads versions 1 to 2\)\n$/ },
    { what: 'a dump cut short', make: () => write('short.ntshmdmp', validDump().subarray(0, 5000)), message: /^ntshm: \S+: damaged dump: 5000 bytes where its header promises \d+\n$/ },
  ])('$what: one line, exit 2', async ({ make, message }) => {
    const kd = await cli(['kd', make(), '-c', 'lm']);
    expect(kd.code).toBe(2);
    expect(kd.out).toBe('');
    expect(kd.err).toMatch(message);
  });

  it('a command kd cannot run: one line on stderr, exit 2; the good ones still answered', async () => {
    const kd = await cli(['kd', join(folder, 'clean.ntshmdmp'), '-c', '!frob 1; lm']);
    expect(kd.code).toBe(2);
    expect(kd.err).toMatch(/^ntshm: kd: No export !frob found .*\n$/);
    expect(kd.out).toMatch(/^kd> lm$/m);
  });
});

let clean: Uint8Array | undefined;
function validDump(): Uint8Array {
  clean ??= new Uint8Array(readFileSync(join(folder, 'clean.ntshmdmp')));
  return clean;
}

function withVersion(version: number): Uint8Array {
  const bytes = validDump().slice();
  new DataView(bytes.buffer).setUint32(8, version, true);
  return bytes;
}

function write(name: string, bytes: Uint8Array): string {
  const file = join(folder, name);
  writeFileSync(file, bytes);
  return file;
}

describe('loadDump', () => {
  it('refuses what is not a dump of its version with a DumpFormatError', () => {
    expect(() => loadDump(new Uint8Array(10))).toThrow(DumpFormatError);
    expect(() => loadDump(withVersion(DUMP_FORMAT_VERSION + 1))).toThrow(new RegExp(`dump format version ${DUMP_FORMAT_VERSION + 1} is not one this ntshm reads`));
  });

  it('gives back the snapshot: the scenario, the settings, the processes', () => {
    const d = loadDump(validDump());
    expect(d.version).toBe(DUMP_FORMAT_VERSION);
    expect(d.snapshot).toMatchObject({ arch: 'x64', scenario: 'sharing-memory', bugcheck: null });
    expect(d.snapshot.processes.map((p) => p.name)).toEqual(['System']);
    expect(d.snapshot.drivers).toMatchObject([{ service: 'SharingMemory', unloaded: true }]);
  });
});
