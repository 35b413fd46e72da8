/**
 * The crash report's analysis: every bug check code ntshm raises has its
 * parameters explained, 0xC4 by its P1; the seed articles' warnings match the
 * code, subcode and sample they are about, and no other.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as bugcodes from '../../src/include/bugcodes.js';
import { bugCheckParamText } from '../../src/kd/analysis-params.js';
import { articleWarning } from '../../src/kd/analysis-articles.js';
import { analyzeBugCheck, analyzeText } from '../../src/kd/analysis.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [readFileSync(p, 'utf8')] : [];
  });
}

const SEEDS = '/work/shared/seeds';
const all = sources('src').join('\n');
const codes = bugcodes as unknown as Record<string, number>;
/** The codes named in a bugCheck(...) call anywhere in src. */
const raised = [...new Set([...all.matchAll(/bugCheck\(\s*([A-Z_0-9]+)/g)].map((m) => m[1] ?? ''))].filter((n) => typeof codes[n] === 'number');
/** 0xC4's P1 values given by number or by a VI_ constant. */
const subcodes = [...new Set([
  ...[...all.matchAll(/DRIVER_VERIFIER_DETECTED_VIOLATION, (0x[0-9a-f]+)/g)].map((m) => Number(m[1])),
  ...[...all.matchAll(/VI_[A-Z_0-9]+ = (0x[0-9a-f]+)/g)].map((m) => Number(m[1])),
])];

describe('the analysis of a bug check', () => {
  it('finds the codes ntshm raises (a guard on the search itself)', () => {
    expect(raised.length).toBeGreaterThan(30);
    expect(subcodes).toContain(0x7f);
  });

  it.each(raised)('%s: has a description and four parameter meanings', (name) => {
    const text = bugCheckParamText(codes[name] ?? -1, 0);
    expect(text, name).toBeDefined();
    expect(text?.params.every((p) => p.length > 0)).toBe(true);
  });

  it.each(subcodes.map((s) => `0x${s.toString(16)}`))('0xC4/%s: has its own meanings', (sub) => {
    expect(bugCheckParamText(0xc4, Number(sub))?.params[0]).toBe(`Violation 0x${sub.slice(2).toUpperCase()}`);
  });

  it('names the driver and routine at fault, the failure bucket and the arguments in kd\'s hex', () => {
    const b = { code: 0xc4, name: 'DRIVER_VERIFIER_DETECTED_VIOLATION', params: [0x7f, 0, 0xfa80_0000_9630, 8] as [number, number, number, number], explanation: 'x', stack: ['SharingMemory!DispatchControl'] };
    const a = analyzeBugCheck(b, { arch: 'x64', scenario: 'sharing-memory', processName: 'SharingMemory.exe' });
    expect(a).toMatchObject({ image: 'SharingMemory.sys', module: 'SharingMemory', symbol: 'SharingMemory!DispatchControl', failureBucket: '0xC4_7F_SharingMemory!DispatchControl' });
    expect(a.args.map((x) => x.value)).toEqual(['000000000000007f', '0000000000000000', 'fffffa8000009630', '0000000000000008']);
    expect(a.args[2]?.meaning).toBe('MDL address');
    const text = analyzeText(b, a);
    expect(text).toContain('DRIVER_VERIFIER_DETECTED_VIOLATION (c4)');
    expect(text).toContain('Arg3: fffffa8000009630, MDL address');
    expect(text).toContain('FAILURE_BUCKET_ID:  0xC4_7F_SharingMemory!DispatchControl');
  });

  it.each([
    { code: 0xc4, p1: 0x7f, scenario: 'sharing-memory', seed: '003', quote: /must be in nonpaged memory/ },
    { code: 0xd1, p1: 0, scenario: 'sharing-memory', seed: '003', quote: /must be in nonpaged memory/ },
    { code: 0xc4, p1: 0x7f, scenario: 'pool-to-user', seed: '004', quote: /physical pages are locked/ },
    { code: 0xcb, p1: 0, scenario: 'locked-user-buffer', seed: '004', quote: /Unlock and free, otherwise bsod will occur/ },
    { code: 0xc4, p1: 0xb9, scenario: 'anything', seed: '003', quote: /context of the original process/ },
    { code: 0xc4, p1: 0x77, scenario: 'sharing-memory', seed: '002', quote: /in the context of the application thread/ },
  ])('quotes seed $seed for 0x$code.toString(16)/$p1 in $scenario', ({ code, p1, scenario, seed, quote }) => {
    const w = articleWarning(code, p1, scenario);
    expect(w?.seed).toBe(seed);
    expect(w?.quote).toMatch(quote);
  });

  it('quotes no article where none warns about exactly this', () => {
    expect(articleWarning(0xc4, 0x7f, 'my-scenario')).toBeNull();
    expect(articleWarning(0xc4, 0x62, 'sharing-memory')).toBeNull();
    expect(articleWarning(0x0a, 0, null)).toBeNull();
  });

  // The seed articles live beside the repository (the project's read-only specs); without them there is nothing to compare.
  it.skipIf(!existsSync(SEEDS))('every quote is the article\'s own words', () => {
    // Whitespace and the assembly comments' leading `;` are layout, not words.
    const seeds = readdirSync(SEEDS).map((f) => readFileSync(join(SEEDS, f), 'utf8').replace(/^[ \t]*;[ \t]?/gm, '').replace(/\s+/g, ' '));
    for (const [code, p1, scenario] of [[0xc4, 0x7f, 'sharing-memory'], [0xc4, 0x7f, 'pool-to-user'], [0xcb, 0, 'locked-user-buffer'], [0x3b, 0, 'sharing-memory'], [0xc4, 0xb9, null], [0x7e, 0, 'section'], [0xc4, 0xf6, 'kernel-section'], [0xc4, 0x77, null]] as const) {
      const w = articleWarning(code, p1, scenario);
      expect(w, `${code}/${p1}/${scenario}`).not.toBeNull();
      const words = (w?.quote ?? '').replace(/\s+/g, ' ');
      expect(seeds.some((s) => s.includes(words)), words).toBe(true);
    }
  });
});
