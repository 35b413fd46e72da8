/**
 * sharing-memory and every variant, on x64 and x86, tell the same story as
 * the runs recorded in test/samples/golden/ (see golden.ts for what is made
 * neutral). To record anew after an intended change of behaviour, run it
 * with GOLDEN_WRITE=1 and read the diff of the recordings before committing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';
import { normalizeReport } from './golden.js';

const dir = fileURLToPath(new URL('./golden/sharing-memory/', import.meta.url));
const write = process.env.GOLDEN_WRITE === '1';

const variants = [undefined, 'second-open', 'map-at-dispatch', 'torn-read', 'never-unmap', 'no-try', 'close-not-cleanup', 'paged-pool'] as const;
const runs = (['x64', 'x86'] as const).flatMap((arch) => variants.map((variant) => ({ arch, variant, verifier: false })));
runs.push({ arch: 'x64', variant: 'map-at-dispatch', verifier: true });

describe('sharing-memory tells the recorded story', () => {
  it.each(runs)('$arch $variant (verifier $verifier)', async ({ arch, variant, verifier }) => {
    const file = `${dir}${arch}-${verifier ? 'map-verifier' : variant ?? 'none'}.json`;
    const sample = findSample('sharing-memory')!;
    const report = await runScenario(sample, { arch, seed: 1, seconds: 5, verifier, variant });
    if (write) writeFileSync(file, normalizeReport(report));
    expect(existsSync(file), file).toBe(true);
    expect(normalizeReport(report)).toBe(readFileSync(file, 'utf8'));
  });
});
