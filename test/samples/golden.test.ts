/**
 * sharing-memory and every variant, on x64 and x86, tell the same story as
 * the runs recorded in test/samples/golden/ (see golden.ts for what is made
 * neutral). To record anew after an intended change of behaviour, run with
 * GOLDEN_FROM=<folder of `ntshm run --json` outputs named <arch>-<variant>.json>.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSample } from '../../src/cli/run-sample.js';
import { findSample } from '../../samples/registry.js';
import type { RunReport } from '../../src/cli/report-json.js';
import { normalizeReport } from './golden.js';

const dir = fileURLToPath(new URL('./golden/sharing-memory/', import.meta.url));
const from = process.env.GOLDEN_FROM;
if (from) {
  for (const f of readdirSync(from)) {
    writeFileSync(dir + f, normalizeReport(JSON.parse(readFileSync(`${from}/${f}`, 'utf8')) as RunReport));
  }
}

const variants = [undefined, 'second-open', 'map-at-dispatch', 'torn-read', 'never-unmap', 'no-try', 'close-not-cleanup'] as const;
const runs = (['x64', 'x86'] as const).flatMap((arch) => variants.map((variant) => ({ arch, variant, verifier: false })));
runs.push({ arch: 'x64', variant: 'map-at-dispatch', verifier: true });

describe('sharing-memory tells the recorded story', () => {
  it.each(runs)('$arch $variant (verifier $verifier)', async ({ arch, variant, verifier }) => {
    const file = `${dir}${arch}-${verifier ? 'map-verifier' : variant ?? 'none'}.json`;
    expect(existsSync(file), file).toBe(true);
    const sample = findSample('sharing-memory')!;
    const report = await runSample(sample, { arch, seed: 1, seconds: 5, verifier, variant });
    expect(normalizeReport(report)).toBe(readFileSync(file, 'utf8'));
  });
});
