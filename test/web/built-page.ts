/**
 * The built web page for the browser tests: dist/web, built here when a
 * fresh clone's tests run before `npm run build` did, or when the page's
 * sources (web/, src/, samples/) changed since it was built — so that the
 * tests never drive a stale page — and served by `ntshm ui`'s server on a
 * free port.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveUi, webPageFolder, type UiServer } from '../../src/cli/ui.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The newest modification time of the files under `folder`, in ms. */
function newestIn(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** dist/web is there, and newer than every source of the page. */
function pageIsFresh(): boolean {
  const index = join(webPageFolder(), 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return ['web', 'src', 'samples'].every((f) => newestIn(join(root, f)) <= built);
}

/**
 * Builds dist/web unless it is fresh. The browser test files run in parallel
 * processes: a lock folder lets one build while the others wait for it (a
 * lock older than five minutes is a crashed build's, and is taken over).
 */
export async function ensurePageBuilt(): Promise<void> {
  if (pageIsFresh()) return;
  const lock = join(root, 'dist', '.web-build.lock');
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (pageIsFresh()) return;
    const { build } = await import('vite');
    await build({ configFile: join(root, 'web/vite.config.ts'), logLevel: 'warn' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
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
