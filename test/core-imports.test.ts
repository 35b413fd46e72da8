/**
 * The core (src/hw, src/kernel, src/api) must run unchanged in a browser:
 * no Node modules, no Node globals.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = ['src/include', 'src/hw', 'src/kernel', 'src/api', 'src/kd'];
const NODE_BUILTINS = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'util', 'url', 'events', 'stream', 'buffer', 'process', 'perf_hooks', 'module'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the web page loads nothing of Node', () => {
  for (const file of files('web/src')) {
    it(`${file} imports no Node module`, () => {
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const s of specifiers) expect(s.startsWith('node:') || NODE_BUILTINS.includes(s), `${file} imports ${s}`).toBe(false);
    });
  }
});

describe('the core runs in a browser', () => {
  const all = CORE.flatMap(files);

  it('has files to check', () => {
    expect(all.length).toBeGreaterThan(30);
  });

  for (const file of all) {
    it(`${file} imports no Node module and uses no Node global`, () => {
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const s of specifiers) {
        expect(s.startsWith('node:'), `${file} imports ${s}`).toBe(false);
        expect(NODE_BUILTINS.includes(s), `${file} imports ${s}`).toBe(false);
        expect(s.startsWith('.') , `${file} imports the package ${s}: the core has no runtime dependencies`).toBe(true);
      }
      expect(/\bBuffer\.|\bprocess\.(env|argv|hrtime|exit\()|\brequire\(/.test(text), `${file} uses a Node global`).toBe(false);
    });
  }
});
