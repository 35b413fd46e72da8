/**
 * The web page's later parts in Chromium: kd under the blue screen, a
 * scenario file dropped on the page (TypeScript, its ntshm imports resolved
 * to the page's own bundle), the trace's events on the timeline, the Section
 * sample's window, and the page's timings (printed, never asserted).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { browserSession, executablePath, finished, sayIfSkipped } from './browser-session.js';

sayIfSkipped('test/web/page-kd-drop.browser.test.ts');
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/scenarios/${name}`, import.meta.url));

describe.skipIf(!executablePath)('the web page in Chromium: kd, dropped scenarios, trace, Section, timings', () => {
  const session = browserSession();
  const open = session.open;

  it('answers kd commands under the blue screen: !analyze -v first, then what a person types, with Up for the last command', async () => {
    const page = await open('?sample=locked-user-buffer&variant=no-unlock&speed=0');
    await finished(page);
    const out = page.locator('#bluescreen #kd-output');
    await expect.poll(() => out.locator('[data-command="!analyze -v"]').textContent(), { timeout: 20_000 }).toMatch(/PROCESS_HAS_LOCKED_PAGES \(76\)/);
    await page.locator('#bluescreen-kd').click();
    const input = page.locator('#kd-input');
    expect(await page.evaluate('document.activeElement.id')).toBe('kd-input');
    await input.fill('lm');
    await page.keyboard.press('Enter');
    await expect.poll(() => out.locator('[data-command="lm"]').textContent()).toMatch(/LockedUserBuffer/);
    await input.fill('!process 0 0');
    await page.keyboard.press('Enter');
    await expect.poll(() => out.locator('[data-command="!process 0 0"]').textContent()).toMatch(/PROCESS [0-9a-f`]+[\s\S]*Image: System/);
    await page.keyboard.press('ArrowUp');
    expect(await input.inputValue()).toBe('!process 0 0');
    await page.keyboard.press('ArrowUp');
    expect(await input.inputValue()).toBe('lm');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await input.inputValue()).toBe('');
    await page.close();
  }, 90_000);

  it('attaches kd to a paused machine, and not to a running one', async () => {
    const page = await open('?sample=sharing-memory&speed=1');
    const body = page.locator('body');
    await expect.poll(() => body.getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
    expect(await page.locator('#kd-input').isDisabled()).toBe(true);
    await page.locator('#pause').click();
    await expect.poll(() => body.getAttribute('data-state')).toBe('paused');
    await page.locator('#kd-input').fill('!process 0 0');
    await page.locator('#kd-run').click();
    await expect.poll(() => page.locator('#kd-output [data-command="!process 0 0"]').textContent(), { timeout: 10_000 }).toMatch(/Image: SharingMemory\.exe/);
    await page.close();
  }, 90_000);

  it('runs a dropped TypeScript scenario file whose imports name ntshm, and refuses a file that is not a scenario in one line', async () => {
    const page = await open('');
    await page.waitForFunction("document.getElementById('sample').options.length > 0");
    await page.locator('#scenario-file').setInputFiles(fixture('crash.ts'));
    await finished(page);
    expect(await page.locator('body').getAttribute('data-scenario')).toBe('crash');
    expect(await page.locator('[data-process="Oops.exe"] .stdout').textContent()).toContain('about to crash');
    // Dropped on the page, as a person drags it: a DataTransfer with the file.
    const source = readFileSync(fixture('not-a-scenario.ts'), 'utf8');
    await page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([${JSON.stringify(source)}], 'not-a-scenario.ts'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await expect.poll(() => page.locator('body').getAttribute('data-scenario'), { timeout: 30_000 }).toBe('refused');
    const error = await page.locator('#scenario-file-status').textContent();
    expect(error).toMatch(/^not-a-scenario\.ts is not a scenario: /);
    expect(error).not.toContain('\n');
    await page.close();
  }, 90_000);

  it('draws the trace on the timeline: IRPs with their IOCTL, mappings; Show on one replays to it', async () => {
    const page = await open('?sample=sharing-memory&seed=1&speed=0');
    await finished(page);
    const irp = page.locator('#timeline li[data-kind="trace-irp"]', { hasText: 'IRP_MJ_DEVICE_CONTROL' }).first();
    expect(await irp.count()).toBe(1);
    const mapping = page.locator('#timeline li[data-kind="trace-mapping"]').first();
    expect(await mapping.textContent()).toMatch(/map/);
    await mapping.locator('button').click();
    const body = page.locator('body');
    await expect.poll(() => body.getAttribute('data-state'), { timeout: 20_000 }).toBe('paused');
    // Paused just after the first mapping: the run has not ended.
    expect(await body.getAttribute('data-outcome')).toBeNull();
    expect(await page.locator('#tracks').isVisible()).toBe(true);
    await page.close();
  }, 90_000);

  it("shows the Section sample's message and the driver's reply in SecTest.exe's window", async () => {
    const page = await open('?sample=section&speed=0');
    await finished(page);
    const win = page.locator('[data-process="SecTest.exe"]');
    expect(await win.locator('[data-field="message"]').textContent()).toBe('Hello from the user-mode application');
    expect(await win.locator('[data-field="reply"]').textContent()).toBe('Hello from the kernel-mode driver');
    await page.close();
  }, 90_000);

  it('measures the page: load time, and a 10-virtual-second sample (printed, not asserted)', async () => {
    const page = await session.browser.newPage();
    const t0 = Date.now();
    await page.goto(`${session.server.url}`);
    await page.waitForFunction("document.getElementById('sample').options.length > 0");
    const loadMs = Date.now() - t0;
    await page.locator('#sample').selectOption('sharing-memory');
    await page.locator('#seconds').fill('10');
    await page.locator('#speed').selectOption('0');
    const t1 = Date.now();
    await page.locator('#run').click();
    await finished(page);
    const runMs = Date.now() - t1;
    expect(await page.locator('[data-process="SharingMemory.exe"] .last').textContent()).toMatch(/^12:00:/);
    console.log(`web page timings: load ${loadMs} ms (target < 2000), sharing-memory for 10 virtual seconds ${runMs} ms (target < 1000)`);
    await page.close();
  }, 90_000);
});
