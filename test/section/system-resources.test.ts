/**
 * The report's resources before and after are honest about the System
 * process: its token exists from boot (no pool allocation shows up at the
 * first access check as a leak), and its user page tables — made when a
 * driver maps a view in the System process, kept for good — are counted
 * apart (`systemPageTables`), so the free frames' change is accounted for.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/index.js';
import { findSample } from '../../samples/registry.js';

describe('the System process in before/after comparisons', () => {
  it.each(['x64', 'x86'] as const)('kernel-section gives back all its pool (the System token, made at its first access check, once showed as a leak); the frames it no longer has are System page tables (%s)', async (arch) => {
    const r = await runScenario(findSample('kernel-section')!, { arch, seed: 1, seconds: 5 });
    const { before, after } = r.resources;
    expect(after.nonPagedBytes).toBe(before.nonPagedBytes);
    expect(after.pagedBytes).toBe(before.pagedBytes);
    expect(after.systemPageTables).toBeGreaterThan(before.systemPageTables);
    expect(before.freeFrames - after.freeFrames).toBe(after.systemPageTables - before.systemPageTables);
  });

});
