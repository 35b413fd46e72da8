/**
 * The page as a newcomer meets it (issue 12, a pass from a fresh clone):
 * what it says when a run ends or waits, the timeline in the order things
 * happened, a replay that says where it really stopped, the driver's
 * routines named as outside the browser, what hovering a page shows, the
 * blue screen keeping the keyboard on itself, and a visible focus on every
 * control. Without a Chromium the tests skip, saying so in one line.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { boot, MemoryVolumeStore } from '../../src/index.js';
import { samples } from '../../samples/registry.js';
import { browserSession, executablePath, finished, sayIfSkipped } from './browser-session.js';

sayIfSkipped('test/web/newcomer.browser.test.ts');

describe.skipIf(!executablePath)('the web page, as a newcomer uses it', () => {
  const session = browserSession();
  const open = session.open;
  const status = (page: Page) => page.locator('#status').textContent();

  it('says how a run ended: the programs exited (so the picture shows what is left), or the bug check that stopped it', async () => {
    const page = await open('?sample=sharing-memory&speed=0');
    await finished(page);
    expect(await status(page)).toBe('Finished at 4.015 virtual seconds: the programs ran their course and exited, so the picture shows what is left mapped. Show on a timeline event replays the run to that moment.');
    await page.goto(`${session.server.url}?sample=locked-user-buffer&variant=no-unlock&speed=0`);
    await finished(page);
    expect(await status(page)).toMatch(/^Stopped at \d+\.\d{3} virtual seconds by bug check 0x00000076 PROCESS_HAS_LOCKED_PAGES: /);
    await page.close();
  }, 90_000);

  it("names the driver's routines in the blue screen and the findings as the same run outside the browser does (the bundle keeps function names)", async () => {
    const page = await open('?sample=sharing-memory&variant=paged-pool&speed=0');
    await finished(page);
    expect(await page.locator('#bluescreen-explanation').textContent()).toContain('SharingMemory!TimerRoutine');
    // The finding's routine, as Node names it.
    const sample = samples.find((s) => s.name === 'sharing-memory')!;
    const m = await boot({ volume: new MemoryVolumeStore(), ...sample.bootOptions?.('never-unmap'), arch: 'x64', seed: 1 });
    await m.runScenario(sample, { variant: 'never-unmap', seconds: 5 });
    const f = m.report().findings.find((x) => x.routine)!;
    expect(f.routine).toMatch(/^[A-Za-z_]{3,}/);
    await page.goto(`${session.server.url}?sample=sharing-memory&variant=never-unmap&speed=0`);
    await finished(page);
    expect(await page.locator(`#findings li[data-kind="${f.kind}"] button`).textContent()).toContain(`(${f.driver}!${f.routine})`);
    await page.close();
  }, 90_000);

  it('lists the timeline in the order things happened: the DbgPrint a dispatch routine writes between the request before it and the routine returning', async () => {
    const page = await open('?sample=locked-user-buffer&speed=0');
    await finished(page);
    const items = await page.locator('#timeline li').allTextContents();
    const at = (re: RegExp) => items.findIndex((t) => re.test(t));
    const create = at(/IRP_MJ_CREATE returned/);
    const locked = at(/DbgPrint: LockedUserBuffer: user buffer locked/);
    const control = at(/DispatchControl returned .*ioctl=0x222000/);
    expect(create).toBeGreaterThanOrEqual(0);
    expect(create).toBeLessThan(locked);
    expect(locked).toBeLessThan(control);
    // And the times the list shows (whole milliseconds: a log line's time is) never go back.
    const times = ((await page.evaluate("[...document.querySelectorAll('#timeline li')].map((li) => Number(li.dataset.t))")) as number[]).map(Math.floor);
    expect(times.length).toBe(items.length);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    await page.close();
  }, 90_000);

  it('says where a replay stopped: just after the event, or how far past it when the thread ran on', async () => {
    const page = await open('?sample=sharing-memory&speed=0');
    await finished(page);
    await page.locator('#timeline li', { hasText: 'output: 12:00:02' }).locator('button').click();
    await expect.poll(() => page.locator('body').getAttribute('data-state'), { timeout: 20_000 }).toBe('paused');
    expect(await status(page)).toMatch(/^Paused at 2\.\d{3} virtual seconds, just after the event you chose\.$/);
    // locked-user-buffer's program does all its work in one turn: the replay stops at its next request,
    // with the program still there and its buffer still locked.
    await page.goto(`${session.server.url}?sample=locked-user-buffer&speed=0`);
    await finished(page);
    await page.locator('#timeline li', { hasText: 'user buffer locked' }).locator('button').click();
    await expect.poll(() => page.locator('body').getAttribute('data-state'), { timeout: 20_000 }).toBe('paused');
    expect(await status(page)).toMatch(/^Paused at \d+\.\d{3} virtual seconds, \d+ log lines? past the event you chose: a thread stops only at its next request to the kernel/);
    await expect.poll(() => page.locator('#picture').getAttribute('aria-label')).toMatch(/LockedUserBuffer\.exe.*, 1 locked by an MDL\./);
    await page.close();
  }, 90_000);

  it("tells the person the Habr client waits for them, and which buttons to press", async () => {
    const page = await open('?sample=mdl-pages&interactive=1&speed=0');
    await page.locator('[data-process="habr_app.exe"] .buttons button').first().waitFor({ timeout: 20_000 });
    expect(await status(page)).toMatch(/^habr_app\.exe waits for you \(.+\): press Allocate, Fill, Release or Quit in its window under "The programs"\.$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => status(page), { timeout: 20_000 }).toMatch(/^habr_app\.exe waits for you/);
    expect(await page.locator('[data-process="habr_app.exe"] .last').textContent()).toMatch(/^Allocate memory:/);
    await page.close();
  }, 90_000);

  it("shows, on hovering a program's page, its !pte walk, its VAD and the !pfn of its frame; the picture's name counts what it shows", async () => {
    const page = await open('?sample=sharing-memory&speed=1');
    const pool = page.locator('#shared-frames li[data-lines="2"]', { hasText: 'NonPagedPool' });
    await expect.poll(() => pool.count(), { timeout: 20_000 }).toBe(1);
    await page.locator('#pause').click();
    await expect.poll(() => page.locator('body').getAttribute('data-state')).toBe('paused');
    // The keyboard walks the picture: to the program's page at its MDL mapping.
    await page.locator('#picture').focus();
    const details = page.locator('#details-text');
    for (let i = 0; i < 40 && !/!pte 00000000`01010000/.test((await details.textContent()) ?? ''); i++) {
      await page.keyboard.press('ArrowRight');
      await page.waitForTimeout(50);
    }
    await expect.poll(() => details.textContent()).toMatch(/kd> !pte 00000000`01010000 {3}\(in SharingMemory\.exe\)\nPXE at [\s\S]*PTE at [^\n]*UW-V\n\nVAD 01010000-01010fff \(1 page\(s\)\) mdl, protection 0x4\n\nkd> !pfn [0-9a-f]+\n[\s\S]*share count 00000002 {2}lock count 0 {2}NonPagedPool/);
    expect(await page.locator('#picture').getAttribute('aria-label')).toMatch(/^Memory picture: 2 process\(es\) \(System, SharingMemory\.exe\), \d+ mapped page\(s\), \d+ frame\(s\) in use: 2 mapped more than once, 0 locked by an MDL\./);
    await page.goto(`${session.server.url}?sample=locked-user-buffer&variant=no-unlock&speed=0`);
    await finished(page);
    expect(await page.locator('#picture').getAttribute('aria-label')).toMatch(/, 1 locked by an MDL\./);
    await page.close();
  }, 90_000);

  it('keeps the keyboard on the blue screen while it shows, and Escape closes it', async () => {
    const page = await open('?sample=locked-user-buffer&variant=no-unlock&speed=0');
    await finished(page);
    await expect.poll(() => page.locator('#bluescreen').isVisible()).toBe(true);
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Shift+Tab');
      const where = await page.evaluate("document.activeElement === document.body ? 'body' : document.activeElement.closest('#bluescreen') ? 'blue screen' : document.activeElement.id");
      expect(['blue screen', 'body']).toContain(where);
    }
    await page.keyboard.press('Escape');
    expect(await page.locator('#bluescreen').isHidden()).toBe(true);
    expect(await page.evaluate('document.activeElement.id')).toBe('run');
    expect(await page.evaluate("document.querySelector('main').inert")).toBe(false);
    await page.close();
  }, 90_000);

  it('shows a visible focus ring on every control Tab reaches, and tells the Show buttons apart by their event', async () => {
    const page = await open('?sample=sharing-memory&variant=never-unmap&speed=0');
    await finished(page);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const focus = (await page.evaluate(`(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return null;
        const cs = getComputedStyle(e);
        return { id: e.id || e.tagName + ':' + (e.textContent || '').slice(0, 20), style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
      })()`)) as { id: string; style: string; width: number } | null;
      if (!focus) continue;
      seen.add(focus.id);
      expect(focus.style, focus.id).not.toBe('none');
      expect(focus.width, focus.id).toBeGreaterThanOrEqual(3);
    }
    for (const id of ['sample', 'variant', 'run', 'reset', 'scenario-file', 'picture', 'console', 'kd-output', 'kd-input']) expect(seen, id).toContain(id);
    // Each Show button is described by its own event's text (many share a millisecond, so the time alone cannot tell them apart).
    const described = (await page.evaluate(`[...document.querySelectorAll('#timeline li button')].map((b) => {
      const text = document.getElementById(b.getAttribute('aria-describedby') ?? '');
      return !!text && b.closest('li').contains(text) && text.textContent.trim().length > 0;
    })`)) as boolean[];
    expect(described.length).toBeGreaterThan(5);
    expect(described.every(Boolean)).toBe(true);
    await page.close();
  }, 90_000);
});
