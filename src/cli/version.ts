/**
 * ntshm's version, from its package.json (found by walking up from this
 * file, which runs from src/ in tests and from dist/src/ when built).
 */
import { existsSync, readFileSync } from 'node:fs';

/** The `version` of the ntshm package this file belongs to. */
export function packageVersion(): string {
  for (let url = new URL('./package.json', import.meta.url), i = 0; i < 5; i++, url = new URL('../package.json', url)) {
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'ntshm' && pkg.version) return pkg.version;
  }
  return 'unknown';
}
