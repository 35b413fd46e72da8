/**
 * Every sample and every variant of samples/registry.ts runs in the page
 * (issue 12's "Done when"), opened by its link, in one page: each ends as
 * the same run ends outside the browser (boot() and runScenario() in Node,
 * which the samples' own tests hold to reference/misuse.md): the same
 * outcome, the blue screen with the same bug check code, the same findings.
 * With the verifier off and on.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { boot, MemoryVolumeStore } from '../../src/index.js';
import { samples } from '../../samples/registry.js';
import { browserSession, executablePath, sayIfSkipped } from './browser-session.js';

sayIfSkipped('test/web/every-sample.browser.test.ts');

/** How a run ended, in the terms the page shows. */
interface Ending {
  outcome: string;
  bugcheck: string | null;
  findings: string[];
}

async function endingInNode(sample: string, variant: string | undefined, verifier: boolean): Promise<Ending> {
  const s = samples.find((x) => x.name === sample)!;
  const m = await boot({ volume: new MemoryVolumeStore(), ...s.bootOptions?.(variant), arch: 'x64', verifier, seed: 1 });
  await m.runScenario(s, { variant, seconds: 5 });
  const r = m.report();
  return { outcome: r.outcome, bugcheck: r.bugcheck?.codeHex ?? null, findings: [...new Set(r.findings.map((f) => f.kind))].sort() };
}

describe.skipIf(!executablePath)('every sample and variant in the page', () => {
  const session = browserSession();
  let page: Page | undefined;

  async function endingInPage(sample: string, variant: string | undefined, verifier: boolean): Promise<Ending> {
    const q = new URLSearchParams({ sample, arch: 'x64', seed: '1', seconds: '5', speed: '0' });
    if (variant) q.set('variant', variant);
    if (verifier) q.set('verifier', '1');
    page ??= await session.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${session.server.url}?${q.toString()}`);
    await page.waitForFunction("document.body.dataset.outcome !== undefined || document.body.dataset.state === 'error'", undefined, { timeout: 60_000 });
    const outcome = (await page.locator('body').getAttribute('data-outcome')) ?? `error: ${await page.locator('#status').textContent()}`;
    const screen = page.locator('#bluescreen');
    const bugcheck = (await screen.isVisible()) ? await screen.getAttribute('data-code') : null;
    const findings = [...new Set(((await page.evaluate("[...document.querySelectorAll('#findings li[data-kind]')].map((li) => li.dataset.kind)")) as string[]))].sort();
    return { outcome, bugcheck, findings };
  }

  for (const verifier of [false, true]) {
    it(`runs each to its end${verifier ? ' with the verifier on' : ''}`, async () => {
      const ran: string[] = [];
      for (const s of samples) {
        for (const variant of [undefined, ...s.variants.map((v) => v.name)]) {
          const expected = await endingInNode(s.name, variant, verifier);
          const got = await endingInPage(s.name, variant, verifier);
          expect(got, `${s.name}${variant ? ` --variant ${variant}` : ''}${verifier ? ' --verifier' : ''}`).toEqual(expected);
          ran.push(`${s.name}/${variant ?? '-'}: ${got.outcome}${got.bugcheck ? ` ${got.bugcheck}` : ''}`);
        }
      }
      expect(ran.length).toBeGreaterThan(40);
    }, 600_000);
  }
});
