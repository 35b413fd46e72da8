/**
 * The import graph of src/: every relative import (type-only ones too) and
 * the layer each file belongs to, for the layering test.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The layers, bottom first; a file may import only from its own layer or one below. */
export const LAYERS: readonly (readonly [name: string, prefixes: readonly string[]])[] = [
  ['include', ['src/include/']],
  ['hw', ['src/hw/']],
  ['ke', ['src/kernel/ke/']],
  ['mm', ['src/kernel/mm/']],
  ['ex', ['src/kernel/ex/']],
  ['ob', ['src/kernel/ob/']],
  ['ps', ['src/kernel/ps/']],
  ['io', ['src/kernel/io/']],
  ['lpc', ['src/kernel/lpc/']],
  ['se', ['src/kernel/se/']],
  ['section', ['src/kernel/section/']],
  ['cm', ['src/kernel/cm/']],
  ['verifier', ['src/kernel/verifier/']],
  ['scm', ['src/kernel/scm/']],
  ['kernel', ['src/kernel/']],
  ['api', ['src/api/']],
  ['kd', ['src/kd/']],
  ['machine', ['src/machine.ts', 'src/index.ts', 'src/scenario.ts', 'src/report.ts', 'src/machine/', 'src/host/']],
  ['samples', ['samples/']],
  ['front ends', ['src/testing.ts', 'src/cli/', 'src/web/', 'bench/', 'fuzz/', 'web/']],
];

/** The rank of the layer a file belongs to (the longest matching prefix wins), or -1. */
export function layerOf(file: string): number {
  let best = -1;
  let bestLength = -1;
  LAYERS.forEach(([, prefixes], rank) => {
    for (const p of prefixes) {
      if ((file === p || file.startsWith(p)) && p.length > bestLength) {
        best = rank;
        bestLength = p.length;
      }
    }
  });
  return best;
}

/** Every `.ts` file under `dir`, as paths relative to `root`. */
export function sourceFiles(root: string, dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((name) => {
    const p = join(d, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [relative(root, p)] : [];
  });
  return walk(join(root, dir));
}

/** The relative import specifiers of a module's text: `import`, `import type`, `export ... from`, `import()`. */
export function importSpecifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
}

/** An import that points up the layers. */
export interface Violation {
  from: string;
  to: string;
  fromLayer: string;
  toLayer: string;
}

/** The imports among `files` (path → text) that point to a higher layer. */
export function violations(files: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, text] of files) {
    const from = layerOf(file);
    for (const spec of importSpecifiers(text)) {
      const to = resolve('/', dirname(file), spec).slice(1).replace(/\.js$/, '.ts');
      const target = layerOf(to);
      if (from >= 0 && target > from) out.push({ from: file, to, fromLayer: LAYERS[from]![0], toLayer: LAYERS[target]![0] });
    }
  }
  return out;
}

/** The source of the project, read from disk: path → text. */
export function readProject(root: string, dirs: readonly string[]): Map<string, string> {
  return new Map(dirs.flatMap((d) => sourceFiles(root, d)).map((f) => [f, readFileSync(join(root, f), 'utf8')] as const));
}
