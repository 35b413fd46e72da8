/**
 * What the browser test files share: Chromium found (or the one loud line
 * saying the tests skipped and how to install it), the built page served and
 * Chromium launched around a describe block, pages opened on a query, and
 * the page's "the run has ended" mark.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { UiServer } from '../../src/cli/ui.js';
import { findChromium, servePage } from './built-page.js';

/** Debian's chromium, if this machine has it. */
export const executablePath = findChromium();

/** Says, in one line, that `file`'s browser tests skipped and which command installs the browser. */
export function sayIfSkipped(file: string): void {
  if (executablePath) return;
  console.warn(`SKIPPED the browser tests (${file}): no Chromium at /usr/bin/chromium; install it with \`apt-get install -y chromium\``);
}

/** The server and browser of one describe block, with a page opener. */
export interface BrowserSession {
  readonly server: UiServer;
  readonly browser: Browser;
  /** A new page of the size the tests use, at the page's URL with `query` (`?sample=...`). */
  open(query: string): Promise<Page>;
}

/** Serves the page and launches Chromium before the describe block's tests; closes both after them. */
export function browserSession(): BrowserSession {
  let server: UiServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await servePage();
    browser = await chromium.launch({ executablePath: executablePath!, args: ['--no-sandbox'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  const session: BrowserSession = {
    get server() { return server!; },
    get browser() { return browser!; },
    async open(query) {
      const page = await session.browser.newPage({ viewport: { width: 1280, height: 1000 } });
      await page.goto(`${session.server.url}${query}`);
      return page;
    },
  };
  return session;
}

/** Waits until the run in `page` has ended (evaluated in the page, where `document` is). */
export const finished = (page: Page) => page.waitForFunction('document.body.dataset.outcome !== undefined', undefined, { timeout: 60_000 });
