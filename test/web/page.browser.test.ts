/**
 * The web page in a real browser: Playwright (playwright-core) drives
 * Debian's chromium against the built page served by `ntshm ui`'s server.
 * Without a Chromium the tests skip, saying so loudly in one line. The run
 * saves the memory picture of sharing-memory to docs/memory-picture.png,
 * which the README shows.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSession, executablePath, finished, sayIfSkipped } from './browser-session.js';

sayIfSkipped('test/web/page.browser.test.ts');
const picturePng = fileURLToPath(new URL('../../docs/memory-picture.png', import.meta.url));

describe.skipIf(!executablePath)('the web page in Chromium', () => {
  const session = browserSession();

  async function open(query: string): Promise<Page> {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${session.server.url}${query}`);
    expect(await page.evaluate('crossOriginIsolated'), 'the page is cross-origin isolated').toBe(true);
    expect(errors).toEqual([]);
    return page;
  }


  it("runs sharing-memory: the clock advances, and the pool frame has two lines, the kernel's and the program's", async () => {
    const page = await open('?sample=sharing-memory&arch=x64&seed=1&speed=1');
    const clock = page.locator('[data-process="SharingMemory.exe"] .last');
    await expect.poll(() => clock.textContent(), { timeout: 20_000 }).toBe('12:00:00');
    await expect.poll(() => clock.textContent(), { timeout: 20_000 }).toBe('12:00:02');
    const pool = page.locator('#shared-frames li[data-lines="2"]', { hasText: 'NonPagedPool' });
    await expect.poll(() => pool.getAttribute('data-processes'), { timeout: 20_000 }).toBe('System,SharingMemory.exe');
    await page.locator('#picture').screenshot({ path: picturePng });
    // Clicking the frame in the list shows what !pfn would.
    await pool.locator('button').click();
    await expect.poll(() => page.locator('#details-text').textContent()).toMatch(/!pfn [0-9a-f]+[\s\S]*share count 00000002/);
    await finished(page);
    expect(await page.locator('#bluescreen').isHidden()).toBe(true);
    await page.close();
  }, 90_000);

  it("runs the Habr client's buttons: Allocate maps sixteen frames twice, Fill shows 10..1, Release ends clean", async () => {
    const page = await open('?sample=mdl-pages&interactive=1&speed=0');
    const win = page.locator('[data-process="habr_app.exe"]');
    const press = (name: string) => win.locator('.buttons button', { hasText: name }).click({ timeout: 20_000 });
    await press('Allocate');
    const shared = page.locator('#shared-frames li[data-processes="System,habr_app.exe"]', { hasText: 'MdlPages' });
    await expect.poll(() => shared.count(), { timeout: 20_000 }).toBe(16);
    await press('Fill');
    await expect.poll(() => win.locator('.last').textContent(), { timeout: 20_000 }).toBe('Fill TextEdit: 10 9 8 7 6 5 4 3 2 1');
    await press('Release');
    await expect.poll(() => win.locator('.last').textContent(), { timeout: 20_000 }).toBe('Release memory: released');
    await expect.poll(() => shared.count(), { timeout: 20_000 }).toBe(0);
    await press('Quit');
    await finished(page);
    expect(await page.locator('body').getAttribute('data-outcome')).toBe('completed');
    expect(await page.locator('#findings').textContent()).toBe('None.');
    await page.close();
  }, 90_000);

  for (const [profile, expected] of [['win10', /Stop code: PROCESS_HAS_LOCKED_PAGES/], ['nt4', /\*\*\* STOP: 0x00000076 \(/]] as const) {
    it(`shows the ${profile} blue screen with the code when a variant bug checks`, async () => {
      const page = await open(`?sample=locked-user-buffer&variant=no-unlock&profile=${profile}&speed=0`);
      await finished(page);
      const screen = page.locator('#bluescreen');
      await expect.poll(() => screen.isVisible()).toBe(true);
      expect(await screen.getAttribute('data-code')).toBe('0x00000076');
      expect(await page.locator('#bluescreen-text').textContent()).toMatch(expected);
      expect(await page.locator('#bluescreen-explanation').textContent()).toContain('PROCESS_HAS_LOCKED_PAGES');
      await page.close();
    }, 90_000);
  }

  it("names on NT 4.0's screen the driver a parameter points into, as its second line does", async () => {
    const page = await open('?sample=mdl-pages&variant=release-twice&profile=nt4&arch=x86&speed=0');
    await finished(page);
    await expect.poll(() => page.locator('#bluescreen').isVisible()).toBe(true);
    expect(await page.locator('#bluescreen-text').textContent()).toMatch(/\nPAGE_FAULT_IN_NONPAGED_AREA\*\*\* Address [0-9a-f]{8} has base at [0-9a-f]{8} - \w+\.sys\n/);
    await page.close();
  }, 90_000);

  it('pauses, steps one step of the scheduler at a time, and resumes, with the keyboard', async () => {
    const page = await open('?sample=sharing-memory&speed=1');
    const body = page.locator('body');
    await expect.poll(() => body.getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
    await page.locator('#pause').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => body.getAttribute('data-state')).toBe('paused');
    const at = Number(await body.getAttribute('data-virtual-ms'));
    await page.waitForTimeout(1500);
    expect(Number(await body.getAttribute('data-virtual-ms')), 'virtual time stands still while paused').toBe(at);
    const step = page.locator('#step');
    for (let i = 0; i < 6; i++) {
      await step.click();
      await expect.poll(() => body.getAttribute('data-state')).toBe('paused');
    }
    expect(Number(await body.getAttribute('data-virtual-ms'))).toBeGreaterThan(at);
    await page.locator('#speed').selectOption('0');
    await page.locator('#pause').click();
    await finished(page);
    expect(await body.getAttribute('data-outcome')).toBe('completed');
    expect(await page.locator('[data-process="SharingMemory.exe"] .last').textContent()).toBe('12:00:04');
    await page.close();
  }, 90_000);

  it("replays the run to a moment of its timeline: sharing-memory's mapping is back, the clock at that second", async () => {
    const page = await open('?sample=sharing-memory&seed=1&speed=0');
    await finished(page);
    const end = Number(await page.locator('body').getAttribute('data-virtual-ms'));
    const moment = page.locator('#timeline li', { hasText: 'output: 12:00:02' });
    const t = Number(await moment.getAttribute('data-t'));
    await moment.locator('button').click();
    const body = page.locator('body');
    await expect.poll(() => body.getAttribute('data-state'), { timeout: 20_000 }).toBe('paused');
    const at = Number(await body.getAttribute('data-virtual-ms'));
    expect(at).toBeGreaterThanOrEqual(t);
    expect(at).toBeLessThan(end);
    expect(await page.locator('[data-process="SharingMemory.exe"] .last').textContent()).toBe('12:00:02');
    expect(await page.locator('#shared-frames li[data-lines="2"]', { hasText: 'NonPagedPool' }).getAttribute('data-processes')).toBe('System,SharingMemory.exe');
    await page.close();
  }, 90_000);

  it('highlights in the picture the page a finding names', async () => {
    // The driver reads KUSER_SHARED_DATA's kernel address for the program: the finding names it.
    const page = await open('?sample=transfer-methods&variant=neither-no-probe&speed=0');
    await finished(page);
    await page.locator('#findings li[data-kind="kernel-address-unprobed"] button').click();
    await expect.poll(() => page.locator('body').getAttribute('data-highlight-pages')).toBe('1');
    expect(await page.locator('#details-text').textContent()).toMatch(/^kernel-address-unprobed: [\s\S]*Highlighted \(dashed\): 1 page\(s\), 1 frame/);
    await page.close();
  }, 90_000);

  it('passes axe-core\'s accessibility checks: the page after a run with a finding, and the blue screen', async () => {
    const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    for (const query of ['?sample=transfer-methods&variant=neither-no-probe&speed=0', '?sample=locked-user-buffer&variant=no-unlock&speed=0']) {
      const page = await open(query);
      await finished(page);
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate('axe.run().then((r) => r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}`))');
      expect(violations, query).toEqual([]);
      await page.close();
    }
  }, 90_000);

  it('reproduces a run from its link: the same seed, the same log', async () => {
    const logOf = async () => {
      const page = await open('?sample=inverted-call&arch=x86&seed=7&speed=0');
      await finished(page);
      const log = `${await page.locator('#console').textContent()}\n${await page.locator('#program-windows').textContent()}`;
      await page.close();
      return log;
    };
    const first = await logOf();
    expect(first.split('\n').length).toBeGreaterThan(5);
    expect(await logOf()).toBe(first);
  }, 120_000);
});
