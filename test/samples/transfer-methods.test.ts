/**
 * transfer-methods (seed 004, part 3): the same message and reply through
 * METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT and METHOD_NEITHER,
 * the report's I/O summary (Machine.ioStats()), and the neither-no-probe
 * variant (reference/misuse.md).
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';

const sample = findSample('transfer-methods')!;
const log = (report: Awaited<ReturnType<typeof runScenario>>) => report.events.map((e) => e.text).join('');

describe('transfer-methods (seed 004, part 3)', () => {
  it.each(['x64', 'x86'] as const)('each method moves the same message in and the same reply out (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2 });
    expect(report.outcome).toBe('completed');
    expect(report.findings).toEqual([]);
    const text = log(report);
    for (const method of ['METHOD_BUFFERED', 'METHOD_OUT_DIRECT', 'METHOD_NEITHER']) {
      expect(text).toMatch(new RegExp(`${method} +ok, 42 bytes back: "Hello from the kernel"`));
    }
    expect(text).toMatch(/METHOD_IN_DIRECT +ok, 0 bytes back/);
    // The driver saw the program's message through each method's buffer.
    expect(text.match(/"Hello from user mode"/g)).toHaveLength(4);
    expect(text).toMatch(/METHOD_IN_DIRECT: MDL \S+ \(StartVa \S+000, ByteOffset 0x0\) mapped at/);
    // Buffered: 40 bytes in + 42 out; the direct methods' input (40 bytes, OUT_DIRECT) goes through a SystemBuffer too.
    expect(report.io).toEqual({
      buffered: { requests: 1, bytesCopiedIn: 80, bytesCopiedOut: 42 },
      direct: { requests: 2, mdls: 2, bytesMapped: 40 + 42 },
      neither: { requests: 1 },
    });
    expect(report.processes[0]?.exitCode).toBe(0);
    expect(report.resources.after).toEqual(report.resources.before);
  });

  it.each(['x64', 'x86'] as const)('neither-no-probe: the program gets kernel bytes back, and the finding names the driver (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'neither-no-probe' });
    expect(report.bugcheck).toBeNull();
    expect(log(report)).toMatch(/METHOD_NEITHER with input \S+: 16 kernel bytes came back/);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ kind: 'kernel-address-unprobed', driver: 'TransferMethods', routine: 'DispatchControl' });
  });

  it.each(['x64', 'x86'] as const)('neither-no-probe with the verifier: 0xC4/0xE3 as the driver completes, P3 the unprobed kernel address (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'neither-no-probe', verifier: true });
    expect(report.bugcheck?.code).toBe(0xc4);
    const [subcode, inDriver, address, p4] = report.bugcheck!.params.map(Number);
    expect(subcode).toBe(0xe3);
    // P3: the Type3InputBuffer the program gave, KUSER_SHARED_DATA's system address (program.ts).
    expect(address).toBe(arch === 'x64' ? 0xf780_0000_0000 : 0xffdf_0000);
    expect(inDriver).not.toBe(0);
    expect(p4).toBe(0);
    expect(report.bugcheck?.stack[0]).toBe('TransferMethods!DispatchControl');
    // Security Checks also saw the driver write the program's output buffer unprobed, before it completed.
    expect(report.findings.map((f) => f.kind)).toEqual(['user-access-discipline']);
  });

  it('the article\'s METHOD_NEITHER, which probes, passes the verifier', async () => {
    const report = await runScenario(sample, { arch: 'x64', seed: 1, seconds: 2, verifier: true });
    expect(report.bugcheck).toBeNull();
    expect(report.findings).toEqual([]);
  });
});

describe('transfer-methods misuse variants (reference/misuse.md)', () => {
  it.each(['x64', 'x86'] as const)('direct-zero-length: no MDL at Irp->MdlAddress, the unchecked write through NULL is 0x3B with 0xC0000005 (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'direct-zero-length' });
    expect(report.bugcheck?.code).toBe(0x3b);
    expect(report.bugcheck?.params[0]).toBe(0xc0000005);
    expect(report.bugcheck?.stack[0]).toBe('TransferMethods!DispatchControl');
  });

  it.each(['x64', 'x86'] as const)('information-too-large: 256 bytes go back for 42 written, and the finding counts the unwritten ones (%s)', async (arch) => {
    const report = await runScenario(sample, { arch, seed: 1, seconds: 2, variant: 'information-too-large' });
    expect(report.bugcheck).toBeNull();
    expect(log(report)).toMatch(/METHOD_BUFFERED +ok, 256 bytes back: "Hello from the kernel" and 214 more bytes/);
    // The I/O manager's count of the unwritten bytes, then the taint's account of them (mm/taint.ts), the same 212 bytes.
    expect(report.findings.map((f) => f.kind)).toEqual(['uninitialized-bytes-returned', 'kernel-info-leak']);
    expect(report.findings[0]).toMatchObject({ kind: 'uninitialized-bytes-returned', driver: 'TransferMethods', routine: 'DispatchControl' });
    expect(report.findings[1]).toMatchObject({ driver: 'TransferMethods', routine: 'DispatchControl', details: { uninitializedBytes: 212 } });
    // Bytes 40..41 of the reply's 42 lie past the 40-byte input but were written; of the 216 past the input, 214 are untouched at most.
    expect((report.findings[0]!.details as { unwrittenBytes: number }).unwrittenBytes).toBeGreaterThan(150);
  });
});
