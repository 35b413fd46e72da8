/**
 * Arrows point down: no file imports (not even a type) from a layer above
 * its own. The order is docs/architecture.md's.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAYERS, layerOf, readProject, violations } from './imports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const project = readProject(root, ['src', 'samples', 'bench', 'fuzz', 'web']);

describe('the layers', () => {
  it('every source file belongs to a layer', () => {
    const orphans = [...project.keys()].filter((f) => layerOf(f) < 0);
    expect(orphans).toEqual([]);
  });

  it('no import points up or sideways against the documented order', () => {
    const found = violations(project).map((v) => `${v.from} (${v.fromLayer}) imports ${v.to} (${v.toLayer})`);
    expect(found).toEqual([]);
  });

  it('nothing under src/kernel or src/hw imports src/api', () => {
    const upward = [...project].filter(([f, text]) => /^src\/(kernel|hw)\//.test(f) && /from\s+['"][./]*\/api\//.test(text));
    expect(upward.map(([f]) => f)).toEqual([]);
  });

  it('the front ends reach the machine only through the public API: nothing under src/cli imports src/kernel, src/api or src/hw', () => {
    const inside = [...project].filter(([f, text]) => /^src\/cli\//.test(f) && /from\s+['"][./]*\/(kernel|api|hw)\//.test(text));
    expect(inside.map(([f]) => f)).toEqual([]);
  });

  it('the web page reaches the machine only through the package: nothing under web/ or src/web imports src/ or samples/ by path', () => {
    const inside = [...project].filter(([f, text]) => /^(src\/)?web\//.test(f) && /from\s+['"](\.\.\/)+(src|samples|kernel|api|hw|include)\//.test(text));
    expect(inside.map(([f]) => f)).toEqual([]);
    expect([...project.keys()].some((f) => f.startsWith('web/src/'))).toBe(true);
  });

  it('catches an import that points up, a type-only one included', () => {
    const fake = new Map([
      ['src/kernel/mm/pool.ts', "import type { Kernel } from '../kernel.js';"],
      ['src/kernel/ke/dispatcher.ts', "import { IopCreateFile } from '../io/file.js';"],
      ['src/hw/mmu.ts', "export { makeNt } from '../api/nt.js';"],
      ['src/kernel/io/file.ts', "import { PAGE_SIZE } from '../../include/page.js';"],
    ]);
    expect(violations(fake).map((v) => [v.fromLayer, v.toLayer])).toEqual([['mm', 'kernel'], ['ke', 'io'], ['hw', 'api']]);
  });

  it('names the layers bottom first, as docs/architecture.md draws them', () => {
    expect(LAYERS.map(([name]) => name).slice(0, 3)).toEqual(['include', 'hw', 'ke']);
  });
});
