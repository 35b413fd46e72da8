/**
 * `ntshm ui`'s server: the built page on localhost, cross-origin isolated so
 * that the page's SharedArrayBuffer exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';
import { parsePort, serveUi, type UiServer } from '../../src/cli/ui.js';
import { servePage } from './built-page.js';

describe('ntshm ui', () => {
  let server: UiServer;
  beforeAll(async () => {
    server = await servePage();
  }, 120_000);
  afterAll(async () => server?.close());

  it('serves the page on localhost with the cross-origin isolation headers', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await response.text()).toContain('The memory picture');
  });

  it.each([['0', 0], ['4178', 4178], ['65535', 65535]])('takes --port %s', (text, port) => {
    expect(parsePort(text)).toBe(port);
  });

  it.each(['-1', '65536', 'http', '1.5'])('refuses --port %s', (text) => {
    expect(() => parsePort(text)).toThrow(/--port must be a whole number from 0 to 65535/);
  });

  it('refuses a --port that another server holds in one line, not as an internal error', async () => {
    const port = Number(new URL(server.url).port);
    await expect(serveUi({ port })).rejects.toThrow(`port ${port} is in use (another \`ntshm ui\`?): choose another with --port, or --port 0 for any free one`);
    const err: string[] = [];
    const code = await main(['ui', '--port', String(port)], { out: () => {}, err: (t: string) => { err.push(t); } });
    expect(code).toBe(2);
    expect(err.join('')).toBe(`ntshm: port ${port} is in use (another \`ntshm ui\`?): choose another with --port, or --port 0 for any free one\n`);
  });

  it("refuses --port abc in one line, with the usage error's exit code", async () => {
    const err: string[] = [];
    const code = await main(['ui', '--port', 'abc'], { out: () => {}, err: (t: string) => { err.push(t); } });
    expect(code).toBe(2);
    expect(err.join('')).toBe("ntshm: --port must be a whole number from 0 to 65535, not 'abc'\n");
  });
});
