/**
 * `ntshm ui`: serves the built web page (dist/web) on localhost with vite's
 * preview server, cross-origin isolated (COOP + COEP) so that the page's
 * machine has its SharedArrayBuffer. The machine runs in the page, not here.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './usage.js';

/** The headers that make the page cross-origin isolated (SharedArrayBuffer needs them). */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The port `ntshm ui` listens on when `--port` is not given (the next free one if it is taken). */
export const DEFAULT_UI_PORT = 4178;

/** Where the built page is: dist/web of the package, from src/cli (tsx) or dist/src/cli (the bin). */
export function webPageFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.split(/[\\/]/).includes('dist') ? resolve(here, '../../..') : resolve(here, '../..');
  return join(root, 'dist', 'web');
}

/** A running page server: its URL, and how to stop it. */
export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** `--port`: 0 (any free port) to 65535. */
export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not '${text}'`);
  return n;
}

/** Serves the page on 127.0.0.1; resolves once it listens. */
export async function serveUi(options: { port?: number | undefined; open?: boolean | undefined } = {}): Promise<UiServer> {
  const folder = webPageFolder();
  if (!existsSync(join(folder, 'index.html'))) throw new UsageError(`the web page is not built (${folder} has no index.html): run \`npm run build\` first`);
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new UsageError('`ntshm ui` serves the page with vite, which is not installed: `npm install vite`');
  }
  const port = options.port ?? DEFAULT_UI_PORT;
  let server: Awaited<ReturnType<typeof vite.preview>>;
  try {
    server = await vite.preview({
      configFile: false,
      root: dirname(folder),
      logLevel: 'warn',
      build: { outDir: folder },
      preview: { host: '127.0.0.1', port, strictPort: options.port !== undefined, open: options.open === true, headers: ISOLATION_HEADERS },
    });
  } catch (e) {
    // A port given with --port is taken as it is (strictPort): when something else listens there, say so in one line.
    if (e instanceof Error && ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || /already in use/i.test(e.message))) {
      throw new UsageError(`port ${port} is in use (another \`ntshm ui\`?): choose another with --port, or --port 0 for any free one`, { cause: e });
    }
    throw e;
  }
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  return { url, close: () => server.close() };
}
