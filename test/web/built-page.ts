/**
 * The built web page for the browser tests: dist/web, built here when a
 * fresh clone's tests run before `npm run build` did, and served by `ntshm
 * ui`'s server on a free port.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveUi, webPageFolder, type UiServer } from '../../src/cli/ui.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Builds dist/web unless it is there. */
export async function ensurePageBuilt(): Promise<void> {
  if (existsSync(join(webPageFolder(), 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(root, 'web/vite.config.ts'), logLevel: 'warn' });
}

/** The page, built and served on a free port of 127.0.0.1. */
export async function servePage(): Promise<UiServer> {
  await ensurePageBuilt();
  return serveUi({ port: 0 });
}

/** Where Debian's chromium is, or undefined (CHROMIUM_PATH may name another). */
export function findChromium(): string | undefined {
  return [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
}
